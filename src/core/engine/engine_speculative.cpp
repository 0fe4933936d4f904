// Engine, speculative decoding: before a step, each generating sequence gets a draft of the
// tokens likely to follow its sampled one (Speculation: a draft model or n-gram lookup); the
// step decodes the draft right after the sampled token, in the same batch as every other
// sequence's work; sample() then walks the draft's rows: while the target samples the token the
// draft put next, that token's KV is already computed and the next row's logits are ready. The
// first difference ends the walk: the target's own token becomes the pending one and the rest
// of the draft leaves the KV cache. Every token still goes through sample_one() (sampler chain,
// grammar, probabilities, stop rules), so the text is what the target alone would sample from
// the same logits. Worker thread only.
#include <algorithm>

#include "core/base/error.h"
#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"
#include "core/engine/speculation.h"

namespace wasi_nn {

void Engine::check_speculative(const ContextSettings& s, bool has_draft) const {
  if (s.speculative == Speculative::None) return;
  if (s.embedding) {
    fail(ErrorKind::InvalidArgument, "speculative decoding generates text: leave it out when loading for embeddings");
  }
  if (s.deterministic) {
    fail(ErrorKind::InvalidArgument,
         "speculative decoding is not batch-invariant (a draft's rows are computed in one call of "
         "several rows, so its tokens' numerics differ from one-token steps): load with either "
         "deterministic or speculative, not both");
  }
  if (s.speculative == Speculative::Draft && !has_draft) {
    fail(ErrorKind::InvalidArgument, "speculative \"draft\" needs a draft_model: name one the host granted");
  }
  if (llama_model_is_recurrent(weights_->get()) || llama_model_is_hybrid(weights_->get())) {
    fail(ErrorKind::InvalidArgument,
         "speculative decoding needs a model whose KV cache can drop rejected draft tokens; this "
         "model's recurrent state cannot: load it without speculative");
  }
}

void Engine::make_drafts() {
  std::vector<Speculation::Want> wants;
  for (auto& s : slots_) {
    s.draft.clear();
    if (!s.req || s.pending == LLAMA_TOKEN_NULL || s.req->stream_paused()) continue;
    // A prompt with media holds stand-in tokens (media_prompt.h) that no draft model or n-gram
    // table may read or propose: such a request decodes without drafts. (A text-only request
    // never keeps them: its prompt differs from them, so start_request cut them off.)
    if (s.req->media) continue;
    // Room for the sampled token, the draft and the token sampled after it, so that no context
    // shift can fall inside a verification (sample_one shifts when one cell is left).
    const int64_t room = static_cast<int64_t>(n_ctx_seq_) - static_cast<int64_t>(s.tokens.size()) - 3;
    const int32_t n_max = static_cast<int32_t>(std::min<int64_t>(settings_.draft_max, room));
    if (n_max < 1) continue;
    wants.push_back({s.seq, &s.tokens, s.pending, n_max, &s.draft});
  }
  spec_->draft(wants);
}

// Verifies the slot's draft (if any) row by row after a decode; see the file comment.
void Engine::sample(Slot& slot) {
  std::vector<llama_token> draft;
  draft.swap(slot.draft);
  const int32_t row = slot.i_batch;
  // build_batch put the draft into tokens; only what the target confirms goes back.
  slot.tokens.resize(slot.tokens.size() - draft.size());
  const llama_seq_id seq = slot.seq;
  uint16_t accepted = 0;
  try {
    for (size_t j = 0;; ++j) {
      slot.i_batch = row + static_cast<int32_t>(j);
      if (!sample_one(slot)) break;
      if (j >= draft.size() || slot.pending != draft[j]) break;
      // The target sampled what the draft put next: its KV is already there.
      slot.tokens.push_back(slot.pending);
      slot.pending = LLAMA_TOKEN_NULL;
      ++accepted;
      if (slot.req) ++slot.req->progress().n_accepted;
    }
  } catch (...) {
    if (!draft.empty()) llama_memory_seq_rm(llama_get_memory(ctx_), seq, slot.next_pos(), -1);
    throw;
  }
  if (draft.empty()) return;
  llama_memory_seq_rm(llama_get_memory(ctx_), seq, slot.next_pos(), -1);
  spec_->accepted(seq, accepted);
}

}  // namespace wasi_nn
