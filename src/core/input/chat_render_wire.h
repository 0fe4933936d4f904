// The result of rendering a chat template (llama.cpp's common_chat_params: prompt, tool-call
// grammar and triggers, parser, thinking tags) with the template's capabilities, as bytes: a
// guest's template renders in a child process (template_sandbox.h) and sends this back.
// decode_chat_render reads only that shape and bounds it first; the child's output is no more
// trusted than the guest's template that produced it.
// Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>

#include "chat.h"

namespace wasi_nn {

struct ChatRender {
  common_chat_params params;
  std::map<std::string, bool> caps;  // common_chat_templates_get_caps: supports_tool_calls, ...
};

std::string encode_chat_render(const common_chat_params& params, const std::map<std::string, bool>& caps);

// Throws InvalidArgument naming chat_template when the bytes are not what encode produced.
ChatRender decode_chat_render(const std::string& bytes);

}  // namespace wasi_nn
