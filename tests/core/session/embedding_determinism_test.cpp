// Embeddings in deterministic mode: an input's vector has the same bits whether it is embedded
// alone or beside other inputs of its request, at any batch size and thread count
// (docs/DETERMINISM.md, "Embeddings"). Normal mode packs a request's inputs into one call, whose
// shape changes the kernels' rounding; the last test records that this is still so, which is
// what makes the first ones able to fail.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "support/core_helpers.h"

namespace wasi_nn::test {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kTexts = {"The quick brown fox jumps over the lazy dog.",
                                         "Embeddings turn text into vectors.", "hello", "a b"};

class EmbeddingDeterminism : public ::testing::TestWithParam<const char*> {
 protected:
  uint32_t Load(bool deterministic, int batch, int threads) {
    const json cfg = {
        {"embedding", true},    {"pooling", "mean"}, {"ctx_size", 256},    {"batch_size", batch},
        {"ubatch_size", batch}, {"n_parallel", 4},   {"threads", threads}, {"deterministic", deterministic}};
    return b.init_execution_context(b.load_by_name(model_path(GetParam()), cfg.dump()));
  }
  // The f32 bytes of each input's vector: embedded together in one request, or one per request.
  std::vector<std::string> Together(uint32_t ctx) {
    const std::string bytes =
        generate(b, ctx, json(kTexts).dump(), R"({"embd_input":"json","embd_output":"f32"})").text;
    EXPECT_EQ(bytes.size() % kTexts.size(), 0u);
    std::vector<std::string> out;
    const size_t each = bytes.size() / kTexts.size();
    for (size_t i = 0; i < kTexts.size(); ++i) out.push_back(bytes.substr(i * each, each));
    return out;
  }
  std::vector<std::string> Alone(uint32_t ctx) {
    std::vector<std::string> out;
    for (const auto& t : kTexts) out.push_back(generate(b, ctx, t, R"({"embd_output":"f32"})").text);
    return out;
  }
  HostBackend b;
};

TEST_P(EmbeddingDeterminism, TogetherEqualsAloneBitForBit) {
  const uint32_t ctx = Load(true, 256, 2);
  const auto alone = Alone(ctx);
  const auto together = Together(ctx);
  ASSERT_EQ(together.size(), alone.size());
  for (size_t i = 0; i < alone.size(); ++i) {
    ASSERT_FALSE(alone[i].empty());
    EXPECT_EQ(together[i], alone[i]) << "input " << i << " differs when embedded beside the others";
  }
}

TEST_P(EmbeddingDeterminism, BatchSizeAndThreadsChangeNoBit) {
  const auto want = Together(Load(true, 256, 2));
  EXPECT_EQ(Together(Load(true, 64, 1)), want);
  EXPECT_EQ(Together(Load(true, 32, 2)), want);
}

// Normal mode, for contrast: at least one input's bits change when it shares its call. If this
// fails, normal mode became batch-invariant for embeddings and the docs should say so.
TEST_P(EmbeddingDeterminism, NormalModeDependsOnTheRequestsOtherInputs) {
  const uint32_t ctx = Load(false, 256, 2);
  EXPECT_NE(Together(ctx), Alone(ctx));
}

INSTANTIATE_TEST_SUITE_P(Models, EmbeddingDeterminism, testing::Values("tiny-llama", "tiny-llama-f32"),
                         [](const auto& info) { return std::string(info.param) == "tiny-llama" ? "f16" : "f32"; });

}  // namespace
}  // namespace wasi_nn::test
