#include "core/engine/greedy.h"

#include <algorithm>
#include <cmath>

namespace wasi_nn {
namespace {

bool in_chain(const common_params_sampling& sp, common_sampler_type type) {
  return std::find(sp.samplers.begin(), sp.samplers.end(), type) != sp.samplers.end();
}

}  // namespace

GreedyPlan plan_greedy(const common_params_sampling& sp, const llama_vocab* vocab) {
  GreedyPlan plan;
  const bool penalties = in_chain(sp, COMMON_SAMPLER_TYPE_PENALTIES) && sp.penalty_last_n != 0 &&
                         (sp.penalty_repeat != 1.0f || sp.penalty_freq != 0.0f || sp.penalty_present != 0.0f);
  const bool dry = in_chain(sp, COMMON_SAMPLER_TYPE_DRY) && sp.dry_multiplier != 0.0f;
  const bool xtc = in_chain(sp, COMMON_SAMPLER_TYPE_XTC) && sp.xtc_probability > 0.0f && sp.xtc_threshold <= 0.5f;
  if (sp.temp > 0.0f || sp.dynatemp_range > 0.0f || !in_chain(sp, COMMON_SAMPLER_TYPE_TEMPERATURE) ||
      sp.mirostat != 0 || !sp.grammar.grammar.empty() || penalties || dry || xtc ||
      (!sp.reasoning_budget_start.empty() && sp.reasoning_budget_tokens >= 0) ||
      in_chain(sp, COMMON_SAMPLER_TYPE_ADAPTIVE_P) || in_chain(sp, COMMON_SAMPLER_TYPE_INFILL)) {
    return plan;
  }
  plan.bias = sp.logit_bias;
  int32_t n_suppress = 0;
  const llama_token* suppress = llama_vocab_get_suppress_tokens(vocab, &n_suppress);
  for (int32_t i = 0; i < n_suppress; ++i) plan.bias.push_back({suppress[i], -INFINITY});
  std::sort(plan.bias.begin(), plan.bias.end(),
            [](const llama_logit_bias& a, const llama_logit_bias& b) { return a.token < b.token; });
  std::vector<llama_logit_bias> merged;
  for (const auto& b : plan.bias) {
    if (!merged.empty() && merged.back().token == b.token) {
      merged.back().bias += b.bias;
    } else {
      merged.push_back(b);
    }
  }
  plan.bias = std::move(merged);
  plan.enabled = true;
  return plan;
}

llama_token greedy_pick(const float* logits, int32_t n_vocab, const std::vector<llama_logit_bias>& bias) {
  llama_token best = -1;
  float best_v = -INFINITY;
  int32_t from = 0;
  // Plain argmax over the runs between biased tokens; biased ones adjusted one by one.
  auto scan = [&](int32_t to) {
    for (int32_t i = from; i < to; ++i) {
      if (logits[i] > best_v || best < 0) {
        best_v = logits[i];
        best = i;
      }
    }
  };
  for (const auto& b : bias) {
    if (b.token < from || b.token >= n_vocab) continue;
    scan(b.token);
    const float v = logits[b.token] + b.bias;
    if (v > best_v || (best < 0 && v > -INFINITY)) {
      best_v = v;
      best = b.token;
    }
    from = b.token + 1;
  }
  scan(n_vocab);
  return best;
}

}  // namespace wasi_nn
