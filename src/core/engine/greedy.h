// Greedy decoding without the sampler chain. At temperature 0 llama.cpp's chain (top-k, top-p,
// ..., temperature, dist) still copies and partially sorts every logit of the vocabulary for
// each token (a 128k-entry array for Llama 3) only to keep the largest; when nothing in the
// request can change which logit is largest, an argmax over the logits (with the request's
// logit biases, which include ignore_eos and the model's suppressed tokens) picks the same token
// at a fraction of the cost. This is what keeps a greedy stream at llama-bench's decode speed.
#pragma once

#include <vector>

#include "llama.h"
#include "sampling.h"

namespace wasi_nn {

struct GreedyPlan {
  bool enabled = false;
  std::vector<llama_logit_bias> bias;  // sorted by token, one entry per token (biases summed)
};

// Whether `sp` samples the largest (biased) logit whatever the logits are: temperature <= 0
// in the chain, no dynamic temperature, no penalties, DRY, XTC, grammar, mirostat, adaptive-p or
// infill. Call after the request's logit biases are resolved.
GreedyPlan plan_greedy(const common_params_sampling& sp, const llama_vocab* vocab);

// The token with the largest logit + bias (the first one on ties).
llama_token greedy_pick(const float* logits, int32_t n_vocab, const std::vector<llama_logit_bias>& bias);

}  // namespace wasi_nn
