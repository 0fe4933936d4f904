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

struct BuiltPrompt {
  std::vector<llama_token> tokens;
  // Stop words of the template: those llama.cpp declares for it, and its end-of-turn marker.
  std::vector<std::string> template_stops;
};

bool is_raw_mode(const RequestSettings& settings);

BuiltPrompt build_prompt(const Graph& graph, const RequestSettings& settings,
                         const std::vector<common_chat_msg>& history, const std::string& input);

}  // namespace wasi_nn
