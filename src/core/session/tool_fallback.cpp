#include "core/session/tool_fallback.h"

#include <nlohmann/json.hpp>

#include "core/base/error.h"
#include "core/input/gbnf_check.h"
#include "core/input/json_schema_check.h"
#include "json-schema-to-grammar.h"

namespace wasi_nn {
namespace {

using Json = nlohmann::ordered_json;

// A tool's schema as the call's "arguments": an object, whatever the tool declared nothing.
Json arguments_schema(const ToolSpec& t) {
  Json p = Json::parse(t.parameters);
  if (p.empty()) p = {{"type", "object"}};
  return p;
}

// The same text whatever tool_choice and parallel_tool_calls say (the grammar enforces them), so
// turns that differ in them still share the rendered prefix (KV reuse).
std::string instructions(const std::vector<ToolSpec>& tools) {
  std::string text = "You can call these functions (name, description, JSON schema of the arguments):\n";
  for (const auto& t : tools) {
    text += Json{{"name", t.name}, {"description", t.description}, {"parameters", arguments_schema(t)}}.dump() + "\n";
  }
  return text +
         "Reply with one JSON object only. To call functions: {\"tool_calls\": [{\"name\": \"<function "
         "name>\", \"arguments\": {<arguments>}}]}. To answer without a call: {\"response\": \"<your "
         "answer>\"}. Function results come back as {\"tool_response\": {\"tool_call_id\", \"name\", "
         "\"content\"}}.";
}

std::string calls_text(const common_chat_msg& m) {
  Json calls = Json::array();
  for (const auto& c : m.tool_calls) {
    // Arguments were checked to be JSON when the message was accepted; a reply's are JSON text.
    Json args = Json::parse(c.arguments.empty() ? "{}" : c.arguments, nullptr, false);
    calls.push_back({{"name", c.name}, {"arguments", args.is_discarded() ? Json(c.arguments) : args}});
  }
  return Json{{"tool_calls", calls}}.dump();
}

common_chat_msg text_message(const std::string& role, std::string content) {
  common_chat_msg m;
  m.role = role;
  m.content = std::move(content);
  return m;
}

// One message as the template sees it in this format.
common_chat_msg rewritten(const common_chat_msg& m) {
  if (m.role == "assistant") {
    return text_message("assistant",
                        m.tool_calls.empty() ? Json{{"response", m.render_content()}}.dump() : calls_text(m));
  }
  if (m.role == "tool") {
    Json r = {{"tool_call_id", m.tool_call_id}, {"name", m.tool_name}, {"content", m.render_content()}};
    return text_message("user", Json{{"tool_response", r}}.dump());
  }
  return text_message(m.role, m.render_content());
}

}  // namespace

std::vector<common_chat_msg> fallback_messages(const std::vector<common_chat_msg>& messages,
                                               const std::vector<ToolSpec>& tools) {
  std::vector<common_chat_msg> out;
  const std::string system = instructions(tools);
  if (messages.empty() || messages.front().role != "system") out.push_back(text_message("system", system));
  for (const auto& m : messages) {
    common_chat_msg r = rewritten(m);
    if (!out.empty() && out.back().role == r.role) {
      out.back().content += "\n\n" + r.content;  // roles alternate, as strict templates require
    } else {
      out.push_back(std::move(r));
    }
  }
  if (out.front().role == "system" && !messages.empty() && messages.front().role == "system") {
    out.front().content += "\n\n" + system;
  }
  return out;
}

std::string fallback_grammar(const std::vector<ToolSpec>& tools, FallbackReply allowed, bool parallel,
                             const InputLimits& limits) {
  Json calls = Json::array();
  for (const auto& t : tools) {
    calls.push_back({{"type", "object"},
                     {"properties", {{"name", {{"const", t.name}}}, {"arguments", arguments_schema(t)}}},
                     {"required", {"name", "arguments"}},
                     {"additionalProperties", false}});
  }
  Json list = {{"type", "array"}, {"items", {{"anyOf", calls}}}, {"minItems", 1}};
  if (!parallel) list["maxItems"] = 1;
  Json schema = {{"type", "object"},
                 {"properties", {{"tool_calls", list}}},
                 {"required", {"tool_calls"}},
                 {"additionalProperties", false}};
  const Json answer = {{"type", "object"},
                       {"properties", {{"response", {{"type", "string"}}}}},
                       {"required", {"response"}},
                       {"additionalProperties", false}};
  if (allowed == FallbackReply::CallOrAnswer) schema = {{"anyOf", {schema, answer}}};
  if (allowed == FallbackReply::Answer) schema = answer;
  const std::string text = schema.dump();
  check_json_schema(text, limits, "tools (the generic tool-call format)");
  std::string grammar;
  try {
    grammar = json_schema_to_grammar(common_json::parse(text));
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument,
         std::string("tools: a parameter schema cannot be converted to a grammar: ") + e.what());
  }
  check_gbnf(grammar, limits, "tools (the generic tool-call format) convert to a grammar that");
  return grammar;
}

common_chat_msg parse_fallback_reply(const std::string& text) {
  common_chat_msg msg;
  msg.role = "assistant";
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("tool_calls") && j["tool_calls"].is_array()) {
    for (const auto& c : j["tool_calls"]) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) continue;
      common_chat_tool_call call;
      call.name = c["name"].get<std::string>();
      call.arguments = c.contains("arguments") ? c["arguments"].dump() : "{}";
      msg.tool_calls.push_back(std::move(call));
    }
    return msg;
  }
  if (j.is_object() && j.contains("response") && j["response"].is_string()) {
    msg.content = j["response"].get<std::string>();
    return msg;
  }
  msg.content = text;
  return msg;
}

}  // namespace wasi_nn
