// Rows of the parameter table for the agent features (docs/AGENTS.md): tools, tool_choice,
// message-level input, reasoning, tokenize/detokenize tasks, prompt log-probabilities and
// conversation forks. Tools are guest text that llama.cpp turns into a prompt, a grammar and a
// parser, so each tool's parameter schema is bounded here like a json_schema, before anything
// parses it further.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "core/base/error.h"
#include "core/config/param_rows.h"
#include "core/input/input_error.h"
#include "core/input/input_limits.h"
#include "core/input/json_schema_check.h"

namespace wasi_nn::param_rows {
namespace {

constexpr size_t kMaxToolNameBytes = 64;  // OpenAI's limit on a function name

// OpenAI's function names: letters, digits, '_' and '-' (we also allow '.'), at most 64 bytes.
void check_tool_name(const std::string& name, const std::string& where) {
  const bool ok =
      !name.empty() && name.size() <= kMaxToolNameBytes && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
  if (!ok) {
    fail(ErrorKind::InvalidArgument, "has " + where + " " + shown_text(name) +
                                         "; a function name is 1 to 64 "
                                         "letters, digits, '_', '-' or '.'");
  }
}

// The JSON schema of one tool's arguments, bounded as a json_schema is.
std::string tool_parameters(const V& function, const std::string& where) {
  if (!function.contains("parameters")) return "{}";
  const V& p = function["parameters"];
  if (!p.is_object())
    fail(ErrorKind::InvalidArgument, "has " + where + ".parameters that is not an object (a JSON schema)");
  const std::string text = p.dump();
  check_json_schema(text, active_input_limits(), where + ".parameters");
  return text;
}

ToolSpec one_tool(const V& t, size_t i) {
  const std::string where = "tools[" + std::to_string(i) + "]";
  if (!t.contains("type") || t["type"] != "function" || !t.contains("function") || !t["function"].is_object()) {
    fail(ErrorKind::InvalidArgument, "has " + where +
                                         " that is not {\"type\": \"function\", \"function\": "
                                         "{\"name\", \"description\", \"parameters\"}}");
  }
  const V& f = t["function"];
  if (!f.contains("name") || !f["name"].is_string())
    fail(ErrorKind::InvalidArgument, "has " + where + " without a function name");
  ToolSpec spec;
  spec.name = f["name"].get<std::string>();
  check_tool_name(spec.name, where + ".function.name");
  if (f.contains("description")) {
    if (!f["description"].is_string())
      fail(ErrorKind::InvalidArgument, "has " + where + ".description that is not a string");
    spec.description = f["description"].get<std::string>();
  }
  spec.parameters = tool_parameters(f, where + ".function");
  return spec;
}

// llama.cpp converts every tool's schema into one grammar (an alternative per tool), so the
// tools together are bounded as one schema, too.
void apply_tools(const V& v, Settings& s) {
  const InputLimits& limits = active_input_limits();
  if (v.size() > limits.max_schema_properties) {
    refuse_over_limit("", "has " + std::to_string(v.size()) + " tools", limits.max_schema_properties,
                      "max_schema_properties", "Each tool is one alternative of the call grammar; offer fewer");
  }
  std::vector<ToolSpec> tools;
  std::set<std::string> names;
  V all = V::array();
  for (size_t i = 0; i < v.size(); ++i) {
    tools.push_back(one_tool(v[i], i));
    if (!names.insert(tools.back().name).second) {
      fail(ErrorKind::InvalidArgument, "names the function " + shown_text(tools.back().name) + " twice");
    }
    all.push_back(V::parse(tools.back().parameters));
  }
  if (!tools.empty()) check_json_schema(V{{"anyOf", all}}.dump(), limits, "tools (all parameter schemas together)");
  s.request.agent.tools = std::move(tools);
}

// "auto", "none", "required", or {"type": "function", "function": {"name": "..."}}.
void apply_tool_choice(const V& v, Settings& s) {
  AgentSettings& a = s.request.agent;
  if (v.is_string()) {
    const std::string& c = v.get_ref<const std::string&>();
    if (c == "named" || !enum_from_name(c, &a.tool_choice)) {
      fail(ErrorKind::InvalidArgument, "= " + shown_text(c) +
                                           " is not \"auto\", \"none\", \"required\" or "
                                           "{\"type\": \"function\", \"function\": {\"name\": ...}}");
    }
    a.tool_name.clear();
    return;
  }
  const bool named = v.contains("function") && v["function"].is_object() && v["function"].contains("name") &&
                     v["function"]["name"].is_string() && (!v.contains("type") || v["type"] == "function");
  if (!named) {
    fail(ErrorKind::InvalidArgument, "is an object but not {\"type\": \"function\", \"function\": {\"name\": ...}}");
  }
  a.tool_name = v["function"]["name"].get<std::string>();
  check_tool_name(a.tool_name, "function name");
  a.tool_choice = ToolChoice::Named;
}

void apply_fork_from(const V& v, Settings& s) {
  ForkRef& f = s.request.agent.fork_from;
  f = ForkRef{};
  f.set = true;
  if (v.is_string()) {
    f.session = v.get<std::string>();
    if (f.session.size() > 256) fail(ErrorKind::InvalidArgument, "names a session id longer than 256 bytes");
  } else {
    f.context = v.get<int64_t>();
  }
}

}  // namespace

std::vector<ParamSpec> agent_rows() {
  const auto T = ParamType::Bool;
  const auto I = ParamType::Int;
  const auto E = ParamType::Enum;
  const unsigned ALL = kScopeAll, REQ = kScopeRequest;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      {"tools", "agents", {}, ParamType::ObjectList, ALL, 0, 0, {}, "[]",
       "Functions the model may call, in OpenAI's format: [{\"type\": \"function\", \"function\": "
       "{\"name\", \"description\", \"parameters\": JSON schema}}]. The chat template presents them "
       "(llama.cpp's common chat code; a template without tool support gets a generic JSON "
       "format); calls come back parsed in output 1 \"tool_calls\". Each schema is bounded like "
       "json_schema. Not together with grammar or json_schema.",
       apply_tools},
      {"tool_choice", "agents", {}, ParamType::StringOrObject, ALL, 0, 0, {}, "\"auto\"",
       "auto = the model may answer or call; none = it answers (the tools stay in the prompt, so the "
       "conversation's KV cache is reused); required = every reply "
       "is a call to a listed function with arguments valid against its schema (a grammar forces "
       "it); {\"type\": \"function\", \"function\": {\"name\": N}} = every reply calls N (only N "
       "is offered).",
       apply_tool_choice},
      {"parallel_tool_calls", "agents", {}, T, ALL, 0, 0, {}, "false",
       "Let one reply hold several calls; false = at most one.",
       APPLY(s.request.agent.parallel_tool_calls = v.get<bool>())},
      {"input_format", "agents", {}, E, ALL, 0, 0, enum_names<InputFormat>(), "\"text\"",
       "Input 0 of a chat request: text = one user message; messages = a JSON array of OpenAI chat "
       "messages (system, user, assistant with tool_calls, tool with tool_call_id) appended to "
       "the conversation, e.g. tool results.",
       APPLY_ENUM(request.agent.input_format)},
      {"reasoning_format", "agents", {}, E, ALL, 0, 0, enum_names<ReasoningFormat>(), "\"auto\"",
       "llama.cpp's reasoning formats: none = thinking stays in the text; auto, deepseek, "
       "deepseek-legacy = the template's thinking block goes to output 1 \"reasoning_content\", "
       "never to output 0 (streamed pieces are marked, see docs/AGENTS.md).",
       APPLY_ENUM(request.agent.reasoning_format)},
      {"reasoning_budget", "agents", {}, I, ALL, -1, 1048576, {}, "-1",
       "Most tokens the model may think for (llama.cpp's reasoning budget: then the template's "
       "end-of-thinking tag is forced); -1 = unlimited, 0 = no thinking.",
       APPLY(s.request.agent.reasoning_budget = v.get<int32_t>()), "-1"},
      {"task", "agents", {}, E, REQ, 0, 0, enum_names<TaskKind>(), "\"generate\"",
       "generate = a reply; tokenize = output 0 is {\"tokens\": [...]} for the text of input 0; "
       "detokenize = input 0 is a JSON array of token ids, output 0 {\"content\": text}. Neither "
       "touches the conversation.",
       APPLY_ENUM(request.agent.task)},
      {"add_special", "agents", {}, T, ALL, 0, 0, {}, "false",
       "tokenize: add the model's BOS/EOS tokens as a prompt would.",
       APPLY(s.request.agent.add_special = v.get<bool>())},
      {"parse_special", "agents", {}, T, ALL, 0, 0, {}, "true",
       "tokenize: special-token text (\"<|im_end|>\") becomes that token; false = plain text.",
       APPLY(s.request.agent.parse_special = v.get<bool>())},
      {"with_pieces", "agents", {}, T, ALL, 0, 0, {}, "false",
       "tokenize: output 0 lists {\"id\", \"piece\"} per token instead of bare ids.",
       APPLY(s.request.agent.with_pieces = v.get<bool>())},
      {"prompt_logprobs", "agents", {}, I, ALL, 0, 100, {}, "0",
       "Return in output 1 \"prompt_logprobs\" the log-probability of every prompt token after "
       "the first, with this many most likely alternatives (OpenAI's logprobs shape); the whole "
       "prompt is computed again (no KV reuse). 0 = off.",
       APPLY(s.request.agent.prompt_logprobs = v.get<int32_t>())},
      {"fork_from", "agents", {}, ParamType::StringOrInteger, REQ, 0, 0, {}, "",
       "Branch: before this request, the context's conversation becomes a copy of another one of "
       "this backend context (a session id, or an execution context handle) with its KV cache "
       "copied (no recompute); on the same model. Denied by the operator's denied_keys.",
       apply_fork_from},
  };
  // clang-format on
}

}  // namespace wasi_nn::param_rows
