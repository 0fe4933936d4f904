// Bad input through libwasi_nn_llamacpp.so's C ABI, as WAMR's wasi-nn library passes it on from
// a guest: each case asserts WAMR's exact code, that outputs were cleared, and that the last
// error message names the failing call: read through the backend context the call used, or
// through NULL when the call named no live one (get_output(ctx, WASI_NN_NO_HANDLE, ...)).
#include <gtest/gtest.h>

#include <cstdlib>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/test_files.h"
#include "support/wamr_fixture.h"

namespace {

using namespace wamr_test;
using WamrAbi = WamrFixture;

TEST_F(WamrAbi, NullGarbageAndDeinitialisedCtxAreInvalidArgument) {
  // No live backend: each message is this thread's, read through NULL.
  for (void* bad : NotLiveContexts()) {
    ExpectError(invalid_argument, compute(bad, 1), "compute", "ctx", nullptr);
    graph g = 0;
    ExpectError(invalid_argument, load_by_name(bad, "m.gguf", 6, &g), "load_by_name", "ctx", nullptr);
    EXPECT_EQ(g, kNone);
    ExpectError(invalid_argument, deinit_backend(bad), "deinit_backend", "ctx", nullptr);
  }
  ExpectError(invalid_argument, init_backend(nullptr), "init_backend", "NULL", nullptr);
}

TEST_F(WamrAbi, UnknownGraphAndExecCtxAreNotFound) {
  graph_execution_context e = 0;
  ExpectError(not_found, init_execution_context(ctx_, 0, &e), "init_execution_context");
  EXPECT_EQ(e, kNone);
  ExpectError(not_found, compute(ctx_, 0), "compute");
  Input in("hi");
  ExpectError(not_found, set_input(ctx_, 7, 0, &in.t), "set_input");
}

TEST_F(WamrAbi, NullTensorOrDataIsInvalidArgument) {
  graph_execution_context e = Open();
  ExpectError(invalid_argument, set_input(ctx_, e, 0, nullptr), "set_input");
  Input in("hello");
  in.t.data.buf = nullptr;
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &in.t), "set_input");
}

TEST_F(WamrAbi, ZeroLengthInputIsInvalidArgument) {
  graph_execution_context e = Open();
  Input in("hello");
  in.t.data.size = 0;
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &in.t), "set_input");
}

TEST_F(WamrAbi, InputSizeIsDataSizeNotDimensions) {
  graph_execution_context e = Open();
  Input in("Hello, world");
  in.t.data.size = 5;    // "Hello"
  in.dim = 0xFFFFFFFFu;  // dimensions never size the input in this ABI
  EXPECT_EQ(set_input(ctx_, e, 0, &in.t), success) << LastError(ctx_);
  in.t.data.size = (64u << 20) + 1;  // over the 64 MiB input limit: rejected before reading
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &in.t), "set_input");
}

// Inputs 2 and up are media files (docs/MULTIMODAL.md): u8 tensors only, checked before the
// bytes go anywhere.
TEST_F(WamrAbi, MediaInputMustBeU8) {
  graph_execution_context e = Open();
  Input in("not read");
  in.t.type = fp32;
  ExpectError(invalid_argument, set_input(ctx_, e, 2, &in.t), "set_input");
  EXPECT_NE(LastError(ctx_).find("must be a u8 tensor"), std::string::npos) << LastError(ctx_);
}

// A native host of this ABI sends an image: the model loaded with its projector (by path inside
// the granted model directory), the file's bytes as input 2.
TEST_F(WamrAbi, ImageAsInputTwo) {
  graph g = kNone;
  ASSERT_EQ(LoadFile(model_path("tiny-llama"), wasi_nn::test::vision_config(), &g), success) << LastError();
  graph_execution_context e = Open(g);
  Input prompt("<__media__>Describe the image.");
  Input image(wasi_nn::test::read_file(wasi_nn::test::model_file("test-gradient.bmp")));
  ASSERT_EQ(set_input(ctx_, e, 0, &prompt.t), success) << LastError();
  ASSERT_EQ(set_input(ctx_, e, 2, &image.t), success) << LastError();
  ASSERT_EQ(compute(ctx_, e), success) << LastError();
  EXPECT_NE(Output(e, 1).find("\"input_tokens\":2"), std::string::npos) << "16 image tokens + text: " << Output(e, 1);
  // Like input 1, the media applied to that compute only: the marker now has no medium.
  ExpectError(invalid_argument, compute(ctx_, e), "compute", "holds 1 media marker");
}

TEST_F(WamrAbi, InputIndexOutOfRangeIsNotFound) {
  graph_execution_context e = Open();
  Input in("hi");
  ExpectError(not_found, set_input(ctx_, e, 3, &in.t), "set_input");
}

TEST_F(WamrAbi, BadConfigsAreRejected) {
  graph g = 0;
  const char* fn = "load_by_name_with_config";
  // Not JSON: invalid_encoding, as WasmEdge answers (this library's default profile).
  ExpectError(invalid_encoding, LoadFile(model_path(), "{oops", &g), fn);
  EXPECT_EQ(g, kNone);
  for (const char* bad : {R"({"ctx-size": -5})", R"({"n-predict": []})"}) {
    SCOPED_TRACE(bad);
    ExpectError(invalid_argument, LoadFile(model_path(), bad, &g), fn);
    EXPECT_EQ(g, kNone);
  }
  // This library speaks WasmEdge's dialect by default: an unknown key or one it does not
  // implement loads with a warning (tests/compat checks both profiles).
  EXPECT_EQ(LoadFile(model_path(), R"({"bogus": 1})", &g), success);
  EXPECT_EQ(LoadFile(model_path(), R"({"stream": true})", &g), success);
}

TEST_F(WamrAbi, ModelFileErrors) {
  wasi_nn::test::ScratchDir dir;
  graph g = 0;
  const std::string missing = dir.path("no-such-model.gguf");
  ExpectError(model_not_found, load_by_name(ctx_, missing.c_str(), missing.size(), &g), "load_by_name");
  EXPECT_EQ(g, kNone);
  const std::string not_gguf = dir.write("not-a-model.gguf", "this is a text file, not a GGUF model\n");
  ExpectError(invalid_argument, load_by_name(ctx_, not_gguf.c_str(), not_gguf.size(), &g), "load_by_name");
  ExpectError(invalid_argument, load_by_name(ctx_, dir.dir().c_str(), dir.dir().size(), &g), "load_by_name");
  ExpectError(invalid_argument, load_by_name(ctx_, nullptr, 0, &g), "load_by_name");
  ExpectError(invalid_argument, load_by_name(ctx_, missing.c_str(), missing.size(), nullptr), "load_by_name");
}

TEST_F(WamrAbi, LoadChecksEncodingAndBuilders) {
  const std::string bytes = wasi_nn::test::read_file(model_path());
  graph_builder part{(uint8_t*)bytes.data(), (uint32_t)bytes.size()};
  graph_builder_array builder{&part, 1};
  graph g = 0;
  ExpectError(invalid_encoding, load(ctx_, &builder, onnx, cpu, &g), "load");
  EXPECT_EQ(g, kNone);
  ExpectError(invalid_argument, load(ctx_, nullptr, ggml, cpu, &g), "load");
  ExpectError(invalid_argument, load(ctx_, &builder, ggml, (execution_target)9, &g), "load");
  ASSERT_EQ(load(ctx_, &builder, autodetect, cpu, &g), success) << LastError(ctx_);
  EXPECT_NE(g, kNone);
}

TEST_F(WamrAbi, ComputeBeforeSetInputIsInvalidArgument) {
  graph_execution_context e = Open();
  ExpectError(invalid_argument, compute(ctx_, e), "compute");
}

TEST_F(WamrAbi, PromptLongerThanContextIsPromptTooLong) {
  graph_execution_context e = Open(R"({"ctx-size": 64, "n_parallel": 1, "n-predict": 4})");
  Input in(wasi_nn::test::long_prompt());
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  ExpectError(prompt_tool_long, compute(ctx_, e), "compute");
}

TEST_F(WamrAbi, OutputBufferRules) {
  graph_execution_context e = Open();
  Input in("Once upon a time");
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  ASSERT_EQ(compute(ctx_, e), success) << LastError(ctx_);

  // Size query: capacity 0.
  tensor_data query{nullptr, 0};
  uint32_t needed = 0;
  ExpectError(too_large, get_output(ctx_, e, 0, &query, &needed), "get_output");
  ASSERT_GT(needed, 1u);

  // One byte short: too_large, nothing written around the guest buffer.
  std::vector<uint8_t> region(needed + 32, 0xCD);
  tensor_data small{&region[16], needed - 1};
  uint32_t size = 0;
  ExpectError(too_large, get_output(ctx_, e, 0, &small, &size), "get_output");
  EXPECT_EQ(size, needed);
  for (uint8_t b : region) EXPECT_EQ(b, 0xCD);

  // Exactly the size needed: all of it, no NUL past the capacity.
  tensor_data exact{&region[16], needed};
  ASSERT_EQ(get_output(ctx_, e, 0, &exact, &size), success);
  EXPECT_EQ(size, needed);
  EXPECT_EQ(region[16 + needed], 0xCD);

  // Null pointers and unknown outputs.
  ExpectError(invalid_argument, get_output(ctx_, e, 0, nullptr, &size), "get_output");
  EXPECT_EQ(size, 0u);
  ExpectError(invalid_argument, get_output(ctx_, e, 0, &exact, nullptr), "get_output");
  tensor_data null_buf{nullptr, 16};
  ExpectError(invalid_argument, get_output(ctx_, e, 0, &null_buf, &size), "get_output");
  ExpectError(not_found, get_output(ctx_, e, 2, &exact, &size), "get_output");

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
  EXPECT_EQ(LastError(ctx_), msg);
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
  Input in("Once upon a time");
  ASSERT_EQ(set_input(ctx, e, 0, &in.t), success);

  // The second compute on a running conversation is refused (busy); deinit_backend cancels the
  // running one (runtime_error). WAMR serialises calls per instance, but native callers may not.
  const auto [first, second] = RaceTwoComputes(ctx, e, [&] { EXPECT_EQ(deinit_backend(ctx), success); });
  EXPECT_TRUE((first == busy && second == runtime_error) || (first == runtime_error && second == busy))
      << "codes " << first << ", " << second;
}

}  // namespace

// --- Extensions: unload, finalize_execution_context, stats, log callback ---

namespace {

TEST_F(WamrAbi, FinalizeAndUnloadGiveWasmEdgeLifetimes) {
  graph g = Load();
  graph_execution_context e1 = Open(g), e2 = Open(g);
  EXPECT_EQ(finalize_execution_context(ctx_, e1), success);
  ExpectError(not_found, finalize_execution_context(ctx_, e1), "finalize_execution_context");
  EXPECT_EQ(unload(ctx_, g), success);
  Input in("Hello");
  ExpectError(not_found, set_input(ctx_, e2, 0, &in.t), "set_input");
  EXPECT_NE(LastError(ctx_).find("was unloaded"), std::string::npos);
  ExpectError(not_found, unload(ctx_, g), "unload");
  ExpectError(invalid_argument, unload(nullptr, g), "unload", "ctx is NULL", nullptr);
}

TEST_F(WamrAbi, UnloadWhileComputeRunsCancelsIt) {
  const char* config = R"({"ctx_size": 4096, "n_parallel": 1, "n_predict": 1000000, "ignore_eos": true})";
  graph g = Load(config);
  graph_execution_context e = Open(g);
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
  // The log level is a host setting (WASI_NN_LOG_LEVEL; a guest's load config may not name
  // it): a refused call is logged at warn, the default level, so its line reaches the callback.
  static std::atomic<int> refusals{0};
  auto cb = [](int level, const char* line, void*) {
    if (level == WASI_NN_LOG_WARN && std::strstr(line, "compute refused") != nullptr) ++refusals;
  };
  ASSERT_EQ(wasi_nn_set_log_callback(cb, nullptr), success);
  void* ctx = nullptr;
  ASSERT_EQ(init_backend(&ctx), success);
  EXPECT_EQ(compute(ctx, 999), not_found);
  EXPECT_EQ(deinit_backend(ctx), success);
  ASSERT_EQ(wasi_nn_set_log_callback(nullptr, nullptr), success);
  EXPECT_EQ(compute(ctx, 999), invalid_argument);  // logged, but no longer to the callback
  EXPECT_EQ(refusals.load(), 1);
}

}  // namespace

namespace {

// In the strict profile: in the WasmEdge profile (the default), loading a loaded name returns
// its graph without applying the new config, as WasmEdge does.
class WamrStrictAbi : public WamrFixture {
 protected:
  void SetUp() override {
    ::setenv("WASI_NN_CONFIG", R"({"profile": "strict"})", 1);
    WamrFixture::SetUp();
    ::unsetenv("WASI_NN_CONFIG");
  }
};

// Deterministic mode through WAMR's ABI (docs/DETERMINISM.md): output 1 carries the fingerprint
// with the model's digest; flash attention, which the mode cannot keep invariant, is refused.
TEST_F(WamrStrictAbi, DeterministicLoadCarriesTheFingerprint) {
  graph_execution_context e =
      Open(R"({"deterministic": true, "ctx_size": 256, "n_parallel": 2, "n_predict": 4, "temperature": 0})");
  Input in("Once upon a time");
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  ASSERT_EQ(compute(ctx_, e), success) << LastError();
  const std::string meta = Output(e, 1);
  const size_t at = meta.find("\"model_sha256\":\"");
  ASSERT_NE(meta.find("\"determinism\":{"), std::string::npos) << meta;
  ASSERT_NE(at, std::string::npos) << meta;
  const std::string digest = meta.substr(at + 16, 65);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), 64u) << meta;  // 64 hex digits, then '"'

  graph g = kNone;
  ExpectError(invalid_argument, LoadFile(model_path(), R"({"deterministic": true, "flash_attn": "on"})", &g),
              "load_by_name_with_config", "flash_attn");
}

}  // namespace
