// Token probabilities for n_probs: the model's own distribution (softmax of the raw logits,
// before any sampler transforms it) for each generated token, with the top candidates.
#pragma once

#include <string>
#include <vector>

#include "llama.h"

namespace wasi_nn {

struct TokenCandidate {
  llama_token token;
  std::string text;
  float prob;
};

struct TokenProbs {
  llama_token token;  // the token generated at this step
  std::string text;
  float prob;                       // its probability
  std::vector<TokenCandidate> top;  // the n_probs most likely tokens, most likely first
};

// Reads the logits of batch row `idx` of `ctx`. O(n_vocab); call only when n_probs > 0.
TokenProbs token_probs(llama_context* ctx, const llama_vocab* vocab, int32_t idx, llama_token chosen, int n_probs);

}  // namespace wasi_nn
