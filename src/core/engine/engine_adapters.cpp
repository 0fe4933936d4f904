// Engine: the decode calls of a step, by LoRA adapter set (see engine.h), and the context's
// adapters. Worker thread only.
#include <algorithm>

#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"

namespace wasi_nn {

// Decodes what `pick` selects; returns how many tokens that was (0: nothing to decode).
// llama.cpp applies LoRA adapters to the whole context, so sequences with different adapter
// sets never share a call: each set that has work decodes in a call of its own, in the order
// its first slot comes (llama.cpp's server instead leaves the other sets for later steps).
int Engine::decode_pick(const BatchPick& pick) {
  std::vector<AdapterSet> sets;  // copies: a request may end while an earlier set is sampled
  for (const auto& s : slots_) {
    if (!s.req || (pick.take && !pick.take(s))) continue;
    const AdapterSet& set = s.req->adapters;
    if (std::none_of(sets.begin(), sets.end(), [&](const AdapterSet& o) { return o.key() == set.key(); })) {
      sets.push_back(set);
    }
  }
  if (sets.size() > 1) ++steps_split_by_adapters_;
  int decoded = 0;
  for (const AdapterSet& set : sets) {
    BatchPick group = pick;
    group.take = [&](const Slot& s) { return s.req->adapters.key() == set.key() && (!pick.take || pick.take(s)); };
    const int n = build_batch(group);
    if (n > 0) after_decode(decode_with(set));
    decoded += n;
  }
  return decoded;
}

int Engine::decode_with(const AdapterSet& set) {
  return with_adapters(set, [this] { return llama_decode(ctx_, batch_); });
}

// Runs `decode` (a llama_decode, or mtmd's evaluation of a medium) with `set` applied. After a
// change of set llama.cpp reserves its compute graph again at that decode, reading the model's
// adapter list: under the model's adapter lock, since another thread may be loading or freeing
// an adapter of the same model meanwhile.
int Engine::with_adapters(const AdapterSet& set, const std::function<int()>& decode) {
  if (set.key() == applied_.key()) return decode();
  // Let go of the previous set only after the lock: freeing its last reference to an adapter
  // frees the adapter, which takes the same lock.
  const AdapterSet previous = std::move(applied_);
  MutexLock lock(weights_->adapter_mutex());
  set.apply(ctx_);
  applied_ = set;
  return decode();
}

// With nothing to decode, the context lets go of its adapters, so an adapter every graph has
// unloaded is freed now rather than at the engine's next change of set.
void Engine::release_adapters_when_idle() {
  if (applied_.empty() || std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.req != nullptr; }))
    return;
  const AdapterSet previous = std::move(applied_);  // freed after the lock, as in decode_with
  MutexLock lock(weights_->adapter_mutex());
  AdapterSet().apply(ctx_);
  applied_ = AdapterSet();
}

}  // namespace wasi_nn
