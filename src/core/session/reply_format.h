// ReplyFormat: how a chat turn's generated text is read back, decided when its prompt is
// rendered. Plain text needs nothing (the reply is the text). A turn with tools, or whose
// template thinks (<think>...</think>) while reasoning_format extracts it, is parsed with
// llama.cpp's parser for the template's format (common_chat_parse). A template that cannot
// present tools gets the generic JSON format (tool_fallback.h).
// ReplyParser turns the text into the reply message: visible content, reasoning, tool calls.
// Thread-safety: ReplyFormat is immutable once built and shared; ReplyParser is const.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chat.h"
#include "core/config/agent_settings.h"
#include "core/input/input_limits.h"

namespace wasi_nn {

struct ReplyFormat {
  enum class Kind {
    Text,     // the reply is the text as generated
    Chat,     // llama.cpp's parser for the template (parser below)
    Generic,  // the generic JSON format of tool_fallback.h
  };
  Kind kind = Kind::Text;
  // What the template render returned (prompt left out): grammar, triggers, preserved tokens,
  // generation prompt, thinking tags, the serialized parser.
  common_chat_params params;
  std::shared_ptr<const common_chat_parser_params> parser;  // Chat: loaded once
  bool tools = false;                                       // the model was offered tools: calls are parsed
  bool parallel = false;                                    // parallel_tool_calls: a reply may hold several calls
  // Texts whose partial appearance at the end of a stream may still turn into markup (thinking
  // tags, tool-call markers): a stream holds them back until it can tell.
  std::vector<std::string> markers;
};

// The reply message of a turn, with what went wrong reading it (empty when nothing did).
struct ParsedReply {
  common_chat_msg msg;  // role assistant; content, reasoning_content, tool_calls (with ids)
  std::string error;
};

class ReplyParser {
 public:
  ReplyParser(std::shared_ptr<const ReplyFormat> format, const InputLimits& limits);

  bool active() const { return format_ && format_->kind != ReplyFormat::Kind::Text; }
  const ReplyFormat& format() const { return *format_; }

  // The reply in `text`. `partial`: more text may follow (a stream). Text nesting brackets deeper
  // than the schema bounds allow is not parsed (llama.cpp's parser recurses per level): it
  // becomes content, or reasoning when it holds a thinking tag, and `error` says why. Tool call
  // ids are generated for calls the model gave none.
  ParsedReply parse(const std::string& text, bool partial) const;

  // Bytes at the end of `text` that may be the start of a marker.
  size_t held_back(const std::string& text) const;

 private:
  common_chat_msg parse_chat(const std::string& text, bool partial, std::string* error) const;
  ParsedReply unparsed(const std::string& text, const std::string& why) const;

  std::shared_ptr<const ReplyFormat> format_;
  size_t max_depth_;
};

// Builds the parser state of a Chat format from the template's params: loads the serialized
// parser (bounded first). Throws InvalidArgument when it cannot.
std::shared_ptr<const common_chat_parser_params> load_chat_parser(const common_chat_params& params,
                                                                  ReasoningFormat reasoning, bool tools,
                                                                  const InputLimits& limits);

// 9 random letters and digits: the one form Mistral's templates accept for the id a tool result
// echoes (they refuse others), and any template takes it. 62^9 ids: no clash within a conversation.
std::string new_tool_call_id();

}  // namespace wasi_nn
