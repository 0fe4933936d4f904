// Engine: what the agent features need of a sequence (docs/AGENTS.md): starting a request from
// a copy of another conversation's KV (a fork), and the probabilities of prompt tokens.
// Worker thread only.
#include "common.h"
#include "core/base/log.h"
#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"

namespace wasi_nn {

// The request's conversation becomes a copy of its parent's sequence: the parent's KV cells
// are copied (llama_memory_seq_cp, nothing recomputed), from its resident sequence or, when it
// was evicted, from its saved state (which it keeps). What the child held before is dropped.
// Without either (the parent never ran, or its state was not kept), the child starts empty and
// its prompt is computed.
void Engine::fork_sequence(Slot& slot) {
  Request& r = *slot.req;
  llama_memory_t mem = llama_get_memory(ctx_);
  llama_memory_seq_rm(mem, slot.seq, -1, -1);
  slot.tokens.clear();
  slot.n_reusable = 0;
  store_.drop(r.owner);
  Slot* parent = slot_for(r.fork_from);
  if (parent && parent != &slot && !parent->tokens.empty()) {
    llama_memory_seq_cp(mem, parent->seq, slot.seq, -1, -1);
    slot.tokens = parent->tokens;
    slot.n_reusable = parent->n_reusable;    // the copied cells were computed as the parent's were
    slot.kv_adapters = parent->kv_adapters;  // and with the parent's LoRA adapters
  } else {
    SavedSequence saved;
    if (store_.take(r.fork_from, &saved)) {
      SavedSequence copy = saved;
      store_.put(r.fork_from, std::move(saved));
      if (llama_state_seq_set_data(ctx_, copy.state.data(), copy.state.size(), slot.seq) == copy.state.size()) {
        slot.tokens = std::move(copy.tokens);
        slot.kv_adapters = std::move(copy.adapters);
        slot.n_reusable = settings_.deterministic ? slot.tokens.size() : 0;  // as a restore (engine_step.cpp)
      } else {
        LOG_WARN("could not copy the saved KV state of conversation %llu into a fork; re-processing it",
                 (unsigned long long)r.fork_from);
        llama_memory_seq_rm(mem, slot.seq, -1, -1);
      }
    }
  }
  r.progress().n_forked = static_cast<uint32_t>(slot.tokens.size());
  LOG_DEBUG("conversation %llu forked from %llu: %zu tokens copied", (unsigned long long)r.owner,
            (unsigned long long)r.fork_from, slot.tokens.size());
}

// The chunk of the prompt decoded in this step had logits for every token: the logits at prompt
// position p are the model's distribution for the token at p + 1 (as llama-perplexity reads them).
void Engine::collect_prompt_probs(Slot& slot) {
  Request& r = *slot.req;
  auto& out = r.progress().prompt_probs;
  for (size_t k = 0; k < slot.chunk_len; ++k) {
    const size_t pos = slot.chunk_from + k;
    if (pos + 1 >= r.prompt.size()) break;  // the last token's logits sample the reply
    out.push_back(token_probs(ctx_, weights_->vocab(), slot.chunk_i + static_cast<int32_t>(k), r.prompt[pos + 1],
                              r.n_prompt_probs));
  }
}

}  // namespace wasi_nn
