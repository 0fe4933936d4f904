// Engine: serves one model with one llama_context, from one worker thread that owns it (the
// scheduling model of llama.cpp's server). Requests from every backend and execution context
// in the process that use this model and context settings come through one queue; each
// decode step fills one batch with a token from every generating sequence plus chunks of
// pending prompts (continuous batching).
//
// Sequences: the context holds `n_parallel` KV sequences of `ctx_size` tokens each. A
// conversation (an "owner" id) keeps its sequence between requests, so its next turn decodes
// only the new tokens. When more conversations than sequences are active, the least recently
// used idle sequence is evicted: its KV state is saved (KvStore, within kv_save_budget_mb, and
// spilled to kv_save_dir when set) and restored on its owner's next turn. A new prompt that
// shares a prefix with another sequence copies that prefix instead of computing it.
//
// Queue: highest effective priority first, FIFO among equals; a waiting request gains +1
// priority every priority_aging_ms, so none waits forever behind a stream of higher-priority
// ones (priorities are bounded, so any request eventually outranks every newcomer). At most
// max_queue requests wait; more answer Busy.
//
// LoRA adapters (Request::adapters): llama.cpp applies them to a whole context, so one decode
// call holds only sequences with the same adapter set; a step makes one call per set that has
// work (decode_pick), and KV computed under one set is never reused under another.
//
// Embedding mode (ContextSettings::embedding): the context computes pooled embeddings and the
// worker serves only embedding requests (Request::embed_inputs), one at a time in queue order;
// all inputs of one request share a decode while they fit n_batch and n_parallel sequences
// (engine_embed.cpp). n_ubatch is raised to n_batch so every input is one ubatch, as
// non-causal (encoder) models need, and the KV cache is one unified stream (so llama.cpp never
// splits a sequence across ubatches); it is cleared around every decode.
//
// Thread-safety: submit(), release(), wake() and stats() may be called from any thread.
// Lifetime: destroying the Engine stops the worker; requests still queued or running finish
// with ErrorKind::Cancelled.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/base/mutex.h"
#include "core/config/settings.h"
#include "core/engine/kv_store.h"
#include "core/engine/media_prompt.h"
#include "core/engine/request.h"
#include "core/model/model_weights.h"

namespace wasi_nn {

// Where the engine's memory went, per buffer type (a device: "CPU", "RPC[host:port]", "CUDA0").
struct DeviceBytes {
  std::string device;
  uint64_t model = 0, context = 0, compute = 0;
};

struct EngineStats {
  size_t queued = 0;
  size_t active = 0;         // sequences generating or processing a prompt
  size_t resident = 0;       // sequences holding a conversation's KV
  size_t saved = 0;          // evicted KV states kept in the store
  uint64_t saved_bytes = 0;  // in memory
  uint64_t saved_disk_bytes = 0;
  // Decode steps by how many sequences (conversations) each one carried: [n] = steps with n.
  std::vector<uint64_t> steps_by_sequences;
  // Decodes of the step's sampled and prompt tokens that took several calls because the
  // sequences differed in LoRA adapter sets (one call per set).
  uint64_t steps_split_by_adapters = 0;
};

class Speculation;

class Engine {
 public:
  // `draft`: the draft model's weights when settings.speculative is Draft, else null.
  Engine(std::shared_ptr<ModelWeights> weights, const ContextSettings& settings,
         std::shared_ptr<ModelWeights> draft = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request; the caller then waits on it. Never blocks on decoding. Throws Busy when
  // max_queue requests are already waiting.
  void submit(RequestPtr request);
  // Forgets the KV sequence and saved state of `owner` (its conversation ended). Asynchronous.
  void release(uint64_t owner);
  // Makes the worker look at its queue now (after a request was cancelled).
  void wake();
  EngineStats stats();

  bool embedding() const { return settings_.embedding; }
  // Floats per vector (the rank head's outputs with pooling rank) and the pooling in effect.
  uint32_t n_embd() const { return n_embd_; }
  enum llama_pooling_type pooling() const { return pooling_; }
  // The longest input an embedding request may hold (one batch, one sequence).
  uint32_t max_embed_tokens() const { return std::min(n_batch_, n_ctx_seq_); }

  // Tokens one sequence (conversation) may hold.
  uint32_t n_ctx_seq() const { return n_ctx_seq_; }
  bool can_shift() const { return can_shift_; }
  const ModelWeights& weights() const { return *weights_; }
  // The weights as a shared reference, for what must keep them alive (LoRA adapters).
  const std::shared_ptr<ModelWeights>& shared_weights() const { return weights_; }
  // Bytes of the KV cache, from the model's shape, the cell count and the cache types.
  uint64_t kv_bytes() const { return kv_bytes_; }
  const ContextSettings& settings() const { return settings_; }
  // Deterministic mode's fingerprint (determinism_fingerprint.h), JSON text; "" otherwise.
  const std::string& determinism() const { return determinism_; }
  // Model, KV cache and compute buffers per device, measured once the context was created.
  const std::vector<DeviceBytes>& placement() const { return placement_; }

  // A new process-unique owner id for a conversation.
  static uint64_t new_owner_id();

 private:
  struct Slot;
  struct BatchPick;

  void run();
  bool step();
  void fail_in_flight(const std::string& what);
  bool at_tenant_cap(const TenantTag& tenant) const;
  void handle_releases_locked() REQUIRES(mu_);
  void fail_cancelled_locked() REQUIRES(mu_);
  void admit_locked() REQUIRES(mu_);
  RequestPtr pop_best_locked(Slot** target) REQUIRES(mu_);
  Slot* slot_for(uint64_t owner);
  void evict(Slot& slot);
  void start_request(Slot& slot);
  size_t share_prefix(Slot& slot, size_t keep);
  void fork_sequence(Slot& slot);         // engine_agent.cpp
  void collect_prompt_probs(Slot& slot);  // engine_agent.cpp
  int build_batch(const BatchPick& pick);
  // Deterministic mode (engine_deterministic.cpp).
  void check_deterministic(const llama_context_params& cp, bool on_devices) const;
  int step_deterministic();
  int decode_pick(const BatchPick& pick);
  int decode_with(const AdapterSet& set);
  int with_adapters(const AdapterSet& set, const std::function<int()>& decode);
  void release_adapters_when_idle();
  size_t reusable_keep(const Slot& slot, size_t keep, size_t n_prompt) const;
  void keep_only_reusable(Slot& slot);
  void after_decode(int rc);
  // Speculative decoding (engine_speculative.cpp): drafts before a step, verification after it.
  void check_speculative(const ContextSettings& settings, bool has_draft) const;
  void make_drafts();
  void sample(Slot& slot);
  bool sample_one(Slot& slot);
  void shift(Slot& slot);
  void end_request(Slot& slot, const char* reason);
  void fail_request(Slot& slot, Error error);
  void clear_slot(Slot& slot);
  void drain(Error error);
  // Media (engine_media.cpp): evaluates every medium a sequence's prompt has reached.
  void eval_media();
  bool eval_medium(Slot& slot, const MediaPrompt::Span& span);
  void run_embeddings();
  void embed(Request& r);
  void refresh_stats_locked() REQUIRES(mu_);
  bool has_work_locked() const REQUIRES(mu_);

  std::shared_ptr<ModelWeights> weights_;
  ContextSettings settings_;
  llama_context* ctx_ = nullptr;  // worker thread only (after construction)
  llama_batch batch_{};
  uint32_t n_ctx_seq_ = 0;
  uint32_t n_batch_ = 0;
  int32_t n_vocab_ = 0;
  bool can_shift_ = false;
  std::string determinism_;      // set once in the constructor
  bool decode_together_ = true;  // deterministic mode: sampled tokens of all sequences in one call
  uint32_t n_embd_ = 0;
  enum llama_pooling_type pooling_ = LLAMA_POOLING_TYPE_NONE;
  uint64_t kv_bytes_ = 0;
  std::vector<DeviceBytes> placement_;
  std::vector<uint64_t> steps_by_sequences_;  // worker only; copied into stats_
  uint64_t steps_split_by_adapters_ = 0;      // worker only; copied into stats_
  std::vector<Slot> slots_;                   // worker thread only
  AdapterSet applied_;                        // the adapters the context decodes with now; worker only
  uint64_t clock_ = 0;                        // LRU clock, worker only
  KvStore store_;                             // worker only
  std::unique_ptr<Speculation> spec_;         // worker only; null without speculative decoding

  Mutex mu_;
  CondVar cv_;
  std::vector<RequestPtr> queue_ GUARDED_BY(mu_);
  std::vector<uint64_t> releases_ GUARDED_BY(mu_);
  EngineStats stats_ GUARDED_BY(mu_);  // refreshed by the worker each step
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace wasi_nn
