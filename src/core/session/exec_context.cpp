#include "core/session/exec_context.h"

#include <nlohmann/json.hpp>

#include "core/base/log.h"
#include "core/base/utf8.h"
#include "core/config/config_parser.h"
#include "core/session/embed_turn.h"
#include "core/session/text_turn.h"

namespace wasi_nn {
namespace {

constexpr size_t kMaxPromptBytes = 64u << 20;

}  // namespace

std::unique_ptr<TurnKind> make_turn_kind(const Conversation& conv) {
  if (conv.graph()->engine->embedding()) return std::make_unique<EmbedTurn>(conv);
  return std::make_unique<TextTurn>(conv);
}

std::string error_json(const Error& e) {
  nlohmann::ordered_json m;
  m["error"] = {{"kind", error_kind_name(e.kind())}, {"message", e.what()}};
  return m.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

ExecContext::ExecContext(std::shared_ptr<Conversation> conv, std::shared_ptr<Tenant> tenant, ForkResolver forks)
    : conv_(std::move(conv)), tenant_(std::move(tenant)), forks_(std::move(forks)) {}

// The load's settings <- input index 1 <- the call's runtime JSON, within the tenant's limits.
Settings ExecContext::request_settings(std::string_view input_json, std::string_view runtime_json) const {
  Settings s = graph().settings;
  const ParseOptions within{&tenant_->limits(), false};
  parse_config(input_json, kScopeRequest, s, within);
  parse_config(runtime_json, kScopeRequest, s, within);
  return s;
}

ExecContext::~ExecContext() = default;

void ExecContext::set_input(uint32_t index, std::string_view bytes) {
  if (index == 0) {
    const std::string_view text = checked_text(bytes, "the prompt", kMaxPromptBytes);
    MutexLock lock(mu_);
    inputs_.prompt.assign(text.data(), text.size());
    inputs_.has_prompt = true;
  } else if (index == 1) {
    request_settings(bytes, {});  // report bad settings now, not at compute
    MutexLock lock(mu_);
    inputs_.request_json.assign(bytes.data(), bytes.size());
  } else {
    fail(ErrorKind::NotFound, "input index " + std::to_string(index) + " does not exist (0: prompt text, 1: request settings JSON)");
  }
}

// Steps 1-6 of the lifecycle (see the header): on return the request runs in the engine.
Turn ExecContext::begin_turn(std::string_view runtime_json, bool streaming) {
  Turn turn;
  bool claimed = false;
  try {
    Inputs in;
    {
      MutexLock lock(mu_);
      if (!inputs_.has_prompt) fail(ErrorKind::InvalidArgument, "compute called before set_input: set input 0 first");
      in = inputs_;
      inputs_.request_json.clear();  // index 1 applies to one compute only
    }
    const Settings s = request_settings(in.request_json, runtime_json);
    turn.kind = make_turn_kind(*conv_);
    turn.timeout_ms = s.request.timeout_ms;
    std::optional<ForkSource> fork;
    if (s.request.agent.fork_from.set) fork = fork_source(s.request.agent.fork_from, forks_, *conv_);
    const TurnStart start = conv_->begin_turn(s.request.reset, fork ? &fork->point : nullptr);
    claimed = true;
    turn.req = turn.kind->prepare(in.prompt, s, start);
    if (fork) turn.req->fork_from = fork->parent->owner();
    turn.req->streaming = streaming;
    {
      MutexLock lock(mu_);
      if (closed_) fail(ErrorKind::Cancelled, "the execution context was closed");
      inflight_ = turn.req;
    }
    graph().engine->submit(turn.req);
    return turn;
  } catch (const Error& e) {
    fail_turn(e, claimed, turn.req);
    throw;
  }
}

const RequestResult& ExecContext::wait_turn(const Turn& turn) {
  Request& req = *turn.req;
  if (turn.timeout_ms > 0 && !req.wait_until(req.t_submit + std::chrono::milliseconds(turn.timeout_ms))) {
    req.cancel(ErrorKind::Timeout, "the request did not finish within timeout_ms (" +
                                       std::to_string(turn.timeout_ms) + " ms); raise timeout_ms or retry later");
    graph().engine->wake();
  }
  return req.wait();
}

// Step 8: commit on success, else abort. Throws the request's error.
void ExecContext::finish_turn(const Turn& turn, const RequestResult& res) {
  if (res.error) {
    fail_turn(*res.error, true, turn.req);
    throw *res.error;
  }
  TurnOutputs out = turn.kind->outputs(res, *conv_);
  conv_->end_turn(turn.kind->record(res));
  tenant_->counters().record_done(res.n_prompt, res.n_cached, res.n_generated, res.queue_ms);
  process_counters().record_done(res.n_prompt, res.n_cached, res.n_generated, res.queue_ms);
  MutexLock lock(mu_);
  if (inflight_ == turn.req) inflight_.reset();
  outputs_ = std::move(out);
}

// `claimed`: this turn holds the conversation; `req`: its request, if it got one (a turn refused
// as Busy must not forget the request another turn is running).
void ExecContext::fail_turn(const Error& e, bool claimed, const RequestPtr& req) {
  LOG_DEBUG("compute failed (%s): %s", error_kind_name(e.kind()), e.what());
  tenant_->counters().record_failed(e.kind());
  process_counters().record_failed(e.kind());
  if (claimed) conv_->abort_turn();
  MutexLock lock(mu_);
  if (req && inflight_ == req) inflight_.reset();
  outputs_ = TurnOutputs{std::string(), error_json(e)};
}

void ExecContext::compute(std::string_view runtime_json) {
  {
    MutexLock lock(mu_);
    if (stream_) fail(ErrorKind::Busy, "a stream is open on this context; call fini_single first");
  }
  if (run_task(runtime_json)) return;
  Turn turn = begin_turn(runtime_json);
  finish_turn(turn, wait_turn(turn));
}

std::string ExecContext::output(uint32_t index) const {
  MutexLock lock(mu_);
  if (index == 0) return outputs_.data;
  if (index == 1) return outputs_.metadata;
  fail(ErrorKind::NotFound, "output index " + std::to_string(index) + " does not exist (0: generated text, 1: metadata JSON)");
}

void ExecContext::close(const std::string& why) {
  {
    MutexLock lock(mu_);
    closed_ = true;
    if (inflight_) inflight_->cancel(ErrorKind::Cancelled, why);
  }
  graph().engine->wake();
  fini_single();  // an open stream ends here, so its conversation is free again
}

}  // namespace wasi_nn
