// Tool calling through llama.cpp's chat code on tiny random models with real tools-capable
// templates, and the generic format on templates without tool support: every call of a
// required or named tool_choice parses to a listed function whose arguments are valid against
// its schema (the grammar guarantees it, whatever the model), output 0 holds only the visible
// content, and auto with a model answering in text leaves tool_calls empty.
#include <gtest/gtest.h>

#include "agent_test_util.h"
#include "schema_validator.h"

namespace wasi_nn::agents {
namespace {

// Every call names a test tool (`only`, when given) and its arguments validate.
void expect_valid_calls(const Reply& r, const std::string& only = "") {
  const json tools = test_tools();
  ASSERT_TRUE(r.meta["tool_calls"].is_array()) << r.meta.dump();
  for (const auto& call : r.meta["tool_calls"]) {
    EXPECT_EQ(call["type"], "function");
    EXPECT_FALSE(call["id"].get<std::string>().empty());
    const std::string name = call["function"]["name"];
    if (!only.empty()) {
      EXPECT_EQ(name, only);
    }
    const json* schema = nullptr;
    for (const auto& t : tools) {
      if (t["function"]["name"] == name) schema = &t["function"]["parameters"];
    }
    ASSERT_NE(schema, nullptr) << "unknown function " << name;
    const json args = json::parse(call["function"]["arguments"].get<std::string>());
    EXPECT_EQ(schema_error(args, *schema), "") << args.dump();
    // The call is metadata only: output 0 never repeats it.
    EXPECT_EQ(r.text.find(call["function"]["arguments"].get<std::string>()), std::string::npos) << r.text;
  }
}

class ToolFormats : public ::testing::TestWithParam<std::string> {
 protected:
  ToolFormats() : agent(GetParam(), {{"n_predict", 160}}) {}
  Agent agent;
};

TEST_P(ToolFormats, RequiredReplyIsOneValidCall) {
  const Reply r = agent.ask(agent.context(), "What is the weather in Paris?",
                            {{"tools", test_tools()}, {"tool_choice", "required"}});
  ASSERT_EQ(r.meta["tool_calls"].size(), 1u) << r.meta.dump() << "\n" << r.text;
  EXPECT_EQ(r.meta["finish_reason"], "tool_calls");
  expect_valid_calls(r);
}

TEST_P(ToolFormats, NamedChoiceCallsThatFunction) {
  const json choice = {{"type", "function"}, {"function", {{"name", "add"}}}};
  const Reply r = agent.ask(agent.context(), "Add 2 and 3", {{"tools", test_tools()}, {"tool_choice", choice}});
  ASSERT_EQ(r.meta["tool_calls"].size(), 1u) << r.meta.dump() << "\n" << r.text;
  expect_valid_calls(r, "add");
}

// tool_choice none: no call, but the tools stay in the prompt (as llama.cpp renders them), so a
// turn that answers after calls reuses the conversation's KV cache.
TEST_P(ToolFormats, NoneNeverCallsAndKeepsThePromptsPrefix) {
  const uint32_t ctx = agent.context();
  const Reply call =
      agent.ask(ctx, "What is the weather in Paris?", {{"tools", test_tools()}, {"tool_choice", "required"}});
  ASSERT_EQ(call.meta["tool_calls"].size(), 1u) << call.meta.dump();
  const json result =
      json::array({{{"role", "tool"}, {"tool_call_id", call.meta["tool_calls"][0]["id"]}, {"content", "done"}}});
  const Reply r =
      agent.ask(ctx, result.dump(),
                {{"input_format", "messages"}, {"tools", test_tools()}, {"tool_choice", "none"}, {"n_predict", 8}});
  EXPECT_TRUE(r.meta["tool_calls"].empty() || !r.meta.contains("tool_calls")) << r.meta.dump();
  EXPECT_NE(r.meta["finish_reason"], "tool_calls");
  EXPECT_GE(r.meta["cached_tokens"].get<int>(), call.meta["input_tokens"].get<int>()) << r.meta.dump();
}

INSTANTIATE_TEST_SUITE_P(Templates, ToolFormats,
                         ::testing::Values("tiny-qwen25-tools", "tiny-hermes-tools", "tiny-llama31-tools",
                                           "tiny-mistral-tools", "tiny-phi3", "tiny-llama"));

// Several calls in one reply. Formats that repeat whole call blocks (Qwen's <tool_call>) get
// another block when end-of-generation is banned; list formats (Mistral's [TOOL_CALLS] [...],
// the generic {"tool_calls": [...]}) get another item when "," is favoured. The last call, cut
// by n_predict, is incomplete and left out.
struct ParallelCase {
  const char* model;
  json push;  // what makes the model go on to another call
};

class ParallelFormats : public ::testing::TestWithParam<ParallelCase> {};

TEST_P(ParallelFormats, EveryCallValidates) {
  Agent agent(GetParam().model, {{"n_predict", 200}});
  json settings = {{"tools", test_tools()}, {"tool_choice", "required"}, {"parallel_tool_calls", true}};
  settings.update(GetParam().push);
  const Reply r = agent.ask(agent.context(), "Weather in Paris and in Rome?", settings);
  EXPECT_GE(r.meta["tool_calls"].size(), 2u) << r.meta.dump();
  expect_valid_calls(r);
}

INSTANTIATE_TEST_SUITE_P(Templates, ParallelFormats,
                         ::testing::Values(ParallelCase{"tiny-qwen25-tools", {{"ignore_eos", true}}},
                                           ParallelCase{"tiny-mistral-tools", {{"logit_bias", {{",", 6}}}}},
                                           ParallelCase{"tiny-phi3", {{"logit_bias", {{",", 6}}}}}),
                         // Named by model (the default prints the struct's bytes, pointers included).
                         [](const ::testing::TestParamInfo<ParallelCase>& info) {
                           std::string name = info.param.model;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

// Native formats start a call at a marker (or "{"), which a random model answering in text does
// not write: the reply is content, no call.
class NativeFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(NativeFormats, AutoAnsweredInTextHasNoCalls) {
  Agent agent(GetParam());
  const Reply r = agent.ask(agent.context(), "Say hello", {{"tools", test_tools()}, {"tool_choice", "auto"}});
  EXPECT_TRUE(r.meta["tool_calls"].empty()) << r.meta.dump();
  EXPECT_NE(r.meta["finish_reason"], "tool_calls");
  EXPECT_FALSE(r.text.empty()) << r.meta.dump();
  EXPECT_EQ(r.meta["output_tokens"], 48);
}

INSTANTIATE_TEST_SUITE_P(Templates, NativeFormats,
                         ::testing::Values("tiny-qwen25-tools", "tiny-hermes-tools", "tiny-mistral-tools"));

TEST(GenericFormat, AutoReplyIsACallOrTheResponseText) {
  Agent agent("tiny-phi3", {{"n_predict", 160}});
  const Reply r = agent.ask(agent.context(), "Say hello", {{"tools", test_tools()}});
  if (r.meta["tool_calls"].empty()) {
    EXPECT_EQ(r.text.find("\"response\""), std::string::npos) << r.text;  // unwrapped
  } else {
    expect_valid_calls(r);
  }
}

TEST(ToolErrors, ToolsWithGrammarAreRefused) {
  Agent agent("tiny-qwen25-tools");
  const Error e = agent.refuse(agent.context(), "hi", {{"tools", test_tools()}, {"grammar", "root ::= \"a\""}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("grammar"), std::string::npos) << e.what();
}

TEST(ToolErrors, NamedChoiceMustBeATool) {
  Agent agent("tiny-qwen25-tools");
  const json choice = {{"type", "function"}, {"function", {{"name", "nope"}}}};
  const Error e = agent.refuse(agent.context(), "hi", {{"tools", test_tools()}, {"tool_choice", choice}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
}

TEST(ToolErrors, RawModeTakesNoTools) {
  Agent agent("tiny-qwen25-tools");
  const Error e = agent.refuse(agent.context(), "hi", {{"tools", test_tools()}, {"mode", "raw"}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
}

}  // namespace
// Speculative decoding under a tool-call grammar: every drafted token is verified through the
// request's sampler chain, grammar included, so a forced call is still one valid call and the
// same call as without speculation (n-gram lookup and a draft model that is the target itself).
TEST(SpeculativeTools, RequiredCallsStayValidAndUnchanged) {
  const std::string model = "tiny-qwen25-tools";
  const json ask = {{"tools", test_tools()}, {"tool_choice", "required"}, {"temperature", 0}, {"n_predict", 256}};
  Agent plain(model);
  const Reply want = plain.ask(plain.context(), "What is the weather in Paris?", ask);
  ASSERT_EQ(want.meta["tool_calls"].size(), 1u) << want.meta.dump();
  for (const json& spec : {json{{"speculative", "ngram"}, {"ngram_size_n", 2}, {"ngram_size_m", 8}},
                           json{{"draft_model", model_path(model)}, {"draft_p_min", 0.0}}}) {
    Agent agent(model, spec);
    const Reply r = agent.ask(agent.context(), "What is the weather in Paris?", ask);
    ASSERT_EQ(r.meta["tool_calls"].size(), 1u) << spec.dump() << " " << r.meta.dump();
    expect_valid_calls(r);
    EXPECT_EQ(r.meta["tool_calls"][0]["function"], want.meta["tool_calls"][0]["function"]) << spec.dump();
    EXPECT_EQ(r.text, want.text) << spec.dump();
    EXPECT_TRUE(r.meta.contains("drafted_tokens")) << r.meta.dump();
  }
}

}  // namespace wasi_nn::agents
