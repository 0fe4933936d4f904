// Reasoning (reasoning_format, reasoning_budget) on a tiny model with GLM-4.7-Flash's template,
// whose generation prompt opens the thinking block: everything a random model writes
// is reasoning until "</think>", which only the reasoning budget forces. Reasoning goes to
// output 1 "reasoning_content" and never to output 0: not in the reply, not in any stream
// piece's output 0, not when a stop string cuts the reply.
#include <gtest/gtest.h>

#include <algorithm>

#include "agent_test_util.h"

namespace wasi_nn::agents {
namespace {

class Reasoning : public ::testing::Test {
 protected:
  Reasoning() : agent("tiny-glm-think", {{"n_predict", 24}}) {}
  std::string joined(const std::vector<Piece>& pieces, const char* field) {
    std::string out;
    for (const auto& p : pieces) out += p.meta.value(field, "");
    return out;
  }
  Agent agent;
};

TEST_F(Reasoning, ThinkingGoesToReasoningContentOnly) {
  const Reply r = agent.ask(agent.context(), "Why is the sky blue?");
  const std::string reasoning = r.meta.value("reasoning_content", "");
  EXPECT_EQ(r.meta["output_tokens"], 24);
  EXPECT_GT(reasoning.size(), 8u) << r.meta.dump();
  EXPECT_EQ(r.text, "") << "reasoning leaked into output 0";
}

TEST_F(Reasoning, FormatNoneLeavesThinkingInTheText) {
  const Reply r = agent.ask(agent.context(), "Why is the sky blue?", {{"reasoning_format", "none"}});
  EXPECT_FALSE(r.meta.contains("reasoning_content")) << r.meta.dump();
  EXPECT_FALSE(r.text.empty());
}

TEST_F(Reasoning, BudgetForcesTheEndOfThinking) {
  const Reply unlimited = agent.ask(agent.context(), "Why is the sky blue?");
  const Reply budget = agent.ask(agent.context(), "Why is the sky blue?", {{"reasoning_budget", 4}});
  const std::string reasoning = budget.meta.value("reasoning_content", "");
  EXPECT_FALSE(budget.text.empty()) << "after the forced </think> the model writes content: " << budget.meta.dump();
  EXPECT_LT(reasoning.size(), unlimited.meta["reasoning_content"].get<std::string>().size());
  // The first four tokens are the same thoughts as without a budget.
  EXPECT_EQ(unlimited.meta["reasoning_content"].get<std::string>().rfind(reasoning.substr(0, 4), 0), 0u);
  EXPECT_EQ(budget.text.find("</think>"), std::string::npos) << budget.text;
}

TEST_F(Reasoning, BudgetZeroMeansNoThinking) {
  const Reply r = agent.ask(agent.context(), "Why is the sky blue?", {{"reasoning_budget", 0}});
  std::string reasoning = r.meta.value("reasoning_content", "");
  reasoning.erase(std::remove_if(reasoning.begin(), reasoning.end(), ::isspace), reasoning.end());
  EXPECT_EQ(reasoning, "") << r.meta.dump();
  EXPECT_FALSE(r.text.empty());
}

TEST_F(Reasoning, StreamPiecesKeepReasoningOutOfOutput0) {
  Reply last;
  const auto pieces = agent.stream(agent.context(), "Why is the sky blue?", {{"reasoning_budget", 6}}, &last);
  ASSERT_GE(pieces.size(), 2u);
  std::string content;
  for (const auto& p : pieces) {
    EXPECT_EQ(p.text, p.meta.value("content", "")) << p.meta.dump();
    EXPECT_FALSE(p.meta.empty()) << "every piece says what it holds";
    content += p.text;
  }
  EXPECT_EQ(content, last.text);
  EXPECT_EQ(joined(pieces, "reasoning_content"), last.meta["reasoning_content"]);
  EXPECT_FALSE(last.text.empty());
  EXPECT_EQ(content.find(last.meta["reasoning_content"].get<std::string>().substr(1, 8)), std::string::npos);
}

TEST_F(Reasoning, StopStringInsideThinkingCutsReasoningNotIntoContent) {
  const std::string full = agent.ask(agent.context(), "Why is the sky blue?").meta["reasoning_content"];
  ASSERT_GT(full.size(), 12u);
  const std::string stop = full.substr(full.size() / 2, 3);
  const json settings = {{"stop", json::array({stop})}};
  const Reply r = agent.ask(agent.context(), "Why is the sky blue?", settings);
  EXPECT_EQ(r.meta["stop_reason"], "stop");
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(r.meta["reasoning_content"], full.substr(0, full.find(stop)));
  Reply last;
  const auto pieces = agent.stream(agent.context(), "Why is the sky blue?", settings, &last);
  for (const auto& p : pieces) EXPECT_EQ(p.text, "") << p.meta.dump();
  EXPECT_EQ(joined(pieces, "reasoning_content"), r.meta["reasoning_content"]);
}

TEST_F(Reasoning, StopStringInContentLeavesReasoningWhole) {
  const Reply r = agent.ask(agent.context(), "Why is the sky blue?", {{"reasoning_budget", 4}});
  const std::string reasoning = r.meta["reasoning_content"];
  // Stop strings apply to all generated text: take one that only the content holds.
  std::string stop;
  for (size_t at = 1; at + 3 <= r.text.size() && stop.empty(); ++at) {
    const std::string s = r.text.substr(at, 3);
    const bool ascii = std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii && reasoning.find(s) == std::string::npos && std::string("</think>").find(s) == std::string::npos)
      stop = s;
  }
  ASSERT_FALSE(stop.empty()) << r.meta.dump();
  const Reply cut =
      agent.ask(agent.context(), "Why is the sky blue?", {{"reasoning_budget", 4}, {"stop", json::array({stop})}});
  EXPECT_EQ(cut.meta["stop_reason"], "stop");
  EXPECT_EQ(cut.text, r.text.substr(0, r.text.find(stop)));
  EXPECT_EQ(cut.meta["reasoning_content"], reasoning);
}

// Speculative decoding with reasoning: drafted tokens go through the request's sampler chain,
// reasoning budget included, so the budget ends the thinking at the same token and the split
// between reasoning_content and the reply is the one without speculation (n-gram lookup and a
// draft model that is the target itself).
TEST(SpeculativeReasoning, BudgetAndSplitAreUnchanged) {
  const json ask = {{"reasoning_budget", 6}, {"n_predict", 48}};
  Agent plain("tiny-glm-think");
  const Reply want = plain.ask(plain.context(), "Why is the sky blue?", ask);
  ASSERT_FALSE(want.text.empty()) << want.meta.dump();
  ASSERT_FALSE(want.meta.value("reasoning_content", "").empty()) << want.meta.dump();
  for (const json& spec : {json{{"speculative", "ngram"}, {"ngram_size_n", 2}, {"ngram_size_m", 8}},
                           json{{"draft_model", model_path("tiny-glm-think")}, {"draft_p_min", 0.0}}}) {
    Agent agent("tiny-glm-think", spec);
    const Reply r = agent.ask(agent.context(), "Why is the sky blue?", ask);
    EXPECT_EQ(r.meta.value("reasoning_content", ""), want.meta["reasoning_content"].get<std::string>()) << spec.dump();
    EXPECT_EQ(r.text, want.text) << spec.dump();
    EXPECT_GT(r.meta.value("drafted_tokens", 0), 0) << spec.dump() << " " << r.meta.dump();
  }
}

}  // namespace
}  // namespace wasi_nn::agents
