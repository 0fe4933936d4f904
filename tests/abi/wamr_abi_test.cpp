// Bad input through libwasi_nn_llamacpp.so's C ABI, as WAMR's wasi-nn library passes it on from
// a guest: each case asserts WAMR's exact code, that outputs were cleared, and that the last
// error message (get_output(ctx, WASI_NN_NO_HANDLE, ...)) names the failing call.
#include "wasi_nn_llamacpp.h"

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

class WamrAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend(&ctx_), success);
    ASSERT_NE(ctx_, nullptr);
  }
  void TearDown() override { EXPECT_EQ(deinit_backend(ctx_), success); }

  static std::string LastError(void* ctx) {
    char buf[4096];
    tensor_data out{reinterpret_cast<uint8_t*>(buf), sizeof buf};
    uint32_t size = 0;
    EXPECT_EQ(get_output(ctx, kNone, 0, &out, &size), success);
    return std::string(buf, size);
  }

  void ExpectError(wasi_nn_error want, wasi_nn_error got, const char* function) {
    EXPECT_EQ(got, want);
    const std::string msg = LastError(ctx_);
    EXPECT_EQ(msg.rfind(std::string(function) + ": ", 0), 0u) << "last error: " << msg;
    EXPECT_GT(msg.size(), std::strlen(function) + 2) << "last error: " << msg;
  }

  graph_execution_context Open(const char* config = kFastConfig) {
    const std::string path = model_path();
    graph g = kNone;
    EXPECT_EQ(load_by_name_with_config(ctx_, path.c_str(), path.size(), config,
                                       std::strlen(config), &g),
              success)
        << LastError(ctx_);
    graph_execution_context e = kNone;
    EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError(ctx_);
    return e;
  }

  // A guest's u8 tensor: the bytes of `s`, not NUL-terminated.
  struct Input {
    explicit Input(std::string s) : bytes(std::move(s)), dim(bytes.size()) {
      t.dimensions = &dims;
      t.type = u8;
      t.data = tensor_data{(uint8_t*)bytes.data(), (uint32_t)bytes.size()};
    }
    std::string bytes;
    uint32_t dim;
    tensor_dimensions dims{&dim, 1};
    tensor t{};
  };

  void* ctx_ = nullptr;
};

#define EXPECT_ABI_ERROR(want, function, call) ExpectError(want, (call), function)

TEST_F(WamrAbi, NullGarbageAndDeinitialisedCtxAreInvalidArgument) {
  int garbage = 0;
  void* gone = nullptr;
  ASSERT_EQ(init_backend(&gone), success);
  ASSERT_EQ(deinit_backend(gone), success);
  for (void* bad : {static_cast<void*>(nullptr), static_cast<void*>(&garbage), gone}) {
    EXPECT_ABI_ERROR(invalid_argument, "compute", compute(bad, 1));
    graph g = 0;
    EXPECT_ABI_ERROR(invalid_argument, "load_by_name", load_by_name(bad, "m.gguf", 6, &g));
    EXPECT_EQ(g, kNone);
    EXPECT_ABI_ERROR(invalid_argument, "deinit_backend", deinit_backend(bad));
  }
  EXPECT_ABI_ERROR(invalid_argument, "init_backend", init_backend(nullptr));
}

TEST_F(WamrAbi, UnknownGraphAndExecCtxAreNotFound) {
  graph_execution_context e = 0;
  EXPECT_ABI_ERROR(not_found, "init_execution_context", init_execution_context(ctx_, 0, &e));
  EXPECT_EQ(e, kNone);
  EXPECT_ABI_ERROR(not_found, "compute", compute(ctx_, 0));
  Input in("hi");
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, 7, 0, &in.t));
}

TEST_F(WamrAbi, NullTensorOrDataIsInvalidArgument) {
  graph_execution_context e = Open();
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, nullptr));
  Input in("hello");
  in.t.data.buf = nullptr;
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &in.t));
}

TEST_F(WamrAbi, ZeroLengthInputIsInvalidArgument) {
  graph_execution_context e = Open();
  Input in("hello");
  in.t.data.size = 0;
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &in.t));
}

TEST_F(WamrAbi, InputSizeIsDataSizeNotDimensions) {
  graph_execution_context e = Open();
  Input in("Hello, world");
  in.t.data.size = 5;  // "Hello"
  in.dim = 0xFFFFFFFFu;  // dimensions never size the input in this ABI
  EXPECT_EQ(set_input(ctx_, e, 0, &in.t), success) << LastError(ctx_);
  in.t.data.size = (64u << 20) + 1;  // over the 64 MiB input limit: rejected before reading
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &in.t));
}

TEST_F(WamrAbi, InputIndexOutOfRangeIsNotFound) {
  graph_execution_context e = Open();
  Input in("hi");
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, e, 3, &in.t));
}

TEST_F(WamrAbi, BadConfigsAreRejected) {
  const std::string path = model_path();
  graph g = 0;
  const char* fn = "load_by_name_with_config";
  EXPECT_ABI_ERROR(invalid_argument, fn,
                   load_by_name_with_config(ctx_, path.c_str(), 0, "{oops", 0, &g));
  EXPECT_EQ(g, kNone);
  EXPECT_ABI_ERROR(invalid_argument, fn,
                   load_by_name_with_config(ctx_, path.c_str(), 0, "{\"ctx-size\": -5}", 0, &g));
  EXPECT_ABI_ERROR(invalid_argument, fn,
                   load_by_name_with_config(ctx_, path.c_str(), 0, "{\"n-predict\": []}", 0, &g));
  // This library speaks WasmEdge's dialect by default: an unknown key or one it does not
  // implement loads with a warning (tests/compat checks both profiles).
  EXPECT_EQ(load_by_name_with_config(ctx_, path.c_str(), 0, "{\"bogus\": 1}", 0, &g), success);
  EXPECT_EQ(load_by_name_with_config(ctx_, path.c_str(), 0, "{\"stream\": true}", 0, &g), success);
}

TEST_F(WamrAbi, ModelFileErrors) {
  abi_test::ScratchDir dir;
  graph g = 0;
  const std::string missing = dir.missing();
  EXPECT_ABI_ERROR(model_not_found, "load_by_name",
                   load_by_name(ctx_, missing.c_str(), missing.size(), &g));
  EXPECT_EQ(g, kNone);
  const std::string not_gguf = dir.not_gguf();
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name",
                   load_by_name(ctx_, not_gguf.c_str(), not_gguf.size(), &g));
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name",
                   load_by_name(ctx_, dir.dir().c_str(), dir.dir().size(), &g));
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name", load_by_name(ctx_, nullptr, 0, &g));
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name",
                   load_by_name(ctx_, missing.c_str(), missing.size(), nullptr));
}

TEST_F(WamrAbi, LoadChecksEncodingAndBuilders) {
  const std::string bytes = abi_test::read_file(model_path());
  graph_builder part{(uint8_t*)bytes.data(), (uint32_t)bytes.size()};
  graph_builder_array builder{&part, 1};
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_encoding, "load", load(ctx_, &builder, onnx, cpu, &g));
  EXPECT_EQ(g, kNone);
  EXPECT_ABI_ERROR(invalid_argument, "load", load(ctx_, nullptr, ggml, cpu, &g));
  EXPECT_ABI_ERROR(invalid_argument, "load",
                   load(ctx_, &builder, ggml, (execution_target)9, &g));
  ASSERT_EQ(load(ctx_, &builder, autodetect, cpu, &g), success) << LastError(ctx_);
  EXPECT_NE(g, kNone);
}

TEST_F(WamrAbi, ComputeBeforeSetInputIsInvalidArgument) {
  graph_execution_context e = Open();
  EXPECT_ABI_ERROR(invalid_argument, "compute", compute(ctx_, e));
}

TEST_F(WamrAbi, PromptLongerThanContextIsPromptTooLong) {
  graph_execution_context e = Open(R"({"ctx-size": 64, "n_parallel": 1, "n-predict": 4})");
  Input in(abi_test::long_prompt());
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  EXPECT_ABI_ERROR(prompt_tool_long, "compute", compute(ctx_, e));
}

TEST_F(WamrAbi, OutputBufferRules) {
  graph_execution_context e = Open();
  Input in("Once upon a time");
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  ASSERT_EQ(compute(ctx_, e), success) << LastError(ctx_);

  // Size query: capacity 0.
  tensor_data query{nullptr, 0};
  uint32_t needed = 0;
  EXPECT_ABI_ERROR(too_large, "get_output", get_output(ctx_, e, 0, &query, &needed));
  ASSERT_GT(needed, 1u);

  // One byte short: too_large, nothing written around the guest buffer.
  std::vector<uint8_t> region(needed + 32, 0xCD);
  tensor_data small{&region[16], needed - 1};
  uint32_t size = 0;
  EXPECT_ABI_ERROR(too_large, "get_output", get_output(ctx_, e, 0, &small, &size));
  EXPECT_EQ(size, needed);
  for (uint8_t b : region) EXPECT_EQ(b, 0xCD);

  // Exactly the size needed: all of it, no NUL past the capacity.
  tensor_data exact{&region[16], needed};
  ASSERT_EQ(get_output(ctx_, e, 0, &exact, &size), success);
  EXPECT_EQ(size, needed);
  EXPECT_EQ(region[16 + needed], 0xCD);

  // Null pointers and unknown outputs.
  EXPECT_ABI_ERROR(invalid_argument, "get_output", get_output(ctx_, e, 0, nullptr, &size));
  EXPECT_EQ(size, 0u);
  EXPECT_ABI_ERROR(invalid_argument, "get_output", get_output(ctx_, e, 0, &exact, nullptr));
  tensor_data null_buf{nullptr, 16};
  EXPECT_ABI_ERROR(invalid_argument, "get_output", get_output(ctx_, e, 0, &null_buf, &size));
  EXPECT_ABI_ERROR(not_found, "get_output", get_output(ctx_, e, 2, &exact, &size));

  // Output 1: the metadata JSON.
  char meta[4096];
  tensor_data meta_out{(uint8_t*)meta, sizeof meta};
  ASSERT_EQ(get_output(ctx_, e, 1, &meta_out, &size), success);
  EXPECT_EQ(meta[0], '{');
}

TEST_F(WamrAbi, LastErrorIsKeptWhenReadWithTooSmallBuffer) {
  EXPECT_EQ(compute(ctx_, 77), not_found);
  const std::string msg = LastError(ctx_);
  char small[2];
  tensor_data out{(uint8_t*)small, sizeof small};
  uint32_t size = 0;
  EXPECT_EQ(get_output(ctx_, kNone, 0, &out, &size), too_large);
  EXPECT_EQ(size, msg.size());
  EXPECT_EQ(LastError(nullptr), msg);
}

TEST(WamrAbiThreads, ConcurrentComputeIsBusyAndDeinitCancels) {
  void* ctx = nullptr;
  ASSERT_EQ(init_backend(&ctx), success);
  const std::string path = model_path();
  const char* config = R"({"ctx-size": 2048, "n_parallel": 1, "n-predict": 1500, "ignore_eos": true})";
  graph g = kNone;
  ASSERT_EQ(load_by_name_with_config(ctx, path.c_str(), path.size(), config, 0, &g), success);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx, g, &e), success);
  char prompt[] = "Once upon a time";
  uint32_t n = sizeof prompt - 1;
  tensor_dimensions dims{&n, 1};
  tensor t{&dims, u8, {0, 0, 0}, {(uint8_t*)prompt, n}};
  ASSERT_EQ(set_input(ctx, e, 0, &t), success);

  // The second compute on a running conversation is refused (busy); deinit_backend cancels the
  // running one (runtime_error). WAMR serialises calls per instance, but native callers may not.
  std::atomic<int> codes[2] = {{-1}, {-1}};
  std::thread a([&] { codes[0] = compute(ctx, e); });
  std::thread b([&] { codes[1] = compute(ctx, e); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (codes[0] == -1 && codes[1] == -1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(deinit_backend(ctx), success);
  a.join();
  b.join();
  const int first = codes[0], second = codes[1];
  EXPECT_TRUE((first == busy && second == runtime_error) ||
              (first == runtime_error && second == busy))
      << "codes " << first << ", " << second;
}

}  // namespace

// --- Extensions: unload, finalize_execution_context, stats, log callback ---

namespace {

TEST_F(WamrAbi, FinalizeAndUnloadGiveWasmEdgeLifetimes) {
  const std::string path = model_path();
  graph g = kNone;
  ASSERT_EQ(load_by_name_with_config(ctx_, path.c_str(), path.size(), kFastConfig,
                                     std::strlen(kFastConfig), &g),
            success);
  graph_execution_context e1 = kNone, e2 = kNone;
  ASSERT_EQ(init_execution_context(ctx_, g, &e1), success);
  ASSERT_EQ(init_execution_context(ctx_, g, &e2), success);
  EXPECT_EQ(finalize_execution_context(ctx_, e1), success);
  EXPECT_ABI_ERROR(not_found, "finalize_execution_context", finalize_execution_context(ctx_, e1));
  EXPECT_EQ(unload(ctx_, g), success);
  Input in("Hello");
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, e2, 0, &in.t));
  EXPECT_NE(LastError(ctx_).find("was unloaded"), std::string::npos);
  EXPECT_ABI_ERROR(not_found, "unload", unload(ctx_, g));
  EXPECT_ABI_ERROR(invalid_argument, "unload", unload(nullptr, g));
}

TEST_F(WamrAbi, UnloadWhileComputeRunsCancelsIt) {
  const char* config = R"({"ctx_size": 4096, "n_parallel": 1, "n_predict": 1000000, "ignore_eos": true})";
  const std::string path = model_path();
  graph g = kNone;
  ASSERT_EQ(load_by_name_with_config(ctx_, path.c_str(), path.size(), config, 0, &g), success);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, g, &e), success);
  Input in("go on forever");
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  std::atomic<int> code{-1};
  std::thread t([&] { code = compute(ctx_, e); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(unload(ctx_, g), success);
  t.join();
  EXPECT_EQ(code, runtime_error);
}

TEST(WamrAbiStats, StatsAndLogCallbackAreExported) {
  uint32_t size = 0;
  EXPECT_EQ(wasi_nn_stats(nullptr, &size), too_large);
  std::string buf(size + 256, '\0');
  uint32_t n = buf.size();
  ASSERT_EQ(wasi_nn_stats(buf.data(), &n), success);
  EXPECT_EQ(buf[0], '{');
  EXPECT_NE(buf.find("\"counters\""), std::string::npos);
  static std::atomic<int> calls{0};
  auto cb = [](int level, const char*, void*) {
    if (level == WASI_NN_LOG_INFO) ++calls;
  };
  ASSERT_EQ(wasi_nn_set_log_callback(cb, nullptr), success);
  void* ctx = nullptr;
  ASSERT_EQ(init_backend(&ctx), success);
  const std::string path = model_path();
  const char* info = R"({"ctx_size": 256, "log_level": "info"})";
  graph g = kNone;
  EXPECT_EQ(load_by_name_with_config(ctx, path.c_str(), 0, info, 0, &g), success);
  EXPECT_EQ(load_by_name_with_config(ctx, path.c_str(), 0, info, 0, &g), success);  // "sharing ..."
  EXPECT_EQ(load_by_name_with_config(ctx, path.c_str(), 0, R"({"ctx_size": 256, "log_level": "warn"})", 0, &g),
            success);
  EXPECT_EQ(deinit_backend(ctx), success);
  ASSERT_EQ(wasi_nn_set_log_callback(nullptr, nullptr), success);
  EXPECT_GT(calls.load(), 0);
}

}  // namespace
