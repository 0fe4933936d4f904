// The extensions of libwasi_nn_backend.so's C ABI for operators and model lifecycle: unload
// (with a request in flight), wasi_nn_stats, wasi_nn_set_log_callback, and the host-only log
// keys. As a native host uses them.
#include "wasi_nn_backend.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "abi_test_support.h"

namespace {

using abi_test::kFastConfig;
using abi_test::model_path;
using namespace std::chrono_literals;

constexpr uint32_t kNone = WASI_NN_NO_HANDLE;

std::string LastError() {
  char buf[4096];
  uint32_t size = sizeof buf;
  EXPECT_EQ(get_output(nullptr, kNone, 0, reinterpret_cast<uint8_t*>(buf), &size), success);
  return std::string(buf, size);
}

class SeedAbiObs : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(init_backend(&ctx_), success); }
  void TearDown() override { EXPECT_EQ(deinit_backend(ctx_), success); }

  graph Load(const char* config) {
    const std::string path = model_path();
    graph g = kNone;
    EXPECT_EQ(load_by_name_with_config(ctx_, path.c_str(), 0, config, 0, &g), success) << LastError();
    return g;
  }
  graph_execution_context Open(graph g) {
    graph_execution_context e = kNone;
    EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError();
    return e;
  }
  static tensor Text(const char* s) { return tensor{nullptr, fp32, (uint8_t*)s}; }

  void* ctx_ = nullptr;
};

TEST_F(SeedAbiObs, UnloadWhileComputeRunsCancelsItWithRuntimeError) {
  graph g = Load(R"({"ctx_size": 4096, "n_parallel": 1, "n_predict": 1000000, "ignore_eos": true})");
  graph_execution_context e = Open(g);
  tensor prompt = Text("go on forever");
  ASSERT_EQ(set_input(ctx_, e, 0, &prompt), success);
  std::atomic<int> code{-1};
  std::string message;
  std::thread t([&] {
    code = compute(ctx_, e);
    message = LastError();  // per thread: read on the computing thread
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(unload(ctx_, g), success) << LastError();
  t.join();
  EXPECT_EQ(code, runtime_error);
  EXPECT_NE(message.find("was unloaded"), std::string::npos) << message;
  // Afterwards: the context and the graph are gone, with precise codes.
  EXPECT_EQ(compute(ctx_, e), not_found);
  EXPECT_NE(LastError().find("was unloaded"), std::string::npos);
  EXPECT_EQ(close_execution_context(ctx_, e), not_found);
  EXPECT_EQ(unload(ctx_, g), not_found);
  EXPECT_NE(LastError().find("unload: "), std::string::npos);
  graph_execution_context e2 = 7;
  EXPECT_EQ(init_execution_context(ctx_, g, &e2), not_found);
  EXPECT_EQ(e2, kNone);
}

TEST_F(SeedAbiObs, UnloadBadHandlesAndCtx) {
  EXPECT_EQ(unload(ctx_, 12345), not_found);
  EXPECT_EQ(unload(ctx_, kNone), not_found);
  EXPECT_EQ(unload(nullptr, 1), invalid_argument);
  int garbage = 0;
  EXPECT_EQ(unload(&garbage, 1), invalid_argument);
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
                          "\"model_bytes\"", "\"kv_bytes\"", "\"process_rss_bytes\"", "\"models\"",
                          "\"requests_done\"", "\"tokens_out\"", "\"build_number\""}) {
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
  EXPECT_EQ(load_by_name_with_config(ctx, path.c_str(), 0, R"({"log_file": "/tmp/chosen-by-a-guest.log"})", 0, &g),
            security);
  EXPECT_EQ(g, kNone);
  EXPECT_NE(LastError().find("host setting"), std::string::npos) << LastError();
  EXPECT_EQ(deinit_backend(ctx), success);
  // In the backend config it is accepted; an unwritable file is refused at once.
  EXPECT_EQ(init_backend_with_config(&ctx, R"({"log_file": "/nonexistent-dir/x.log"})", 0), invalid_argument);
  EXPECT_EQ(ctx, nullptr);
  EXPECT_EQ(init_backend_with_config(&ctx, R"({"log_format": "yaml"})", 0), invalid_argument);
}

}  // namespace
