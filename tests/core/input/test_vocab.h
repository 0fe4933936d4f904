// The tiny test model's vocabulary, loaded once (vocab only), for tests that call llama.cpp.
#pragma once

#include <string>

#include "llama.h"

namespace wasi_nn::test {

const llama_vocab* tiny_vocab();
const llama_model* tiny_model();  // vocab-only: enough for chat templates
// A token whose piece is exactly `text`; -1 when the vocabulary has none.
llama_token token_for(const std::string& text);

// Builds `tmpl` with llama.cpp and renders one user message, unchecked (in a child, please).
void render_unchecked(const std::string& tmpl);

}  // namespace wasi_nn::test
