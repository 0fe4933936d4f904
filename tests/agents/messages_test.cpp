// Message-level input: OpenAI chat messages (tool results included) appended to the
// conversation, with its history, KV reuse and context shift working across such turns; the
// guest's messages are checked before anything parses them further.
#include <gtest/gtest.h>

#include "agent_test_util.h"

namespace wasi_nn::agents {
namespace {

std::string tool_result(const json& call, const std::string& content) {
  return json::array({{{"role", "tool"},
                       {"tool_call_id", call["id"]},
                       {"name", call["function"]["name"]},
                       {"content", content}}})
      .dump();
}

class ToolResults : public ::testing::TestWithParam<std::string> {};

TEST_P(ToolResults, ContinueTheConversationWithKvReuse) {
  Agent agent(GetParam(), {{"n_predict", 120}});
  const uint32_t ctx = agent.context();
  const json tools = test_tools();
  const Reply call = agent.ask(ctx, user_messages("What is the weather in Paris?"),
                               {{"input_format", "messages"}, {"tools", tools}, {"tool_choice", "required"}});
  ASSERT_EQ(call.meta["tool_calls"].size(), 1u) << call.meta.dump();
  const Reply answer = agent.ask(ctx, tool_result(call.meta["tool_calls"][0], "21 degrees and sunny"),
                                 {{"input_format", "messages"}, {"tools", tools}, {"n_predict", 8}});
  // The first turn's prompt (tools, question) is reused from the KV cache, not computed again.
  EXPECT_GE(answer.meta["cached_tokens"].get<int>(), call.meta["input_tokens"].get<int>()) << answer.meta.dump();
  EXPECT_GT(answer.meta["input_tokens"].get<int>(), call.meta["input_tokens"].get<int>() + 4);
  // The same conversation sent whole to a fresh context renders to the same prompt (tokenized in
  // one piece rather than turn by turn, so a token boundary may fall differently).
  json whole = json::parse(user_messages("What is the weather in Paris?"));
  json assistant = {{"role", "assistant"}, {"content", call.text}, {"tool_calls", call.meta["tool_calls"]}};
  whole.push_back(assistant);
  whole.push_back(json::parse(tool_result(call.meta["tool_calls"][0], "21 degrees and sunny"))[0]);
  const Reply fresh =
      agent.ask(agent.context(), whole.dump(), {{"input_format", "messages"}, {"tools", tools}, {"n_predict", 8}});
  EXPECT_NEAR(fresh.meta["input_tokens"].get<int>(), answer.meta["input_tokens"].get<int>(), 3);
  EXPECT_EQ(fresh.meta["cached_tokens"], 0);
}

INSTANTIATE_TEST_SUITE_P(Templates, ToolResults,
                         ::testing::Values("tiny-qwen25-tools", "tiny-llama31-tools", "tiny-mistral-tools",
                                           "tiny-phi3"));

TEST(Messages, TextAndMessageTurnsShareOneHistory) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  const Reply a = agent.ask(ctx, "First question", {{"n_predict", 4}});
  const Reply b = agent.ask(ctx, user_messages("Second question"), {{"input_format", "messages"}, {"n_predict", 4}});
  EXPECT_GE(b.meta["cached_tokens"].get<int>(), a.meta["input_tokens"].get<int>());
  const json sys_user =
      json::array({{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Third"}}});
  const Reply c = agent.ask(ctx, sys_user.dump(), {{"input_format", "messages"}, {"n_predict", 4}});
  EXPECT_GT(c.meta["input_tokens"].get<int>(), b.meta["input_tokens"].get<int>());
}

TEST(Messages, ContextShiftDropsWholeExchanges) {
  // llama.cpp's call grammar allows 22 whitespace characters at each of a call's 8 space
  // positions: 256 tokens always finish one.
  Agent agent("tiny-qwen25-tools", {{"ctx_size", 1024}, {"n_predict", 256}});
  const uint32_t ctx = agent.context();
  const json tools = test_tools();
  bool dropped = false;
  for (int turn = 0; turn < 12 && !dropped; ++turn) {
    const Reply call = agent.ask(ctx, user_messages("Weather in city number " + std::to_string(turn) + "?"),
                                 {{"input_format", "messages"}, {"tools", tools}, {"tool_choice", "required"}});
    ASSERT_EQ(call.meta["tool_calls"].size(), 1u) << call.meta.dump();
    dropped = call.meta.contains("dropped_messages");
    const Reply answer =
        agent.ask(ctx, tool_result(call.meta["tool_calls"][0], "sunny"),
                  {{"input_format", "messages"}, {"tools", tools}, {"tool_choice", "none"}, {"n_predict", 4}});
    dropped = dropped || answer.meta.contains("dropped_messages");
  }
  EXPECT_TRUE(dropped) << "12 exchanges should outgrow 1024 tokens";
}

TEST(Messages, MalformedMessagesAreRefusedPrecisely) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  const json as_messages = {{"input_format", "messages"}};
  auto refused = [&](const std::string& input, const std::string& needle) {
    const Error e = agent.refuse(ctx, input, as_messages);
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << input;
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  };
  refused("not json", "JSON array");
  refused("[]", "1 to");
  refused(R"([{"role": "wizard", "content": "x"}])", "role");
  refused(R"([{"role": "user"}])", "content");
  refused(R"([{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}])", "ends with an assistant");
  refused(R"([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}])", "only text");
  refused(
      R"([{"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{oops"}}]}, {"role": "user", "content": "x"}])",
      "not JSON");
  std::string deep = R"([{"role": "user", "content": "x", "extra": )";
  for (int i = 0; i < 100; ++i) deep += "[";
  for (int i = 0; i < 100; ++i) deep += "]";
  refused(deep + "}]", "max_schema_depth");
  // Nesting inside the arguments string is not seen by the text's own depth: checked by itself.
  json nested_args = json::array(
      {{{"role", "assistant"},
        {"tool_calls",
         json::array({{{"type", "function"},
                       {"function", {{"name", "f"}, {"arguments", std::string(100, '[') + std::string(100, ']')}}}}})}},
       {{"role", "user"}, {"content", "x"}}});
  refused(nested_args.dump(), "nesting deeper");
  const Error raw = agent.refuse(ctx, user_messages("x"), {{"input_format", "messages"}, {"mode", "raw"}});
  EXPECT_EQ(raw.kind(), ErrorKind::InvalidArgument);
}

}  // namespace
}  // namespace wasi_nn::agents
