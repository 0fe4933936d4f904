#include "core/session/messages_input.h"

#include <nlohmann/json.hpp>

#include "core/base/error.h"
#include "core/input/input_error.h"
#include "core/input/json_schema_check.h"

namespace wasi_nn {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxMessages = 4096;
constexpr size_t kMaxIdBytes = 256;

[[noreturn]] void bad(size_t i, const std::string& what) {
  fail(ErrorKind::InvalidArgument, "input 0 (messages): message " + std::to_string(i) + " " + what);
}

std::string string_field(const Json& m, const char* key, size_t i, size_t max = std::string::npos) {
  if (!m.contains(key)) return "";
  if (!m[key].is_string()) bad(i, std::string("has \"") + key + "\" that is not a string");
  const std::string s = m[key].get<std::string>();
  if (s.size() > max) bad(i, std::string("has \"") + key + "\" longer than " + std::to_string(max) + " bytes");
  return s;
}

// "content": a string, null, or a list of {"type": "text", "text"} parts (joined as text).
std::string content_of(const Json& m, size_t i) {
  if (!m.contains("content") || m["content"].is_null()) return "";
  const Json& c = m["content"];
  if (c.is_string()) return c.get<std::string>();
  if (!c.is_array()) bad(i, "has \"content\" that is neither a string, null nor a list of text parts");
  std::string text;
  for (const auto& part : c) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
      bad(i, "has a content part that is not {\"type\": \"text\", \"text\": ...} (only text is supported)");
    }
    text += (text.empty() ? "" : "\n") + part["text"].get<std::string>();
  }
  return text;
}

common_chat_tool_call tool_call_of(const Json& c, size_t i, size_t max_depth) {
  if (!c.is_object() || c.value("type", "function") != "function" || !c.contains("function") ||
      !c["function"].is_object()) {
    bad(i, "has a tool call that is not {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
  }
  const Json& f = c["function"];
  common_chat_tool_call call;
  call.name = string_field(f, "name", i, 64);
  if (call.name.empty()) bad(i, "has a tool call without a function name");
  call.id = string_field(c, "id", i, kMaxIdBytes);
  if (!f.contains("arguments")) {
    call.arguments = "{}";
  } else if (f["arguments"].is_string()) {
    call.arguments = f["arguments"].get<std::string>();
    // Templates parse arguments as JSON (llama.cpp's chat code does too, and its template
    // engine recurses along the nesting): text too deep or not JSON fails here.
    if (json_text_depth(call.arguments) > max_depth) {
      bad(i, "has tool call arguments nesting deeper than " + std::to_string(max_depth) +
                 " levels (max_schema_depth + 4); flatten them");
    }
    if (Json::parse(call.arguments, nullptr, false).is_discarded())
      bad(i, "has tool call arguments that are not JSON text");
  } else {
    call.arguments = f["arguments"].dump();
  }
  return call;
}

common_chat_msg message_of(const Json& m, size_t i, size_t max_depth) {
  if (!m.is_object()) bad(i, "is not an object");
  common_chat_msg msg;
  msg.role = string_field(m, "role", i, 16);
  if (msg.role == "developer") msg.role = "system";
  if (msg.role != "system" && msg.role != "user" && msg.role != "assistant" && msg.role != "tool") {
    bad(i, "has role " + shown_text(msg.role) + "; a role is system, user, assistant or tool");
  }
  msg.content = content_of(m, i);
  if (m.contains("tool_calls") && !m["tool_calls"].is_null()) {
    if (msg.role != "assistant" || !m["tool_calls"].is_array())
      bad(i, "has \"tool_calls\" but is not an assistant message with a list of calls");
    for (const auto& c : m["tool_calls"]) msg.tool_calls.push_back(tool_call_of(c, i, max_depth));
  }
  if (msg.role == "assistant") msg.reasoning_content = string_field(m, "reasoning_content", i);
  if (msg.role == "tool") {
    msg.tool_call_id = string_field(m, "tool_call_id", i, kMaxIdBytes);
    msg.tool_name = string_field(m, "name", i, 64);
  }
  const bool said = m.contains("content") && !m["content"].is_null();
  if (!said && msg.tool_calls.empty()) bad(i, "has no \"content\" (and no \"tool_calls\")");
  return msg;
}

}  // namespace

std::vector<common_chat_msg> parse_input_messages(const std::string& text, const InputLimits& limits) {
  // Messages hold a few levels of their own; a call's arguments may nest like a schema.
  const size_t max_depth = limits.max_schema_depth + 4;
  const size_t depth = json_text_depth(text);
  if (depth > max_depth) {
    refuse_over_limit("input 0 (messages)", "nests " + std::to_string(depth) + " levels deep", max_depth,
                      "max_schema_depth + 4", "Flatten the tool call arguments");
  }
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    fail(ErrorKind::InvalidArgument,
         "input 0 (messages) is not a JSON array of chat messages, as \"input_format\": "
         "\"messages\" requires; send [{\"role\": \"user\", \"content\": \"...\"}, ...]");
  }
  if (j.empty() || j.size() > kMaxMessages) {
    fail(ErrorKind::InvalidArgument, "input 0 (messages) holds " + std::to_string(j.size()) + " messages; send 1 to " +
                                         std::to_string(kMaxMessages));
  }
  std::vector<common_chat_msg> out;
  for (size_t i = 0; i < j.size(); ++i) out.push_back(message_of(j[i], i, max_depth));
  if (out.back().role == "assistant") {
    fail(ErrorKind::InvalidArgument,
         "input 0 (messages) ends with an assistant message; end with a user or tool "
         "message so the model replies to it");
  }
  return out;
}

std::vector<common_chat_msg> turn_messages(const std::string& input, InputFormat format, const InputLimits& limits) {
  if (format == InputFormat::Messages) return parse_input_messages(input, limits);
  common_chat_msg user;
  user.role = "user";
  user.content = input;
  return {user};
}

}  // namespace wasi_nn
