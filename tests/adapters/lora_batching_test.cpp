// Requests with different LoRA adapter sets sharing one engine: each decodes with its own set
// (llama.cpp applies adapters to a whole context, so the engine never puts two sets in one
// llama_decode: stats "steps_split_by_adapters" counts the steps that took one call per set),
// and KV computed under one set is never reused under another (the next turn of a
// conversation, a prefix copied from another conversation, a saved KV state).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "adapters/adapter_support.h"

namespace wasi_nn::test {
namespace {

using json = nlohmann::json;

// Three adapter sets on one load of tiny-llama (ids 0: attention, 1: FFN).
const char* kSets[] = {R"("lora": [{"id": 1, "scale": 0}])", R"("lora": [{"id": 0, "scale": 0}])",
                       R"("lora": [{"id": 0, "scale": 0}, {"id": 1, "scale": 0}])"};
constexpr int kLongTokens = 64;

std::string two_adapters(const std::string& more) {
  return lora_config(lora_entry("tiny-llama-lora.gguf") + ", " + lora_entry("tiny-llama-lora-ffn.gguf"), more);
}

json only_engine() {
  const json s = process_stats();
  if (s["models"].size() != 1 || s["models"][0]["engines"].size() != 1) return json();
  return s["models"][0]["engines"][0];
}

std::string long_request(const char* set) {
  return R"({"mode": "raw", "temperature": 0, "ignore_eos": true, "n_predict": )" + std::to_string(kLongTokens) + ", " +
         set + "}";
}

// Runs one request per set at once (each thread waits for the others before its compute).
std::vector<std::string> concurrent(Backend& b, uint32_t g) {
  constexpr int n = 3;
  std::vector<uint32_t> ctx;
  for (int i = 0; i < n; ++i) ctx.push_back(b.init_execution_context(g));
  std::vector<std::string> text(n);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready < n) std::this_thread::yield();
      text[i] = generate(b, ctx[i], kPrompt, long_request(kSets[i])).text;
    });
  }
  for (auto& t : threads) t.join();
  return text;
}

// Each sequence is alone in its decode calls (no other has its set), so its text is its solo
// text to the bit; a request decoded with another's adapters would differ.
TEST(LoraBatching, ConcurrentRequestsWithDifferentSetsEqualTheirSoloText) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 4)"));
  std::vector<std::string> solo;
  for (const char* set : kSets)
    solo.push_back(generate(b, b.init_execution_context(g), kPrompt, long_request(set)).text);
  EXPECT_NE(solo[0], solo[1]);
  EXPECT_NE(solo[1], solo[2]);
  EXPECT_NE(solo[0], solo[2]);
  // Until the requests overlapped at least once (threads may not on a loaded machine).
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::vector<std::string> together = concurrent(b, g);
    for (size_t i = 0; i < solo.size(); ++i) EXPECT_EQ(together[i], solo[i]) << "adapter set " << i;
    ASSERT_TRUE(wait_for_stats([](const json&) {
      const json e = only_engine();
      return !e.is_null() && e["active_sequences"] == 0;
    }));
    if (only_engine()["steps_split_by_adapters"].get<uint64_t>() > 0) return;
  }
  FAIL() << "the requests never ran at once: " << only_engine().dump();
}

// Requests with the same set still share decode calls (continuous batching).
TEST(LoraBatching, RequestsWithTheSameSetShareDecodeCalls) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 4)"));
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    for (int i = 0; i < 2; ++i) {
      const uint32_t ctx = b.init_execution_context(g);
      threads.emplace_back([&, ctx, i] {
        ++ready;
        while (ready < 2) std::this_thread::yield();
        generate(b, ctx, "Request " + std::to_string(i), long_request(kSets[0]));
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_TRUE(wait_for_stats([](const json&) {
      const json e = only_engine();
      return !e.is_null() && e["active_sequences"] == 0;
    }));
    const json e = only_engine();
    EXPECT_EQ(e["steps_split_by_adapters"], 0) << e.dump();
    if (e["steps_by_sequences"][2].get<uint64_t>() > 0) return;
  }
  FAIL() << "two requests with one adapter set never shared a decode call: " << only_engine().dump();
}

// The next turn of a conversation under another set recomputes its prompt: nothing is cached,
// and its text is the other set's solo text.
TEST(LoraKvReuse, NextTurnUnderAnotherSetReusesNothing) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 2)"));
  const std::string solo = greedy_text(b, g, kSets[1]);
  const uint32_t ctx = b.init_execution_context(g);
  generate(b, ctx, kPrompt, std::string(R"({"mode": "raw", "temperature": 0, )") + kSets[0] + "}");
  Output same = generate(b, ctx, kPrompt, std::string(R"({"mode": "raw", "temperature": 0, )") + kSets[0] + "}");
  EXPECT_GT(same.meta["cached_tokens"].get<int>(), 0) << "the same set should reuse the prompt: " << same.meta.dump();
  Output other = generate(b, ctx, kPrompt, std::string(R"({"mode": "raw", "temperature": 0, )") + kSets[1] + "}");
  EXPECT_EQ(other.meta["cached_tokens"], 0) << other.meta.dump();
  EXPECT_EQ(other.text, solo);
}

std::string long_prefix() {
  std::string p;
  for (int i = 0; i < 12; ++i) p += "The quick brown fox jumps over the lazy dog. ";
  return p;
}

// Another conversation's KV prefix is copied only when it was computed under the same set.
TEST(LoraKvReuse, PrefixSharingStaysWithinOneSet) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 4)"));
  const std::string prefix = long_prefix();
  auto request = [](const char* set) {
    return std::string(R"({"mode": "raw", "temperature": 0, "n_predict": 8, )") + set + "}";
  };
  // The reference comes from another tenant (on the same engine): its KV is never shared here.
  HostBackend other_tenant;
  const uint32_t og = other_tenant.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 4)"));
  const std::string solo =
      generate(other_tenant, other_tenant.init_execution_context(og), prefix + "B", request(kSets[1])).text;
  generate(b, b.init_execution_context(g), prefix + "A", request(kSets[0]));
  Output other = generate(b, b.init_execution_context(g), prefix + "B", request(kSets[1]));
  EXPECT_EQ(other.meta["shared_tokens"], 0) << other.meta.dump();
  EXPECT_EQ(other.text, solo);
  Output same = generate(b, b.init_execution_context(g), prefix + "C", request(kSets[0]));
  EXPECT_GE(same.meta["shared_tokens"].get<int>(), 32) << "sharing within one set should work: " << same.meta.dump();
}

// A conversation evicted under one set and continued under another does not restore its state.
TEST(LoraKvReuse, SavedStateIsNotRestoredUnderAnotherSet) {
  HostBackend b;
  const uint32_t g =
      b.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 1, "kv_save_budget_mb": 64)"));
  const std::string solo = greedy_text(b, g, kSets[1]);
  auto request = [](const char* set) { return std::string(R"({"mode": "raw", "temperature": 0, )") + set + "}"; };
  const uint32_t first = b.init_execution_context(g), second = b.init_execution_context(g);
  generate(b, first, kPrompt, request(kSets[0]));
  generate(b, second, "Something else entirely", request(kSets[0]));  // evicts `first`
  Output again = generate(b, first, kPrompt, request(kSets[0]));
  EXPECT_GT(again.meta["restored_tokens"].get<int>(), 0) << "the same set should restore: " << again.meta.dump();
  generate(b, second, "Something else entirely", request(kSets[0]));  // evicts `first` again
  Output other = generate(b, first, kPrompt, request(kSets[1]));
  EXPECT_EQ(other.meta["restored_tokens"], 0) << other.meta.dump();
  EXPECT_EQ(other.meta["cached_tokens"], 0) << other.meta.dump();
  EXPECT_EQ(other.text, solo);
}

// Deterministic mode (docs/DETERMINISM.md) with adapters: the same bytes alone and beside
// requests with other sets.
TEST(LoraDeterministic, SameTextAloneAndTogether) {
  HostBackend b;
  const uint32_t g =
      b.load_by_name(model_file("tiny-llama.gguf"), two_adapters(R"("n_parallel": 4, "deterministic": true)"));
  std::vector<std::string> solo;
  for (const char* set : kSets)
    solo.push_back(generate(b, b.init_execution_context(g), kPrompt, long_request(set)).text);
  EXPECT_NE(solo[0], solo[1]);
  const std::vector<std::string> together = concurrent(b, g);
  for (size_t i = 0; i < solo.size(); ++i) EXPECT_EQ(together[i], solo[i]) << "adapter set " << i;
}

}  // namespace
}  // namespace wasi_nn::test
