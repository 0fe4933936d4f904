// The part of the C ABI tests' fixture that both ABIs share, written once against the names
// their headers declare alike (init_backend, deinit_backend, load_by_name_with_config,
// init_execution_context, wasi_nn_error, success, graph, ...). Never include it directly:
// seed_fixture.h and wamr_fixture.h include it after their ABI's header and after defining
// abi_fixture::LastError for their ABI's get_output, the one call here whose signature differs.
// A test executable links exactly one ABI library, so each sees one definition of these names.
//
// The last error message belongs to the backend context whose call failed, read with
// get_output(ctx, WASI_NN_NO_HANDLE, 0, ...); a call that named no live context (NULL, garbage,
// deinitialised, a failed init_backend) keeps its message per thread, read with ctx NULL.
#pragma once

#if !defined(WASI_NN_BACKEND_H_) && !defined(WASI_NN_LLAMACPP_H_)
#error "include support/seed_fixture.h or support/wamr_fixture.h, not support/abi_fixture.h"
#endif

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/test_files.h"

namespace abi_fixture {

using wasi_nn::test::kFastConfig;
using wasi_nn::test::model_path;

inline constexpr uint32_t kNone = WASI_NN_NO_HANDLE;

// Asserts that `got` is `want` and that the last error message read through `ctx` (the context
// the failing call used; NULL when it named no live one) is "<function>: <why>" with `needle`
// somewhere in it.
inline void ExpectError(wasi_nn_error want, wasi_nn_error got, const char* function, const char* needle, void* ctx) {
  EXPECT_EQ(got, want) << function;
  const std::string msg = LastError(ctx);
  EXPECT_EQ(msg.rfind(std::string(function) + ": ", 0), 0u) << "last error: " << msg;
  EXPECT_GT(msg.size(), std::strlen(function) + 2) << "last error: " << msg;
  EXPECT_NE(msg.find(needle), std::string::npos) << "'" << needle << "' not in: " << msg;
}

// ctx values that name no live backend: NULL, an address init_backend never returned, and a
// context already passed to deinit_backend.
inline std::vector<void*> NotLiveContexts() {
  static int never_returned = 0;
  void* gone = nullptr;
  EXPECT_EQ(init_backend(&gone), success);
  EXPECT_EQ(deinit_backend(gone), success);
  return {nullptr, &never_returned, gone};
}

// Runs compute(ctx, e) on two threads at once, waits (at most 60 s) until one of them has
// returned (the one refused because the conversation is busy), calls `then` (which should end
// the other: a close, an unload, a deinit), and returns both codes.
inline std::array<int, 2> RaceTwoComputes(void* ctx, graph_execution_context e, const std::function<void()>& then) {
  std::atomic<int> codes[2] = {{-1}, {-1}};
  std::thread a([&] { codes[0] = compute(ctx, e); });
  std::thread b([&] { codes[1] = compute(ctx, e); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (codes[0] == -1 && codes[1] == -1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  then();
  a.join();
  b.join();
  return {codes[0].load(), codes[1].load()};
}

// One backend context (ctx_) per test, deinitialised after it.
class Fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend(&ctx_), success);
    ASSERT_NE(ctx_, nullptr);
  }
  void TearDown() override { EXPECT_EQ(deinit_backend(ctx_), success); }

  std::string LastError() const { return abi_fixture::LastError(ctx_); }
  static std::string LastError(void* ctx) { return abi_fixture::LastError(ctx); }

  // ExpectError above, for a call on ctx_.
  void ExpectError(wasi_nn_error want, wasi_nn_error got, const char* function, const char* needle = "") const {
    abi_fixture::ExpectError(want, got, function, needle, ctx_);
  }
  static void ExpectError(wasi_nn_error want, wasi_nn_error got, const char* function, const char* needle, void* ctx) {
    abi_fixture::ExpectError(want, got, function, needle, ctx);
  }

  wasi_nn_error LoadFile(const std::string& path, const std::string& config, graph* g) {
    return load_by_name_with_config(ctx_, path.c_str(), path.size(), config.c_str(), config.size(), g);
  }
  // Loads the default tiny model with `config`.
  graph Load(const char* config = kFastConfig) {
    graph g = kNone;
    EXPECT_EQ(LoadFile(model_path(), config, &g), success) << LastError();
    return g;
  }
  graph_execution_context Open(graph g) {
    graph_execution_context e = kNone;
    EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError();
    return e;
  }
  graph_execution_context Open(const char* config = kFastConfig) { return Open(Load(config)); }

  void* ctx_ = nullptr;
};

}  // namespace abi_fixture
