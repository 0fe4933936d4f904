// Engine: serves one model with one llama_context, from one worker thread that owns it (the
// scheduling model of llama.cpp's server). Requests from every backend and execution context
// in the process that use this model and context settings come through one queue; each
// decode step fills one batch with a token from every generating sequence plus chunks of
// pending prompts (continuous batching).
//
// Sequences: the context holds `n_parallel` KV sequences of `ctx_size` tokens each. A
// conversation (an "owner" id) keeps its sequence between requests, so its next turn decodes
// only the new tokens. When more conversations than sequences are active, the least recently
// used idle sequence is cleared and its owner's next request re-processes its prompt.
//
// Thread-safety: submit() and release() may be called from any thread.
// Lifetime: destroying the Engine stops the worker; requests still queued or running finish
// with ErrorKind::Cancelled.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/config/settings.h"
#include "core/engine/request.h"
#include "core/model/model_weights.h"

namespace wasi_nn {

class Engine {
 public:
  Engine(std::shared_ptr<ModelWeights> weights, const ContextSettings& settings);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request; the caller then waits on it. Never blocks on decoding.
  void submit(RequestPtr request);
  // Forgets the KV sequence of `owner` (its conversation ended). Asynchronous.
  void release(uint64_t owner);

  // Tokens one sequence (conversation) may hold.
  uint32_t n_ctx_seq() const { return n_ctx_seq_; }
  const ModelWeights& weights() const { return *weights_; }
  const std::shared_ptr<ModelWeights>& weights_ptr() const { return weights_; }
  const ContextSettings& settings() const { return settings_; }

  // A new process-unique owner id for a conversation.
  static uint64_t new_owner_id();

 private:
  struct Slot;

  void run();
  bool admit_locked();                  // moves queued requests into free slots
  void start_request(Slot& slot);      // prefix reuse, KV trimming
  int build_batch();                    // returns tokens added
  void after_decode(int rc);
  void sample(Slot& slot);
  void end_request(Slot& slot, const char* reason);
  void fail_request(Slot& slot, Error error);
  void clear_slot(Slot& slot);
  void drain(Error error);

  std::shared_ptr<ModelWeights> weights_;
  ContextSettings settings_;
  llama_context* ctx_ = nullptr;  // worker thread only (after construction)
  llama_batch batch_{};
  uint32_t n_ctx_seq_ = 0;
  uint32_t n_batch_ = 0;
  std::vector<Slot> slots_;  // worker thread only
  uint64_t clock_ = 0;       // LRU clock, worker only

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RequestPtr> queue_;     // guarded by mu_
  std::vector<uint64_t> releases_;   // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::thread worker_;
};

}  // namespace wasi_nn
