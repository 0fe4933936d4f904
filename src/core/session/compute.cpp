// run_compute: the caller-thread half of a request (settings, template, tokens, sampler),
// the hand-off to the engine's worker, and the outputs.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "build-info.h"

#include "core/config/config_parser.h"
#include "core/error.h"
#include "core/log.h"
#include "core/stats.h"
#include "core/session/exec_context.h"
#include "core/session/prompt_builder.h"
#include "core/session/sampler_setup.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

RequestSettings merge_request_settings(const Graph& graph, const std::string& input_json,
                                       const std::string& runtime_json) {
  Settings s = graph.settings;
  parse_config(input_json, kScopeRequest, s);
  parse_config(runtime_json, kScopeRequest, s);
  if (s.context.embedding) {
    fail(ErrorKind::InvalidArgument, "this model was loaded for text generation; embeddings need a model "
                                     "loaded with {\"embedding\": true} (load it again with that key)");
  }
  return s.request;
}

void check_fits(const Engine& engine, size_t n_prompt, size_t n_without_history) {
  const size_t n_ctx = engine.n_ctx_seq();
  if (n_prompt < n_ctx) return;
  if (n_without_history < n_ctx) {
    fail(ErrorKind::ContextFull,
         "the conversation is " + std::to_string(n_prompt) + " tokens and no longer fits the " +
             std::to_string(n_ctx) + "-token context; send {\"reset\": true} or open a new "
             "session, or load the model with a larger ctx_size");
  }
  fail(ErrorKind::PromptTooLong,
       "the prompt is " + std::to_string(n_prompt) + " tokens but the context holds " +
           std::to_string(n_ctx) + " per sequence (ctx_size); shorten the prompt or load the "
           "model with a larger ctx_size");
}

std::string metadata_json(const RequestResult& r, const Conversation& conv, size_t dropped_messages) {
  json t;
  t["queue_ms"] = r.queue_ms;
  t["prompt_ms"] = r.prompt_ms;
  t["generate_ms"] = r.generate_ms;
  t["time_to_first_token_ms"] = r.queue_ms + r.prompt_ms;  // submit -> first token sampled
  const uint32_t n_new = r.n_prompt - r.n_cached;
  t["prompt_tokens_per_second"] = r.prompt_ms > 0 ? n_new * 1000.0 / r.prompt_ms : 0.0;
  t["generate_tokens_per_second"] =
      r.generate_ms > 0 && r.n_generated > 1 ? (r.n_generated - 1) * 1000.0 / r.generate_ms : 0.0;
  json m;
  m["input_tokens"] = r.n_prompt;
  m["cached_tokens"] = r.n_cached;
  m["restored_tokens"] = r.n_restored;  // of cached: from a saved (evicted) KV state
  m["shared_tokens"] = r.n_shared;      // of cached: copied from another conversation
  if (r.n_shifted) {
    m["shifted_tokens"] = r.n_shifted;
    m["kept_tokens"] = r.n_kept;
  }
  if (dropped_messages) m["dropped_messages"] = dropped_messages;
  m["output_tokens"] = r.n_generated;
  m["stop_reason"] = r.stop_reason;
  if (!r.stop_word.empty()) m["stop_word"] = r.stop_word;
  m["timings"] = t;
  if (!r.probs.empty()) {
    json probs = json::array();
    for (const auto& p : r.probs) {
      json top = json::array();
      for (const auto& c : p.top) top.push_back({{"token", c.token}, {"text", c.text}, {"prob", c.prob}});
      probs.push_back({{"token", p.token}, {"text", p.text}, {"prob", p.prob}, {"top", top}});
    }
    m["probs"] = probs;
  }
  if (!conv.session_id.empty()) m["session_id"] = conv.session_id;
  const std::string& path = conv.graph->engine->weights().path();
  m["model"] = path.substr(path.find_last_of('/') + 1);
  m["llama_cpp"] = {{"build_number", llama_build_number()}, {"commit", llama_commit()}};
  // A token's piece may be part of a UTF-8 sequence (or the model's output invalid UTF-8):
  // such bytes become U+FFFD rather than failing the dump.
  return m.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Turn-level context shift before a request: while the rendered conversation leaves too little
// room to answer, forget its oldest user/assistant pair (the system prompt stays). Returns the
// number of messages dropped from the front of *history.
size_t drop_old_turns(const Graph& graph, const RequestSettings& rs, const std::string& prompt,
                      std::vector<common_chat_msg>* history, BuiltPrompt* built) {
  const size_t n_ctx = graph.engine->n_ctx_seq();
  const size_t wanted = rs.n_predict > 0 ? static_cast<size_t>(rs.n_predict) : n_ctx / 4;
  const size_t room = std::max<size_t>(1, std::min(wanted, n_ctx / 2));
  size_t dropped = 0;
  while (built->tokens.size() + room > n_ctx && history->size() >= 2) {
    history->erase(history->begin(), history->begin() + 2);
    dropped += 2;
    *built = build_prompt(graph, rs, *history, prompt);
  }
  return dropped;
}

std::string error_json(const Error& e) {
  json m;
  m["error"] = {{"kind", error_kind_name(e.kind())}, {"message", e.what()}};
  return m.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

Turn begin_turn(ExecContext& ctx, const std::string& runtime_json) {
  Conversation& conv = *ctx.conv;
  if (conv.graph->engine->embedding()) {
    fail(ErrorKind::InvalidArgument, "streaming (compute_single) is not available on a model loaded with "
                                     "\"embedding\": true; call compute and read the vector at output 0");
  }
  std::string prompt, input_json;
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    if (!ctx.has_prompt) fail(ErrorKind::InvalidArgument, "compute called before set_input: set input 0 (the prompt) first");
    prompt = ctx.prompt;
    input_json = ctx.request_json;
  }
  std::vector<common_chat_msg> history;
  RenderedTurn last;
  {
    std::lock_guard<std::mutex> lock(conv.turn_mu);
    if (conv.in_turn) {
      stats_request_failed(ErrorKind::Busy);
      fail(ErrorKind::Busy, "a compute is already running on this conversation; wait for it to finish");
    }
    conv.in_turn = true;
    history = conv.history;
    last = conv.last_turn;
  }
  try {
    const Graph& graph = *conv.graph;
    const Engine& engine = *graph.engine;
    RequestSettings rs = merge_request_settings(graph, input_json, runtime_json);
    Turn turn;
    turn.prompt = prompt;
    turn.raw = is_raw_mode(rs);
    turn.timeout_ms = rs.timeout_ms;
    if (rs.reset || turn.raw) history.clear();
    if (rs.reset) {
      std::lock_guard<std::mutex> lock(conv.turn_mu);
      conv.history.clear();
      conv.last_turn = RenderedTurn();
    }
    BuiltPrompt built = build_prompt(graph, rs, history, prompt, rs.reset || turn.raw ? nullptr : &last);
    if (built.tokens.empty()) fail(ErrorKind::InvalidArgument, "the prompt is empty; set input 0 to some text");
    turn.dropped = rs.context_shift ? drop_old_turns(graph, rs, prompt, &history, &built) : 0;
    if (built.tokens.size() >= engine.n_ctx_seq()) {
      size_t alone = history.empty() ? built.tokens.size() : build_prompt(graph, rs, {}, prompt).tokens.size();
      check_fits(engine, built.tokens.size(), alone);
    }

    if (!turn.raw) turn.rendered = RenderedTurn{std::move(built.text), built.tokens, {}};
    auto req = std::make_shared<Request>();
    req->owner = conv.owner;
    req->prompt = std::move(built.tokens);
    req->cache_prompt = rs.cache_prompt;
    req->n_predict = rs.n_predict;
    req->n_probs = rs.sampling.n_probs;
    req->t_max_predict_ms = rs.t_max_predict_ms;
    req->priority = rs.priority;
    req->context_shift = rs.context_shift;
    req->n_keep = rs.n_keep;
    req->n_discard = rs.n_discard;
    std::vector<std::string> stops = rs.stop;
    stops.insert(stops.end(), built.template_stops.begin(), built.template_stops.end());
    req->stop = StopMatcher(std::move(stops));
    req->sampler = make_sampler(engine, rs);
    req->greedy = plan_greedy(rs.sampling, engine.weights().vocab());
    for (llama_token t : req->prompt) common_sampler_accept(req->sampler, t, false);
    {
      std::lock_guard<std::mutex> lock(ctx.mu);
      if (ctx.closed) fail(ErrorKind::Cancelled, "the execution context was closed");
      ctx.inflight = req;
      ctx.request_json.clear();  // index 1 applies to one compute only
    }
    graph.engine->submit(req);
    turn.req = std::move(req);
    return turn;
  } catch (const Error& e) {
    fail_turn(ctx, e);
    throw;
  }
}

const RequestResult& wait_turn(const ExecContext& ctx, const Turn& turn) {
  Request& req = *turn.req;
  if (turn.timeout_ms > 0 && !req.wait_until(req.t_submit + std::chrono::milliseconds(turn.timeout_ms))) {
    req.cancel(ErrorKind::Timeout, "the request did not finish within timeout_ms (" +
                                       std::to_string(turn.timeout_ms) + " ms); raise timeout_ms or retry later");
    ctx.conv->graph->engine->wake();
  }
  return req.wait();
}

void end_turn(ExecContext& ctx, const Turn& turn, const RequestResult& res) {
  Conversation& conv = *ctx.conv;
  std::string meta;
  {
    std::lock_guard<std::mutex> lock(conv.turn_mu);
    if (!turn.raw) {
      conv.history.erase(conv.history.begin(), conv.history.begin() + std::min(turn.dropped, conv.history.size()));
      common_chat_msg user, assistant;
      user.role = "user";
      user.content = turn.prompt;
      assistant.role = "assistant";
      assistant.content = res.text;
      conv.history.push_back(std::move(user));
      conv.history.push_back(std::move(assistant));
      conv.last_turn = turn.rendered;
      conv.last_turn.reply = res.tokens;
    } else {
      conv.last_turn = RenderedTurn();
    }
    conv.last_used = Clock::now();
    meta = metadata_json(res, conv, turn.dropped);
    conv.in_turn = false;
  }
  stats_request_done(res);
  std::lock_guard<std::mutex> lock(ctx.mu);
  ctx.inflight.reset();
  ctx.output_text = res.text;
  ctx.output_meta = std::move(meta);
}

void fail_turn(ExecContext& ctx, const Error& e) {
  LOG_WARN("compute failed (%s): %s", error_kind_name(e.kind()), e.what());
  stats_request_failed(e.kind());
  {
    std::lock_guard<std::mutex> lock(ctx.conv->turn_mu);
    ctx.conv->in_turn = false;
  }
  std::lock_guard<std::mutex> lock(ctx.mu);
  ctx.inflight.reset();
  ctx.output_text.clear();
  ctx.output_meta = error_json(e);
  ctx.request_json.clear();
}

void run_compute(ExecContext& ctx, const std::string& runtime_json) {
  if (ctx.conv->graph->engine->embedding()) return run_embedding(ctx, runtime_json);
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    if (ctx.stream) fail(ErrorKind::Busy, "a stream is open on this context; call fini_single first");
  }
  Turn turn = begin_turn(ctx, runtime_json);
  const RequestResult& res = wait_turn(ctx, turn);
  if (res.error) {
    fail_turn(ctx, *res.error);
    throw *res.error;
  }
  end_turn(ctx, turn, res);
}

}  // namespace wasi_nn
