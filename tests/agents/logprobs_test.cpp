// Token probabilities in OpenAI's logprobs shape, equal to llama.cpp's own: llama-server's
// /completion n_probs (softmax of the raw logits, as ours) on the same model and tokens, for the
// generated tokens and, one prefix at a time, for the prompt's tokens.
#include <gtest/gtest.h>

#include <cmath>

#include "agent_test_util.h"
#include "llama_server_client.h"

namespace wasi_nn::agents {
namespace {

constexpr double kTolerance = 2e-3;  // both sum the softmax in a different order and batch

// The candidates of one position: same tokens, same order, same log-probabilities.
void expect_same_top(const json& ours, const json& ref, const std::string& where) {
  ASSERT_EQ(ours["top_logprobs"].size(), ref["top_logprobs"].size()) << where;
  for (size_t i = 0; i < ref["top_logprobs"].size(); ++i) {
    EXPECT_EQ(ours["top_logprobs"][i]["id"], ref["top_logprobs"][i]["id"]) << where << " candidate " << i;
    EXPECT_NEAR(ours["top_logprobs"][i]["logprob"].get<double>(), ref["top_logprobs"][i]["logprob"].get<double>(),
                kTolerance)
        << where << " candidate " << i;
  }
}

void expect_same_entry(const json& ours, const json& ref, const std::string& where) {
  EXPECT_EQ(ours["id"], ref["id"]) << where;
  EXPECT_NEAR(ours["logprob"].get<double>(), ref["logprob"].get<double>(), kTolerance) << where;
  expect_same_top(ours, ref, where);
}

class Logprobs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!LlamaServer::available()) GTEST_SKIP() << "llama-server not built (WASI_NN_BUILD_LLAMA_TOOLS=OFF)";
  }
};

TEST_F(Logprobs, GeneratedTokensEqualLlamaServer) {
  Agent agent("tiny-llama");
  const Reply r = agent.ask(agent.context(), "The capital of France is",
                            {{"mode", "raw"}, {"n_probs", 5}, {"n_predict", 8}, {"cache_prompt", false}});
  const json ours = r.meta["logprobs"]["content"];
  ASSERT_EQ(ours.size(), 8u) << r.meta.dump();
  LlamaServer server(model_path("tiny-llama"));
  const json ref = server.post("/completion", {{"prompt", "The capital of France is"},
                                               {"n_predict", 8},
                                               {"n_probs", 5},
                                               {"temperature", 0},
                                               {"cache_prompt", false}})["completion_probabilities"];
  ASSERT_EQ(ref.size(), 8u) << ref.dump();
  for (size_t i = 0; i < 8; ++i) expect_same_entry(ours[i], ref[i], "generated token " + std::to_string(i));
}

TEST_F(Logprobs, PromptTokensEqualLlamaServerPerPrefix) {
  Agent agent("tiny-llama");
  const uint32_t ctx = agent.context();
  const json ids = json::parse(
      agent.ask(ctx, "The capital of France is", {{"task", "tokenize"}, {"add_special", true}}).text)["tokens"];
  const Reply r =
      agent.ask(ctx, "The capital of France is", {{"mode", "raw"}, {"prompt_logprobs", 4}, {"n_predict", 1}});
  const json ours = r.meta["prompt_logprobs"]["content"];
  ASSERT_EQ(ours.size(), ids.size() - 1) << r.meta.dump();
  LlamaServer server(model_path("tiny-llama"));
  for (size_t k = 1; k < ids.size(); ++k) {
    // The server's distribution of the token after ids[0..k): ours for prompt token k.
    const json prefix(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(k));
    const json ref = server.post("/completion", {{"prompt", prefix},
                                                 {"n_predict", 1},
                                                 {"n_probs", 4},
                                                 {"temperature", 0},
                                                 {"cache_prompt", false}})["completion_probabilities"][0];
    const std::string where = "prompt token " + std::to_string(k);
    EXPECT_EQ(ours[k - 1]["id"], ids[k]) << where;
    expect_same_top(ours[k - 1], ref, where);
    // The server samples its own next token; the prompt's token is compared when it is a candidate.
    for (const auto& c : ref["top_logprobs"]) {
      if (c["id"] == ids[k]) {
        EXPECT_NEAR(ours[k - 1]["logprob"].get<double>(), c["logprob"].get<double>(), kTolerance) << where;
      }
    }
  }
}

TEST(LogprobsShape, OpenAiFieldsSortedAndBytesOfTheToken) {
  Agent agent("tiny-qwen2");
  const Reply r = agent.ask(agent.context(), "Hello", {{"mode", "raw"}, {"n_probs", 3}, {"n_predict", 4}});
  for (const auto& e : r.meta["logprobs"]["content"]) {
    EXPECT_LE(e["logprob"].get<double>(), 0.0);
    ASSERT_EQ(e["top_logprobs"].size(), 3u);
    EXPECT_GE(e["top_logprobs"][0]["logprob"].get<double>(), e["top_logprobs"][1]["logprob"].get<double>());
    EXPECT_EQ(e["top_logprobs"][0]["id"], e["id"]) << "greedy picks the most likely token";
    const std::string token = e["token"];
    EXPECT_EQ(e["bytes"].size(), token.size());
  }
  EXPECT_FALSE(r.meta.contains("prompt_logprobs"));
}

TEST(LogprobsShape, PromptLogprobsComputeTheWholePrompt) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  agent.ask(ctx, "One two three", {{"n_predict", 2}});
  const Reply r = agent.ask(ctx, "four five", {{"n_predict", 2}, {"prompt_logprobs", 1}});
  EXPECT_EQ(r.meta["cached_tokens"], 0) << "every prompt logit is computed again";
  EXPECT_EQ(r.meta["prompt_logprobs"]["content"].size(), r.meta["input_tokens"].get<size_t>() - 1);
}

}  // namespace
}  // namespace wasi_nn::agents
