// ExecContext: one WASI-NN execution context. Its methods are the WASI-NN verbs on it; it owns
// the inputs set for the next compute, the outputs of the last one, the request running now,
// an open stream, and (shared with other contexts of the same session id) its Conversation.
//
// A compute is one turn (turn.h), with this lifecycle written once (begin_turn, wait_turn,
// finish_turn): read the inputs, merge the request's settings (load defaults <- input index 1
// <- the call's runtime JSON), claim the conversation, let the turn's kind build the request,
// register it as running (so close() can cancel it), submit, wait within timeout_ms, then commit
// the history and outputs, or abort the turn and leave the error at output 1. Input index 1
// applies to one compute only. Every failure is counted in the process and tenant counters.
//
// Thread-safety: every method may be called from any thread. A second compute while one runs
// on the same conversation answers Busy. The context's lock is never held while a request
// runs, so get_output and close from other threads never wait for generation. Streaming calls
// on one context are serialised by a second lock.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/mutex.h"
#include "core/session/conversation.h"
#include "core/session/fork.h"
#include "core/session/tenant.h"
#include "core/session/turn.h"

namespace wasi_nn {

class ExecContext {
 public:
  // `tenant`: who the context belongs to (its limits bound every request, its counters count
  // them, its sink receives stream_stdout pieces). `forks`: finds the conversation a request's
  // fork_from names (fork.h); it must stay callable while a compute of this context runs.
  ExecContext(std::shared_ptr<Conversation> conv, std::shared_ptr<Tenant> tenant, ForkResolver forks = {});
  ~ExecContext();
  ExecContext(const ExecContext&) = delete;
  ExecContext& operator=(const ExecContext&) = delete;

  // Index 0: the prompt (UTF-8 text); index 1: JSON settings for the next compute only (checked
  // now, applied at compute); index 2, 3, ...: image or audio files placed at the prompt's media
  // markers, for the next compute only (checked now against the tenant's media bounds;
  // docs/MULTIMODAL.md). In the WasmEdge profile, index 1
  // settings persist for every later compute of this context (merged, the latest winning), and
  // set_input(0) counts the prompt's tokens into output 1 (input_tokens), as WasmEdge does.
  void set_input(uint32_t index, std::string_view bytes);
  // Runs one turn for the inputs set so far; `runtime_json` (may be empty) overrides settings
  // for this request only, like input index 1. Throws Error; on failure output 1 holds it.
  // With stream_stdout, each piece goes to the tenant's sink as it is released. In the WasmEdge
  // profile a reply that filled the context is kept (outputs and history) and ContextFull thrown.
  void compute(std::string_view runtime_json);
  // Output 0 (generated text or vectors) or 1 (metadata JSON) of the last compute or stream.
  std::string output(uint32_t index) const;

  // Streaming, with WasmEdge's meaning: the first compute_single starts a turn; each call
  // returns once new text is available (read with output_single(0)); when everything was
  // handed out it ends the turn and throws EndOfSequence. fini_single ends the stream
  // (cancelling it if it still runs; the text already handed out becomes the reply).
  void compute_single(std::string_view runtime_json);
  std::string output_single(uint32_t index) const;
  void fini_single();

  // Finalizes the context: marks it closed, cancels its running request (whose caller then
  // gets Cancelled with `why`) and ends an open stream.
  void close(const std::string& why);

  const Conversation& conversation() const { return *conv_; }
  const std::shared_ptr<Conversation>& shared_conversation() const { return conv_; }
  const Graph& graph() const { return *conv_->graph(); }

 private:
  struct Inputs {
    bool has_prompt = false;
    std::string prompt;
    std::string request_json;             // input index 1
    std::map<uint32_t, MediaFile> media;  // index 2, 3, ...: for the next compute only
  };

  MediaList take_media(Inputs& in) const;

  Turn begin_turn(std::string_view runtime_json, bool streaming = false);
  const RequestResult& wait_turn(const Turn& turn);
  void finish_turn(const Turn& turn, const RequestResult& result);
  void fail_turn(const Error& e, bool claimed, const RequestPtr& req);
  void end_stream(Stream& s);
  bool run_task(std::string_view runtime_json);  // exec_task.cpp
  void show_piece(const StreamPiece& piece);     // exec_stream.cpp

  Settings request_settings(std::string_view input_json, std::string_view runtime_json) const;
  void pump_to_sink(const Turn& turn);
  void count_prompt(const std::string& prompt);

  const std::shared_ptr<Conversation> conv_;
  const std::shared_ptr<Tenant> tenant_;
  const ForkResolver forks_;
  const bool wasmedge_;  // the graph was loaded in the WasmEdge profile

  Mutex stream_mu_ ACQUIRED_BEFORE(mu_);  // serialises compute_single / fini_single
  mutable Mutex mu_;
  Inputs inputs_ GUARDED_BY(mu_);
  TurnOutputs outputs_ GUARDED_BY(mu_);
  std::string single_output_ GUARDED_BY(mu_);  // the text of the last compute_single
  std::string single_meta_ GUARDED_BY(mu_);    // its piece metadata, for parsed replies (reply_stream.h)
  RequestPtr inflight_ GUARDED_BY(mu_);        // the running request, to cancel on close
  bool closed_ GUARDED_BY(mu_) = false;
  std::unique_ptr<Stream> stream_ GUARDED_BY(mu_);
  // WasmEdge profile: the load's settings with every input index 1 so far (they persist).
  std::shared_ptr<const Settings> sticky_ GUARDED_BY(mu_);
};

}  // namespace wasi_nn
