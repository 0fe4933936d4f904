// The extensions of libwasi_nn_backend.so's C ABI for operators and model lifecycle: unload
// (with a request in flight), wasi_nn_stats, wasi_nn_set_log_callback, and the host-only log
// keys. As a native host uses them.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/seed_fixture.h"

namespace {

using namespace seed_test;
using namespace std::chrono_literals;
using SeedAbiObs = SeedFixture;

TEST_F(SeedAbiObs, UnloadWhileComputeRunsCancelsItWithRuntimeError) {
  graph g = Load(R"({"ctx_size": 4096, "n_parallel": 1, "n_predict": 1000000, "ignore_eos": true})");
  graph_execution_context e = Open(g);
  tensor prompt = Text("go on forever");
  ASSERT_EQ(set_input(ctx_, e, 0, &prompt), success);
  std::atomic<int> code{-1};
  std::thread t([&] { code = compute(ctx_, e); });
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(unload(ctx_, g), success) << LastError();
  t.join();
  // The backend's message, read on any thread: the cancelled compute's.
  ExpectError(runtime_error, static_cast<wasi_nn_error>(code.load()), "compute", "was unloaded");
  // Afterwards: the context and the graph are gone, with precise codes.
  ExpectError(not_found, compute(ctx_, e), "compute", "was unloaded");
  ExpectError(not_found, close_execution_context(ctx_, e), "close_execution_context");
  ExpectError(not_found, unload(ctx_, g), "unload");
  graph_execution_context e2 = 7;
  ExpectError(not_found, init_execution_context(ctx_, g, &e2), "init_execution_context");
  EXPECT_EQ(e2, kNone);
}

TEST_F(SeedAbiObs, UnloadBadHandlesAndCtx) {
  ExpectError(not_found, unload(ctx_, 12345), "unload", "12345");
  ExpectError(not_found, unload(ctx_, kNone), "unload");
  ExpectError(invalid_argument, unload(nullptr, 1), "unload", "ctx is NULL", nullptr);
  int garbage = 0;
  ExpectError(invalid_argument, unload(&garbage, 1), "unload", "does not name a live backend", nullptr);
}

TEST_F(SeedAbiObs, StatsFollowTheSizeProtocolAndCountRequests) {
  uint32_t size = 0;
  EXPECT_EQ(wasi_nn_stats(nullptr, &size), too_large);
  EXPECT_GT(size, 20u);
  EXPECT_EQ(wasi_nn_stats(nullptr, nullptr), invalid_argument);
  size = 10;
  EXPECT_EQ(wasi_nn_stats(nullptr, &size), invalid_argument);  // NULL buffer claiming 10 bytes

  auto read = [] {
    std::vector<char> buf(1 << 16);
    uint32_t n = buf.size();
    EXPECT_EQ(wasi_nn_stats(buf.data(), &n), success);
    return std::string(buf.data(), n);
  };
  auto counter = [](const std::string& s, const char* key) {
    size_t at = s.find(std::string("\"") + key + "\":");
    EXPECT_NE(at, std::string::npos) << key << " in " << s;
    return std::stoull(s.substr(at + std::strlen(key) + 3));
  };
  const std::string before = read();
  for (const char* key : {"\"queue_depth\"", "\"active_sequences\"", "\"sessions_held\"", "\"saved_kv_bytes\"",
                          "\"model_bytes\"", "\"kv_bytes\"", "\"process_rss_bytes\"", "\"models\"", "\"requests_done\"",
                          "\"tokens_out\"", "\"build_number\""}) {
    EXPECT_NE(before.find(key), std::string::npos) << key;
  }
  graph_execution_context e = Open(Load(kFastConfig));
  tensor prompt = Text("Hello");
  ASSERT_EQ(set_input(ctx_, e, 0, &prompt), success);
  ASSERT_EQ(compute(ctx_, e), success) << LastError();
  const std::string after = read();
  EXPECT_EQ(counter(after, "requests_done"), counter(before, "requests_done") + 1);
  EXPECT_EQ(counter(after, "tokens_out"), counter(before, "tokens_out") + 8);  // n_predict 8
  EXPECT_NE(after.find("tiny-phi3.gguf"), std::string::npos);
}

struct Captured {
  std::mutex mu;
  std::vector<std::string> lines;
};

void capture(int level, const char* line, void* user) {
  auto* c = static_cast<Captured*>(user);
  std::lock_guard<std::mutex> lock(c->mu);
  if (level >= WASI_NN_LOG_ERROR && level <= WASI_NN_LOG_DEBUG) c->lines.push_back(line);
}

TEST(SeedAbiObsLog, CallbackReceivesBackendAndLlamaLines) {
  Captured got;
  ASSERT_EQ(wasi_nn_set_log_callback(capture, &got), success);
  void* ctx = nullptr;
  ASSERT_EQ(init_backend_with_config(&ctx, R"({"log_level": "debug", "log_format": "json"})", 0), success);
  const std::string path = model_path();
  graph g = kNone;
  EXPECT_EQ(load_by_name_with_config(ctx, path.c_str(), 0, R"({"ctx_size": 256})", 0, &g), success);
  EXPECT_EQ(deinit_backend(ctx), success);
  ASSERT_EQ(wasi_nn_set_log_callback(nullptr, nullptr), success);
  // Back to the defaults for the tests that follow in this process.
  ASSERT_EQ(init_backend_with_config(&ctx, R"({"log_level": "warn", "log_format": "plain"})", 0), success);
  EXPECT_EQ(deinit_backend(ctx), success);
  bool llama = false, backend = false;
  for (const auto& l : got.lines) {
    EXPECT_EQ(l.front(), '{') << l;
    llama |= l.find("\"source\":\"llama\"") != std::string::npos;
    backend |= l.find("\"source\":\"backend\"") != std::string::npos;
  }
  EXPECT_TRUE(llama);
  EXPECT_TRUE(backend);
}

TEST(SeedAbiObsLog, LogFileInLoadConfigIsSecurity) {
  void* ctx = nullptr;
  ASSERT_EQ(init_backend(&ctx), success);
  const std::string path = model_path();
  graph g = 3;
  ExpectError(security,
              load_by_name_with_config(ctx, path.c_str(), 0, R"({"log_file": "/tmp/chosen-by-a-guest.log"})", 0, &g),
              "load_by_name_with_config", "host setting", ctx);
  EXPECT_EQ(g, kNone);
  EXPECT_EQ(deinit_backend(ctx), success);
  // In the backend config it is accepted; an unwritable file is refused at once.
  ExpectError(invalid_argument, init_backend_with_config(&ctx, R"({"log_file": "/nonexistent-dir/x.log"})", 0),
              "init_backend_with_config", "x.log", nullptr);
  EXPECT_EQ(ctx, nullptr);
  ExpectError(invalid_argument, init_backend_with_config(&ctx, R"({"log_format": "yaml"})", 0),
              "init_backend_with_config", "yaml", nullptr);
}

}  // namespace
