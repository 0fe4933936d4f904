// Engine in embedding mode: the worker serves embedding requests one at a time, in the queue's
// priority order. The inputs of one request are decoded together (one sequence each) as far as
// n_batch tokens and n_parallel sequences allow, as llama.cpp's llama-embedding does; the KV
// cache is cleared before every decode, since no state carries over between inputs. In
// deterministic mode each input is a call of its own.
#include <algorithm>

#include "common.h"
#include "core/base/log.h"
#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"

namespace wasi_nn {

void Engine::run_embeddings() {
  for (;;) {
    RequestPtr r;
    {
      MutexLock lock(mu_);
      while (!stop_ && releases_.empty() && queue_.empty()) cv_.wait(mu_);
      if (stop_) return;
      releases_.clear();  // no conversation keeps KV state in embedding mode
      fail_cancelled_locked();
      Slot* unused = nullptr;  // every slot is free: the pick is by priority alone
      r = pop_best_locked(&unused);
      stats_.active = r ? 1 : 0;
    }
    if (!r) continue;
    r->t_admit = Clock::now();
    // An exception escaping this thread would terminate the host: it fails this request only.
    try {
      embed(*r);
    } catch (const std::exception& e) {
      LOG_ERR("embedding step failed: %s", e.what());
      llama_memory_clear(llama_get_memory(ctx_), true);
      r->fail(Error(ErrorKind::Runtime, std::string("the engine failed while embedding (") + e.what() + "); retry it"));
    }
    MutexLock lock(mu_);
    stats_.active = 0;
  }
}

void Engine::embed(Request& r) {
  RequestResult& res = r.progress();
  const auto& inputs = r.embed_inputs;
  llama_memory_t mem = llama_get_memory(ctx_);
  // Deterministic mode decodes every input in a call of its own, so an input's rows never
  // depend on which other inputs shared its request (docs/DETERMINISM.md, embeddings).
  const int32_t n_seq_max = settings_.deterministic ? 1 : static_cast<int32_t>(slots_.size());
  const bool per_token = pooling_ == LLAMA_POOLING_TYPE_NONE;
  // llama.cpp's rerank scores are used as they are (as llama-server does).
  const int32_t norm = pooling_ == LLAMA_POOLING_TYPE_RANK ? -1 : r.embd_normalize;
  res.n_embd = n_embd_;
  for (const auto& in : inputs) {  // the caller checks this too; an unchecked one would loop forever
    if (in.empty() || in.size() > max_embed_tokens()) {
      return r.fail(Error(ErrorKind::InvalidArgument, "an embedding input is empty or longer than " +
                                                          std::to_string(max_embed_tokens()) + " tokens"));
    }
  }
  size_t next = 0;
  while (next < inputs.size()) {
    if (r.cancelled()) return r.fail(r.cancel_error());
    common_batch_clear(batch_);
    int32_t n_seq = 0;
    while (next < inputs.size() && n_seq < n_seq_max && batch_.n_tokens + inputs[next].size() <= n_batch_) {
      for (size_t i = 0; i < inputs[next].size(); ++i) {
        common_batch_add(batch_, inputs[next][i], static_cast<llama_pos>(i), {n_seq}, true);
      }
      res.n_prompt += static_cast<uint32_t>(inputs[next].size());
      ++next;
      ++n_seq;
    }
    llama_memory_clear(mem, true);
    const int rc = llama_decode(ctx_, batch_);
    if (rc != 0) {
      llama_memory_clear(mem, true);
      return r.fail(Error(ErrorKind::Runtime,
                          "decoding the embedding inputs failed (llama_decode returned " + std::to_string(rc) + ")"));
    }
    const int32_t n_vectors = per_token ? batch_.n_tokens : n_seq;
    for (int32_t k = 0; k < n_vectors; ++k) {
      const float* v = per_token ? llama_get_embeddings_ith(ctx_, k) : llama_get_embeddings_seq(ctx_, k);
      if (!v) {
        llama_memory_clear(mem, true);
        return r.fail(Error(ErrorKind::Runtime, "llama.cpp returned no embedding for input " + std::to_string(k)));
      }
      const size_t at = res.embeddings.size();
      res.embeddings.resize(at + n_embd_);
      common_embd_normalize(v, res.embeddings.data() + at, static_cast<int>(n_embd_), norm);
    }
  }
  llama_memory_clear(mem, true);
  r.finish("embedding");
}

}  // namespace wasi_nn
