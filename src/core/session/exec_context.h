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

struct ExecContext {
  explicit ExecContext(std::shared_ptr<Conversation> c) : conv(std::move(c)) {}

  const std::shared_ptr<Conversation> conv;

  std::mutex mu;
  bool has_prompt = false;     // guarded by mu
  std::string prompt;          // guarded by mu
  std::string request_json;    // guarded by mu (input index 1)
  std::string output_text;     // guarded by mu
  std::string output_meta;     // guarded by mu
  RequestPtr inflight;         // guarded by mu: the running request, to cancel on close
  bool closed = false;         // guarded by mu
};

// Runs one compute on `ctx`: merges settings, builds the prompt, submits to the engine, waits,
// and stores the outputs. Throws Error; on failure output 1 holds the error as JSON.
void run_compute(ExecContext& ctx, const std::string& runtime_json);

}  // namespace wasi_nn
