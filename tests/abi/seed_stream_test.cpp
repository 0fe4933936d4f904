// Streaming through the seed C ABI as a native host calls it: compute_single until
// end_of_sequence (100), get_output_single for each step, fini_single; the chunks equal
// run_inference's text for the same prompt and settings.
#include <gtest/gtest.h>

#include <string>

#include "support/seed_fixture.h"

namespace {

using namespace seed_test;

constexpr char kRequest[] = R"({"mode": "raw", "n_predict": 24, "temperature": 0})";

class SeedStream : public SeedFixture {
 protected:
  void SetUp() override {
    SeedFixture::SetUp();
    ASSERT_EQ(LoadFile(model_path("tiny-llama"), R"({"ctx_size": 512, "threads": 2})", &g), success);
  }
  graph g = 0;
};

TEST_F(SeedStream, ChunksEqualRunInference) {
  tensor in = Text("Once upon a time");
  graph_execution_context plain, streamed;
  ASSERT_EQ(init_execution_context(ctx_, g, &plain), success);
  ASSERT_EQ(init_execution_context(ctx_, g, &streamed), success);

  char out[8192];
  uint32_t size = sizeof out;
  ASSERT_EQ(run_inference(ctx_, plain, 0, &in, reinterpret_cast<uint8_t*>(out), &size, kRequest, 0), success);
  const std::string whole(out, size);

  tensor settings = Text(kRequest);
  ASSERT_EQ(set_input(ctx_, streamed, 0, &in), success);
  ASSERT_EQ(set_input(ctx_, streamed, 1, &settings), success);
  std::string text;
  int steps = 0;
  wasi_nn_error err;
  while ((err = compute_single(ctx_, streamed)) == success && steps++ < 1000) {
    size = sizeof out;
    ASSERT_EQ(get_output_single(ctx_, streamed, 0, reinterpret_cast<uint8_t*>(out), &size), success);
    text.append(out, size);
  }
  EXPECT_EQ(err, end_of_sequence);
  EXPECT_EQ(static_cast<int>(end_of_sequence), 100);
  EXPECT_GT(steps, 1);
  EXPECT_EQ(text, whole);
  size = sizeof out;
  ASSERT_EQ(get_output_single(ctx_, streamed, 1, reinterpret_cast<uint8_t*>(out), &size), success);
  EXPECT_NE(std::string(out, size).find("\"output_tokens\":24"), std::string::npos) << std::string(out, size);
  EXPECT_EQ(fini_single(ctx_, streamed), success);
}

TEST_F(SeedStream, BadHandlesAreRefused) {
  ExpectError(not_found, compute_single(ctx_, 12345), "compute_single", "12345");
  ExpectError(not_found, fini_single(ctx_, 12345), "fini_single", "12345");
  ExpectError(invalid_argument, compute_single(nullptr, 1), "compute_single", "ctx is NULL", nullptr);
  uint32_t size = 4;
  char out[4];
  ExpectError(not_found, get_output_single(ctx_, 12345, 0, reinterpret_cast<uint8_t*>(out), &size), "get_output_single",
              "12345");
}

}  // namespace
