// Reranking: a load with "reranking": true scores (query, document) pairs with the model's
// classification head; the scores equal llama.cpp's own llama-embedding with rank pooling on
// the same pairs, results come best first as llama-server's /rerank returns them, and the input
// is bounded (size, nesting, document count) before it is parsed.
#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "adapters/adapter_support.h"

namespace wasi_nn::test {
namespace {

using json = nlohmann::json;

const char* kQuery = "what is a cat?";
const std::vector<std::string> kDocs = {"a cat is a small animal", "the stock market fell today", "cats purr",
                                        "dogs bark at night"};
const char* kLoad = R"({"reranking": true, "ctx_size": 512, "threads": 2})";

json rerank_input(const std::vector<std::string>& docs, const std::string& more = "") {
  json in = {{"query", kQuery}, {"documents", docs}};
  if (!more.empty()) in.update(json::parse(more));
  return in;
}

class Rerank : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx = b.init_execution_context(b.load_by_name(model_file("tiny-bert-reranker.gguf"), kLoad));
  }
  Output run(const std::string& input, const std::string& request = "") { return generate(b, ctx, input, request); }
  // index -> score
  std::map<size_t, float> scores(const json& out) {
    std::map<size_t, float> s;
    for (const auto& r : out["results"]) s[r["index"].get<size_t>()] = r["relevance_score"].get<float>();
    return s;
  }
  HostBackend b;
  uint32_t ctx = 0;
};

TEST_F(Rerank, ScoresEqualLlamaEmbeddingWithRankPooling) {
  if (embedding_tool().empty()) GTEST_SKIP() << "llama-embedding is not part of this build";
  const json out = json::parse(run(rerank_input(kDocs).dump()).text);
  const std::map<size_t, float> ours = scores(out);
  ASSERT_EQ(ours.size(), kDocs.size()) << out.dump();
  std::vector<std::string> pairs;
  for (const auto& d : kDocs) pairs.push_back(std::string(kQuery) + "\t" + d);  // llama-embedding's pair separator
  const auto ref = llama_embedding_reference(model_file("tiny-bert-reranker.gguf"), pairs, "rank", -1);
  ASSERT_EQ(ref.size(), kDocs.size());
  for (size_t i = 0; i < kDocs.size(); ++i) {
    // With rank pooling llama-embedding prints n_embd columns of which the first is the score
    // (the model has one classification output; the rest of its row is not the model's).
    ASSERT_GE(ref[i].size(), 1u);
    // The same tokens through the same llama.cpp graph; llama-embedding prints 7 decimals
    // (+-5e-8), and its decode puts all pairs in one batch while ours groups n_parallel pairs
    // per call, which can change the matmul kernels' rounding in the last bits (~1e-6 here):
    // 1e-4 is far above both and far below the gaps between the documents' scores.
    EXPECT_NEAR(ours.at(i), ref[i][0], 1e-4f) << "document " << i;
  }
  // The documents' scores differ by more than the tolerance, so a wrong pairing would show.
  EXPECT_GT(std::abs(ref[0][0] - ref[1][0]), 1e-3f);
}

TEST_F(Rerank, ResultsComeBestFirstWithUsageAndTopN) {
  const Output o = run(rerank_input(kDocs).dump());
  const json out = json::parse(o.text);
  EXPECT_EQ(out["object"], "list");
  EXPECT_EQ(out["model"], o.meta["model"]);
  EXPECT_EQ(out["usage"]["prompt_tokens"], o.meta["input_tokens"]);
  ASSERT_EQ(out["results"].size(), kDocs.size());
  for (size_t i = 1; i < kDocs.size(); ++i) {
    EXPECT_GE(out["results"][i - 1]["relevance_score"].get<float>(), out["results"][i]["relevance_score"].get<float>());
  }
  const json top = json::parse(run(rerank_input(kDocs, R"({"top_n": 2})").dump()).text);
  ASSERT_EQ(top["results"].size(), 2u);
  EXPECT_EQ(top["results"][0], out["results"][0]);
  EXPECT_EQ(top["results"][1], out["results"][1]);
  // Raw f32: the scores in document order.
  const std::string raw = run(rerank_input(kDocs).dump(), R"({"embd_output": "f32"})").text;
  ASSERT_EQ(raw.size(), kDocs.size() * sizeof(float));
  std::vector<float> f(kDocs.size());
  std::memcpy(f.data(), raw.data(), raw.size());
  const auto by_index = scores(out);
  for (size_t i = 0; i < kDocs.size(); ++i) EXPECT_EQ(f[i], by_index.at(i));
}

TEST_F(Rerank, BadInputsAreRefusedBeforeParsing) {
  auto refused = [&](const std::string& input, const char* words) {
    const Error e = error_of([&] { run(input); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  };
  refused("not json", "is not JSON");
  refused(R"({"query": "q", "documents": [["nested"]]})", "too deeply");
  refused(R"({"query": "q", "documents": []})", "non-empty list");
  refused(R"({"query": "q"})", "lacks");
  refused(R"({"query": "q", "documents": ["a"], "extra": 1})", "unknown key");
  refused(R"({"query": 1, "documents": ["a"]})", "not a string");
  refused(R"({"query": "q", "documents": ["a"], "top_n": 0})", "top_n");
}

TEST(RerankLimits, OperatorBoundsSizeAndCount) {
  HostBackend b(R"({"limits": {"max_rerank_documents": 2, "max_rerank_bytes": 200}})");
  const uint32_t ctx = b.init_execution_context(b.load_by_name(model_file("tiny-bert-reranker.gguf"), kLoad));
  Error e = error_of([&] { generate(b, ctx, rerank_input({"a", "b", "c"}).dump()); });
  EXPECT_NE(std::string(e.what()).find("max_rerank_documents"), std::string::npos) << e.what();
  e = error_of([&] { generate(b, ctx, rerank_input({std::string(300, 'x')}).dump()); });
  EXPECT_NE(std::string(e.what()).find("max_rerank_bytes"), std::string::npos) << e.what();
  EXPECT_EQ(json::parse(generate(b, ctx, rerank_input({"a", "b"}).dump()).text)["results"].size(), 2u);
}

TEST(RerankLimits, OnlyARerankerTakesRerankInput) {
  HostBackend b;
  const uint32_t ctx = b.init_execution_context(
      b.load_by_name(model_file("tiny-bert.gguf"), R"({"embedding": true, "ctx_size": 512, "threads": 2})"));
  const Error e = error_of([&] { generate(b, ctx, rerank_input(kDocs).dump(), R"({"embd_input": "rerank"})"); });
  EXPECT_NE(std::string(e.what()).find("reranking"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace wasi_nn::test
