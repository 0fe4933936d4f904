// The agent keys of the parameter table: tools are bounded and checked before anything parses
// them further, tool_choice takes OpenAI's forms, request-only keys stay per request, and the
// operator's limits apply (caps, denied keys).
#include <gtest/gtest.h>

#include "agent_test_util.h"
#include "core/config/config_parser.h"

namespace wasi_nn::agents {
namespace {

Settings parsed(const json& request, const Limits* limits = nullptr) {
  Settings s;
  apply_defaults(s);
  parse_config(request.dump(), kScopeRequest, s, ParseOptions{limits, false});
  return s;
}

std::string refusal(const json& request, unsigned scope = kScopeRequest) {
  Settings s;
  apply_defaults(s);
  try {
    parse_config(request.dump(), scope, s);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

json tool(const std::string& name, const json& parameters) {
  return {{"type", "function"}, {"function", {{"name", name}, {"description", "d"}, {"parameters", parameters}}}};
}

TEST(AgentConfig, ToolsAreParsedIntoSpecs) {
  const Settings s = parsed({{"tools", test_tools()}, {"tool_choice", "required"}, {"parallel_tool_calls", true}});
  ASSERT_EQ(s.request.agent.tools.size(), 2u);
  EXPECT_EQ(s.request.agent.tools[1].name, "add");
  EXPECT_EQ(json::parse(s.request.agent.tools[1].parameters), test_tools()[1]["function"]["parameters"]);
  EXPECT_EQ(s.request.agent.tool_choice, ToolChoice::Required);
  EXPECT_TRUE(s.request.agent.parallel_tool_calls);
  EXPECT_TRUE(s.request.agent.tools_active());
}

TEST(AgentConfig, BadToolsAreRefusedNamingTheTool) {
  EXPECT_NE(refusal({{"tools", {{{"type", "function"}}}}}).find("tools[0]"), std::string::npos);
  EXPECT_NE(refusal({{"tools", {tool("bad name!", json::object())}}}).find("function name"), std::string::npos);
  EXPECT_NE(refusal({{"tools", {tool("f", json::object()), tool("f", json::object())}}}).find("twice"),
            std::string::npos);
  EXPECT_NE(refusal({{"tools", {tool("f", "not a schema")}}}).find("parameters"), std::string::npos);
  EXPECT_NE(refusal({{"tools", "no"}}).find("list of objects"), std::string::npos);
}

TEST(AgentConfig, ToolSchemasAreBoundedLikeJsonSchema) {
  json props = json::object();
  for (int i = 0; i < 200; ++i) props["p" + std::to_string(i)] = {{"type", "integer"}};
  const std::string wide = refusal({{"tools", {tool("f", {{"type", "object"}, {"properties", props}})}}});
  EXPECT_NE(wide.find("max_schema_properties"), std::string::npos) << wide;
  json tools = json::array();
  for (int i = 0; i < 130; ++i) tools.push_back(tool("f" + std::to_string(i), json::object()));
  const std::string many = refusal({{"tools", tools}});
  EXPECT_NE(many.find("130 tools"), std::string::npos) << many;
}

TEST(AgentConfig, ToolChoiceTakesOpenAiForms) {
  EXPECT_EQ(parsed({{"tool_choice", "none"}}).request.agent.tool_choice, ToolChoice::None);
  const Settings named = parsed({{"tool_choice", {{"type", "function"}, {"function", {{"name", "add"}}}}}});
  EXPECT_EQ(named.request.agent.tool_choice, ToolChoice::Named);
  EXPECT_EQ(named.request.agent.tool_name, "add");
  EXPECT_NE(refusal({{"tool_choice", "named"}}), "");
  EXPECT_NE(refusal({{"tool_choice", "always"}}), "");
  EXPECT_NE(refusal({{"tool_choice", {{"function", "add"}}}}), "");
}

TEST(AgentConfig, RequestOnlyKeysAndTypes) {
  EXPECT_NE(refusal({{"task", "tokenize"}}, kScopeLoad).find("per request"), std::string::npos);
  EXPECT_NE(refusal({{"fork_from", "s"}}, kScopeLoad).find("per request"), std::string::npos);
  EXPECT_NE(refusal({{"fork_from", ""}}), "");
  EXPECT_NE(refusal({{"fork_from", -1}}), "");
  EXPECT_EQ(parsed({{"fork_from", 7}}).request.agent.fork_from.context, 7);
  EXPECT_EQ(parsed({{"fork_from", "main"}}).request.agent.fork_from.session, "main");
  EXPECT_EQ(parsed({{"reasoning_format", "deepseek"}}).request.agent.reasoning_format, ReasoningFormat::Deepseek);
  EXPECT_EQ(parsed({{"agents", {{"input_format", "messages"}}}}).request.agent.input_format, InputFormat::Messages);
}

// A tenant's own schema bounds (its operator limits) apply to tool schemas, as to json_schema.
TEST(AgentConfig, ToolSchemasObeyTheTenantsBounds) {
  json props = json::object();
  for (int i = 0; i < 5; ++i) props["p" + std::to_string(i)] = {{"type", "integer"}};
  const json tools = {tool("f", {{"type", "object"}, {"properties", props}})};
  EXPECT_EQ(parsed({{"tools", tools}}).request.agent.tools.size(), 1u);
  const Limits narrow = parse_limits(R"({"max_schema_properties": 4})", "test");
  try {
    parsed({{"tools", tools}}, &narrow);
    ADD_FAILURE() << "a tool schema over the tenant's max_schema_properties was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("max_schema_properties"), std::string::npos) << e.what();
  }
}

TEST(AgentConfig, OperatorCapsApply) {
  const Limits limits = parse_limits(R"({"reasoning_budget": 100, "prompt_logprobs": 2})", "test");
  EXPECT_EQ(parsed({{"reasoning_budget", -1}}, &limits).request.agent.reasoning_budget, 100);
  EXPECT_THROW(parsed({{"reasoning_budget", 200}}, &limits), Error);
  EXPECT_THROW(parsed({{"prompt_logprobs", 5}}, &limits), Error);
}

}  // namespace
}  // namespace wasi_nn::agents
