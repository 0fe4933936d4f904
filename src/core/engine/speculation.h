// Speculation: drafts for the engine's sequences, from a draft model or from n-gram lookup over
// a conversation's own tokens, through llama.cpp's common_speculative (the code llama-server
// uses). The engine decodes each draft after its sequence's sampled token in the normal batch
// and keeps it as far as the target samples the same tokens (engine_speculative.cpp), so the
// text is always the target model's.
//
// The draft model's context mirrors the target's sequences lazily: before drafting, each
// sequence's draft KV is brought to the target's tokens (the common prefix kept, the rest
// decoded), so prefix sharing, context shifts, eviction and restore on the target need no
// mirroring of their own.
//
// Ownership: owns the draft context (not the draft weights, which the registry shares) and the
// common_speculative state. Thread-safety: the engine's worker thread only.
#pragma once

#include <memory>
#include <vector>

#include "common.h"
#include "core/config/settings.h"
#include "core/model/model_weights.h"

struct common_speculative;

namespace wasi_nn {

class Speculation {
 public:
  // `target` and `cp` are the engine's context and its parameters (the draft context gets the
  // same sequences, window and threads). `draft` is null for n-gram lookup. Throws
  // Error(InvalidArgument) when the draft model cannot serve this target (another vocabulary).
  Speculation(const ContextSettings& settings, llama_context* target, const llama_context_params& cp,
              std::shared_ptr<ModelWeights> draft);
  ~Speculation();
  Speculation(const Speculation&) = delete;
  Speculation& operator=(const Speculation&) = delete;

  // One sequence that wants a draft: its tokens in the KV (history), the sampled token that
  // follows them, and at most n_max tokens to draft into *out (left empty when none).
  struct Want {
    llama_seq_id seq;
    const std::vector<llama_token>* history;
    llama_token last;
    int32_t n_max;
    std::vector<llama_token>* out;
  };
  void draft(const std::vector<Want>& wants);
  // A new request starts on `seq` with this prompt.
  void begin(llama_seq_id seq, const std::vector<llama_token>& prompt);
  // The target kept `n` tokens of the last draft of `seq`.
  void accepted(llama_seq_id seq, uint16_t n);

 private:
  void sync_draft_kv(const std::vector<Want>& wants);

  common_params_speculative params_;
  std::shared_ptr<ModelWeights> draft_weights_;
  llama_context* dft_ = nullptr;
  common_speculative* spec_ = nullptr;
  llama_batch batch_{};
  uint32_t n_batch_ = 0;
  std::vector<std::vector<llama_token>> dft_tokens_;  // per sequence: what the draft KV holds
};

}  // namespace wasi_nn
