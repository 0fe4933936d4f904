// Streaming through the seed C ABI as a native host calls it: compute_single until
// end_of_sequence (100), get_output_single for each step, fini_single; the chunks equal
// run_inference's text for the same prompt and settings.
#include <gtest/gtest.h>

#include <string>

#include "abi_test_support.h"
#include "wasi_nn_backend.h"

namespace {

constexpr char kRequest[] = R"({"mode": "raw", "n_predict": 24, "temperature": 0})";

class SeedStream : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend(&nn), success);
    const std::string path = abi_test::model_path("tiny-llama.gguf");
    ASSERT_EQ(load_by_name_with_config(nn, path.c_str(), 0, R"({"ctx_size": 512, "threads": 2})", 0, &g), success);
  }
  void TearDown() override { EXPECT_EQ(deinit_backend(nn), success); }
  void* nn = nullptr;
  graph g = 0;
};

TEST_F(SeedStream, ChunksEqualRunInference) {
  char prompt[] = "Once upon a time";
  tensor in = {nullptr, fp32, reinterpret_cast<uint8_t*>(prompt)};
  graph_execution_context plain, streamed;
  ASSERT_EQ(init_execution_context(nn, g, &plain), success);
  ASSERT_EQ(init_execution_context(nn, g, &streamed), success);

  char out[8192];
  uint32_t size = sizeof out;
  ASSERT_EQ(run_inference(nn, plain, 0, &in, reinterpret_cast<uint8_t*>(out), &size, kRequest, 0), success);
  const std::string whole(out, size);

  char req[] = R"({"mode": "raw", "n_predict": 24, "temperature": 0})";
  tensor settings = {nullptr, fp32, reinterpret_cast<uint8_t*>(req)};
  ASSERT_EQ(set_input(nn, streamed, 0, &in), success);
  ASSERT_EQ(set_input(nn, streamed, 1, &settings), success);
  std::string text;
  int steps = 0;
  wasi_nn_error err;
  while ((err = compute_single(nn, streamed)) == success && steps++ < 1000) {
    size = sizeof out;
    ASSERT_EQ(get_output_single(nn, streamed, 0, reinterpret_cast<uint8_t*>(out), &size), success);
    text.append(out, size);
  }
  EXPECT_EQ(err, end_of_sequence);
  EXPECT_EQ(static_cast<int>(end_of_sequence), 100);
  EXPECT_GT(steps, 1);
  EXPECT_EQ(text, whole);
  size = sizeof out;
  ASSERT_EQ(get_output_single(nn, streamed, 1, reinterpret_cast<uint8_t*>(out), &size), success);
  EXPECT_NE(std::string(out, size).find("\"output_tokens\":24"), std::string::npos) << std::string(out, size);
  EXPECT_EQ(fini_single(nn, streamed), success);
}

TEST_F(SeedStream, BadHandlesAreRefused) {
  EXPECT_EQ(compute_single(nn, 12345), not_found);
  EXPECT_EQ(fini_single(nn, 12345), not_found);
  EXPECT_EQ(compute_single(nullptr, 1), invalid_argument);
  uint32_t size = 4;
  char out[4];
  EXPECT_EQ(get_output_single(nn, 12345, 0, reinterpret_cast<uint8_t*>(out), &size), not_found);
}

}  // namespace
