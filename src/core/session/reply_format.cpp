#include "core/session/reply_format.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/utf8.h"
#include "core/input/json_schema_check.h"
#include "core/session/tool_fallback.h"

namespace wasi_nn {
namespace {

// The deepest run of [ and { in `text`, strings or not: llama.cpp's parser recurses once per
// level it may try, so this bounds its depth whatever the text means.
size_t bracket_depth(const std::string& text) {
  size_t depth = 0, deepest = 0;
  for (char c : text) {
    if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    if ((c == ']' || c == '}') && depth > 0) --depth;
  }
  return deepest;
}

bool mentions(const std::string& text, const std::vector<std::string>& tags) {
  return std::any_of(tags.begin(), tags.end(),
                     [&](const std::string& t) { return !t.empty() && text.find(t) != std::string::npos; });
}

// llama.cpp's parser reads UTF-8 and fails on a byte that is not (a model can write one: a
// token may end half-way through a character): those become U+FFFD first.
std::string valid_utf8(const std::string& text) {
  std::string out;
  std::string_view rest = text;
  for (size_t bad; (bad = find_invalid_utf8(rest)) != std::string::npos;) {
    out.append(rest.substr(0, bad));
    out += "\xEF\xBF\xBD";
    rest.remove_prefix(bad + 1);
  }
  out.append(rest);
  return out;
}

bool complete_call(const common_chat_tool_call& c) {
  return !common_json::parse_no_throw(c.arguments.empty() ? "{}" : c.arguments).is_discarded();
}

}  // namespace

std::string new_tool_call_id() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id;
  std::lock_guard<std::mutex> lock(mu);
  for (int i = 0; i < 9; ++i) id += kChars[rng() % (sizeof(kChars) - 1)];
  return id;
}

std::shared_ptr<const common_chat_parser_params> load_chat_parser(const common_chat_params& params,
                                                                  ReasoningFormat reasoning, bool tools,
                                                                  const InputLimits& limits) {
  auto p = std::make_shared<common_chat_parser_params>(params);
  p->reasoning_format = static_cast<common_reasoning_format>(reasoning);
  p->parse_tool_calls = tools;
  if (params.parser.empty()) return p;
  // The serialized parser holds the tools' schemas; a guest's template produced it in a child.
  if (json_text_depth(params.parser) > limits.max_schema_depth + 16) {
    fail(ErrorKind::InvalidArgument,
         "the chat template's reply parser nests deeper than the schema bounds allow "
         "(max_schema_depth); use simpler tool schemas");
  }
  try {
    p->parser.load(params.parser);
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument, std::string("the chat template's reply parser could not be loaded: ") + e.what());
  }
  return p;
}

ReplyParser::ReplyParser(std::shared_ptr<const ReplyFormat> format, const InputLimits& limits)
    : format_(std::move(format)), max_depth_(2 * limits.max_schema_depth) {}

common_chat_msg ReplyParser::parse_chat(const std::string& text, bool partial, std::string* error) const {
  common_chat_msg msg;
  try {
    msg = common_chat_parse(text, partial, *format_->parser);
  } catch (const std::exception&) {
    if (partial) throw;
    // Cut short (n_predict, a stop string) in the middle of a call: what is complete counts.
    msg = common_chat_parse(text, /*is_partial=*/true, *format_->parser);
    if (msg.tool_calls.empty()) throw;
  }
  if (partial) return msg;
  const size_t before = msg.tool_calls.size();
  msg.tool_calls.erase(std::remove_if(msg.tool_calls.begin(), msg.tool_calls.end(),
                                      [](const common_chat_tool_call& c) { return !complete_call(c); }),
                       msg.tool_calls.end());
  if (msg.tool_calls.size() < before) *error = "a tool call cut short (n_predict or a stop string) was left out";
  return msg;
}

// Text not read as the format: never shown as content when it mentions a thinking tag.
ParsedReply ReplyParser::unparsed(const std::string& text, const std::string& why) const {
  ParsedReply r;
  r.msg.role = "assistant";
  std::vector<std::string> tags = format_->params.thinking_end_tags;
  tags.push_back(format_->params.thinking_start_tag);
  (mentions(text, tags) || format_->params.supports_thinking ? r.msg.reasoning_content : r.msg.content) = text;
  r.error = why;
  return r;
}

ParsedReply ReplyParser::parse(const std::string& text, bool partial) const {
  ParsedReply r;
  r.msg.role = "assistant";
  if (!active()) {
    r.msg.content = text;
    return r;
  }
  const size_t depth = bracket_depth(text);
  if (depth > max_depth_) {
    return unparsed(text, "the reply nests brackets " + std::to_string(depth) + " deep, more than " +
                              std::to_string(max_depth_) + " (twice max_schema_depth); it was not read for tool calls");
  }
  if (format_->kind == ReplyFormat::Kind::Generic) {
    if (partial) return r;  // one JSON object: read once it is complete
    r.msg = parse_fallback_reply(text);
  } else {
    try {
      r.msg = parse_chat(valid_utf8(text), partial, &r.error);
    } catch (const std::exception& e) {
      if (partial) return r;  // not readable yet: show nothing more
      LOG_DEBUG("reply parse failed: %s", e.what());
      return unparsed(text, std::string("the reply does not follow the template's format (") + e.what() + ")");
    }
  }
  // One call per reply unless parallel calls were asked for (the grammar keeps to it already).
  if (!format_->parallel && r.msg.tool_calls.size() > 1) r.msg.tool_calls.resize(1);
  for (auto& call : r.msg.tool_calls) {
    if (call.id.empty() && !partial) call.id = new_tool_call_id();
  }
  return r;
}

size_t ReplyParser::held_back(const std::string& text) const {
  if (!active()) return 0;
  if (format_->kind == ReplyFormat::Kind::Generic) return text.size();
  size_t held = 0;
  for (const auto& m : format_->markers) {
    if (m.empty()) continue;
    // The longest proper prefix of the marker that ends the text.
    for (size_t n = std::min(m.size() - 1, text.size()); n > held; --n) {
      if (text.compare(text.size() - n, n, m, 0, n) == 0) {
        held = n;
        break;
      }
    }
  }
  return held;
}

}  // namespace wasi_nn
