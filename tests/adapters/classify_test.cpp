// Classification: a model with a multi-output classification head (tiny-bert-classifier: three
// labelled outputs, as a sentiment model converted from a *ForSequenceClassification checkpoint)
// loaded in embedding mode with rank pooling gives each input one score per label, equal to
// llama.cpp's own llama-embedding with rank pooling, and output 1 names the labels in order.
#include <gtest/gtest.h>

#include "adapters/adapter_support.h"

namespace wasi_nn::test {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kTexts = {"I loved every minute of it.", "It was fine, I suppose.",
                                         "The service was terrible."};

TEST(Classify, ScoresPerLabelEqualLlamaEmbeddingWithRankPooling) {
  if (embedding_tool().empty()) GTEST_SKIP() << "llama-embedding is not part of this build";
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-bert-classifier.gguf"),
                                    R"({"embedding": true, "pooling": "rank", "ctx_size": 512, "threads": 2})");
  const Output o = generate(b, b.init_execution_context(g), json(kTexts).dump(), R"({"embd_input": "json"})");
  EXPECT_EQ(o.meta["labels"], json({"negative", "neutral", "positive"})) << o.meta.dump();
  EXPECT_EQ(o.meta["n_embedding"], 3) << o.meta.dump();
  const json ours = json::parse(o.text)["embeddings"];
  const auto ref = llama_embedding_reference(model_file("tiny-bert-classifier.gguf"), kTexts, "rank", -1);
  ASSERT_EQ(ours.size(), kTexts.size()) << o.text;
  ASSERT_EQ(ref.size(), kTexts.size());
  bool labels_differ = false;
  for (size_t i = 0; i < kTexts.size(); ++i) {
    ASSERT_EQ(ours[i].size(), 3u) << o.text;
    ASSERT_GE(ref[i].size(), 3u);
    // Tolerance as in Rerank.ScoresEqualLlamaEmbeddingWithRankPooling (printed decimals, batching).
    for (size_t k = 0; k < 3; ++k)
      EXPECT_NEAR(ours[i][k].get<float>(), ref[i][k], 1e-4f) << "text " << i << " label " << k;
    labels_differ = labels_differ || std::abs(ref[i][0] - ref[i][1]) > 1e-3f;
  }
  EXPECT_TRUE(labels_differ) << "the outputs are all alike: a swapped label would not show";
}

}  // namespace
}  // namespace wasi_nn::test
