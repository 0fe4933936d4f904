// Embeddings through the seed C ABI as a native host calls it: a model loaded with
// "embedding": true answers compute with {"n_embedding": N, "embedding": [...]} at output 0
// (raw f32 with "embd_output": "f32"), and refuses streaming; a text model refuses an
// embedding request.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "abi_test_support.h"
#include "wasi_nn_backend.h"

namespace {

using json = nlohmann::json;

class SeedEmbed : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(init_backend(&nn), success); }
  void TearDown() override { EXPECT_EQ(deinit_backend(nn), success); }
  graph_execution_context Open(const char* config) {
    const std::string path = abi_test::model_path();
    graph g = 0;
    EXPECT_EQ(load_by_name_with_config(nn, path.c_str(), 0, config, 0, &g), success);
    graph_execution_context e = 0;
    EXPECT_EQ(init_execution_context(nn, g, &e), success);
    return e;
  }
  wasi_nn_error Run(graph_execution_context e, const char* text, const char* request, std::string* out) {
    std::string t = text;
    tensor in = {nullptr, fp32, reinterpret_cast<uint8_t*>(t.data())};
    std::vector<char> buf(1 << 16);
    uint32_t size = buf.size();
    wasi_nn_error err = run_inference(nn, e, 0, &in, reinterpret_cast<uint8_t*>(buf.data()), &size, request, 0);
    out->assign(buf.data(), size);
    return err;
  }
  std::string LastError() {
    char buf[2048];
    uint32_t size = sizeof buf;
    EXPECT_EQ(get_output(nullptr, 0xFFFFFFFFu, 0, reinterpret_cast<uint8_t*>(buf), &size), success);
    return std::string(buf, size);
  }
  void* nn = nullptr;
};

constexpr char kEmbedConfig[] = R"({"embedding": true, "pooling": "mean", "ctx_size": 128, "n_parallel": 2, "threads": 2})";

TEST_F(SeedEmbed, JsonAndF32OutputsAgreeAndAreNormalised) {
  graph_execution_context e = Open(kEmbedConfig);
  std::string js, raw;
  ASSERT_EQ(Run(e, "hello world", "", &js), success) << LastError();
  ASSERT_EQ(Run(e, "hello world", R"({"embd_output": "f32"})", &raw), success) << LastError();
  json j = json::parse(js);
  const auto v = j["embedding"].get<std::vector<float>>();
  ASSERT_EQ(j["n_embedding"].get<size_t>(), v.size());
  ASSERT_EQ(raw.size(), v.size() * sizeof(float));
  std::vector<float> f(v.size());
  std::memcpy(f.data(), raw.data(), raw.size());
  EXPECT_EQ(f, v);
  double sum = 0;
  for (float x : v) sum += double(x) * x;
  EXPECT_NEAR(std::sqrt(sum), 1.0, 1e-5);
  char meta[4096];
  uint32_t size = sizeof meta;
  ASSERT_EQ(get_output(nn, e, 1, reinterpret_cast<uint8_t*>(meta), &size), success);
  EXPECT_GT(json::parse(std::string(meta, size))["input_tokens"].get<int>(), 0);
}

TEST_F(SeedEmbed, StreamingOnAnEmbeddingModelIsInvalidArgument) {
  graph_execution_context e = Open(kEmbedConfig);
  char text[] = "hello";
  tensor in = {nullptr, fp32, reinterpret_cast<uint8_t*>(text)};
  ASSERT_EQ(set_input(nn, e, 0, &in), success);
  EXPECT_EQ(compute_single(nn, e), invalid_argument);
  EXPECT_NE(LastError().find("not available on a model loaded with \"embedding\": true"), std::string::npos) << LastError();
}

TEST_F(SeedEmbed, EmbeddingRequestToATextModelIsInvalidArgument) {
  graph_execution_context e = Open(abi_test::kFastConfig);
  std::string out;
  EXPECT_EQ(Run(e, "hello", R"({"embedding": true})", &out), invalid_argument);
  EXPECT_NE(LastError().find("loaded for text generation"), std::string::npos) << LastError();
}

}  // namespace
