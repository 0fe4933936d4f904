// Turns a request's input text into tokens. Chat mode renders the conversation (system
// prompt, history, the new user message) through the model's chat template with llama.cpp's
// common chat code; raw mode tokenizes the text as given. Runs on the caller's thread.
#pragma once

#include <string>
#include <vector>

#include "chat.h"
#include "core/config/settings.h"
#include "core/session/reply_format.h"
#include "llama.h"

namespace wasi_nn {

struct Graph;

// A chat turn as the KV cache holds it: the rendered prompt text, its tokens and the tokens
// the model generated after it. The next turn's rendering starts with this text (plus the
// reply) in the usual case; its tokens are then reused as they are, so the reply is not
// re-tokenized from text (which can split it differently and invalidate the cache from there)
// and only what the new turn adds is tokenized.
struct RenderedTurn {
  std::string text;
  std::vector<llama_token> prompt;
  std::vector<llama_token> reply;
};

struct BuiltPrompt {
  std::vector<llama_token> tokens;
  std::string text;   // the rendered prompt (chat mode)
  size_t reused = 0;  // leading tokens taken from the previous turn, not re-tokenized
  // Stop words of the template: those llama.cpp declares for it, and its end-of-turn marker.
  std::vector<std::string> template_stops;
  std::shared_ptr<const ReplyFormat> reply;  // chat mode: how the reply is read (agent_prompt.h)
};

bool is_raw_mode(const RequestSettings& settings);

// Chat mode: the system prompt, `history` and the turn's `added` messages (the user's text, or a
// messages input) rendered with the request's tools and reasoning settings (agent_prompt.h).
// `previous` (may be null) is the conversation's last turn; see RenderedTurn.
BuiltPrompt build_prompt(const Graph& graph, const RequestSettings& settings,
                         const std::vector<common_chat_msg>& history, const std::vector<common_chat_msg>& added,
                         const RenderedTurn* previous = nullptr);

// Raw mode: the text tokenized as given (with the model's BOS).
BuiltPrompt build_raw_prompt(const Graph& graph, const std::string& text);

}  // namespace wasi_nn
