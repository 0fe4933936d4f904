// The generated LoRA adapters load in llama.cpp (llama-completion --lora / --lora-scaled) and are
// strong enough to matter: at scale 1 greedy text differs from the base model's, at scale 0 it is
// the base model's exactly. tiny-llama's two adapters (attention and FFN) also apply together.

#include <gtest/gtest.h>

#include <string>

#include "support/test_files.h"
#include "support/tool_runner.h"

namespace wasi_nn::test {
namespace {

std::string greedy(const std::string& model, const std::vector<std::string>& adapters = {}) {
  return greedy_completion(model_file(model), "Hello", 16, adapters);
}

class Lora : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (completion_tool().empty()) GTEST_SKIP() << "llama-completion is not part of this build";
  }
};

TEST_P(Lora, ScaleOneChangesGreedyTextAndScaleZeroDoesNot) {
  const std::string model = std::string("tiny-") + GetParam();
  const std::string adapter = model_file(model + "-lora.gguf");
  const std::string base = greedy(model + ".gguf");
  ASSERT_FALSE(base.empty());
  const std::string adapted = greedy(model + ".gguf", {"--lora", adapter});
  EXPECT_FALSE(adapted.empty());
  EXPECT_NE(adapted, base) << "the adapter does not change the output";
  EXPECT_EQ(adapted, greedy(model + ".gguf", {"--lora", adapter})) << "adapted output is not deterministic";
  EXPECT_EQ(greedy(model + ".gguf", {"--lora-scaled", adapter + ":0"}), base);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, Lora, ::testing::Values("llama", "qwen2", "phi3"));

TEST(LoraPair, TwoAdaptersApplyTogether) {
  if (completion_tool().empty()) GTEST_SKIP() << "llama-completion is not part of this build";
  const std::string attn = model_file("tiny-llama-lora.gguf"), ffn = model_file("tiny-llama-lora-ffn.gguf");
  const std::string base = greedy("tiny-llama.gguf");
  const std::string only_attn = greedy("tiny-llama.gguf", {"--lora", attn});
  const std::string only_ffn = greedy("tiny-llama.gguf", {"--lora", ffn});
  const std::string both = greedy("tiny-llama.gguf", {"--lora", attn, "--lora", ffn});
  EXPECT_NE(only_ffn, base);
  EXPECT_NE(only_ffn, only_attn);
  EXPECT_NE(both, only_attn);
  EXPECT_NE(both, only_ffn);
  EXPECT_NE(both, base);
  // Scaling one of the pair to 0 leaves the other's effect alone.
  EXPECT_EQ(greedy("tiny-llama.gguf", {"--lora", attn, "--lora-scaled", ffn + ":0"}), only_attn);
}

}  // namespace
}  // namespace wasi_nn::test
