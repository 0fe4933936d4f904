// Threads through libwasi_nn_backend.so's C ABI: deinit and close while another thread computes,
// and many threads creating, using and freeing backends at once. None may crash or hang.
#include "wasi_nn_backend.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "abi_test_support.h"

namespace {

using abi_test::kFastConfig;
using abi_test::model_path;

constexpr uint32_t kNone = WASI_NN_NO_HANDLE;

// A backend with one conversation whose next compute generates 1500 tokens: long enough to
// be running when another thread acts on it.
void prepare_long_request(void** ctx, graph_execution_context* e) {
  ASSERT_EQ(init_backend(ctx), success);
  const std::string path = model_path();
  graph g = kNone;
  const char* config = R"({"ctx_size": 2048, "n_parallel": 1, "n_predict": 1500, "ignore_eos": true})";
  ASSERT_EQ(load_by_name_with_config(*ctx, path.c_str(), 0, config, 0, &g), success);
  ASSERT_EQ(init_execution_context(*ctx, g, e), success);
  tensor t{nullptr, fp32, (uint8_t*)"Once upon a time"};
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
  std::atomic<int> codes[2] = {{-1}, {-1}};
  std::thread a([&] { codes[0] = compute(ctx, e); });
  std::thread b([&] { codes[1] = compute(ctx, e); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (codes[0] == -1 && codes[1] == -1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(close_execution_context(ctx, e), success);
  a.join();
  b.join();
  const int first = codes[0], second = codes[1];
  EXPECT_TRUE((first == timeout && second == runtime_error) ||
              (first == runtime_error && second == timeout))
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
        char msg[512];
        uint32_t size = sizeof msg;
        // Each thread reads its own last error.
        if (get_output(nullptr, kNone, 0, (uint8_t*)msg, &size) != success ||
            std::string(msg, size).rfind("compute: ", 0) != 0) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
