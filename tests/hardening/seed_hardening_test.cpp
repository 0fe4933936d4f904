// Bad inputs through libwasi_nn_backend.so (the seed ABI) that tests/abi does not cover:
// damaged GGUF files, a FIFO as the model, hostile JSON (deep, huge, out of range), handles
// from another backend, a context too large to allocate. Each case asserts the documented code
// and a message naming the call, and that the backend still serves a normal request after it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <future>
#include <string>

#include "support/memory_cap.h"
#include "support/seed_fixture.h"

namespace {

using namespace seed_test;
using wasi_nn::test::ScratchDir;
namespace files = wasi_nn::test;
using SeedHardening = SeedFixture;

// --- Damaged model files ---

TEST_F(SeedHardening, TruncatedGgufFailsCleanlyAtEveryOffset) {
  const std::string bytes = files::read_file(model_path());
  ASSERT_GT(bytes.size(), 200000u);
  ScratchDir scratch;
  for (size_t at : files::truncation_points(bytes.size())) {
    SCOPED_TRACE("truncated at " + std::to_string(at));
    const std::string path = scratch.write("cut-" + std::to_string(at) + ".gguf", bytes.substr(0, at));
    graph g = 7;
    const wasi_nn_error rc = LoadFile(path, kFastConfig, &g);
    // Fewer than 4 bytes: no GGUF magic (invalid_argument); else llama.cpp refuses the file.
    ExpectError(at < 4 ? invalid_argument : runtime_error, rc, "load_by_name_with_config",
                at < 4 ? "not a GGUF file" : "corrupt or truncated");
    EXPECT_EQ(g, kNone);
  }
  ExpectStillServes();
}

TEST_F(SeedHardening, GgufTruncatedInsideTensorDataFailsAndNothingStaysLoaded) {
  // The fault "a model that fails half-way through loading": the header and tensor infos are
  // whole, the weights stop in the middle.
  const std::string bytes = files::read_file(model_path());
  ScratchDir scratch;
  const std::string path = scratch.write("half.gguf", bytes.substr(0, bytes.size() * 3 / 4));
  graph g = 7;
  ExpectError(runtime_error, LoadFile(path, kFastConfig, &g), "load_by_name_with_config", "half.gguf");
  EXPECT_EQ(g, kNone);
  // The failed load left no current model behind.
  graph_execution_context e = 7;
  EXPECT_EQ(init_execution_context_with_session_id(ctx_, "after-failed-load", &e), invalid_argument);
  ExpectStillServes();
}

TEST_F(SeedHardening, CorruptedGgufHeaderFailsCleanly) {
  const std::string bytes = files::read_file(model_path());
  ScratchDir scratch;
  int n = 0;
  for (auto [offset, value] : files::header_damage()) {
    SCOPED_TRACE("byte " + std::to_string(offset) + " = " + std::to_string(value));
    std::string damaged = bytes;
    if (static_cast<unsigned char>(damaged[offset]) == value) continue;  // not a change
    damaged[offset] = static_cast<char>(value);
    const std::string path = scratch.write("flip-" + std::to_string(n++) + ".gguf", damaged);
    graph g = 7;
    ExpectError(runtime_error, LoadFile(path, kFastConfig, &g), "load_by_name_with_config");
    EXPECT_EQ(g, kNone);
  }
  EXPECT_GT(n, 8);
  ExpectStillServes();
}

TEST_F(SeedHardening, CorruptedTensorInfoAndMetadataNeverCrash) {
  // Bytes flipped all over the metadata and tensor infos (the first 64 KiB): a load may fail
  // (runtime_error) or, when the damage hits a value nothing checks (a token's text), succeed;
  // it must never crash, hang or report another code.
  const std::string bytes = files::read_file(model_path());
  ScratchDir scratch;
  for (size_t offset = 32; offset < 65536; offset += 4093) {
    SCOPED_TRACE("byte " + std::to_string(offset));
    std::string damaged = bytes;
    damaged[offset] = static_cast<char>(~damaged[offset]);
    const std::string path = scratch.write("meta-" + std::to_string(offset) + ".gguf", damaged);
    graph g = 7;
    const wasi_nn_error rc = LoadFile(path, kFastConfig, &g);
    EXPECT_TRUE(rc == success || rc == runtime_error) << rc << ": " << LastError();
    EXPECT_EQ(rc == success, g != kNone);
  }
  ExpectStillServes();
}

TEST_F(SeedHardening, FifoAsModelIsInvalidArgumentWithoutBlocking) {
  ScratchDir scratch;
  const std::string fifo = scratch.fifo("model.gguf");
  // Opening a FIFO with no writer blocks: the backend must look at the file type first.
  auto result = std::async(std::launch::async, [&] {
    graph g = 7;
    wasi_nn_error rc = load_by_name(ctx_, fifo.c_str(), fifo.size(), &g);
    return std::make_pair(rc, std::make_pair(g, LastError()));
  });
  ASSERT_EQ(result.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "load_by_name on a FIFO blocked";
  auto [rc, rest] = result.get();
  EXPECT_EQ(rc, invalid_argument);
  EXPECT_EQ(rest.first, kNone);
  EXPECT_NE(rest.second.find("not a regular file"), std::string::npos) << rest.second;
}

TEST_F(SeedHardening, DeviceFileAsModelIsInvalidArgument) {
  graph g = 7;
  ExpectError(invalid_argument, load_by_name(ctx_, "/dev/zero", 0, &g), "load_by_name", "not a regular file");
  EXPECT_EQ(g, kNone);
}

TEST_F(SeedHardening, EmptyAndGarbageMemoryImagesAreRejected) {
  // load() from memory: GGUF magic followed by nothing, and random bytes.
  std::string magic_only = "GGUF";
  std::string garbage(4096, '\x5a');
  for (std::string* image : {&magic_only, &garbage}) {
    graph_builder part{reinterpret_cast<uint8_t*>(image->data()), (uint32_t)image->size()};
    graph_builder_array array{&part, 1};
    graph g = 7;
    const wasi_nn_error rc = load(ctx_, &array, ggml, cpu, &g);
    EXPECT_TRUE(rc == invalid_argument || rc == runtime_error) << rc;
    EXPECT_EQ(g, kNone);
  }
  ExpectStillServes();
}

// --- Hostile JSON ---

TEST_F(SeedHardening, DeeplyNestedJsonIsInvalidArgumentAtEveryEntryPoint) {
  for (bool arrays : {false, true}) {
    const std::string deep = files::nested_json(100000, arrays);
    void* other = reinterpret_cast<void*>(1);
    ExpectError(invalid_argument, init_backend_with_config(&other, deep.c_str(), deep.size()),
                "init_backend_with_config", "deeper", nullptr);
    EXPECT_EQ(other, nullptr);
    graph g = 7;
    ExpectError(invalid_argument, LoadFile(model_path(), deep.c_str(), &g), "load_by_name_with_config", "deeper");
    EXPECT_EQ(g, kNone);
  }
  // Per request: input index 1 and run_inference's runtime config.
  graph g = kNone;
  ASSERT_EQ(LoadFile(model_path(), kFastConfig, &g), success);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, g, &e), success);
  std::string deep = files::nested_json(40, false);
  tensor settings = Text(deep.c_str());
  ExpectError(invalid_argument, set_input(ctx_, e, 1, &settings), "set_input", "deeper");
  tensor prompt = Text("Hi");
  char out[256];
  uint32_t size = sizeof out;
  ExpectError(invalid_argument, run_inference(ctx_, e, 0, &prompt, (uint8_t*)out, &size, deep.c_str(), 0),
              "run_inference", "deeper");
  EXPECT_EQ(size, 0u);
  ExpectStillServes();
}

TEST_F(SeedHardening, NestingAtTheLimitIsAcceptedAsJson) {
  // 32 levels is the documented limit: the text parses (the key is then unknown).
  const std::string at_limit = files::nested_json(32, false);
  graph g = 7;
  const wasi_nn_error rc = LoadFile(model_path(), at_limit.c_str(), &g);
  EXPECT_EQ(rc, invalid_argument);
  EXPECT_EQ(LastError().find("deeper"), std::string::npos) << LastError();
}

TEST_F(SeedHardening, HugeJsonIsInvalidArgument) {
  const std::string huge = files::huge_json();
  void* other = reinterpret_cast<void*>(1);
  ExpectError(invalid_argument, init_backend_with_config(&other, huge.c_str(), huge.size()), "init_backend_with_config",
              "bytes", nullptr);
  EXPECT_EQ(other, nullptr);
  graph g = 7;
  ExpectError(invalid_argument, LoadFile(model_path(), huge.c_str(), &g), "load_by_name_with_config", "bytes");
  ASSERT_EQ(LoadFile(model_path(), kFastConfig, &g), success);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, g, &e), success);
  tensor settings = Text(huge.c_str());
  ExpectError(invalid_argument, set_input(ctx_, e, 1, &settings), "set_input", "bytes");
  ExpectStillServes();
}

TEST_F(SeedHardening, OutOfRangeNumbersAreInvalidArgument) {
  const char* const configs[] = {
      R"({"ctx_size": 1e400})",  // not a finite double
      R"({"ctx_size": -1})",     // below the range
      R"({"ctx_size": 99999999999999999999999})",
      R"({"n_predict": 4294967296})",  // beyond int32
      R"({"temperature": -0.5})",
      R"({"n_parallel": 0})",
      R"({"ctx_size": 256.5})",  // an integer key given a fraction
  };
  for (const char* config : configs) {
    SCOPED_TRACE(config);
    graph g = 7;
    ExpectError(invalid_argument, LoadFile(model_path(), config, &g), "load_by_name_with_config");
    EXPECT_EQ(g, kNone);
  }
}

TEST_F(SeedHardening, WrongTypesAndUnknownKeysAreInvalidArgument) {
  const char* const configs[] = {
      R"({"ctx_size": "256"})",
      R"({"stop": 5})",
      R"({"ignore_eos": "yes"})",
      R"({"sampling": 3})",
      R"({"ctx_sise": 256})",
      R"({"": 1})",
      R"({"ctx_size": 256, "ctx_size": 512})",
      R"("just a string")",
      "[]",
      "{",
      "{}}",
  };
  for (const char* config : configs) {
    SCOPED_TRACE(config);
    graph g = 7;
    ExpectError(invalid_argument, LoadFile(model_path(), config, &g), "load_by_name_with_config");
  }
}

TEST_F(SeedHardening, NonUtf8ConfigIsInvalidArgument) {
  const std::string config = "{\"system_prompt\": \"\xc3\x28\"}";
  graph g = 7;
  ExpectError(invalid_argument, LoadFile(model_path(), config.c_str(), &g), "load_by_name_with_config");
}

// --- Handles ---

TEST_F(SeedHardening, GraphOfAnotherBackendIsNotFound) {
  void* other = nullptr;
  ASSERT_EQ(init_backend(&other), success);
  graph g = kNone;
  const std::string path = model_path();
  ASSERT_EQ(load_by_name_with_config(other, path.c_str(), 0, kFastConfig, 0, &g), success);
  graph_execution_context e = 7;
  // This backend has no graph with that id (ids are per backend).
  ExpectError(not_found, init_execution_context(ctx_, g + 100, &e), "init_execution_context");
  EXPECT_EQ(e, kNone);
  graph_execution_context theirs = kNone;
  ASSERT_EQ(init_execution_context(other, g, &theirs), success);
  ExpectError(not_found, compute(ctx_, theirs + 100), "compute");
  ExpectError(not_found, close_execution_context(ctx_, theirs + 100), "close_execution_context");
  EXPECT_EQ(deinit_backend(other), success);
  // Every call with the deinitialised backend: its messages are this thread's (read through
  // NULL), as it names no live backend.
  const char* why = "does not name a live backend";
  ExpectError(invalid_argument, compute(other, theirs), "compute", why, nullptr);
  ExpectError(invalid_argument, close_execution_context(other, theirs), "close_execution_context", why, nullptr);
  ExpectError(invalid_argument, init_execution_context(other, g, &e), "init_execution_context", why, nullptr);
  tensor t = Text("x");
  ExpectError(invalid_argument, set_input(other, theirs, 0, &t), "set_input", why, nullptr);
  char out[16];
  uint32_t size = sizeof out;
  ExpectError(invalid_argument, get_output(other, theirs, 0, (uint8_t*)out, &size), "get_output", why, nullptr);
  ExpectError(invalid_argument, deinit_backend(other), "deinit_backend", why, nullptr);
}

// --- Capacity ---

TEST_F(SeedHardening, ContextTooLargeToAllocateIsAnErrorNotACrash) {
  // 256 sequences of 1M tokens: a KV cache of ~128 GiB for the tiny model.
  graph g = 7;
  const char* config = R"({"ctx_size": 1048576, "n_parallel": 256})";
  {
    wasi_nn::test::AddressSpaceCap cap;  // fail at once, not after filling the machine
    ExpectError(runtime_error, LoadFile(model_path(), config, &g), "load_by_name_with_config", "memory");
  }
  EXPECT_EQ(g, kNone);
  ExpectStillServes();
}

TEST_F(SeedHardening, PromptOverTheInputLimitIsInvalidArgument) {
  graph g = kNone;
  ASSERT_EQ(LoadFile(model_path(), kFastConfig, &g), success);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, g, &e), success);
  // 64 MiB + 1 byte, given by its dimension (the buffer is that long, so nothing is overread).
  std::string big((64u << 20) + 1, 'a');
  uint32_t dim = static_cast<uint32_t>(big.size());
  tensor_dimensions dims{&dim, 1};
  tensor t{&dims, fp32, (uint8_t*)big.data()};
  ExpectError(invalid_argument, set_input(ctx_, e, 0, &t), "set_input", "limit");
}

}  // namespace
