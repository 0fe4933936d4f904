// Bad inputs through libwasi_nn_llamacpp.so (WAMR's backend ABI) that tests/abi does not cover:
// damaged GGUF files, a FIFO, hostile JSON, prompts that are not text, handles of another
// backend, a context too large to allocate. WAMR's codes: invalid_argument 1, missing_memory 3,
// runtime_error 5, too_large 7, not_found 8.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>

#include "support/memory_cap.h"
#include "support/wamr_fixture.h"

namespace {

using namespace wamr_test;
using wasi_nn::test::ScratchDir;
namespace files = wasi_nn::test;
// The WAMR ABI reads a guest's configs in WasmEdge's dialect by default (docs/COMPATIBILITY.md:
// unknown and load-only keys in input 1 are warnings, text that is not JSON is
// invalid_encoding, a loaded name returns its graph without reading the new config). These
// tests check the strict validation a host selects with the profile key.
class WamrHardening : public WamrFixture {
 protected:
  void SetUp() override {
    ::setenv("WASI_NN_CONFIG", R"({"profile": "strict"})", 1);
    WamrFixture::SetUp();
    ::unsetenv("WASI_NN_CONFIG");
  }
};

TEST_F(WamrHardening, TruncatedGgufFailsCleanlyAtEveryOffset) {
  const std::string bytes = files::read_file(model_path());
  ScratchDir scratch;
  for (size_t at : files::truncation_points(bytes.size())) {
    SCOPED_TRACE("truncated at " + std::to_string(at));
    const std::string path = scratch.write("cut-" + std::to_string(at) + ".gguf", bytes.substr(0, at));
    graph g = 7;
    ExpectError(at < 4 ? invalid_argument : runtime_error, LoadFile(path, kFastConfig, &g), "load_by_name_with_config");
    EXPECT_EQ(g, kNone);
  }
  ExpectStillServes();
}

TEST_F(WamrHardening, CorruptedGgufHeaderFailsCleanly) {
  const std::string bytes = files::read_file(model_path());
  ScratchDir scratch;
  int n = 0;
  for (auto [offset, value] : files::header_damage()) {
    std::string damaged = bytes;
    if (static_cast<unsigned char>(damaged[offset]) == value) continue;
    damaged[offset] = static_cast<char>(value);
    SCOPED_TRACE("byte " + std::to_string(offset));
    const std::string path = scratch.write("flip-" + std::to_string(n++) + ".gguf", damaged);
    graph g = 7;
    ExpectError(runtime_error, LoadFile(path, kFastConfig, &g), "load_by_name_with_config");
  }
  ExpectStillServes();
}

TEST_F(WamrHardening, DamagedGgufFromGuestMemoryIsRejected) {
  // load(): the guest hands the bytes over itself (no file access involved).
  const std::string bytes = files::read_file(model_path());
  for (size_t at : {size_t{4}, size_t{100}, bytes.size() / 2}) {
    std::string image = bytes.substr(0, at);
    graph_builder part{reinterpret_cast<uint8_t*>(image.data()), (uint32_t)image.size()};
    graph_builder_array array{&part, 1};
    graph g = 7;
    ExpectError(runtime_error, load(ctx_, &array, ggml, cpu, &g), "load");
    EXPECT_EQ(g, kNone);
  }
}

TEST_F(WamrHardening, FifoAsModelIsInvalidArgumentWithoutBlocking) {
  ScratchDir scratch;  // under /tmp, which the tests' environment grants
  const std::string fifo = scratch.fifo("model.gguf");
  auto result = std::async(std::launch::async, [&] {
    graph g = 7;
    return load_by_name(ctx_, fifo.c_str(), fifo.size(), &g);
  });
  ASSERT_EQ(result.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "load_by_name on a FIFO blocked";
  ExpectError(invalid_argument, result.get(), "load_by_name", "not a regular file");
}

TEST_F(WamrHardening, DirectoryAndPathEscapesAreInvalidArgument) {
  graph g = 7;
  ExpectError(invalid_argument, load_by_name(ctx_, "/tmp", 4, &g), "load_by_name");
  for (const char* escape : {"/tmp/../etc/passwd", "../../etc/passwd", "/etc/passwd"}) {
    SCOPED_TRACE(escape);
    ExpectError(invalid_argument, load_by_name(ctx_, escape, std::strlen(escape), &g), "load_by_name");
    EXPECT_EQ(g, kNone);
  }
}

TEST_F(WamrHardening, PromptsThatAreNotTextAreInvalidArgument) {
  graph_execution_context e = Open();
  for (std::string bad : {std::string("Hello\0world", 11), std::string("\xc3\x28"), std::string("\xff\xfe\xfd"),
                          std::string("\xed\xa0\x80"),                                  // surrogate
                          std::string("abc\xe2\x82"),                                   // cut short
                          std::string("\xc0\xaf"), std::string("\xf4\x90\x80\x80")}) {  // overlong, > U+10FFFF
    SCOPED_TRACE(::testing::PrintToString(bad));
    Input in(bad);
    ExpectError(invalid_argument, set_input(ctx_, e, 0, &in.t), "set_input");
  }
  ExpectStillServes();
}

TEST_F(WamrHardening, HostileRequestJsonIsInvalidArgument) {
  graph_execution_context e = Open();
  for (std::string bad :
       {files::nested_json(100000, false), files::nested_json(100000, true), files::huge_json(),
        std::string("{\"n_predict\": 1e999}"), std::string("{\"n_predict\": \"4\"}"), std::string("{\"nope\": 1}"),
        std::string("{\"ctx_size\": 512}"),  // a load-time key per request
        std::string("not json")}) {
    SCOPED_TRACE(bad.substr(0, 40));
    Input in(bad);
    ExpectError(invalid_argument, set_input(ctx_, e, 1, &in.t), "set_input");
  }
  for (const std::string& bad : {files::nested_json(100000, false), files::huge_json()}) {
    graph g = 7;
    ExpectError(invalid_argument, LoadFile(model_path(), bad, &g), "load_by_name_with_config");
  }
  ExpectStillServes();
}

TEST_F(WamrHardening, ContextTooLargeToAllocateIsMissingMemory) {
  graph g = 7;
  {
    wasi_nn::test::AddressSpaceCap cap;  // fail at once, not after filling the machine
    ExpectError(missing_memory, LoadFile(model_path(), R"({"ctx_size": 1048576, "n_parallel": 256})", &g),
                "load_by_name_with_config", "memory");
  }
  EXPECT_EQ(g, kNone);
  ExpectStillServes();
}

TEST_F(WamrHardening, ClosedHandlesAndOtherBackendsHandlesAreNotFound) {
  graph_execution_context e = Open();
  void* other = nullptr;
  ASSERT_EQ(init_backend(&other), success);
  // `e` names nothing in `other`.
  ExpectError(not_found, compute(other, e), "compute", "", other);
  Input in("hi");
  ExpectError(not_found, set_input(other, e, 0, &in.t), "set_input", "", other);
  ASSERT_EQ(deinit_backend(other), success);
  ExpectError(invalid_argument, compute(other, e), "compute", "does not name a live backend", nullptr);
  ExpectError(invalid_argument, deinit_backend(other), "deinit_backend", "does not name a live backend", nullptr);
}

TEST_F(WamrHardening, ZeroAndOneByteOutputBuffers) {
  graph_execution_context e = Open();
  Input in("Hello");
  ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success);
  ASSERT_EQ(compute(ctx_, e), success);
  for (uint32_t cap : {0u, 1u}) {
    uint8_t buf[2] = {0xAB, 0xAB};
    tensor_data out{cap ? buf : nullptr, cap};
    uint32_t size = 0;
    EXPECT_EQ(get_output(ctx_, e, 1, &out, &size), too_large);  // the metadata JSON
    EXPECT_GT(size, 1u);
    EXPECT_EQ(buf[0], 0xAB);
  }
}

}  // namespace
