// Engine::Slot: one KV sequence of the engine's context. Private to the engine's .cpp files.
#pragma once

#include <functional>
#include <vector>

#include "core/engine/engine.h"
#include "core/engine/media_prompt.h"

namespace wasi_nn {

struct Engine::Slot {
  llama_seq_id seq = 0;
  uint64_t owner = 0;                      // 0: free
  TenantTag tenant;                        // the owner's tenant: prefixes are shared within its group only
  std::string kv_adapters;                 // AdapterSet::key() the KV in `tokens` was computed with
  std::vector<llama_token> tokens;         // what the KV sequence holds, in order (see pos())
  RequestPtr req;                          // the running request, if any
  size_t n_prompt_done = 0;                // prompt tokens already in the KV
  size_t n_reusable = 0;                   // leading tokens whose KV was computed as prompt tokens
  llama_token pending = LLAMA_TOKEN_NULL;  // sampled, not yet decoded
  std::vector<llama_token> draft;          // drafted to follow `pending`; decoded with it, then verified
  int32_t i_batch = -1;                    // batch index whose logits this slot samples from
  bool in_batch = false;                   // contributed tokens to the current batch
  int32_t chunk_i = -1;                    // batch index of the prompt chunk in the current batch
  size_t chunk_from = 0, chunk_len = 0;    // its prompt positions
  uint64_t last_used = 0;
  // M-RoPE media in `tokens` (MediaPlace): set from each request's prompt when it starts, which
  // is right for every token start_request keeps (they are the prompt's own prefix: an old
  // medium the new prompt does not share lies past what is kept) and for all that follow.
  std::vector<MediaPlace> pos_gaps;

  // The KV position of tokens[i]: i, or fewer after an M-RoPE medium.
  llama_pos pos(size_t i) const { return pos_gaps.empty() ? static_cast<llama_pos>(i) : media_pos(pos_gaps, i); }
  llama_pos next_pos() const { return pos(tokens.size()); }
};

// Which tokens build_batch() takes: from the slots `take` accepts (empty: all), their sampled
// tokens (`decode`) and/or their pending prompt tokens (`prompt`), `cap` tokens at most (0:
// batch_size). The default picks everything, as the normal mode's step does.
struct Engine::BatchPick {
  std::function<bool(const Slot&)> take;
  bool decode = true;
  bool prompt = true;
  int32_t cap = 0;
};

}  // namespace wasi_nn
