// Turns a request's input text into tokens. Chat mode renders the conversation (system
// prompt, history, the new user message) through the model's chat template with llama.cpp's
// common chat code; raw mode tokenizes the text as given. Runs on the caller's thread.
#pragma once

#include <string>
#include <vector>

#include "chat.h"
#include "core/config/settings.h"
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
  std::string text;     // the rendered prompt (chat mode)
  size_t reused = 0;    // leading tokens taken from the previous turn, not re-tokenized
  // Stop words of the template: those llama.cpp declares for it, and its end-of-turn marker.
  std::vector<std::string> template_stops;
};

bool is_raw_mode(const RequestSettings& settings);

// `previous` (may be null) is the conversation's last turn; see RenderedTurn.
BuiltPrompt build_prompt(const Graph& graph, const RequestSettings& settings,
                         const std::vector<common_chat_msg>& history, const std::string& input,
                         const RenderedTurn* previous = nullptr);

}  // namespace wasi_nn
