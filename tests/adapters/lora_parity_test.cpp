// LoRA adapters give llama.cpp's own text: greedy output with an adapter at scale 1 equals
// llama-completion --lora on the same model and prompt (tiny llama, qwen2 and phi3, each with its
// generated adapter); a per-request scale equals --lora-scaled with it, scale 0 equals no
// adapter; two adapters at once equal llama-completion with both. Also: the refusals of bad
// adapter keys, and one adapter copy for every load that names the same file.
#include <gtest/gtest.h>

#include "adapters/adapter_support.h"
#include "core/engine/model_registry.h"

namespace wasi_nn::test {
namespace {

class LoraParity : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (completion_tool().empty()) GTEST_SKIP() << "llama-completion is not part of this build";
  }
};

TEST_P(LoraParity, ScaleOneEqualsLlamaCompletionAndScaleZeroTheBaseModel) {
  const std::string model = std::string("tiny-") + GetParam(), adapter = model + "-lora.gguf";
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file(model + ".gguf"), lora_config(lora_entry(adapter)));
  const std::string adapted = greedy_text(b, g);
  const std::string base = reference_text(model + ".gguf");
  ASSERT_FALSE(adapted.empty());
  EXPECT_NE(adapted, base) << "the adapter changes nothing here: the test could not tell";
  EXPECT_EQ(adapted, reference_text(model + ".gguf", {"--lora", model_file(adapter)}));
  // Per request: 0 turns it off, 0.5 is llama.cpp's --lora-scaled 0.5.
  EXPECT_EQ(greedy_text(b, g, R"("lora": [{"id": 0, "scale": 0}])"), base);
  EXPECT_EQ(greedy_text(b, g, R"("lora": [{"id": 0, "scale": 0.5}])"),
            reference_text(model + ".gguf", {"--lora-scaled", model_file(adapter) + ":0.5"}));
  // The request's scales applied to that request only.
  EXPECT_EQ(greedy_text(b, g), adapted);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, LoraParity, ::testing::Values("llama", "qwen2", "phi3"));

TEST(LoraPair, TwoAdaptersEqualLlamaCompletionWithBoth) {
  if (completion_tool().empty()) GTEST_SKIP() << "llama-completion is not part of this build";
  const std::string attn = model_file("tiny-llama-lora.gguf"), ffn = model_file("tiny-llama-lora-ffn.gguf");
  HostBackend b;
  const uint32_t g =
      b.load_by_name(model_file("tiny-llama.gguf"),
                     lora_config(lora_entry("tiny-llama-lora.gguf") + ", " + lora_entry("tiny-llama-lora-ffn.gguf")));
  const std::string both = greedy_text(b, g);
  EXPECT_EQ(both, reference_text("tiny-llama.gguf", {"--lora", attn, "--lora", ffn}));
  const std::string only_attn = greedy_text(b, g, R"("lora": [{"id": 1, "scale": 0}])");
  EXPECT_NE(only_attn, both);
  EXPECT_EQ(only_attn, reference_text("tiny-llama.gguf", {"--lora", attn}));
  EXPECT_EQ(greedy_text(b, g, R"("lora": [{"id": 0, "scale": 0}, {"id": 1, "scale": 0.5}])"),
            reference_text("tiny-llama.gguf", {"--lora-scaled", ffn + ":0.5"}));
}

// A load's scale is the default of its requests: {"scale": 0} at load is the base model.
TEST(LoraLoad, LoadScaleIsTheRequestsDefault) {
  if (completion_tool().empty()) GTEST_SKIP() << "llama-completion is not part of this build";
  HostBackend b;
  const uint32_t g =
      b.load_by_name(model_file("tiny-llama.gguf"), lora_config(lora_entry("tiny-llama-lora.gguf", "0")));
  EXPECT_EQ(greedy_text(b, g), reference_text("tiny-llama.gguf"));
  EXPECT_EQ(greedy_text(b, g, R"("lora": [{"id": 0, "scale": 1}])"),
            reference_text("tiny-llama.gguf", {"--lora", model_file("tiny-llama-lora.gguf")}));
}

Error load_error(const std::string& config) {
  HostBackend b;
  return error_of([&] { b.load_by_name(model_file("tiny-llama.gguf"), config); });
}

TEST(LoraRefusals, BadKeysAreRefusedPrecisely) {
  const std::string attn = lora_entry("tiny-llama-lora.gguf");
  Error e = load_error(lora_config(R"({"path": "a.gguf", "alias": "b"})"));
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("exactly one"), std::string::npos) << e.what();
  e = load_error(lora_config(attn + R"(, {"id": 0, "scale": 1})"));
  EXPECT_NE(std::string(e.what()).find("mixes"), std::string::npos) << e.what();
  e = load_error(lora_config(lora_entry("tiny-llama-lora.gguf", "1e9")));
  EXPECT_NE(std::string(e.what()).find("-100 to 100"), std::string::npos) << e.what();
  // More adapters than the operator allows (max_lora_adapters, default 8).
  std::string nine = attn;
  for (int i = 0; i < 8; ++i) nine += ", " + attn;
  e = load_error(lora_config(nine));
  EXPECT_NE(std::string(e.what()).find("max_lora_adapters"), std::string::npos) << e.what();
  // An adapter made for another model: llama.cpp refuses its shapes; the message names what the
  // caller gave, not where the host keeps the model.
  e = load_error(lora_config(R"({"path": ")" + model_file("tiny-phi3-lora.gguf") + "\"}"));
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
  EXPECT_NE(std::string(e.what()).find("could not be applied"), std::string::npos) << e.what();
  // Adapters are for text generation.
  e = load_error(lora_config(attn, R"("embedding": true)"));
  EXPECT_NE(std::string(e.what()).find("text generation"), std::string::npos) << e.what();
}

TEST(LoraRefusals, RequestsGiveScalesByIdOnly) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), lora_config(lora_entry("tiny-llama-lora.gguf")));
  Error e = error_of([&] { greedy_text(b, g, R"("lora": [{"id": 1, "scale": 1}])"); });
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("loaded with 1 adapters"), std::string::npos) << e.what();
  e = error_of([&] { greedy_text(b, g, R"("lora": [{"path": "other.gguf"}])"); });
  EXPECT_NE(std::string(e.what()).find("cannot name LoRA adapter files"), std::string::npos) << e.what();
  e = error_of([&] { greedy_text(b, g, R"("lora": [{"id": 0, "scale": 1}, {"id": 0, "scale": 0}])"); });
  EXPECT_NE(std::string(e.what()).find("twice"), std::string::npos) << e.what();
}

// Speculative decoding on an adapted model: the drafts (n-gram lookup, or a draft model that
// has no adapters) are verified by the adapted target, so the text stays llama-completion
// --lora's, and a request's scale 0 still gives the base model's.
TEST(LoraSpeculative, DraftsKeepTheAdaptedText) {
  if (completion_tool().empty()) GTEST_SKIP() << "llama-completion is not part of this build";
  const std::string with_lora = reference_text("tiny-llama.gguf", {"--lora", model_file("tiny-llama-lora.gguf")});
  const std::string base = reference_text("tiny-llama.gguf");
  ASSERT_NE(with_lora, base);
  for (const std::string& spec :
       {std::string(R"("speculative": "ngram", "ngram_size_n": 2, "ngram_size_m": 4)"),
        R"("draft_model": ")" + model_file("tiny-llama-draft.gguf") + R"(", "draft_p_min": 0)"}) {
    HostBackend b;
    const uint32_t g =
        b.load_by_name(model_file("tiny-llama.gguf"), lora_config(lora_entry("tiny-llama-lora.gguf"), spec));
    EXPECT_EQ(greedy_text(b, g), with_lora) << spec;
    EXPECT_EQ(greedy_text(b, g, R"("lora": [{"id": 0, "scale": 0}])"), base) << spec;
  }
}

// Two loads (two tenants) naming one adapter file for one model share one copy, as the weights.
TEST(LoraSharing, OneCopyPerModelAndFile) {
  HostBackend one, two;
  one.load_by_name(model_file("tiny-llama.gguf"), lora_config(lora_entry("tiny-llama-lora.gguf")));
  two.load_by_name(model_file("tiny-llama.gguf"), lora_config(lora_entry("tiny-llama-lora.gguf")));
  auto engines = ModelRegistry::instance().live_engines();
  ASSERT_EQ(engines.size(), 1u);
  const ModelAccess open(ModelGrants{}, ModelAccess::Mode::Open);
  auto& registry = ModelRegistry::instance();
  auto a = registry.acquire_adapter(engines[0]->shared_weights(),
                                    ModelSource::open_file(model_file("tiny-llama-lora.gguf"), open));
  auto c = registry.acquire_adapter(engines[0]->shared_weights(),
                                    ModelSource::open_file(model_file("tiny-llama-lora.gguf"), open));
  EXPECT_EQ(a.get(), c.get());
  EXPECT_GE(a.use_count(), 4) << "the two loads do not hold this copy";
}

}  // namespace
}  // namespace wasi_nn::test
