// Bad input through libwasi_nn_backend.so's C ABI, as a native host would send it: each case
// asserts the exact code, that outputs were cleared, and that the calling thread's last error
// message (get_output(ctx, WASI_NN_NO_HANDLE, ...)) names the failing call. None may crash.
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

class SeedAbi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend(&ctx_), success);
    ASSERT_NE(ctx_, nullptr);
  }
  void TearDown() override { EXPECT_EQ(deinit_backend(ctx_), success); }

  // The calling thread's last error message, read through `ctx` (NULL allowed).
  static std::string LastError(void* ctx) {
    char buf[4096];
    uint32_t size = sizeof buf;
    EXPECT_EQ(get_output(ctx, kNone, 0, reinterpret_cast<uint8_t*>(buf), &size), success);
    return std::string(buf, size);
  }

  // Asserts `got` is `want` and the last error message is from `function`.
  void ExpectError(wasi_nn_error want, wasi_nn_error got, const char* function) {
    EXPECT_EQ(got, want);
    const std::string msg = LastError(ctx_);
    EXPECT_EQ(msg.rfind(std::string(function) + ": ", 0), 0u) << "last error: " << msg;
    EXPECT_GT(msg.size(), std::strlen(function) + 2) << "last error: " << msg;
  }

  graph Load(const char* config = kFastConfig) {
    const std::string path = model_path();
    graph g = 0;
    EXPECT_EQ(load_by_name_with_config(ctx_, path.c_str(), path.size(), config, 0, &g), success)
        << LastError(ctx_);
    return g;
  }

  graph_execution_context Open(const char* config = kFastConfig) {
    graph g = Load(config);
    graph_execution_context e = kNone;
    EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError(ctx_);
    return e;
  }

  // A NUL-terminated prompt tensor (no dimensions).
  static tensor Text(const char* s) { return tensor{nullptr, fp32, (uint8_t*)s}; }

  void* ctx_ = nullptr;
};

#define EXPECT_ABI_ERROR(want, function, call) ExpectError(want, (call), function)

// --- Backend handles ---

TEST_F(SeedAbi, InitBackendWithNullOutIsInvalidArgument) {
  EXPECT_ABI_ERROR(invalid_argument, "init_backend", init_backend(nullptr));
  EXPECT_ABI_ERROR(invalid_argument, "init_backend_with_config",
                   init_backend_with_config(nullptr, "{}", 2));
}

TEST_F(SeedAbi, NullCtxIsInvalidArgument) {
  graph g = 7;
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name", load_by_name(nullptr, "m.gguf", 6, &g));
  EXPECT_EQ(g, kNone);
  tensor t = Text("hi");
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(nullptr, 1, 0, &t));
  EXPECT_ABI_ERROR(invalid_argument, "compute", compute(nullptr, 1));
  EXPECT_ABI_ERROR(invalid_argument, "close_execution_context",
                   close_execution_context(nullptr, 1));
  EXPECT_ABI_ERROR(invalid_argument, "deinit_backend", deinit_backend(nullptr));
}

TEST_F(SeedAbi, GarbageCtxIsInvalidArgument) {
  int on_stack = 0;
  std::vector<char> on_heap(64, 'x');
  for (void* garbage : {static_cast<void*>(&on_stack), static_cast<void*>(on_heap.data()),
                        reinterpret_cast<void*>(uintptr_t{1}),
                        reinterpret_cast<void*>(~uintptr_t{0})}) {
    EXPECT_ABI_ERROR(invalid_argument, "compute", compute(garbage, 1));
    EXPECT_ABI_ERROR(invalid_argument, "deinit_backend", deinit_backend(garbage));
  }
}

TEST_F(SeedAbi, DeinitialisedCtxIsInvalidArgument) {
  void* gone = nullptr;
  ASSERT_EQ(init_backend(&gone), success);
  ASSERT_EQ(deinit_backend(gone), success);
  graph_execution_context e = 3;
  EXPECT_ABI_ERROR(invalid_argument, "init_execution_context",
                   init_execution_context(gone, 1, &e));
  EXPECT_EQ(e, kNone);
  EXPECT_ABI_ERROR(invalid_argument, "deinit_backend", deinit_backend(gone));
}

// --- Graphs and execution contexts ---

TEST_F(SeedAbi, NullGraphOutIsInvalidArgument) {
  const std::string path = model_path();
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name",
                   load_by_name(ctx_, path.c_str(), path.size(), nullptr));
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name_with_config",
                   load_by_name_with_config(ctx_, path.c_str(), 0, "{}", 0, nullptr));
}

TEST_F(SeedAbi, NullExecCtxOutIsInvalidArgument) {
  graph g = Load();
  EXPECT_ABI_ERROR(invalid_argument, "init_execution_context",
                   init_execution_context(ctx_, g, nullptr));
  EXPECT_ABI_ERROR(invalid_argument, "init_execution_context_with_session_id",
                   init_execution_context_with_session_id(ctx_, "s", nullptr));
}

TEST_F(SeedAbi, UnknownGraphIsNotFound) {
  graph_execution_context e = 5;
  EXPECT_ABI_ERROR(not_found, "init_execution_context", init_execution_context(ctx_, 42, &e));
  EXPECT_EQ(e, kNone);
}

TEST_F(SeedAbi, UnknownExecCtxIsNotFound) {
  tensor t = Text("hi");
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, 42, 0, &t));
  EXPECT_ABI_ERROR(not_found, "compute", compute(ctx_, 42));
  char out[16];
  uint32_t size = sizeof out;
  EXPECT_ABI_ERROR(not_found, "get_output", get_output(ctx_, 42, 0, (uint8_t*)out, &size));
  EXPECT_EQ(size, 0u);
}

TEST_F(SeedAbi, ClosedExecCtxIsNotFound) {
  graph_execution_context e = Open();
  ASSERT_EQ(close_execution_context(ctx_, e), success);
  tensor t = Text("hi");
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, e, 0, &t));
  EXPECT_ABI_ERROR(not_found, "compute", compute(ctx_, e));
}

TEST_F(SeedAbi, DoubleCloseIsNotFound) {
  graph_execution_context e = Open();
  ASSERT_EQ(close_execution_context(ctx_, e), success);
  EXPECT_ABI_ERROR(not_found, "close_execution_context", close_execution_context(ctx_, e));
}

// --- Input tensors ---

TEST_F(SeedAbi, NullTensorIsInvalidArgument) {
  graph_execution_context e = Open();
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, nullptr));
}

TEST_F(SeedAbi, NullTensorDataIsInvalidArgument) {
  graph_execution_context e = Open();
  tensor t{nullptr, fp32, nullptr};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &t));
  uint32_t dim = 4;
  tensor_dimensions dims{&dim, 1};
  tensor sized{&dims, up8, nullptr};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &sized));
}

TEST_F(SeedAbi, ZeroLengthInputIsInvalidArgument) {
  graph_execution_context e = Open();
  tensor empty = Text("");
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &empty));
  uint32_t zero = 0;
  tensor_dimensions dims{&zero, 1};
  tensor sized{&dims, up8, (uint8_t*)"hello"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &sized));
}

TEST_F(SeedAbi, DimensionProductOverflowIsInvalidArgument) {
  graph_execution_context e = Open();
  uint32_t huge[] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
  tensor_dimensions dims{huge, 3};
  tensor t{&dims, up8, (uint8_t*)"hello"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &t));
  uint32_t over_limit[] = {65, 1024, 1024};  // 65 MiB: more than the 64 MiB input limit
  tensor_dimensions dims2{over_limit, 3};
  tensor t2{&dims2, up8, (uint8_t*)"hello"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &t2));
}

TEST_F(SeedAbi, MalformedDimensionsAreInvalidArgument) {
  graph_execution_context e = Open();
  tensor_dimensions null_buf{nullptr, 1};
  tensor t{&null_buf, up8, (uint8_t*)"hello"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &t));
  std::vector<uint32_t> ones(100, 1);
  tensor_dimensions too_many{ones.data(), 100};
  tensor t2{&too_many, up8, (uint8_t*)"hello"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &t2));
}

TEST_F(SeedAbi, SetInputIndexOutOfRangeIsNotFound) {
  graph_execution_context e = Open();
  tensor t = Text("hi");
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, e, 2, &t));
  EXPECT_ABI_ERROR(not_found, "set_input", set_input(ctx_, e, 0xFFFFFFFEu, &t));
}

TEST_F(SeedAbi, PromptWithInteriorNulOrBadUtf8IsInvalidArgument) {
  graph_execution_context e = Open();
  uint32_t n = 5;
  tensor_dimensions dims{&n, 1};
  tensor nul{&dims, up8, (uint8_t*)"ab\0cd"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &nul));
  tensor bad{&dims, up8, (uint8_t*)"ab\xff\xfe!"};
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 0, &bad));
}

TEST_F(SeedAbi, BadRequestSettingsAtIndex1AreRejected) {
  graph_execution_context e = Open();
  tensor malformed = Text("{\"temperature\": ");
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 1, &malformed));
  tensor load_only = Text("{\"ctx_size\": 512}");
  EXPECT_ABI_ERROR(invalid_argument, "set_input", set_input(ctx_, e, 1, &load_only));
}

TEST_F(SeedAbi, ComputeBeforeSetInputIsInvalidArgument) {
  graph_execution_context e = Open();
  EXPECT_ABI_ERROR(invalid_argument, "compute", compute(ctx_, e));
}

TEST_F(SeedAbi, PromptLongerThanContextIsPromptTooLong) {
  graph_execution_context e = Open(R"({"ctx_size": 64, "n_parallel": 1, "n_predict": 4})");
  const std::string prompt = abi_test::long_prompt();
  tensor t = Text(prompt.c_str());
  ASSERT_EQ(set_input(ctx_, e, 0, &t), success);
  EXPECT_ABI_ERROR(prompt_tool_long, "compute", compute(ctx_, e));
}

// --- Outputs ---

class SeedAbiOutput : public SeedAbi {
 protected:
  void SetUp() override {
    SeedAbi::SetUp();
    exec_ = Open();
    tensor t = Text("Once upon a time");
    ASSERT_EQ(set_input(ctx_, exec_, 0, &t), success);
    ASSERT_EQ(compute(ctx_, exec_), success) << LastError(ctx_);
    char buf[8192];
    uint32_t size = sizeof buf;
    ASSERT_EQ(get_output(ctx_, exec_, 0, (uint8_t*)buf, &size), success);
    text_.assign(buf, size);
    ASSERT_GT(text_.size(), 1u);
  }
  graph_execution_context exec_ = kNone;
  std::string text_;
};

TEST_F(SeedAbiOutput, TinyBufferIsTooLargeWithSizeNeededAndNothingWrittenPastIt) {
  const uint32_t cap = 1;
  std::vector<uint8_t> region(64, 0xAB);  // the buffer is region[16 .. 16+cap)
  uint32_t size = cap;
  EXPECT_ABI_ERROR(too_large, "get_output", get_output(ctx_, exec_, 0, &region[16], &size));
  EXPECT_EQ(size, text_.size());
  for (size_t i = 0; i < region.size(); ++i) {
    if (i < 16 || i >= 16 + cap) {
      EXPECT_EQ(region[i], 0xAB) << "byte " << i << " was written";
    }
  }
  // Retrying with the size reported succeeds and writes exactly that (no room for the NUL).
  std::vector<uint8_t> exact(size + 8, 0xAB);
  uint32_t size2 = size;
  ASSERT_EQ(get_output(ctx_, exec_, 0, exact.data(), &size2), success);
  EXPECT_EQ(std::string(exact.begin(), exact.begin() + size2), text_);
  EXPECT_EQ(exact[size2], 0xAB);
}

TEST_F(SeedAbiOutput, ZeroCapacityReportsSizeNeeded) {
  uint32_t size = 0;
  EXPECT_ABI_ERROR(too_large, "get_output", get_output(ctx_, exec_, 0, nullptr, &size));
  EXPECT_EQ(size, text_.size());
}

TEST_F(SeedAbiOutput, NullOutputSizeIsInvalidArgument) {
  char buf[64];
  EXPECT_ABI_ERROR(invalid_argument, "get_output",
                   get_output(ctx_, exec_, 0, (uint8_t*)buf, nullptr));
}

TEST_F(SeedAbiOutput, NullOutputWithCapacityIsInvalidArgument) {
  uint32_t size = 64;
  EXPECT_ABI_ERROR(invalid_argument, "get_output", get_output(ctx_, exec_, 0, nullptr, &size));
  EXPECT_EQ(size, 0u);
}

TEST_F(SeedAbiOutput, GetOutputIndexOutOfRangeIsNotFound) {
  char buf[64];
  uint32_t size = sizeof buf;
  EXPECT_ABI_ERROR(not_found, "get_output", get_output(ctx_, exec_, 2, (uint8_t*)buf, &size));
  EXPECT_EQ(size, 0u);
}

// --- Configs ---

TEST_F(SeedAbi, MalformedJsonConfigIsInvalidArgument) {
  void* other = reinterpret_cast<void*>(uintptr_t{1});
  EXPECT_ABI_ERROR(invalid_argument, "init_backend_with_config",
                   init_backend_with_config(&other, "{\"ctx_size\": 4096", 0));
  EXPECT_EQ(other, nullptr);
  const std::string path = model_path();
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name_with_config",
                   load_by_name_with_config(ctx_, path.c_str(), 0, "[1, 2", 0, &g));
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, OutOfRangeConfigValueIsInvalidArgument) {
  const std::string path = model_path();
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name_with_config",
                   load_by_name_with_config(ctx_, path.c_str(), 0, "{\"ctx_size\": 1}", 0, &g));
  EXPECT_EQ(g, kNone);
  void* other = nullptr;
  EXPECT_ABI_ERROR(invalid_argument, "init_backend_with_config",
                   init_backend_with_config(&other, "{\"top_p\": 7.5}", 0));
}

TEST_F(SeedAbi, WrongTypeConfigValueIsInvalidArgument) {
  const std::string path = model_path();
  graph g = 0;
  EXPECT_ABI_ERROR(
      invalid_argument, "load_by_name_with_config",
      load_by_name_with_config(ctx_, path.c_str(), 0, "{\"n_predict\": \"many\"}", 0, &g));
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, UnknownConfigKeyIsInvalidArgument) {
  void* other = nullptr;
  EXPECT_ABI_ERROR(invalid_argument, "init_backend_with_config",
                   init_backend_with_config(&other, "{\"no_such_key\": 1}", 0));
  EXPECT_EQ(other, nullptr);
}

TEST_F(SeedAbi, UnsupportedConfigKeyIsUnsupportedOperation) {
  const std::string path = model_path();
  graph g = 0;
  EXPECT_ABI_ERROR(unsupported_operation, "load_by_name_with_config",
                   load_by_name_with_config(ctx_, path.c_str(), 0, "{\"stream\": true}", 0, &g));
  EXPECT_EQ(g, kNone);
}

// --- Model files ---

TEST_F(SeedAbi, MissingModelFileIsModelNotFound) {
  abi_test::ScratchDir dir;
  const std::string path = dir.missing();
  graph g = 0;
  EXPECT_ABI_ERROR(model_not_found, "load_by_name_with_config",
                   load_by_name_with_config(ctx_, path.c_str(), path.size(), "{}", 2, &g));
  EXPECT_EQ(g, kNone);
  EXPECT_ABI_ERROR(model_not_found, "load_by_name",
                   load_by_name(ctx_, path.c_str(), path.size(), &g));
}

TEST_F(SeedAbi, NonGgufFileIsInvalidArgument) {
  abi_test::ScratchDir dir;
  const std::string path = dir.not_gguf();
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name", load_by_name(ctx_, path.c_str(), 0, &g));
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, DirectoryAsModelIsInvalidArgument) {
  abi_test::ScratchDir dir;
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name",
                   load_by_name(ctx_, dir.dir().c_str(), 0, &g));
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, NullOrEmptyFilenameIsInvalidArgument) {
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name", load_by_name(ctx_, nullptr, 5, &g));
  EXPECT_ABI_ERROR(invalid_argument, "load_by_name", load_by_name(ctx_, "", 0, &g));
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, FilenameLengthIsHonoured) {
  // Only the first filename_len bytes name the file: the rest must be ignored.
  const std::string path = model_path();
  const std::string padded = path + "-not-part-of-the-name";
  graph g = kNone;
  EXPECT_EQ(load_by_name(ctx_, padded.c_str(), path.size(), &g), success) << LastError(ctx_);
  EXPECT_NE(g, kNone);
}

// --- load() from memory ---

TEST_F(SeedAbi, BadEncodingForLoadIsInvalidEncoding) {
  const std::string bytes = abi_test::read_file(model_path());
  graph_builder part{(uint8_t*)bytes.data(), (uint32_t)bytes.size()};
  graph_builder_array builder{&part, 1};
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_encoding, "load", load(ctx_, &builder, openvino, cpu, &g));
  EXPECT_EQ(g, kNone);
  EXPECT_ABI_ERROR(invalid_encoding, "load", load(ctx_, &builder, (graph_encoding)42, cpu, &g));
}

TEST_F(SeedAbi, LoadRejectsNullEmptyAndNonGgufBuilders) {
  graph g = 0;
  EXPECT_ABI_ERROR(invalid_argument, "load", load(ctx_, nullptr, ggml, cpu, &g));
  graph_builder_array none{nullptr, 0};
  EXPECT_ABI_ERROR(invalid_argument, "load", load(ctx_, &none, ggml, cpu, &g));
  graph_builder empty{nullptr, 0};
  graph_builder_array one_empty{&empty, 1};
  EXPECT_ABI_ERROR(invalid_argument, "load", load(ctx_, &one_empty, autodetect, cpu, &g));
  const char text[] = "not a GGUF image";
  graph_builder junk{(uint8_t*)text, sizeof text};
  graph_builder_array junk_array{&junk, 1};
  EXPECT_ABI_ERROR(invalid_argument, "load", load(ctx_, &junk_array, ggml, cpu, &g));
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, LoadFromMemoryWithConfigWorks) {
  const std::string bytes = abi_test::read_file(model_path());
  graph_builder parts[2] = {{(uint8_t*)bytes.data(), (uint32_t)bytes.size()},
                            {(uint8_t*)kFastConfig, (uint32_t)std::strlen(kFastConfig)}};
  graph_builder_array builder{parts, 2};
  graph g = kNone;
  ASSERT_EQ(load(ctx_, &builder, ggml, cpu, &g), success) << LastError(ctx_);
  graph_execution_context e = kNone;
  EXPECT_EQ(init_execution_context(ctx_, g, &e), success);
}

// --- Sessions ---

TEST_F(SeedAbi, BadSessionIdIsInvalidArgument) {
  Load();
  graph_execution_context e = 9;
  const char* fn = "init_execution_context_with_session_id";
  EXPECT_ABI_ERROR(invalid_argument, fn, init_execution_context_with_session_id(ctx_, nullptr, &e));
  EXPECT_EQ(e, kNone);
  EXPECT_ABI_ERROR(invalid_argument, fn, init_execution_context_with_session_id(ctx_, "", &e));
  const std::string too_long(257, 's');
  EXPECT_ABI_ERROR(invalid_argument, fn,
                   init_execution_context_with_session_id(ctx_, too_long.c_str(), &e));
  const std::string longest(256, 's');
  EXPECT_EQ(init_execution_context_with_session_id(ctx_, longest.c_str(), &e), success);
}

TEST_F(SeedAbi, SessionBeforeAnyLoadIsInvalidArgument) {
  graph_execution_context e = 9;
  EXPECT_ABI_ERROR(invalid_argument, "init_execution_context_with_session_id",
                   init_execution_context_with_session_id(ctx_, "conversation", &e));
  EXPECT_EQ(e, kNone);
}

// --- run_inference ---

class SeedAbiRun : public SeedAbi {
 protected:
  void SetUp() override {
    SeedAbi::SetUp();
    Load();
    ASSERT_EQ(init_execution_context_with_session_id(ctx_, "conversation", &session_), success);
  }
  wasi_nn_error Run(const char* runtime_config, uint32_t config_len) {
    tensor t = Text("Hello");
    size_ = sizeof out_;
    return run_inference(ctx_, session_, 0, &t, (uint8_t*)out_, &size_, runtime_config,
                         config_len);
  }
  graph_execution_context session_ = kNone;
  char out_[8192];
  uint32_t size_ = 0;
};

TEST_F(SeedAbiRun, NullRuntimeConfigIsAccepted) {
  EXPECT_EQ(Run(nullptr, 0), success) << LastError(ctx_);
  EXPECT_GT(size_, 0u);
  EXPECT_EQ(std::strlen(out_), size_);
  EXPECT_EQ(Run(nullptr, 123), success) << LastError(ctx_);
}

TEST_F(SeedAbiRun, ConfigLenOmittedMeansStrlen) {
  // A caller that passes no config_len: 0, or whatever garbage sits in the register/stack.
  const char config[] = "{\"n_predict\": 3}";
  EXPECT_EQ(Run(config, 0), success) << LastError(ctx_);
  EXPECT_EQ(Run(config, 0xFFFFFFFFu), success) << LastError(ctx_);
  EXPECT_EQ(Run(config, sizeof config + 1000), success) << LastError(ctx_);
  // A positive config_len shorter than the string cuts it: here into malformed JSON.
  EXPECT_ABI_ERROR(invalid_argument, "run_inference", Run(config, 5));
  EXPECT_EQ(size_, 0u);
}

TEST_F(SeedAbiRun, BadRuntimeConfigIsRejected) {
  EXPECT_ABI_ERROR(invalid_argument, "run_inference", Run("{\"temperature\": \"hot\"}", 0));
  EXPECT_ABI_ERROR(invalid_argument, "run_inference", Run("{\"ctx_size\": 128}", 0));
}

TEST_F(SeedAbiRun, NullInputOrOutputSizeIsInvalidArgument) {
  char out[64];
  uint32_t size = sizeof out;
  EXPECT_ABI_ERROR(invalid_argument, "run_inference",
                   run_inference(ctx_, session_, 0, nullptr, (uint8_t*)out, &size, nullptr, 0));
  EXPECT_EQ(size, 0u);
  tensor t = Text("Hello");
  EXPECT_ABI_ERROR(invalid_argument, "run_inference",
                   run_inference(ctx_, session_, 0, &t, (uint8_t*)out, nullptr, nullptr, 0));
}

TEST_F(SeedAbiRun, TinyOutputBufferIsTooLarge) {
  tensor t = Text("Hello");
  char out[2] = {'#', '#'};
  uint32_t size = 1;
  EXPECT_ABI_ERROR(too_large, "run_inference",
                   run_inference(ctx_, session_, 0, &t, (uint8_t*)out, &size, nullptr, 0));
  EXPECT_GT(size, 1u);
  EXPECT_EQ(out[1], '#');
}

// --- The last error message itself ---

TEST_F(SeedAbi, LastErrorReadsWithNullCtxAndIsNotReplacedByReading) {
  EXPECT_EQ(compute(ctx_, 42), not_found);
  const std::string via_ctx = LastError(ctx_);
  EXPECT_EQ(LastError(nullptr), via_ctx);
  char small[4];
  uint32_t size = sizeof small;
  EXPECT_EQ(get_output(nullptr, kNone, 0, (uint8_t*)small, &size), too_large);
  EXPECT_EQ(size, via_ctx.size());
  size = sizeof small;
  EXPECT_EQ(get_output(ctx_, kNone, 0, (uint8_t*)small, &size), too_large);
  EXPECT_EQ(get_output(ctx_, kNone, 1, (uint8_t*)small, &size), not_found);
  EXPECT_EQ(get_output(nullptr, kNone, 1, (uint8_t*)small, &size), not_found);
  EXPECT_EQ(get_output(ctx_, kNone, 0, nullptr, nullptr), invalid_argument);
  EXPECT_EQ(LastError(ctx_), via_ctx);
  EXPECT_NE(via_ctx.find("42"), std::string::npos) << via_ctx;
}

}  // namespace
