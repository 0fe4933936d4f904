// Embeddings through libwasi_nn_llamacpp.so's C ABI, as WAMR's wasi-nn library passes a guest's
// calls on: load with "embedding": true, set_input + compute + get_output gives the vector
// (JSON or raw f32); streaming is refused with a precise error.
#include "wasi_nn_llamacpp.h"

#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "abi_test_support.h"

namespace {

using json = nlohmann::json;

struct Input {  // a guest's u8 tensor: the bytes of `s`, not NUL-terminated
  explicit Input(std::string s) : bytes(std::move(s)), dim(bytes.size()) {
    t.dimensions = &dims;
    t.type = u8;
    t.data = tensor_data{reinterpret_cast<uint8_t*>(bytes.data()), static_cast<uint32_t>(bytes.size())};
  }
  std::string bytes;
  uint32_t dim;
  tensor_dimensions dims{&dim, 1};
  tensor t{};
};

class WamrEmbed : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend(&ctx_), success);
    const std::string path = abi_test::model_path();
    const std::string cfg = R"({"embedding": true, "pooling": "last", "ctx_size": 128, "n_parallel": 2, "threads": 2})";
    graph g = WASI_NN_NO_HANDLE;
    ASSERT_EQ(load_by_name_with_config(ctx_, path.c_str(), path.size(), cfg.c_str(), cfg.size(), &g), success);
    ASSERT_EQ(init_execution_context(ctx_, g, &e_), success);
  }
  void TearDown() override { EXPECT_EQ(deinit_backend(ctx_), success); }
  std::string Output(uint32_t index) {
    std::vector<char> buf(1 << 16);
    tensor_data out{reinterpret_cast<uint8_t*>(buf.data()), static_cast<uint32_t>(buf.size())};
    uint32_t size = 0;
    EXPECT_EQ(get_output(ctx_, e_, index, &out, &size), success);
    return std::string(buf.data(), size);
  }
  std::string LastError() {
    char buf[2048];
    tensor_data out{reinterpret_cast<uint8_t*>(buf), sizeof buf};
    uint32_t size = 0;
    EXPECT_EQ(get_output(ctx_, WASI_NN_NO_HANDLE, 0, &out, &size), success);
    return std::string(buf, size);
  }
  void* ctx_ = nullptr;
  graph_execution_context e_ = WASI_NN_NO_HANDLE;
};

TEST_F(WamrEmbed, BatchAsJsonAndAsF32) {
  Input texts(R"(["first text", "a second, longer text"])");
  Input as_json(R"({"embd_input": "json"})");
  ASSERT_EQ(set_input(ctx_, e_, 0, &texts.t), success);
  ASSERT_EQ(set_input(ctx_, e_, 1, &as_json.t), success);
  ASSERT_EQ(compute(ctx_, e_), success) << LastError();
  json j = json::parse(Output(0));
  ASSERT_EQ(j["embeddings"].size(), 2u);
  EXPECT_EQ(json::parse(Output(1))["inputs"], 2);

  Input as_f32(R"({"embd_input": "json", "embd_output": "f32"})");
  ASSERT_EQ(set_input(ctx_, e_, 1, &as_f32.t), success);
  ASSERT_EQ(compute(ctx_, e_), success) << LastError();
  const std::string raw = Output(0);
  std::vector<float> f(raw.size() / sizeof(float));
  std::memcpy(f.data(), raw.data(), f.size() * sizeof(float));
  std::vector<float> want;
  for (const auto& v : j["embeddings"]) for (float x : v.get<std::vector<float>>()) want.push_back(x);
  EXPECT_EQ(f, want);
}

TEST_F(WamrEmbed, StreamingAndNonArrayBatchAreInvalidArgument) {
  Input text("hello");
  ASSERT_EQ(set_input(ctx_, e_, 0, &text.t), success);
  EXPECT_EQ(compute_single(ctx_, e_), invalid_argument);
  EXPECT_NE(LastError().find("compute_single: streaming"), std::string::npos) << LastError();
  Input as_json(R"({"embd_input": "json"})");
  ASSERT_EQ(set_input(ctx_, e_, 1, &as_json.t), success);
  EXPECT_EQ(compute(ctx_, e_), invalid_argument);
  EXPECT_NE(LastError().find("JSON array"), std::string::npos) << LastError();
}

}  // namespace
