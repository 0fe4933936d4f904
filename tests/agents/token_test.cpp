// Token-level tasks: tokenize / detokenize round-trip with the model's own vocabulary (the text
// comes back byte for byte), ids are checked, and neither touches the conversation.
#include <gtest/gtest.h>

#include "agent_test_util.h"

namespace wasi_nn::agents {
namespace {

const char* kText = "Hello, world! Ünïcödé 日本語 tabs\tand\nnewlines <|im_end|> 12345";

class Tokens : public ::testing::TestWithParam<std::string> {};

TEST_P(Tokens, TokenizeThenDetokenizeRoundTrips) {
  Agent agent(GetParam());
  const uint32_t ctx = agent.context();
  const Reply t = agent.ask(ctx, kText, {{"task", "tokenize"}});
  const json ids = json::parse(t.text)["tokens"];
  ASSERT_GT(ids.size(), 10u) << t.text;
  EXPECT_EQ(t.meta["n_tokens"], ids.size());
  const Reply d = agent.ask(ctx, ids.dump(), {{"task", "detokenize"}});
  EXPECT_EQ(json::parse(d.text)["content"], kText);
  // {"tokens": [...]} is accepted too, and pieces concatenate to the text.
  const Reply p = agent.ask(ctx, kText, {{"task", "tokenize"}, {"with_pieces", true}});
  std::string pieces;
  const json listed = json::parse(p.text);
  for (const auto& e : listed["tokens"]) {
    if (e["piece"].is_string()) {
      pieces += e["piece"].get<std::string>();
    } else {
      for (const auto& byte : e["piece"]) pieces += static_cast<char>(byte.get<int>());  // half a character
    }
  }
  EXPECT_EQ(json::parse(agent.ask(ctx, json{{"tokens", ids}}.dump(), {{"task", "detokenize"}}).text)["content"], kText);
  // SentencePiece vocabularies write the word-leading space into the pieces.
  EXPECT_NE(pieces.find("日本語"), std::string::npos) << pieces;
  EXPECT_NE(pieces.find("world!"), std::string::npos) << pieces;
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, Tokens, ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-phi3"));

TEST(TokenTask, SpecialTextParsesAsOneTokenOnlyWhenAsked) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  const size_t special = json::parse(agent.ask(ctx, "<|im_end|>", {{"task", "tokenize"}}).text)["tokens"].size();
  const size_t literal =
      json::parse(agent.ask(ctx, "<|im_end|>", {{"task", "tokenize"}, {"parse_special", false}}).text)["tokens"].size();
  EXPECT_EQ(special, 1u);
  EXPECT_GT(literal, 1u);
}

TEST(TokenTask, BadIdsAreRefusedWithTheId) {
  Agent agent("tiny-phi3");
  const uint32_t ctx = agent.context();
  Error e = agent.refuse(ctx, "[1, 2, 99999999]", {{"task", "detokenize"}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("99999999"), std::string::npos) << e.what();
  EXPECT_EQ(agent.refuse(ctx, "[[1]]", {{"task", "detokenize"}}).kind(), ErrorKind::InvalidArgument);
  EXPECT_EQ(agent.refuse(ctx, "hello", {{"task", "detokenize"}}).kind(), ErrorKind::InvalidArgument);
}

TEST(TokenTask, LeavesTheConversationAlone) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  const Reply first = agent.ask(ctx, "Hello there", {{"n_predict", 4}});
  agent.ask(ctx, "anything", {{"task", "tokenize"}});
  const Reply second = agent.ask(ctx, "And again", {{"n_predict", 4}});
  EXPECT_GE(second.meta["cached_tokens"].get<int>(), first.meta["input_tokens"].get<int>()) << second.meta.dump();
}

TEST(TokenTask, IsNotStreamed) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  EXPECT_THROW(agent.stream(ctx, "hi", {{"task", "tokenize"}}, nullptr), Error);
}

}  // namespace
}  // namespace wasi_nn::agents
