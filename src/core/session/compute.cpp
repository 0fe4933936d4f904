// run_compute: the caller-thread half of a request (settings, template, tokens, sampler),
// the hand-off to the engine's worker, and the outputs.
#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/config/config_parser.h"
#include "core/error.h"
#include "core/log.h"
#include "core/session/exec_context.h"
#include "core/session/prompt_builder.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

RequestSettings merge_request_settings(const Graph& graph, const std::string& input_json,
                                       const std::string& runtime_json) {
  Settings s = graph.settings;
  parse_config(input_json, kScopeRequest, s);
  parse_config(runtime_json, kScopeRequest, s);
  return s.request;
}

// The caller owns the result. Fails InvalidArgument when llama.cpp rejects the sampling setup
// (a grammar that does not parse is the usual cause).
common_sampler* make_sampler(const Engine& engine, RequestSettings& rs) {
  common_params_sampling& sp = rs.sampling;
  const int32_t n_ctx = static_cast<int32_t>(engine.n_ctx_seq());
  if (sp.penalty_last_n == -1) sp.penalty_last_n = n_ctx;
  if (sp.dry_penalty_last_n == -1) sp.dry_penalty_last_n = n_ctx;
  sp.n_prev = std::max(sp.n_prev, sp.penalty_last_n);  // the sampler's history must cover the penalty window
  const int32_t n_vocab = llama_vocab_n_tokens(engine.weights().vocab());
  for (const auto& lb : sp.logit_bias) {
    if (lb.token < 0 || lb.token >= n_vocab) {
      fail(ErrorKind::InvalidArgument, "logit_bias names token " + std::to_string(lb.token) +
                                           " but the model's vocabulary has tokens 0.." + std::to_string(n_vocab - 1));
    }
  }
  if (sp.ignore_eos) {
    const llama_vocab* vocab = engine.weights().vocab();
    for (llama_token t = 0; t < llama_vocab_n_tokens(vocab); ++t) {
      if (llama_vocab_is_eog(vocab, t)) sp.logit_bias.push_back({t, -INFINITY});
    }
  }
  common_sampler* smpl = common_sampler_init(engine.weights().get(), sp);
  if (!smpl) {
    fail(ErrorKind::InvalidArgument,
         "the sampling settings were rejected by llama.cpp (most often a grammar or json_schema "
         "that does not parse; set WASI_NN_LOG_LEVEL=warn to see its reason)");
  }
  return smpl;
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

std::string metadata_json(const RequestResult& r, const Conversation& conv) {
  json t;
  t["queue_ms"] = r.queue_ms;
  t["prompt_ms"] = r.prompt_ms;
  t["generate_ms"] = r.generate_ms;
  const uint32_t n_new = r.n_prompt - r.n_cached;
  t["prompt_tokens_per_second"] = r.prompt_ms > 0 ? n_new * 1000.0 / r.prompt_ms : 0.0;
  t["generate_tokens_per_second"] =
      r.generate_ms > 0 && r.n_generated > 1 ? (r.n_generated - 1) * 1000.0 / r.generate_ms : 0.0;
  json m;
  m["input_tokens"] = r.n_prompt;
  m["cached_tokens"] = r.n_cached;
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
  return m.dump();
}

std::string error_json(const Error& e) {
  json m;
  m["error"] = {{"kind", error_kind_name(e.kind())}, {"message", e.what()}};
  return m.dump();
}

}  // namespace

void run_compute(ExecContext& ctx, const std::string& runtime_json) {
  Conversation& conv = *ctx.conv;
  std::unique_lock<std::mutex> turn(conv.turn_mu, std::try_to_lock);
  if (!turn.owns_lock()) {
    fail(ErrorKind::Busy, "a compute is already running on this conversation; wait for it to finish");
  }
  std::string prompt, input_json;
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    if (!ctx.has_prompt) fail(ErrorKind::InvalidArgument, "compute called before set_input: set input 0 (the prompt) first");
    prompt = ctx.prompt;
    input_json = ctx.request_json;
  }
  try {
    const Graph& graph = *conv.graph;
    const Engine& engine = *graph.engine;
    RequestSettings rs = merge_request_settings(graph, input_json, runtime_json);
    if (rs.reset) conv.history.clear();
    const bool raw = is_raw_mode(rs);
    BuiltPrompt built = build_prompt(graph, rs, raw ? std::vector<common_chat_msg>{} : conv.history, prompt);
    if (built.tokens.empty()) fail(ErrorKind::InvalidArgument, "the prompt is empty; set input 0 to some text");
    if (built.tokens.size() >= engine.n_ctx_seq()) {
      size_t alone = raw || conv.history.empty() ? built.tokens.size() : build_prompt(graph, rs, {}, prompt).tokens.size();
      check_fits(engine, built.tokens.size(), alone);
    }

    auto req = std::make_shared<Request>();
    req->owner = conv.owner;
    req->prompt = std::move(built.tokens);
    req->cache_prompt = rs.cache_prompt;
    req->n_predict = rs.n_predict;
    req->n_probs = rs.sampling.n_probs;
    req->t_max_predict_ms = rs.t_max_predict_ms;
    std::vector<std::string> stops = rs.stop;
    stops.insert(stops.end(), built.template_stops.begin(), built.template_stops.end());
    req->stop = StopMatcher(std::move(stops));
    req->sampler = make_sampler(engine, rs);
    for (llama_token t : req->prompt) common_sampler_accept(req->sampler, t, false);

    {
      std::lock_guard<std::mutex> lock(ctx.mu);
      if (ctx.closed) fail(ErrorKind::Cancelled, "the execution context was closed");
      ctx.inflight = req;
    }
    graph.engine->submit(req);
    const RequestResult& res = req->wait();
    {
      std::lock_guard<std::mutex> lock(ctx.mu);
      ctx.inflight.reset();
    }
    if (res.error) throw *res.error;

    if (!raw) {
      common_chat_msg user, assistant;
      user.role = "user";
      user.content = prompt;
      assistant.role = "assistant";
      assistant.content = res.text;
      conv.history.push_back(std::move(user));
      conv.history.push_back(std::move(assistant));
    }
    conv.last_used = Clock::now();
    std::lock_guard<std::mutex> lock(ctx.mu);
    ctx.output_text = res.text;
    ctx.output_meta = metadata_json(res, conv);
    ctx.request_json.clear();  // index 1 applies to one compute only
  } catch (const Error& e) {
    LOG_WARN("compute failed (%s): %s", error_kind_name(e.kind()), e.what());
    std::lock_guard<std::mutex> lock(ctx.mu);
    ctx.inflight.reset();
    ctx.output_text.clear();
    ctx.output_meta = error_json(e);
    ctx.request_json.clear();
    throw;
  }
}

}  // namespace wasi_nn
