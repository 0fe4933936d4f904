// The generic tool-calling format, for chat templates that cannot present tools (no tool
// support in the template, such as Gemma 3's or Phi-3's, or a llama.cpp built-in template).
// llama.cpp's current chat code has no generic format (its differential parser needs the
// template to render tool calls), so this backend brings the one older llama.cpp used: the
// tools are described in the system message, every reply is one JSON object that a grammar
// forces,
//   {"tool_calls": [{"name": "<function>", "arguments": {...}}]}   (a call)
//   {"response": "<text>"}                                          (an answer; tool_choice auto)
// and the conversation is rewritten into messages the template can render: an assistant's
// calls become that JSON, tool results become a user message {"tool_response": ...}, and
// consecutive messages of one role are merged (templates such as Gemma's insist on alternating
// roles).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "chat.h"
#include "core/config/agent_settings.h"
#include "core/input/input_limits.h"

namespace wasi_nn {

// `messages` rewritten for a template without tool support, the tools described in the system
// message.
std::vector<common_chat_msg> fallback_messages(const std::vector<common_chat_msg>& messages,
                                               const std::vector<ToolSpec>& tools);

// Which of the two shapes a reply may take: tool_choice required or named, auto, none.
enum class FallbackReply { Call, CallOrAnswer, Answer };

// The GBNF grammar every reply follows, from the JSON schema of the shapes `allowed`. The
// composed schema is bounded like a json_schema first. Throws InvalidArgument.
std::string fallback_grammar(const std::vector<ToolSpec>& tools, FallbackReply allowed, bool parallel,
                             const InputLimits& limits);

// Reads a reply: tool calls (arguments as JSON text) or the response as content. Text that is
// not one of the two shapes (cut short by n_predict) is content as it is. The caller bounds its
// nesting first.
common_chat_msg parse_fallback_reply(const std::string& text);

}  // namespace wasi_nn
