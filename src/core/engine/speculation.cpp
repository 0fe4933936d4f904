#include "core/engine/speculation.h"

#include <algorithm>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/engine/common_prefix.h"
#include "speculative.h"

namespace wasi_nn {

Speculation::Speculation(const ContextSettings& s, llama_context* target, const llama_context_params& cp,
                         std::shared_ptr<ModelWeights> draft)
    : draft_weights_(std::move(draft)) {
  const uint32_t n_seq = cp.n_seq_max;
  if (draft_weights_) {
    llama_context_params dp = cp;
    dp.embeddings = false;
    {
      // The draft may be the target's own weights, whose LoRA adapter list a load may change.
      MutexLock lock(draft_weights_->adapter_mutex());
      dft_ = llama_init_from_model(draft_weights_->get(), dp);
    }
    if (!dft_) {
      fail(ErrorKind::OutOfMemory,
           "could not create a context for the draft model (its KV cache for ctx_size x "
           "n_parallel did not fit in memory); lower ctx_size or n_parallel");
    }
    n_batch_ = llama_n_batch(dft_);
    batch_ = llama_batch_init(static_cast<int32_t>(n_batch_), 0, 1);
    params_.types = {COMMON_SPECULATIVE_TYPE_DRAFT_SIMPLE};
    params_.draft.ctx_tgt = target;
    params_.draft.ctx_dft = dft_;
    params_.draft.n_max = static_cast<int32_t>(s.draft_max);
    params_.draft.n_min = static_cast<int32_t>(s.draft_min);
    params_.draft.p_min = s.draft_p_min;
    params_.draft.backend_sampling = false;
  } else {
    params_.types = {COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE};
    params_.ngram_simple.size_n = static_cast<uint16_t>(s.ngram_size_n);
    params_.ngram_simple.size_m = static_cast<uint16_t>(s.ngram_size_m);
  }
  try {
    spec_ = common_speculative_init(params_, n_seq);
  } catch (const std::exception& e) {
    if (dft_) llama_free(dft_);
    if (batch_.token) llama_batch_free(batch_);
    // llama.cpp's reason (e.g. "draft model vocab type must match target model") names no path.
    fail(ErrorKind::InvalidArgument, std::string("the draft model cannot draft for this model: ") + e.what() +
                                         "; use a draft model with the same tokenizer");
  }
  dft_tokens_.resize(n_seq);
}

Speculation::~Speculation() {
  if (spec_) common_speculative_free(spec_);
  if (batch_.token) llama_batch_free(batch_);
  if (dft_) llama_free(dft_);
}

void Speculation::begin(llama_seq_id seq, const std::vector<llama_token>& prompt) {
  common_speculative_begin(spec_, seq, prompt);
}

void Speculation::accepted(llama_seq_id seq, uint16_t n) { common_speculative_accept(spec_, seq, n); }

// Brings each wanting sequence's draft KV to its target history: what differs is removed and
// the missing tokens are decoded, all sequences together in as few calls as n_batch allows.
void Speculation::sync_draft_kv(const std::vector<Want>& wants) {
  llama_memory_t mem = llama_get_memory(dft_);
  common_batch_clear(batch_);
  auto flush = [&] {
    if (batch_.n_tokens == 0) return true;
    const int rc = llama_decode(dft_, batch_);
    common_batch_clear(batch_);
    return rc == 0;
  };
  for (const Want& w : wants) {
    auto& held = dft_tokens_[w.seq];
    const size_t keep = common_prefix(held, *w.history);
    if (keep < held.size()) {
      llama_memory_seq_rm(mem, w.seq, static_cast<llama_pos>(keep), -1);
      held.resize(keep);
    }
    for (size_t i = keep; i < w.history->size(); ++i) {
      if (static_cast<uint32_t>(batch_.n_tokens) >= n_batch_ && !flush()) break;
      common_batch_add(batch_, (*w.history)[i], static_cast<llama_pos>(i), {w.seq}, false);
      held.push_back((*w.history)[i]);
    }
  }
  if (!flush()) {
    // The draft KV is unknown now: start every sequence afresh; drafting resumes next step.
    LOG_WARN("the draft model failed to decode; its sequences are recomputed");
    llama_memory_clear(mem, true);
    for (auto& t : dft_tokens_) t.clear();
  }
}

void Speculation::draft(const std::vector<Want>& wants) {
  if (wants.empty()) return;
  if (dft_) sync_draft_kv(wants);
  for (const Want& w : wants) {
    w.out->clear();
    if (dft_ && dft_tokens_[w.seq].size() != w.history->size()) continue;  // the sync failed
    common_speculative_get_draft_params(spec_, w.seq) = {
        /* .drafting = */ true,
        /* .n_max    = */ w.n_max,
        /* .n_past   = */ static_cast<llama_pos>(w.history->size()),
        /* .id_last  = */ w.last,
        /* .prompt   = */ w.history,
        /* .result   = */ w.out,
    };
  }
  common_speculative_draft(spec_);
  if (!dft_) return;
  // Drafting decoded the sampled token and the drafts past the history: drop them, the target
  // decides what stays, and the next sync decodes what it kept.
  llama_memory_t mem = llama_get_memory(dft_);
  for (const Want& w : wants) {
    llama_memory_seq_rm(mem, w.seq, static_cast<llama_pos>(w.history->size()), -1);
  }
}

}  // namespace wasi_nn
