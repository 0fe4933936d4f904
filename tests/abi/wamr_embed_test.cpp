// Embeddings through libwasi_nn_llamacpp.so's C ABI, as WAMR's wasi-nn library passes a guest's
// calls on: load with "embedding": true, set_input + compute + get_output gives the vector
// (JSON or raw f32); streaming is refused with a precise error.
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/wamr_fixture.h"

namespace {

using namespace wamr_test;
using json = nlohmann::json;

class WamrEmbed : public WamrFixture {
 protected:
  void SetUp() override {
    WamrFixture::SetUp();
    e_ = Open(R"({"embedding": true, "pooling": "last", "ctx_size": 128, "n_parallel": 2, "threads": 2})");
  }
  std::string Output(uint32_t index) { return WamrFixture::Output(e_, index); }
  graph_execution_context e_ = kNone;
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
  for (const auto& v : j["embeddings"])
    for (float x : v.get<std::vector<float>>()) want.push_back(x);
  EXPECT_EQ(f, want);
}

TEST_F(WamrEmbed, StreamingAndNonArrayBatchAreInvalidArgument) {
  Input text("hello");
  ASSERT_EQ(set_input(ctx_, e_, 0, &text.t), success);
  ExpectError(invalid_argument, compute_single(ctx_, e_), "compute_single", "streaming");
  Input as_json(R"({"embd_input": "json"})");
  ASSERT_EQ(set_input(ctx_, e_, 1, &as_json.t), success);
  ExpectError(invalid_argument, compute(ctx_, e_), "compute", "JSON array");
}

}  // namespace
