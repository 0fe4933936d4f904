// Continuous batching: conversations running at once share decode steps. The engine counts its
// steps by how many sequences each carried (stats "steps_by_sequences"); an engine that decoded
// one conversation at a time would show only one-sequence steps, and as many steps as tokens.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::generate;
using test::model_path;
using test::wait_for_stats;
using json = nlohmann::json;

// The only engine loaded now (each test loads one).
json only_engine(const json& stats) {
  if (stats["models"].size() != 1 || stats["models"][0]["engines"].size() != 1) return json();
  return stats["models"][0]["engines"][0];
}

TEST(ContinuousBatching, ConcurrentConversationsShareDecodeSteps) {
  constexpr int kConversations = 4, kTokens = 64;
  HostBackend b;
  const uint32_t g =
      b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 512, "n_parallel": 4, "threads": 2, "temperature": 0})");
  std::vector<uint32_t> ctx;
  for (int i = 0; i < kConversations; ++i) ctx.push_back(b.init_execution_context(g));
  // The requests are submitted together (each thread waits for the others before its compute),
  // so they overlap for most of their tokens.
  std::atomic<int> ready{0}, generated{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kConversations; ++i) {
    threads.emplace_back([&, i] {
      ++ready;
      while (ready < kConversations) std::this_thread::yield();
      const auto out = generate(b, ctx[i], "Conversation number " + std::to_string(i) + " says",
                                R"({"mode": "raw", "ignore_eos": true, "n_predict": )" + std::to_string(kTokens) + "}");
      generated += out.meta["output_tokens"].get<int>();
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(generated, kConversations * kTokens);
  // The worker publishes its counters when it goes idle.
  ASSERT_TRUE(wait_for_stats([](const json& s) {
    const json e = only_engine(s);
    return !e.is_null() && e["active_sequences"] == 0;
  }));
  const json steps = only_engine(test::process_stats())["steps_by_sequences"];
  ASSERT_EQ(steps.size(), kConversations + 1u) << steps.dump();  // index = sequences in the step
  uint64_t shared = 0, total = 0;
  for (size_t n = 1; n < steps.size(); ++n) {
    total += steps[n].get<uint64_t>();
    if (n >= 2) shared += steps[n].get<uint64_t>();
  }
  EXPECT_GT(shared, 0u) << "no decode step carried two conversations: " << steps.dump();
  // One at a time, each request takes a prompt step and a step per token after the first:
  // kTokens steps each. Together they need fewer.
  EXPECT_LT(total, static_cast<uint64_t>(kConversations * kTokens)) << steps.dump();
}

}  // namespace
}  // namespace wasi_nn
