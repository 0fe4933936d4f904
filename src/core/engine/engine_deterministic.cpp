// Engine, deterministic mode (ContextSettings::deterministic; docs/DETERMINISM.md): the decode
// step and the KV reuse rules that make a request's tokens and probabilities the same bytes
// whatever else the engine decodes. Worker thread only.
//
// Why it is needed: ggml's CPU backend picks a matmul kernel by the shape of the call, and the
// kernels round differently: llamafile's sgemm for calls of 2+ rows but ggml_vec_dot for 1 row
// (F32, F16, BF16 weights, and the F16 KV cache in attention); repacked gemm for rows in groups
// of 4 but gemv for the rest. So a token's result depends on which other tokens share its call.
//
// What this mode does instead, so that every row's kernel depends only on its own sequence:
//  - weights are not repacked (ModelSettings::repack) and flash attention is off;
//  - sampled tokens (one per generating sequence) are decoded in calls of their own: all
//    together when the model's kernels are row-invariant (row_invariance.h), else one sequence
//    per call, i.e. always 1 row, as alone;
//  - prompt tokens are decoded one sequence per call, in pieces of at least 2 tokens, so they
//    always take the 2+-row kernels, whatever batch_size and the other sequences do;
//  - a token's KV is reused (the next turn, a restored state, a copied prefix) only when it was
//    computed as a prompt token (Slot::n_reusable): a sampled token's KV came from a 1-row
//    attention and differs from what a fresh prompt computes; it is recomputed instead.
#include <algorithm>

#include "core/base/error.h"
#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"

namespace wasi_nn {
namespace {

// The next prompt piece: all that remains when it fits in `cap`, else `cap` tokens, or 2 fewer
// than remain when `cap` would leave a single token for the last piece.
int32_t next_piece(size_t remaining, size_t cap) {
  if (remaining <= cap) return static_cast<int32_t>(remaining);
  return static_cast<int32_t>(remaining - cap >= 2 ? cap : remaining - 2);
}

}  // namespace

void Engine::check_deterministic(const llama_context_params& cp, bool on_devices) const {
  if (on_devices) {
    fail(ErrorKind::Unsupported,
         "deterministic is implemented for the CPU only (GPU kernels choose their algorithms by "
         "batch shape too); load with n_gpu_layers 0, or without deterministic");
  }
  if (cp.flash_attn_type != LLAMA_FLASH_ATTN_TYPE_DISABLED) {
    fail(ErrorKind::InvalidArgument,
         "deterministic needs flash_attn off: the CPU flash-attention kernel splits its work by "
         "thread count and KV length (a quantised cache_type_v needs flash attention: use f16, "
         "bf16 or f32 with deterministic)");
  }
  if (std::min(cp.n_batch, cp.n_ubatch) < 3) {
    fail(ErrorKind::InvalidArgument, "deterministic needs batch_size and ubatch_size of at least 3 (got " +
                                         std::to_string(cp.n_batch) + " and " + std::to_string(cp.n_ubatch) +
                                         "): prompt pieces must hold 2+ tokens");
  }
}

// Returns the tokens decoded, as decode_pick() does.
int Engine::step_deterministic() {
  int decoded = 0;
  const size_t cap = std::min<size_t>(n_batch_, llama_n_ubatch(ctx_));
  // Sampled tokens. Who has one is fixed first: sampling after each call sets the next ones.
  // A LoRA adapter's matrices are not part of the row-invariance check (row_invariance.h): a
  // sequence decoding with adapters takes 1-row calls, as it would alone.
  std::vector<const Slot*> together, alone;
  for (const auto& s : slots_) {
    if (!s.req || s.pending == LLAMA_TOKEN_NULL) continue;
    (decode_together_ && s.req->adapters.empty() ? together : alone).push_back(&s);
  }
  for (size_t i = 0; i < together.size(); i += cap) {
    const auto first = together.begin() + i, last = together.begin() + std::min(together.size(), i + cap);
    decoded += decode_pick(
        {[&](const Slot& s) { return std::find(first, last, &s) != last; }, true, false, static_cast<int32_t>(cap)});
  }
  for (const Slot* one : alone) {
    decoded += decode_pick({[&](const Slot& s) { return &s == one; }, true, false, static_cast<int32_t>(cap)});
  }
  // Prompt pieces, one sequence per call.
  for (auto& s : slots_) {
    if (!s.req || s.pending != LLAMA_TOKEN_NULL || s.n_prompt_done >= s.req->prompt.size()) continue;
    const int32_t piece = next_piece(s.req->prompt.size() - s.n_prompt_done, cap);
    decoded += decode_pick({[&](const Slot& o) { return &o == &s; }, false, true, piece});
    // Only a 1-token prompt makes a 1-token piece: computed by the 1-row kernels, it is not
    // what a longer prompt starting with it computes.
    if (piece == 1) s.n_reusable = std::min(s.n_reusable, s.tokens.empty() ? 0 : s.tokens.size() - 1);
  }
  return decoded;
}

// The prefix of a new prompt this slot may keep: only tokens computed as prompt tokens, and at
// least the last 2 prompt tokens are recomputed (a 1-token piece would take the 1-row kernels).
size_t Engine::reusable_keep(const Slot& slot, size_t keep, size_t n_prompt) const {
  keep = std::min(keep, slot.n_reusable);
  return n_prompt >= 2 ? std::min(keep, n_prompt - 2) : 0;
}

// Before a slot's KV is saved: drop what was not computed as a prompt, so a restored state holds
// only reusable tokens.
void Engine::keep_only_reusable(Slot& slot) {
  if (slot.n_reusable >= slot.tokens.size()) return;
  llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, slot.pos(slot.n_reusable), -1);
  slot.tokens.resize(slot.n_reusable);
}

}  // namespace wasi_nn
