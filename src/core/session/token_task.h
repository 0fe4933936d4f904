// Token-level requests ("task": "tokenize" / "detokenize", docs/AGENTS.md): the model's
// vocabulary applied to input 0, answered on the caller's thread without the engine or the
// conversation (llama-server's /tokenize and /detokenize).
//   tokenize:   input 0 text -> output 0 {"tokens": [id, ...]} (with_pieces: [{"id", "piece"}])
//   detokenize: input 0 [id, ...] or {"tokens": [...]} -> output 0 {"content": text}
// Thread-safety: pure functions over an immutable vocabulary.
#pragma once

#include <string>

#include "core/config/settings.h"
#include "llama.h"

namespace wasi_nn {

struct TokenTaskResult {
  std::string data;      // output 0
  std::string metadata;  // output 1: {"task", "n_tokens"}
};

// Throws InvalidArgument for a detokenize input that is not a list of this vocabulary's ids.
TokenTaskResult run_token_task(const llama_vocab* vocab, const AgentSettings& agent, const std::string& input);

}  // namespace wasi_nn
