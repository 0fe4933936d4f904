// Message-level input ("input_format": "messages"): input 0 is a JSON array of OpenAI chat
// messages, appended to the conversation as they are (system, user, assistant with
// tool_calls, tool with tool_call_id), so a guest can hand back tool results and continue.
// The text is the guest's: its nesting is bounded before it is parsed, every field is checked
// for its type, and a tool call's arguments must be JSON.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <vector>

#include "chat.h"
#include "core/config/agent_settings.h"
#include "core/input/input_limits.h"

namespace wasi_nn {

// Throws InvalidArgument naming the message and field that is wrong. The last message may not
// be the assistant's (a reply follows the messages).
std::vector<common_chat_msg> parse_input_messages(const std::string& text, const InputLimits& limits);

// What a chat turn adds to the conversation before the reply: input 0 as one user message
// (InputFormat::Text), or the messages it holds.
std::vector<common_chat_msg> turn_messages(const std::string& input, InputFormat format, const InputLimits& limits);

}  // namespace wasi_nn
