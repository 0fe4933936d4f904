// Request: one generation job handed from a caller's thread to an engine's worker thread.
// The caller fills the inputs (tokens, sampler, limits), submits, and waits; the worker
// decodes and samples, then publishes the result and wakes the caller.
// Thread-safety: inputs are written by the caller before submit() and read-only afterwards;
// progress fields belong to the worker; the result is published under `mu_` by finish().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/mutex.h"
#include "core/engine/adapter_set.h"
#include "core/engine/greedy.h"
#include "core/engine/media_prompt.h"
#include "core/engine/stop_matcher.h"
#include "core/engine/token_probs.h"
#include "core/input/trigger_watch.h"
#include "llama.h"
#include "sampling.h"

namespace wasi_nn {

using Clock = std::chrono::steady_clock;

struct RequestResult {
  std::string text;
  std::string stop_reason;  // "eos" | "stop" | "length" | "context_full" | "time_limit" | "trigger_limit" | "embedding"
  std::string stop_word;    // the stop string that ended it, when stop_reason == "stop"
  uint32_t n_prompt = 0;    // tokens in the prompt (whole conversation)
  uint32_t n_cached = 0;    // of those, reused from the KV cache
  uint32_t n_generated = 0;
  uint32_t n_restored = 0;               // of n_cached, restored from a saved (evicted) KV state
  uint32_t n_shared = 0;                 // of n_cached, copied from another conversation's sequence
  uint32_t n_shifted = 0;                // tokens dropped by context shifts during generation
  uint32_t n_kept = 0;                   // tokens the last shift kept at the start of the window
  uint32_t n_drafted = 0;                // speculative decoding: drafted tokens decoded for verification
  uint32_t n_accepted = 0;               //   and of those, the ones the target sampled too
  double queue_ms = 0;                   // submit -> admitted to a sequence
  double prompt_ms = 0;                  // admitted -> first token sampled
  double generate_ms = 0;                // first token -> end
  std::vector<llama_token> tokens;       // generated tokens
  std::vector<TokenProbs> probs;         // per generated token, when n_probs > 0
  std::vector<TokenProbs> prompt_probs;  // per prompt token after the first, when n_prompt_probs > 0
  uint32_t n_forked = 0;                 // tokens copied from the conversation this request forks (fork_from)
  // Embedding requests: every vector, in input order (one per input, or one per token with
  // pooling none), each n_embd floats, already normalised.
  std::vector<float> embeddings;
  uint32_t n_embd = 0;
  std::optional<Error> error;
};

// Who a request is from, as the engine sees it: the tenant (backend context), the group whose
// members may share KV prefixes (the tenant itself unless the host named a share group), and
// the tenant's share of an engine.
struct TenantTag {
  uint64_t id = 0;
  uint64_t group = 0;
  uint32_t max_sequences = 0;   // sequences it may hold running at once; 0 = no cap
  uint32_t max_queued = 0;      // requests it may have waiting; 0 = no cap
  uint32_t stream_ahead = 64;   // a stream pauses this many unread tokens ahead of its reader
  uint64_t stream_idle_ms = 0;  // an unread stream is cancelled after this long; 0 = never
};

class Request {
 public:
  // --- inputs, fixed before submit ---
  uint64_t owner = 0;  // the conversation (KV sequence) this request continues
  TenantTag tenant;    // who asks
  std::vector<llama_token> prompt;
  bool cache_prompt = true;
  int32_t n_predict = -1;  // -1: until EOS or the context is full
  int32_t n_probs = 0;     // > 0: record this many top candidates per generated token
  // > 0: record each prompt token's probability (after the first) with this many candidates;
  // the whole prompt is decoded again for it (no KV reuse).
  int32_t n_prompt_probs = 0;
  // != 0: the owner whose KV sequence this request starts from (a conversation fork): its
  // tokens are copied into this owner's sequence (llama_memory_seq_cp), replacing what it held.
  uint64_t fork_from = 0;
  // Tokens whose text is written into the reply (tool-call markers that are special tokens).
  std::set<llama_token> preserved;
  int64_t t_max_predict_ms = 0;  // > 0: stop generating this long after the first token
  int32_t priority = 0;          // higher is admitted first (with aging, see Engine)
  bool context_shift = false;    // when the window fills while generating: shift and go on
  int32_t n_keep = 0;
  int32_t n_discard = 0;
  common_sampler* sampler = nullptr;  // owned; freed with the request
  GreedyPlan greedy;                  // enabled: pick by argmax instead of the sampler chain
  bool has_grammar = false;           // sampling is bounded in time per token (engine_step.cpp)
  // A lazy grammar's triggers, followed beside llama.cpp: the request ends (stop reason
  // "trigger_limit") before llama.cpp's search for them costs every step too much.
  std::unique_ptr<TriggerWatch> triggers;
  StopMatcher stop;
  bool streaming = false;  // a stream's reader takes the text piece by piece (flow control)
  // The prompt's images and audio (media_prompt.h); null for a text-only prompt. A request with
  // media never shifts its context (a shift would cut a medium's positions).
  std::shared_ptr<const MediaPrompt> media;
  AdapterSet adapters;  // the LoRA adapters and scales this request decodes with
  // Embedding requests (engines in embedding mode): one token list per input, each no longer
  // than the engine's batch; the worker pools, normalises (common_embd_normalize) and returns
  // them in RequestResult::embeddings.
  std::vector<std::vector<llama_token>> embed_inputs;
  int32_t embd_normalize = 2;

  Request() = default;
  ~Request();
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // Asks the worker to drop this request at its next step; it then fails with `why`.
  void cancel(ErrorKind why = ErrorKind::Cancelled, std::string message = "");
  bool cancelled() const { return cancelled_; }
  Error cancel_error() const;

  // Caller: blocks until the worker finished the request; returns its result.
  const RequestResult& wait();
  // Caller: like wait(), but gives up at `deadline` and returns false (the request runs on).
  bool wait_until(Clock::time_point deadline);

  // Caller (streaming): waits until more than `seen` bytes of text are released, the request
  // ended, or `deadline`; then returns the released text from byte `seen` on and sets *done.
  // Released text never holds a possible stop-string prefix or half a UTF-8 character.
  std::string wait_text(size_t seen, Clock::time_point deadline, bool* done);
  // Caller (streaming): the reader came for more; what was generated so far counts as read
  // (see stream_paused). Wake the engine afterwards so a paused stream goes on.
  void take_stream();

  // --- worker side ---
  // After each generated token: releases the text that can no longer change.
  void publish_progress();
  // A stream whose reader lags tenant.stream_ahead tokens behind pauses (takes no decode
  // steps, so an unread stream costs no compute); one not read for tenant.stream_idle_ms is
  // abandoned (the worker cancels it, freeing its sequence).
  bool stream_paused() const;
  bool stream_abandoned(Clock::time_point now) const;
  void finish(std::string stop_reason);
  void fail(Error error);
  RequestResult& progress() { return result_; }  // worker only, before finish

  Clock::time_point t_submit, t_admit, t_first;

 private:
  void publish();

  std::atomic<bool> cancelled_{false};
  mutable Mutex mu_;
  ErrorKind cancel_kind_ GUARDED_BY(mu_) = ErrorKind::Cancelled;
  std::string cancel_message_ GUARDED_BY(mu_);
  CondVar cv_;
  bool done_ GUARDED_BY(mu_) = false;
  std::string released_ GUARDED_BY(mu_);  // text safe to stream
  // Flow control of a stream: tokens generated (worker), tokens generated when the reader last
  // took text, and when (reader; steady-clock ns).
  std::atomic<uint32_t> generated_{0};
  std::atomic<uint32_t> taken_{0};
  std::atomic<int64_t> taken_at_ns_{0};
  // Written by the worker alone until done_ is set under mu_, read by the caller only after:
  // the lock's hand-over orders the accesses, so the result itself needs no lock.
  RequestResult result_;
};

using RequestPtr = std::shared_ptr<Request>;

}  // namespace wasi_nn
