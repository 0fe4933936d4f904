#include "core/session/exec_context.h"

#include <nlohmann/json.hpp>

#include "core/base/log.h"
#include "core/base/utf8.h"
#include "core/config/config_parser.h"
#include "core/session/embed_turn.h"
#include "core/session/stream_sink.h"
#include "core/session/text_turn.h"
#include "core/session/wasmedge_profile.h"

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
    : conv_(std::move(conv)),
      tenant_(std::move(tenant)),
      forks_(std::move(forks)),
      wasmedge_(is_wasmedge(conv_->graph()->settings)) {
  if (wasmedge_) outputs_.metadata = initial_metadata();  // readable before any input, as in WasmEdge
}

// The load's settings (with the persisted index 1 of the WasmEdge profile) <- input index 1 <-
// the call's runtime JSON, within the tenant's limits. Keys the profile ignored are logged.
Settings ExecContext::request_settings(std::string_view input_json, std::string_view runtime_json) const {
  Settings s;
  {
    MutexLock lock(mu_);
    s = sticky_ ? *sticky_ : graph().settings;
  }
  const size_t known = s.warnings.size();
  const ParseOptions within{&tenant_->limits(), false, s.backend.profile};
  parse_config(input_json, kScopeRequest, s, within);
  parse_config(runtime_json, kScopeRequest, s, within);
  check_stream_stdout(s, tenant_->sink().installed());
  log_config_warnings(*tenant_, s.warnings, known, "request");
  return s;
}

ExecContext::~ExecContext() = default;

void ExecContext::set_input(uint32_t index, std::string_view bytes) {
  if (index == 0) {
    const std::string_view text = checked_text(bytes, "the prompt", kMaxPromptBytes);
    {
      MutexLock lock(mu_);
      inputs_.prompt.assign(text.data(), text.size());
      inputs_.has_prompt = true;
    }
    if (wasmedge_) count_prompt(std::string(text));
  } else if (index == 1) {
    Settings s = request_settings(bytes, {});  // report bad settings now, not at compute
    MutexLock lock(mu_);
    if (wasmedge_) {
      sticky_ = std::make_shared<const Settings>(std::move(s));
    } else {
      inputs_.request_json.assign(bytes.data(), bytes.size());
    }
  } else {
    if (!graph().projector) {
      fail(ErrorKind::NotFound,
           "input index " + std::to_string(index) +
               " does not exist (0: prompt text, 1: request "
               "settings JSON; 2 and up take images or audio when the model is loaded with \"mmproj\")");
    }
    MediaFile file = checked_media_input(index, bytes, tenant_->limits().input);
    MutexLock lock(mu_);
    inputs_.media[index] = std::move(file);
  }
}

// Inputs 2, 3, ... in order; a gap (input 3 without input 2) is refused: the markers would
// place the media out of order.
MediaList ExecContext::take_media(Inputs& in) const {
  MediaList out;
  uint32_t expected = 2;
  for (auto& [index, file] : in.media) {
    if (index != expected) {
      fail(ErrorKind::InvalidArgument, "input " + std::to_string(index) + " was set but input " +
                                           std::to_string(expected) +
                                           " was not; media go in inputs 2, 3, ... without gaps");
    }
    out.push_back(std::move(file));
    ++expected;
  }
  return out;
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
      inputs_.media.clear();         // so do the media
    }
    MediaList media = take_media(in);
    Settings s = request_settings(in.request_json, runtime_json);
    {
      MutexLock lock(mu_);
      if (sticky_ && sticky_->request.reset) {  // persisted settings never repeat a reset
        auto kept = std::make_shared<Settings>(*sticky_);
        kept->request.reset = false;
        sticky_ = std::move(kept);
      }
    }
    // WasmEdge applies n-predict to compute only: a stream runs to EOS or the context's end
    // (or to the host's cap on n_predict).
    if (streaming && wasmedge_) s.request.n_predict = streaming_n_predict(tenant_->limits());
    turn.kind = make_turn_kind(*conv_);
    turn.timeout_ms = s.request.timeout_ms;
    turn.wasmedge = wasmedge_;
    turn.to_sink = s.request.stream_stdout && !streaming;
    turn.verbosity = tenant_verbosity(s.request);
    turn.warnings = s.warnings;
    TenantLogScope scope(tenant_->id(), turn.verbosity);
    if (wasmedge_) take_wasmedge_media(graph(), s.request, tenant_->limits().input, &in.prompt, &media);
    std::optional<ForkSource> fork;
    if (s.request.agent.fork_from.set) fork = fork_source(s.request.agent.fork_from, forks_, *conv_);
    TurnStart start = conv_->begin_turn(s.request.reset, fork ? &fork->point : nullptr);
    claimed = true;
    start.media = std::move(media);
    turn.req = turn.kind->prepare(in.prompt, s, start);
    if (fork) turn.req->fork_from = fork->parent->owner();
    turn.req->streaming = streaming || turn.to_sink;
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
    req.cancel(ErrorKind::Timeout, "the request did not finish within timeout_ms (" + std::to_string(turn.timeout_ms) +
                                       " ms); raise timeout_ms or retry later");
    graph().engine->wake();
  }
  return req.wait();
}

// Step 8: commit on success, else abort. Throws the request's error, and in the WasmEdge profile
// ContextFull for a reply that filled the context (committed: its text stays readable).
void ExecContext::finish_turn(const Turn& turn, const RequestResult& res) {
  TenantLogScope scope(tenant_->id(), turn.verbosity);
  if (res.error) {
    fail_turn(*res.error, true, turn.req);
    throw *res.error;
  }
  TurnOutputs out = turn.kind->outputs(res, *conv_);
  if (turn.wasmedge) out.metadata = metadata_after_compute(out.metadata, turn.warnings);
  conv_->end_turn(turn.kind->record(res));
  tenant_->counters().record_done(res.n_prompt, res.n_cached, res.n_generated, res.queue_ms);
  process_counters().record_done(res.n_prompt, res.n_cached, res.n_generated, res.queue_ms);
  LOG_INFO("compute: %u prompt tokens (%u cached), %u generated, stop reason %s, %.1f ms", res.n_prompt, res.n_cached,
           res.n_generated, res.stop_reason.c_str(), res.queue_ms + res.prompt_ms + res.generate_ms);
  {
    MutexLock lock(mu_);
    if (inflight_ == turn.req) inflight_.reset();
    outputs_ = std::move(out);
  }
  if (turn.wasmedge && res.stop_reason == "context_full") {
    fail(ErrorKind::ContextFull, "the reply filled the context window (" + std::to_string(res.n_prompt) +
                                     " prompt tokens + " + std::to_string(res.n_generated) +
                                     " generated); the text so far is at output 0. Send a shorter conversation, "
                                     "or load the model with a larger ctx-size");
  }
}

// stream_stdout: hands each released piece to the host's sink while the request runs (the
// request streams, so it waits for this reader instead of running ahead).
void ExecContext::pump_to_sink(const Turn& turn) {
  Request& req = *turn.req;
  const auto deadline =
      turn.timeout_ms > 0 ? req.t_submit + std::chrono::milliseconds(turn.timeout_ms) : Clock::time_point::max();
  // A parsed reply (tools, reasoning) shows only its visible content, as compute_single does.
  const std::unique_ptr<ReplyStream> reply = turn.kind->reply_stream();
  size_t delivered = 0;
  for (bool done = false; !done;) {
    req.take_stream();
    graph().engine->wake();
    const std::string piece = req.wait_text(delivered, deadline, &done);
    if (piece.empty() && !done) return;  // the deadline passed: wait_turn cancels it
    delivered += piece.size();
    const std::string shown = reply && !piece.empty() ? reply->feed(piece).content : piece;
    if (!shown.empty()) tenant_->sink().write(shown);
  }
  if (!reply) return;
  const RequestResult& res = req.wait();
  if (res.error) return;
  const std::string last = reply->finish(res.text).content;
  if (!last.empty()) tenant_->sink().write(last);
}

// WasmEdge's input_tokens at set_input(0): the tokens compute would send for this prompt.
void ExecContext::count_prompt(const std::string& prompt) {
  Settings s;
  {
    MutexLock lock(mu_);
    s = sticky_ ? *sticky_ : graph().settings;
  }
  const uint64_t n = count_input_tokens(*conv_, s, prompt);
  MutexLock lock(mu_);
  outputs_.metadata = metadata_after_input(outputs_.metadata, n);
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
  outputs_ =
      TurnOutputs{std::string(), wasmedge_ ? metadata_after_error(outputs_.metadata, error_json(e)) : error_json(e)};
}

void ExecContext::compute(std::string_view runtime_json) {
  {
    MutexLock lock(mu_);
    if (stream_) fail(ErrorKind::Busy, "a stream is open on this context; call fini_single first");
  }
  if (run_task(runtime_json)) return;
  Turn turn = begin_turn(runtime_json);
  if (turn.to_sink) pump_to_sink(turn);
  finish_turn(turn, wait_turn(turn));
}

std::string ExecContext::output(uint32_t index) const {
  MutexLock lock(mu_);
  if (index == 0) return outputs_.data;
  if (index == 1) return outputs_.metadata;
  fail(ErrorKind::NotFound,
       "output index " + std::to_string(index) + " does not exist (0: generated text, 1: metadata JSON)");
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
