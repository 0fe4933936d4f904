#include "core/engine/token_probs.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common.h"

namespace wasi_nn {

TokenProbs token_probs(llama_context* ctx, const llama_vocab* vocab, int32_t idx, llama_token chosen, int n_probs) {
  const float* logits = llama_get_logits_ith(ctx, idx);
  const int32_t n_vocab = llama_vocab_n_tokens(vocab);
  const float max_logit = *std::max_element(logits, logits + n_vocab);
  double sum = 0;
  for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(logits[i] - max_logit);
  auto prob = [&](llama_token t) { return static_cast<float>(std::exp(logits[t] - max_logit) / sum); };

  std::vector<llama_token> ids(n_vocab);
  std::iota(ids.begin(), ids.end(), 0);
  const int n = std::min(n_probs, n_vocab);
  std::partial_sort(ids.begin(), ids.begin() + n, ids.end(),
                    [&](llama_token a, llama_token b) { return logits[a] > logits[b]; });
  TokenProbs out{chosen, common_token_to_piece(vocab, chosen, false), prob(chosen), {}};
  for (int i = 0; i < n; ++i) {
    out.top.push_back({ids[i], common_token_to_piece(vocab, ids[i], false), prob(ids[i])});
  }
  return out;
}

}  // namespace wasi_nn
