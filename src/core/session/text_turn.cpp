#include "core/session/text_turn.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common.h"
#include "core/base/error.h"
#include "core/session/agent_metadata.h"
#include "core/session/agent_prompt.h"
#include "core/session/messages_input.h"
#include "core/session/metadata.h"
#include "core/session/prompt_builder.h"
#include "core/session/sampler_setup.h"

namespace wasi_nn {
namespace {

void check_fits(const Engine& engine, size_t n_prompt, size_t n_without_history) {
  const size_t n_ctx = engine.n_ctx_seq();
  if (n_prompt < n_ctx) return;
  if (n_without_history < n_ctx) {
    fail(ErrorKind::ContextFull, "the conversation is " + std::to_string(n_prompt) + " tokens and no longer fits the " +
                                     std::to_string(n_ctx) +
                                     "-token context; send {\"reset\": true} or open a new "
                                     "session, or load the model with a larger ctx_size");
  }
  fail(ErrorKind::PromptTooLong, "the prompt is " + std::to_string(n_prompt) + " tokens but the context holds " +
                                     std::to_string(n_ctx) +
                                     " per sequence (ctx_size); shorten the prompt or load the "
                                     "model with a larger ctx_size");
}

// Messages in front of the history that make up its oldest exchange: up to the next user
// message, so a tool result never stays without the call it answers.
size_t oldest_exchange(const std::vector<common_chat_msg>& history) {
  size_t n = 1;
  while (n < history.size() && history[n].role != "user") ++n;
  return n;
}

// Turn-level context shift before a request: while the rendered conversation leaves too little
// room to answer, forget its oldest exchange (the system prompt stays). Returns the number of
// messages dropped from the front of *history.
size_t drop_old_turns(const Graph& graph, const RequestSettings& rs, const std::vector<common_chat_msg>& added,
                      std::vector<common_chat_msg>* history, BuiltPrompt* built) {
  const size_t n_ctx = graph.engine->n_ctx_seq();
  const size_t wanted = rs.n_predict > 0 ? static_cast<size_t>(rs.n_predict) : n_ctx / 4;
  const size_t room = std::max<size_t>(1, std::min(wanted, n_ctx / 2));
  size_t dropped = 0;
  while (built->tokens.size() + room > n_ctx && history->size() >= 2) {
    const size_t n = oldest_exchange(*history);
    history->erase(history->begin(), history->begin() + n);
    dropped += n;
    *built = build_prompt(graph, rs, *history, added);
  }
  return dropped;
}

// Each generated (and, with prompt_logprobs, prompt) token keeps n candidates with their text:
// a request may not hold more than this many in memory.
constexpr int64_t kMaxProbEntries = 1 << 20;

void check_probs_memory(const RequestSettings& rs, const Engine& engine) {
  const int64_t n_probs = rs.sampling.n_probs;
  const int64_t n_tokens = rs.n_predict >= 0 ? rs.n_predict : engine.n_ctx_seq();
  const int64_t entries = n_tokens * n_probs + int64_t(engine.n_ctx_seq()) * rs.agent.prompt_logprobs;
  if (entries > kMaxProbEntries) {
    fail(ErrorKind::InvalidArgument,
         "n_probs " + std::to_string(n_probs) + " for up to " + std::to_string(n_tokens) +
             " generated tokens (and prompt_logprobs " + std::to_string(rs.agent.prompt_logprobs) +
             " for a prompt of up to " + std::to_string(engine.n_ctx_seq()) + ") would keep " +
             std::to_string(entries) + " candidates; the limit is " + std::to_string(kMaxProbEntries) +
             ". Lower n_probs, prompt_logprobs or n_predict");
  }
}

void check_request(const RequestSettings& rs, bool raw) {
  if (rs.agent.task != TaskKind::Generate) {
    fail(ErrorKind::InvalidArgument,
         std::string("task \"") + enum_name(rs.agent.task) + "\" is answered by compute, not streamed; call compute");
  }
  if (raw && rs.agent.input_format == InputFormat::Messages) {
    fail(ErrorKind::InvalidArgument, "input_format \"messages\" needs mode \"chat\" (raw mode takes text as it is)");
  }
  if (raw && rs.agent.tools_active()) {
    fail(ErrorKind::InvalidArgument, "tools need mode \"chat\": the chat template presents them to the model");
  }
}

// Lazy tool-call grammars come with the template's triggers; TriggerWatch bounds their cost.
std::unique_ptr<TriggerWatch> watch_triggers(const RequestSettings& rs, const InputLimits& limits) {
  try {
    return std::make_unique<TriggerWatch>(rs.sampling, limits);
  } catch (const Error& e) {
    if (!rs.agent.tools_active()) throw;
    fail(ErrorKind::InvalidArgument, std::string("this model's tool-call format starts a call at a trigger the "
                                                 "backend cannot watch within its bounds (") +
                                         e.what() + "); set tool_choice to \"required\", which needs no trigger");
  }
}

// The media the prompt places: raw, this turn's; chat, every earlier user message's, then this
// turn's (the rendered conversation holds their markers in that order).
MediaList turn_media(const TurnStart& start, bool raw) {
  MediaList all;
  if (!raw) {
    for (const auto& m : start.history_media) all.insert(all.end(), m.begin(), m.end());
  }
  all.insert(all.end(), start.media.begin(), start.media.end());
  return all;
}

}  // namespace

RequestPtr TextTurn::prepare(const std::string& input, const Settings& s, const TurnStart& start) {
  if (s.context.embedding) {
    fail(ErrorKind::InvalidArgument,
         "this model was loaded for text generation; embeddings need a model "
         "loaded with {\"embedding\": true} (load it again with that key)");
  }
  const Graph& graph = *conv_.graph();
  const Engine& engine = *graph.engine;
  RequestSettings rs = s.request;
  raw_ = rs.chat.mode == ChatMode::Raw;
  check_request(rs, raw_);
  check_probs_memory(rs, engine);
  std::vector<common_chat_msg> history = raw_ ? std::vector<common_chat_msg>() : start.history;
  new_media_ = start.media;
  const MediaList media = turn_media(start, raw_);
  // With a projector, a marker without a medium is an error too (media_turn.h), not text.
  const bool with_media = !media.empty() || (graph.projector && count_markers(input, media_marker(rs)) > 0);
  BuiltPrompt built;
  if (raw_) {
    built = build_raw_prompt(graph, input);
  } else {
    added_ = turn_messages(input, rs.agent.input_format, graph.input_limits);
    built = build_prompt(graph, rs, history, added_, with_media ? nullptr : &start.last);
  }
  std::shared_ptr<const MediaPrompt> media_prompt;
  if (with_media) {
    MediaTokens mt = tokenize_with_media(graph, rs, raw_ ? input : built.text, media, new_media_.size());
    built.tokens = std::move(mt.tokens);
    media_prompt = std::move(mt.media);
  }
  if (built.tokens.empty()) fail(ErrorKind::InvalidArgument, "the prompt is empty; set input 0 to some text");
  // Turns with media are not dropped: the conversation's media would have to follow them.
  dropped_ = !raw_ && rs.context_shift && !with_media ? drop_old_turns(graph, rs, added_, &history, &built) : 0;
  if (built.tokens.size() >= engine.n_ctx_seq()) {
    size_t alone =
        history.empty() || with_media ? built.tokens.size() : build_prompt(graph, rs, {}, added_).tokens.size();
    check_fits(engine, built.tokens.size(), alone);
  }
  auto req = std::make_shared<Request>();
  if (!raw_) {
    rendered_ = RenderedTurn{std::move(built.text), built.tokens, {}};
    apply_reply_format(*built.reply, rs.agent, engine.weights().vocab(), rs.sampling, &req->preserved);
    parser_ = std::make_shared<ReplyParser>(built.reply, graph.input_limits);
  }
  req->adapters = graph.adapter_set(s);
  req->owner = conv_.owner();
  req->tenant = conv_.tenant();
  req->prompt = std::move(built.tokens);
  req->cache_prompt = rs.cache_prompt;
  req->n_predict = rs.n_predict;
  req->n_probs = rs.sampling.n_probs;
  req->n_prompt_probs = rs.agent.prompt_logprobs;
  req->t_max_predict_ms = rs.t_max_predict_ms;
  req->priority = rs.priority;
  req->media = std::move(media_prompt);
  req->context_shift = rs.context_shift && !req->media;  // a shift would cut a medium
  req->n_keep = rs.n_keep;
  req->n_discard = rs.n_discard;
  std::vector<std::string> stops = rs.stop;
  stops.insert(stops.end(), built.template_stops.begin(), built.template_stops.end());
  req->stop = StopMatcher(std::move(stops));
  req->sampler = make_sampler(engine, rs, graph.input_limits);
  req->has_grammar = !common_grammar_value(rs.sampling.grammar).empty();
  if (rs.sampling.grammar_lazy) req->triggers = watch_triggers(rs, graph.input_limits);
  req->greedy = plan_greedy(rs.sampling, engine.weights().vocab());
  // The sampler's penalties see the whole conversation, not only the reply.
  // Media stand-ins (negative, media_prompt.h) are no vocabulary tokens: the samplers skip them.
  for (llama_token t : req->prompt) {
    if (t >= 0) common_sampler_accept(req->sampler, t, false);
  }
  return req;
}

const ParsedReply* TextTurn::parsed(const RequestResult& res) const {
  if (!parser_ || !parser_->active()) return nullptr;
  if (!parsed_) parsed_ = parser_->parse(res.text, /*partial=*/false);
  return &*parsed_;
}

std::unique_ptr<ReplyStream> TextTurn::reply_stream() const {
  if (!parser_ || !parser_->active()) return nullptr;
  return std::make_unique<ReplyStream>(parser_);
}

TurnRecord TextTurn::record(const RequestResult& res) const {
  TurnRecord r;
  if (raw_) {
    r.kind = TurnRecord::Kind::Raw;
    return r;
  }
  r.kind = TurnRecord::Kind::Chat;
  r.dropped = dropped_;
  r.user_media = new_media_;
  r.messages = added_;
  const ParsedReply* reply = parsed(res);
  if (reply) {
    r.messages.push_back(reply->msg);
  } else {
    common_chat_msg assistant;
    assistant.role = "assistant";
    assistant.content = res.text;
    r.messages.push_back(std::move(assistant));
  }
  r.rendered = rendered_;
  r.rendered.reply = res.tokens;
  return r;
}

TurnOutputs TextTurn::outputs(const RequestResult& res, const Conversation& conv) const {
  const ParsedReply* reply = parsed(res);
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  add_agent_metadata(extra, res, reply);
  return TurnOutputs{reply ? reply->msg.content : res.text, text_metadata_json(res, conv, dropped_, &extra)};
}

}  // namespace wasi_nn
