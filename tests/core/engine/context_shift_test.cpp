// Context shift: the turn-level shift (old turns dropped before a chat turn), the shift while
// generating (n_keep kept, n_discard dropped, compared with llama.cpp's own context shift in
// llama-completion), context_shift false, and which conversation a full engine evicts (the least
// recently used one).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/base/error.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using nlohmann::json;
using test::generate;
using test::model_path;

TEST(ContextShift, LongConversationKeepsGoing) {
  HostBackend b;
  b.load_by_name(model_path("tiny-qwen2"),
                 R"({"ctx_size": 256, "threads": 2, "temperature": 0, "n_predict": 24, "ignore_eos": true})");
  uint32_t s = b.init_session("long");
  int dropped = 0;
  for (int turn = 0; turn < 12; ++turn) {
    auto out = generate(b, s, "This is turn number " + std::to_string(turn) + " of a long chat.");
    dropped += out.meta.value("dropped_messages", 0);
  }
  EXPECT_GT(dropped, 0);
}

TEST(ContextShift, DisabledAnswersContextFull) {
  HostBackend b;
  b.load_by_name(
      model_path("tiny-qwen2"),
      R"({"ctx_size": 256, "threads": 2, "temperature": 0, "n_predict": 24, "ignore_eos": true, "context_shift": false})");
  uint32_t s = b.init_session("long");
  ErrorKind kind = ErrorKind::Runtime;
  bool failed = false;
  for (int turn = 0; turn < 12 && !failed; ++turn) {
    try {
      generate(b, s, "This is turn number " + std::to_string(turn) + " of a long chat.");
    } catch (const Error& e) {
      failed = true;
      kind = e.kind();
    }
  }
  ASSERT_TRUE(failed);
  EXPECT_EQ(kind, ErrorKind::ContextFull);
}

TEST(ContextShift, GenerationContinuesPastTheWindow) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256, "threads": 2, "temperature": 0})");
  uint32_t c = b.init_execution_context(g);
  auto out = generate(b, c, "Start", R"({"mode": "raw", "n_predict": 600, "ignore_eos": true, "n_keep": 4})");
  EXPECT_EQ(out.meta["output_tokens"], 600);
  EXPECT_EQ(out.meta["stop_reason"], "length");
  EXPECT_GT(out.meta["shifted_tokens"].get<int>(), 0);
  EXPECT_EQ(out.meta["kept_tokens"], 4);
  auto more = generate(b, c, "Start",
                       R"({"mode": "raw", "n_predict": 300, "ignore_eos": true, "n_keep": 40, "cache_prompt": false})");
  EXPECT_EQ(more.meta["kept_tokens"], 40);
  auto off =
      generate(b, c, "Start", R"({"mode": "raw", "n_predict": 600, "ignore_eos": true, "context_shift": false})");
  EXPECT_EQ(off.meta["stop_reason"], "context_full");
}

// A raw generation on tiny-llama (which adds BOS) with a 256-token window: llama.cpp pads a
// context to 256, so both sides see the same window.
constexpr int kWindow = 256;
const char* kPrompt = "Once upon a time";

json shift_request(int n_predict, int n_keep, int n_discard) {
  return {{"mode", "raw"},    {"n_predict", n_predict}, {"ignore_eos", true},
          {"n_keep", n_keep}, {"n_discard", n_discard}, {"cache_prompt", false}};
}

class ShiftWhileGenerating : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string load =
        R"({"ctx_size": )" + std::to_string(kWindow) + R"(, "n_parallel": 1, "threads": 2, "temperature": 0})";
    ctx = b.init_execution_context(b.load_by_name(model_path("tiny-llama"), load));
  }
  test::Output run(int n_predict, int n_keep, int n_discard) {
    return generate(b, ctx, kPrompt, shift_request(n_predict, n_keep, n_discard).dump());
  }
  HostBackend b;
  uint32_t ctx = 0;
};

// The tokens an engine that shifts as docs/PARAMETERS.md says discards in total: before the
// KV cache's last cell is used (as llama.cpp does), keep n_keep, drop n_discard (0: half of the
// rest; at most all of the rest but one) and go on. The last generated token is never decoded.
int expected_shifted(int n_prompt, int n_generated, int n_keep, int n_discard) {
  int n_past = n_prompt, shifted = 0;
  for (int g = 1; g < n_generated; ++g) {
    if (n_past + 1 >= kWindow) {
      const int n_left = n_past - n_keep;
      const int d = n_discard > 0 ? std::min(n_discard, n_left - 1) : n_left / 2;
      n_past -= d;
      shifted += d;
    }
    ++n_past;  // the token just sampled is decoded
  }
  return shifted;
}

size_t first_difference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return i;
}

// Same model, prompt, window and n_keep, greedy: the text after one and after several shifts is
// llama-completion's. llama-completion discards half of what is not kept (n_discard 0 here) and
// counts n_keep after the BOS, which n_keep here includes.
TEST_F(ShiftWhileGenerating, TextEqualsLlamaCompletionsContextShift) {
  if (test::completion_tool().empty()) GTEST_SKIP() << "llama-completion not built (WASI_NN_BUILD_LLAMA_TOOLS=OFF)";
  const int n_predict = 400, n_keep = 4;
  const test::Output out = run(n_predict, n_keep, 0);
  ASSERT_EQ(out.meta["output_tokens"], n_predict) << out.meta.dump();
  ASSERT_GT(out.meta["shifted_tokens"].get<int>(), (kWindow - n_keep) / 2)
      << "fewer than two shifts: " << out.meta.dump();
  const std::string ref =
      test::greedy_completion(model_path("tiny-llama"), kPrompt, n_predict,
                              {"-t", "2", "-fa", "off", "-c", std::to_string(kWindow), "--context-shift",
                               "--ignore-eos", "--keep", std::to_string(n_keep - 1)});
  const size_t at = first_difference(out.text, ref);
  EXPECT_TRUE(out.text == ref) << "the texts differ from byte " << at << " (of " << out.text.size() << " and "
                               << ref.size() << "): \"" << out.text.substr(at, 60) << "\" here, \""
                               << ref.substr(at, 60) << "\" from llama-completion";
}

// n_discard decides how many tokens each shift drops: the totals follow the documented rule for
// each value, and a different n_discard gives a different continuation.
TEST_F(ShiftWhileGenerating, NDiscardDecidesTheTokensDropped) {
  const int n_predict = 300, n_keep = 4;
  std::string previous;
  for (int n_discard : {0, 10, 100, 100000}) {
    const test::Output out = run(n_predict, n_keep, n_discard);
    const int n_prompt = out.meta["input_tokens"].get<int>();
    EXPECT_EQ(out.meta["kept_tokens"], n_keep) << out.meta.dump();
    EXPECT_EQ(out.meta["shifted_tokens"], expected_shifted(n_prompt, n_predict, n_keep, n_discard))
        << "n_discard " << n_discard << ": " << out.meta.dump();
    EXPECT_TRUE(out.text != previous) << "n_discard " << n_discard << " gave the same text as the one before";
    previous = out.text;
  }
}

// Three chat sessions on a two-sequence engine that saves evicted KV states: the session that
// needs a sequence takes the least recently used one's. Whether a session was evicted shows in
// its next turn: restored_tokens > 0 (its KV state came back from the save) or 0 (still resident).
TEST(Eviction, LeastRecentlyUsedConversationIsEvicted) {
  HostBackend b;
  b.load_by_name(
      model_path("tiny-llama"),
      R"({"ctx_size": 1024, "n_parallel": 2, "threads": 2, "temperature": 0, "n_predict": 4, "kv_save_budget_mb": 64})");
  const uint32_t a = b.init_session("a"), s_b = b.init_session("b"), c = b.init_session("c");
  generate(b, a, "Hello from a.");
  generate(b, s_b, "Hello from b.");
  generate(b, a, "a again.");                       // a is now used more recently than b
  const auto c1 = generate(b, c, "Hello from c.");  // both sequences held: evicts b
  EXPECT_EQ(c1.meta["restored_tokens"], 0);
  const auto a3 = generate(b, a, "a once more.");
  EXPECT_EQ(a3.meta["restored_tokens"], 0) << "a was evicted: " << a3.meta.dump();
  EXPECT_GT(a3.meta["cached_tokens"].get<int>(), 0) << a3.meta.dump();
  const auto b2 = generate(b, s_b, "b again.");  // evicts c, now the least recently used
  EXPECT_GT(b2.meta["restored_tokens"].get<int>(), 0) << "b was not evicted: " << b2.meta.dump();
  const auto a4 = generate(b, a, "a last.");
  EXPECT_EQ(a4.meta["restored_tokens"], 0) << "a was evicted instead of c: " << a4.meta.dump();
  const auto c2 = generate(b, c, "c again.");
  EXPECT_GT(c2.meta["restored_tokens"].get<int>(), 0) << "c was not evicted: " << c2.meta.dump();
}

}  // namespace
}  // namespace wasi_nn
