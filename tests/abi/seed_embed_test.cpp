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

#include "support/seed_fixture.h"

namespace {

using namespace seed_test;
using json = nlohmann::json;

class SeedEmbed : public SeedFixture {
 protected:
  // run_inference on `e` with `text` and the request settings `request`; the output goes to `out`.
  wasi_nn_error Run(graph_execution_context e, const char* text, const char* request, std::string* out) {
    tensor in = Text(text);
    std::vector<char> buf(1 << 16);
    uint32_t size = buf.size();
    wasi_nn_error err = run_inference(ctx_, e, 0, &in, reinterpret_cast<uint8_t*>(buf.data()), &size, request, 0);
    out->assign(buf.data(), size);
    return err;
  }
};

constexpr char kEmbedConfig[] =
    R"({"embedding": true, "pooling": "mean", "ctx_size": 128, "n_parallel": 2, "threads": 2})";

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
  ASSERT_EQ(get_output(ctx_, e, 1, reinterpret_cast<uint8_t*>(meta), &size), success);
  EXPECT_GT(json::parse(std::string(meta, size))["input_tokens"].get<int>(), 0);
}

TEST_F(SeedEmbed, StreamingOnAnEmbeddingModelIsInvalidArgument) {
  graph_execution_context e = Open(kEmbedConfig);
  tensor in = Text("hello");
  ASSERT_EQ(set_input(ctx_, e, 0, &in), success);
  ExpectError(invalid_argument, compute_single(ctx_, e), "compute_single",
              "not available on a model loaded with \"embedding\": true");
}

TEST_F(SeedEmbed, EmbeddingRequestToATextModelIsInvalidArgument) {
  graph_execution_context e = Open(kFastConfig);
  std::string out;
  ExpectError(invalid_argument, Run(e, "hello", R"({"embedding": true})", &out), "run_inference",
              "loaded for text generation");
}

}  // namespace
