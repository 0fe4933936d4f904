// Threads through libwasi_nn_backend.so's C ABI: deinit and close while another thread computes,
// and many threads creating, using and freeing backends at once. None may crash or hang.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/seed_fixture.h"

namespace {

using namespace seed_test;

// A backend with one conversation whose next compute generates 1500 tokens: long enough to
// be running when another thread acts on it.
void prepare_long_request(void** ctx, graph_execution_context* e) {
  ASSERT_EQ(init_backend(ctx), success);
  const std::string path = model_path();
  graph g = kNone;
  // Runs until cancelled (context shift keeps it going): a tiny model finishes 1,500 tokens
  // within the 300 ms the deinit test waits on a quiet machine.
  const char* config = R"({"ctx_size": 2048, "n_parallel": 1, "n_predict": 1000000, "ignore_eos": true})";
  ASSERT_EQ(load_by_name_with_config(*ctx, path.c_str(), 0, config, 0, &g), success);
  ASSERT_EQ(init_execution_context(*ctx, g, e), success);
  tensor t = Text("Once upon a time");
  ASSERT_EQ(set_input(*ctx, *e, 0, &t), success);
}

TEST(SeedAbiThreads, DeinitWhileComputingCancelsTheRequest) {
  void* ctx = nullptr;
  graph_execution_context e = kNone;
  ASSERT_NO_FATAL_FAILURE(prepare_long_request(&ctx, &e));

  std::atomic<int> code{-1};
  std::thread worker([&] { code = compute(ctx, e); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(deinit_backend(ctx), success);
  worker.join();
  // Cancelled while running (runtime_error), or refused if the deinit came first; never a
  // finished generation, never a crash.
  EXPECT_TRUE(code == runtime_error || code == invalid_argument) << "code " << code.load();
  EXPECT_EQ(compute(ctx, e), invalid_argument);
}

TEST(SeedAbiThreads, ConcurrentComputeOnOneContextIsTimeoutAndCloseCancels) {
  void* ctx = nullptr;
  graph_execution_context e = kNone;
  ASSERT_NO_FATAL_FAILURE(prepare_long_request(&ctx, &e));

  // Two computes race on one conversation: the second is refused (Busy -> timeout) while the
  // first runs; closing the context then cancels the first (Cancelled -> runtime_error).
  const auto [first, second] = RaceTwoComputes(ctx, e, [&] { EXPECT_EQ(close_execution_context(ctx, e), success); });
  EXPECT_TRUE((first == timeout && second == runtime_error) || (first == runtime_error && second == timeout))
      << "codes " << first << ", " << second;
  EXPECT_EQ(deinit_backend(ctx), success);
}

TEST(SeedAbiThreads, ManyThreadsCreateUseAndFreeBackends) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 25; ++k) {
        void* ctx = nullptr;
        if (init_backend(&ctx) != success) ++failures;
        if (compute(ctx, 1) != not_found) ++failures;
        if (deinit_backend(ctx) != success) ++failures;
        if (compute(ctx, 1) != invalid_argument) ++failures;  // stale: refused, not a crash
        // The stale ctx names no backend: each thread reads its own message through NULL.
        if (LastError(nullptr).rfind("compute: ctx does not name a live backend", 0) != 0) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
