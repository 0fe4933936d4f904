// The tenant-isolation issue's load config through the WAMR ABI (libwasi_nn_llamacpp.so), as a
// wasm guest's load reaches it: {"n_batch": 4, "n_parallel": 8} aborted the host in llama.cpp;
// it is invalid_argument now, and the same backend then loads and generates. The seed ABI's
// cases are in preconditions_abi_test.cpp.
#include "wasi_nn_llamacpp.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

constexpr uint32_t kNone = WASI_NN_NO_HANDLE;

std::string model() { return std::string(WASI_NN_TEST_MODEL_DIR) + "/tiny-phi3.gguf"; }

std::string LastError(void* ctx) {
  char buf[4096];
  tensor_data out{reinterpret_cast<uint8_t*>(buf), sizeof buf};
  uint32_t size = 0;
  EXPECT_EQ(get_output(ctx, kNone, 0, &out, &size), success);
  return std::string(buf, size);
}

wasi_nn_error Load(void* ctx, const char* config, graph* g) {
  const std::string path = model();
  return load_by_name_with_config(ctx, path.c_str(), path.size(), config, std::strlen(config), g);
}

TEST(PreconditionsWamr, BatchSmallerThanParallelIsInvalidArgumentAndTheBackendServes) {
  void* ctx = nullptr;
  ASSERT_EQ(init_backend(&ctx), success);
  graph g = 7;
  EXPECT_EQ(Load(ctx, R"({"n_batch": 4, "n_parallel": 8})", &g), invalid_argument);
  const std::string msg = LastError(ctx);
  EXPECT_NE(msg.find("'n_batch' = 4"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'n_parallel' = 8"), std::string::npos) << msg;

  ASSERT_EQ(Load(ctx, R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4, "ignore_eos": true})", &g), success)
      << LastError(ctx);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx, g, &e), success) << LastError(ctx);
  std::string prompt = "Hello";
  uint32_t dim = prompt.size();
  tensor_dimensions dims{&dim, 1};
  tensor in{};
  in.dimensions = &dims;
  in.type = u8;
  in.data = tensor_data{reinterpret_cast<uint8_t*>(prompt.data()), dim};
  ASSERT_EQ(set_input(ctx, e, 0, &in), success) << LastError(ctx);
  ASSERT_EQ(compute(ctx, e), success) << LastError(ctx);
  char buf[512];
  tensor_data out{reinterpret_cast<uint8_t*>(buf), sizeof buf};
  uint32_t size = 0;
  EXPECT_EQ(get_output(ctx, e, 0, &out, &size), success);
  EXPECT_GT(size, 0u);
  EXPECT_EQ(deinit_backend(ctx), success);
}

}  // namespace
