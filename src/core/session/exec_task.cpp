// ExecContext's token-level tasks ("task": "tokenize" / "detokenize", token_task.h): compute
// answers them on the caller's thread, outside the turn lifecycle (no conversation is claimed,
// no request reaches the engine). Failures are recorded like a turn's.
#include "core/base/error.h"
#include "core/session/exec_context.h"
#include "core/session/token_task.h"

namespace wasi_nn {

// Returns false (consuming nothing) when this compute generates: begin_turn takes it from there,
// and reports bad settings itself.
bool ExecContext::run_task(std::string_view runtime_json) {
  Inputs in;
  {
    MutexLock lock(mu_);
    in = inputs_;
  }
  // Only a request's own settings may name a task: most computes need no second parse.
  if (in.request_json.find("task") == std::string::npos && runtime_json.find("task") == std::string_view::npos) {
    return false;
  }
  Settings s;
  try {
    s = request_settings(in.request_json, runtime_json);
  } catch (const Error&) {
    return false;
  }
  if (s.request.agent.task == TaskKind::Generate) return false;
  try {
    {
      MutexLock lock(mu_);
      if (!inputs_.has_prompt) fail(ErrorKind::InvalidArgument, "compute called before set_input: set input 0 first");
      inputs_.request_json.clear();  // index 1 applies to one compute only
    }
    TokenTaskResult r = run_token_task(graph().engine->weights().vocab(), s.request.agent, in.prompt);
    MutexLock lock(mu_);
    outputs_ = TurnOutputs{std::move(r.data), std::move(r.metadata)};
    return true;
  } catch (const Error& e) {
    fail_turn(e, /*claimed=*/false, nullptr);
    throw;
  }
}

}  // namespace wasi_nn
