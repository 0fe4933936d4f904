// Bad input through libwasi_nn_backend.so's C ABI, as a native host would send it: each case
// asserts the exact code, that outputs were cleared, and that the last error message names the
// failing call: read through the backend context the call used, or through NULL when the call
// named no live one (get_output(ctx, WASI_NN_NO_HANDLE, ...)). None may crash.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/seed_fixture.h"
#include "support/test_files.h"

namespace {

using namespace seed_test;
using SeedAbi = SeedFixture;

// --- Backend handles ---

TEST_F(SeedAbi, InitBackendWithNullOutIsInvalidArgument) {
  // No backend was created: the message is this thread's, read through NULL.
  ExpectError(invalid_argument, init_backend(nullptr), "init_backend", "NULL", nullptr);
  ExpectError(invalid_argument, init_backend_with_config(nullptr, "{}", 2), "init_backend_with_config", "NULL",
              nullptr);
}

TEST_F(SeedAbi, NullCtxIsInvalidArgument) {
  graph g = 7;
  const char* why = "ctx is NULL";
  ExpectError(invalid_argument, load_by_name(nullptr, "m.gguf", 6, &g), "load_by_name", why, nullptr);
  EXPECT_EQ(g, kNone);
  tensor t = Text("hi");
  ExpectError(invalid_argument, set_input(nullptr, 1, 0, &t), "set_input", why, nullptr);
  ExpectError(invalid_argument, compute(nullptr, 1), "compute", why, nullptr);
  ExpectError(invalid_argument, close_execution_context(nullptr, 1), "close_execution_context", why, nullptr);
  ExpectError(invalid_argument, deinit_backend(nullptr), "deinit_backend", why, nullptr);
}

TEST_F(SeedAbi, GarbageCtxIsInvalidArgument) {
  int on_stack = 0;
  std::vector<char> on_heap(64, 'x');
  for (void* garbage : {static_cast<void*>(&on_stack), static_cast<void*>(on_heap.data()),
                        reinterpret_cast<void*>(uintptr_t{1}), reinterpret_cast<void*>(~uintptr_t{0})}) {
    const char* why = "does not name a live backend";
    ExpectError(invalid_argument, compute(garbage, 1), "compute", why, nullptr);
    ExpectError(invalid_argument, deinit_backend(garbage), "deinit_backend", why, nullptr);
  }
}

TEST_F(SeedAbi, DeinitialisedCtxIsInvalidArgument) {
  void* gone = nullptr;
  ASSERT_EQ(init_backend(&gone), success);
  ASSERT_EQ(deinit_backend(gone), success);
  graph_execution_context e = 3;
  const char* why = "does not name a live backend";
  ExpectError(invalid_argument, init_execution_context(gone, 1, &e), "init_execution_context", why, nullptr);
  EXPECT_EQ(e, kNone);
  ExpectError(invalid_argument, deinit_backend(gone), "deinit_backend", why, nullptr);
}

// --- Graphs and execution contexts ---

TEST_F(SeedAbi, NullGraphOutIsInvalidArgument) {
  const std::string path = model_path();
  ExpectError(invalid_argument, load_by_name(ctx_, path.c_str(), path.size(), nullptr), "load_by_name");
  ExpectError(invalid_argument, load_by_name_with_config(ctx_, path.c_str(), 0, "{}", 0, nullptr),
              "load_by_name_with_config");
}

TEST_F(SeedAbi, NullExecCtxOutIsInvalidArgument) {
  graph g = Load();
  ExpectError(invalid_argument, init_execution_context(ctx_, g, nullptr), "init_execution_context");
  ExpectError(invalid_argument, init_execution_context_with_session_id(ctx_, "s", nullptr),
              "init_execution_context_with_session_id");
}

TEST_F(SeedAbi, UnknownGraphIsNotFound) {
  graph_execution_context e = 5;
  ExpectError(not_found, init_execution_context(ctx_, 42, &e), "init_execution_context");
  EXPECT_EQ(e, kNone);
}

TEST_F(SeedAbi, UnknownExecCtxIsNotFound) {
  tensor t = Text("hi");
  ExpectError(not_found, set_input(ctx_, 42, 0, &t), "set_input");
  ExpectError(not_found, compute(ctx_, 42), "compute");
  char out[16];
  uint32_t size = sizeof out;
  ExpectError(not_found, get_output(ctx_, 42, 0, (uint8_t*)out, &size), "get_output");
  EXPECT_EQ(size, 0u);
}

TEST_F(SeedAbi, ClosedExecCtxIsNotFound) {
  graph_execution_context e = Open();
  ASSERT_EQ(close_execution_context(ctx_, e), success);
  tensor t = Text("hi");
  ExpectError(not_found, set_input(ctx_, e, 0, &t), "set_input");
  ExpectError(not_found, compute(ctx_, e), "compute");
}

TEST_F(SeedAbi, DoubleCloseIsNotFound) {
  graph_execution_context e = Open();
  ASSERT_EQ(close_execution_context(ctx_, e), success);
  ExpectError(not_found, close_execution_context(ctx_, e), "close_execution_context");
}

// --- Input tensors ---

TEST_F(SeedAbi, NullTensorIsInvalidArgument) {
  graph_execution_context e = Open();
  ExpectError(invalid_argument, set_input(ctx_, e, 0, nullptr), "set_input");
}

TEST_F(SeedAbi, NullTensorDataIsInvalidArgument) {
  graph_execution_context e = Open();
  tensor t{nullptr, fp32, nullptr};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &t), "set_input");
  uint32_t dim = 4;
  tensor_dimensions dims{&dim, 1};
  tensor sized{&dims, up8, nullptr};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &sized), "set_input");
}

TEST_F(SeedAbi, ZeroLengthInputIsInvalidArgument) {
  graph_execution_context e = Open();
  tensor empty = Text("");
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &empty), "set_input");
  uint32_t zero = 0;
  tensor_dimensions dims{&zero, 1};
  tensor sized{&dims, up8, (uint8_t*)"hello"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &sized), "set_input");
}

TEST_F(SeedAbi, DimensionProductOverflowIsInvalidArgument) {
  graph_execution_context e = Open();
  uint32_t huge[] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
  tensor_dimensions dims{huge, 3};
  tensor t{&dims, up8, (uint8_t*)"hello"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &t), "set_input");
  uint32_t over_limit[] = {65, 1024, 1024};  // 65 MiB: more than the 64 MiB input limit
  tensor_dimensions dims2{over_limit, 3};
  tensor t2{&dims2, up8, (uint8_t*)"hello"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &t2), "set_input");
}

TEST_F(SeedAbi, MalformedDimensionsAreInvalidArgument) {
  graph_execution_context e = Open();
  tensor_dimensions null_buf{nullptr, 1};
  tensor t{&null_buf, up8, (uint8_t*)"hello"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &t), "set_input");
  std::vector<uint32_t> ones(100, 1);
  tensor_dimensions too_many{ones.data(), 100};
  tensor t2{&too_many, up8, (uint8_t*)"hello"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &t2), "set_input");
}

// A native host sends an image as input 2: a tensor whose dimension is its byte count (without
// dimensions the bytes would be read as text, up to the first NUL).
TEST_F(SeedAbi, ImageAsInputTwo) {
  graph g = kNone;
  ASSERT_EQ(LoadFile(model_path("tiny-llama"), wasi_nn::test::vision_config(), &g), success) << LastError();
  graph_execution_context e = Open(g);
  std::string bmp = wasi_nn::test::read_file(wasi_nn::test::model_file("test-gradient.bmp"));
  uint32_t n = static_cast<uint32_t>(bmp.size());
  tensor_dimensions dims{&n, 1};
  tensor image{&dims, up8, reinterpret_cast<uint8_t*>(bmp.data())};
  tensor prompt = Text("<__media__>Describe the image.");
  ASSERT_EQ(set_input(ctx_, e, 2, &image), success) << LastError();
  char out[4096];
  uint32_t size = sizeof out;
  ASSERT_EQ(run_inference(ctx_, e, 0, &prompt, (uint8_t*)out, &size, nullptr, 0), success) << LastError();
  EXPECT_GT(size, 0u);
  size = sizeof out;
  ASSERT_EQ(get_output(ctx_, e, 1, (uint8_t*)out, &size), success) << LastError();
  const std::string meta(out, size);
  const size_t at = meta.find("\"input_tokens\":");
  ASSERT_NE(at, std::string::npos) << meta;
  EXPECT_GT(std::stoi(meta.substr(at + 15)), 16) << "the image's 16 tokens are in the prompt: " << meta;
  tensor broken{nullptr, up8, reinterpret_cast<uint8_t*>(bmp.data())};  // read up to its first NUL
  ExpectError(invalid_argument, set_input(ctx_, e, 2, &broken), "set_input", "header cannot be read");
}

TEST_F(SeedAbi, SetInputIndexOutOfRangeIsNotFound) {
  graph_execution_context e = Open();
  tensor t = Text("hi");
  ExpectError(not_found, set_input(ctx_, e, 2, &t), "set_input");
  ExpectError(not_found, set_input(ctx_, e, 0xFFFFFFFEu, &t), "set_input");
}

TEST_F(SeedAbi, PromptWithInteriorNulOrBadUtf8IsInvalidArgument) {
  graph_execution_context e = Open();
  uint32_t n = 5;
  tensor_dimensions dims{&n, 1};
  tensor nul{&dims, up8, (uint8_t*)"ab\0cd"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &nul), "set_input");
  tensor bad{&dims, up8, (uint8_t*)"ab\xff\xfe!"};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &bad), "set_input");
}

TEST_F(SeedAbi, BadRequestSettingsAtIndex1AreRejected) {
  graph_execution_context e = Open();
  tensor malformed = Text("{\"temperature\": ");
  ExpectError(invalid_argument, set_input(ctx_, e, 1, &malformed), "set_input");
  tensor load_only = Text("{\"ctx_size\": 512}");
  ExpectError(invalid_argument, set_input(ctx_, e, 1, &load_only), "set_input");
}

TEST_F(SeedAbi, ComputeBeforeSetInputIsInvalidArgument) {
  graph_execution_context e = Open();
  ExpectError(invalid_argument, compute(ctx_, e), "compute");
}

TEST_F(SeedAbi, PromptLongerThanContextIsPromptTooLong) {
  graph_execution_context e = Open(R"({"ctx_size": 64, "n_parallel": 1, "n_predict": 4})");
  const std::string prompt = wasi_nn::test::long_prompt();
  tensor t = Text(prompt.c_str());
  ASSERT_EQ(set_input(ctx_, e, 0, &t), success);
  ExpectError(prompt_tool_long, compute(ctx_, e), "compute");
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
  ExpectError(too_large, get_output(ctx_, exec_, 0, &region[16], &size), "get_output");
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
  ExpectError(too_large, get_output(ctx_, exec_, 0, nullptr, &size), "get_output");
  EXPECT_EQ(size, text_.size());
}

TEST_F(SeedAbiOutput, NullOutputSizeIsInvalidArgument) {
  char buf[64];
  ExpectError(invalid_argument, get_output(ctx_, exec_, 0, (uint8_t*)buf, nullptr), "get_output");
}

TEST_F(SeedAbiOutput, NullOutputWithCapacityIsInvalidArgument) {
  uint32_t size = 64;
  ExpectError(invalid_argument, get_output(ctx_, exec_, 0, nullptr, &size), "get_output");
  EXPECT_EQ(size, 0u);
}

TEST_F(SeedAbiOutput, GetOutputIndexOutOfRangeIsNotFound) {
  char buf[64];
  uint32_t size = sizeof buf;
  ExpectError(not_found, get_output(ctx_, exec_, 2, (uint8_t*)buf, &size), "get_output");
  EXPECT_EQ(size, 0u);
}

// --- Configs ---

TEST_F(SeedAbi, MalformedJsonConfigIsInvalidArgument) {
  void* other = reinterpret_cast<void*>(uintptr_t{1});
  ExpectError(invalid_argument, init_backend_with_config(&other, "{\"ctx_size\": 4096", 0), "init_backend_with_config",
              "", nullptr);
  EXPECT_EQ(other, nullptr);
  graph g = 0;
  ExpectError(invalid_argument, LoadFile(model_path(), "[1, 2", &g), "load_by_name_with_config");
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, OutOfRangeConfigValueIsInvalidArgument) {
  graph g = 0;
  ExpectError(invalid_argument, LoadFile(model_path(), "{\"ctx_size\": 1}", &g), "load_by_name_with_config");
  EXPECT_EQ(g, kNone);
  void* other = nullptr;
  ExpectError(invalid_argument, init_backend_with_config(&other, "{\"top_p\": 7.5}", 0), "init_backend_with_config",
              "top_p", nullptr);
}

TEST_F(SeedAbi, WrongTypeConfigValueIsInvalidArgument) {
  graph g = 0;
  ExpectError(invalid_argument, LoadFile(model_path(), "{\"n_predict\": \"many\"}", &g), "load_by_name_with_config");
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, UnknownConfigKeyIsInvalidArgument) {
  void* other = nullptr;
  ExpectError(invalid_argument, init_backend_with_config(&other, "{\"no_such_key\": 1}", 0), "init_backend_with_config",
              "no_such_key", nullptr);
  EXPECT_EQ(other, nullptr);
}

TEST_F(SeedAbi, UnsupportedConfigKeyIsUnsupportedOperation) {
  graph g = 0;
  ExpectError(unsupported_operation, LoadFile(model_path(), "{\"stream\": true}", &g), "load_by_name_with_config");
  EXPECT_EQ(g, kNone);
}

// --- Model files ---

TEST_F(SeedAbi, MissingModelFileIsModelNotFound) {
  wasi_nn::test::ScratchDir dir;
  const std::string path = dir.path("no-such-model.gguf");
  graph g = 0;
  ExpectError(model_not_found, load_by_name_with_config(ctx_, path.c_str(), path.size(), "{}", 2, &g),
              "load_by_name_with_config");
  EXPECT_EQ(g, kNone);
  ExpectError(model_not_found, load_by_name(ctx_, path.c_str(), path.size(), &g), "load_by_name");
}

TEST_F(SeedAbi, NonGgufFileIsInvalidArgument) {
  wasi_nn::test::ScratchDir dir;
  const std::string path = dir.write("not-a-model.gguf", "this is a text file, not a GGUF model\n");
  graph g = 0;
  ExpectError(invalid_argument, load_by_name(ctx_, path.c_str(), 0, &g), "load_by_name");
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, DirectoryAsModelIsInvalidArgument) {
  wasi_nn::test::ScratchDir dir;
  graph g = 0;
  ExpectError(invalid_argument, load_by_name(ctx_, dir.dir().c_str(), 0, &g), "load_by_name");
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, NullOrEmptyFilenameIsInvalidArgument) {
  graph g = 0;
  ExpectError(invalid_argument, load_by_name(ctx_, nullptr, 5, &g), "load_by_name");
  ExpectError(invalid_argument, load_by_name(ctx_, "", 0, &g), "load_by_name");
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
  const std::string bytes = wasi_nn::test::read_file(model_path());
  graph_builder part{(uint8_t*)bytes.data(), (uint32_t)bytes.size()};
  graph_builder_array builder{&part, 1};
  graph g = 0;
  ExpectError(invalid_encoding, load(ctx_, &builder, openvino, cpu, &g), "load");
  EXPECT_EQ(g, kNone);
  ExpectError(invalid_encoding, load(ctx_, &builder, (graph_encoding)42, cpu, &g), "load");
}

TEST_F(SeedAbi, LoadRejectsNullEmptyAndNonGgufBuilders) {
  graph g = 0;
  ExpectError(invalid_argument, load(ctx_, nullptr, ggml, cpu, &g), "load");
  graph_builder_array none{nullptr, 0};
  ExpectError(invalid_argument, load(ctx_, &none, ggml, cpu, &g), "load");
  graph_builder empty{nullptr, 0};
  graph_builder_array one_empty{&empty, 1};
  ExpectError(invalid_argument, load(ctx_, &one_empty, autodetect, cpu, &g), "load");
  const char text[] = "not a GGUF image";
  graph_builder junk{(uint8_t*)text, sizeof text};
  graph_builder_array junk_array{&junk, 1};
  ExpectError(invalid_argument, load(ctx_, &junk_array, ggml, cpu, &g), "load");
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedAbi, LoadFromMemoryWithConfigWorks) {
  const std::string bytes = wasi_nn::test::read_file(model_path());
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
  ExpectError(invalid_argument, init_execution_context_with_session_id(ctx_, nullptr, &e), fn);
  EXPECT_EQ(e, kNone);
  ExpectError(invalid_argument, init_execution_context_with_session_id(ctx_, "", &e), fn);
  const std::string too_long(257, 's');
  ExpectError(invalid_argument, init_execution_context_with_session_id(ctx_, too_long.c_str(), &e), fn);
  const std::string longest(256, 's');
  EXPECT_EQ(init_execution_context_with_session_id(ctx_, longest.c_str(), &e), success);
}

TEST_F(SeedAbi, SessionBeforeAnyLoadIsInvalidArgument) {
  graph_execution_context e = 9;
  ExpectError(invalid_argument, init_execution_context_with_session_id(ctx_, "conversation", &e),
              "init_execution_context_with_session_id");
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
    return run_inference(ctx_, session_, 0, &t, (uint8_t*)out_, &size_, runtime_config, config_len);
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

// run_inference never reads config_len (issue 15: HyperBEAM's NIF calls it with seven
// arguments): the config is read up to its NUL whatever the length says, within 1 MiB.
TEST_F(SeedAbiRun, ConfigLenIsNotRead) {
  const char config[] = "{\"n_predict\": 3}";
  for (uint32_t len : {0u, 0xFFFFFFFFu, uint32_t(sizeof config + 1000), 5u}) {
    SCOPED_TRACE(len);
    EXPECT_EQ(Run(config, len), success) << LastError(ctx_);
  }
  // Length 5 would have cut this before its bad value: the whole string is read and refused.
  const char bad[] = "{\"n_predict\": \"three\"}";
  ExpectError(invalid_argument, Run(bad, 5), "run_inference");
  EXPECT_EQ(size_, 0u);
}

TEST_F(SeedAbiRun, BadRuntimeConfigIsRejected) {
  ExpectError(invalid_argument, Run("{\"temperature\": \"hot\"}", 0), "run_inference");
  ExpectError(invalid_argument, Run("{\"ctx_size\": 128}", 0), "run_inference");
}

TEST_F(SeedAbiRun, NullInputOrOutputSizeIsInvalidArgument) {
  char out[64];
  uint32_t size = sizeof out;
  ExpectError(invalid_argument, run_inference(ctx_, session_, 0, nullptr, (uint8_t*)out, &size, nullptr, 0),
              "run_inference");
  EXPECT_EQ(size, 0u);
  tensor t = Text("Hello");
  ExpectError(invalid_argument, run_inference(ctx_, session_, 0, &t, (uint8_t*)out, nullptr, nullptr, 0),
              "run_inference");
}

TEST_F(SeedAbiRun, TinyOutputBufferIsTooLarge) {
  tensor t = Text("Hello");
  char out[2] = {'#', '#'};
  uint32_t size = 1;
  ExpectError(too_large, run_inference(ctx_, session_, 0, &t, (uint8_t*)out, &size, nullptr, 0), "run_inference");
  EXPECT_GT(size, 1u);
  EXPECT_EQ(out[1], '#');
}

// --- The last error message itself ---

// The reads of both slots: a backend's (through its ctx) and this thread's ctx-less one
// (through NULL). tests/abi/last_error_test.cpp holds which failure lands in which.
TEST_F(SeedAbi, LastErrorIsNotReplacedByReadingIt) {
  EXPECT_EQ(compute(ctx_, 42), not_found);
  EXPECT_EQ(compute(nullptr, 42), invalid_argument);
  for (void* via : {ctx_, static_cast<void*>(nullptr)}) {
    const std::string msg = LastError(via);
    EXPECT_EQ(msg.rfind("compute: ", 0), 0u) << msg;
    char small[4];
    uint32_t size = sizeof small;
    EXPECT_EQ(get_output(via, kNone, 0, (uint8_t*)small, &size), too_large);
    EXPECT_EQ(size, msg.size());
    EXPECT_EQ(get_output(via, kNone, 1, (uint8_t*)small, &size), not_found);
    EXPECT_EQ(get_output(via, kNone, 0, nullptr, nullptr), invalid_argument);
    EXPECT_EQ(LastError(via), msg);
  }
  EXPECT_NE(LastError(ctx_).find("42"), std::string::npos) << LastError(ctx_);
  EXPECT_NE(LastError(nullptr).find("ctx is NULL"), std::string::npos) << LastError(nullptr);
}

}  // namespace
