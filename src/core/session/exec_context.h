// ExecContext: one WASI-NN execution context — the inputs set for the next compute, the
// outputs of the last one, and the conversation it continues.
// Thread-safety: `mu` guards inputs, outputs and `inflight`; it is never held while waiting
// for generation, so get_output/close from other threads never block on a compute.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "core/engine/request.h"
#include "core/session/conversation.h"

namespace wasi_nn {

// One turn of a conversation in flight: the request and what ending the turn needs.
struct Turn {
  RequestPtr req;
  std::string prompt;   // the user's input, added to the history when the turn ends
  bool raw = false;
  size_t dropped = 0;   // oldest history messages dropped to make room
  RenderedTurn rendered;  // its prompt text and tokens (the reply is added when it ends)
  int64_t timeout_ms = 0;
};

// A streamed turn between its first compute_single and fini_single.
struct Stream {
  Turn turn;
  size_t delivered = 0;  // bytes of text handed out so far
  bool ended = false;    // the turn was ended (history and outputs written)
};

struct ExecContext {
  explicit ExecContext(std::shared_ptr<Conversation> c) : conv(std::move(c)) {}

  const std::shared_ptr<Conversation> conv;

  std::mutex stream_mu;  // serialises stream_step / stream_finish on this context
  std::mutex mu;
  bool has_prompt = false;     // guarded by mu
  std::string prompt;          // guarded by mu
  std::string request_json;    // guarded by mu (input index 1)
  std::string output_text;     // guarded by mu
  std::string output_meta;     // guarded by mu
  RequestPtr inflight;         // guarded by mu: the running request, to cancel on close
  bool closed = false;         // guarded by mu
  std::unique_ptr<Stream> stream;  // guarded by mu
  std::string single_output;       // guarded by mu: the text of the last compute_single
};

// Runs one compute on `ctx`: merges settings, builds the prompt, submits to the engine, waits,
// and stores the outputs. Throws Error; on failure output 1 holds the error as JSON.
void run_compute(ExecContext& ctx, const std::string& runtime_json);

// The same for a model loaded with "embedding": true (embed.cpp): output 0 holds the vectors
// (JSON or raw f32, per embd_output), output 1 the metadata. run_compute dispatches to it.
void run_embedding(ExecContext& ctx, const std::string& runtime_json);

// The two halves of a turn. begin_turn marks the conversation busy, builds and submits the
// request (Busy when a turn is already running). end_turn writes history and outputs and frees
// the conversation; fail_turn records the error as output 1 and frees it.
Turn begin_turn(ExecContext& ctx, const std::string& runtime_json);
void end_turn(ExecContext& ctx, const Turn& turn, const RequestResult& res);
void fail_turn(ExecContext& ctx, const Error& e);
// Waits for the turn's request, enforcing its timeout_ms.
const RequestResult& wait_turn(const ExecContext& ctx, const Turn& turn);

// Streaming (WasmEdge's compute_single / get_output_single / fini_single). compute_single
// starts a turn on its first call, then returns each time new text is available (in
// ctx.single_output); when everything was handed out it ends the turn and throws
// EndOfSequence. fini_single cancels a running stream and ends the turn.
void stream_step(ExecContext& ctx, const std::string& runtime_json);
void stream_finish(ExecContext& ctx);

}  // namespace wasi_nn
