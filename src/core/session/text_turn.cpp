#include "core/session/text_turn.h"

#include <algorithm>

#include "common.h"
#include "core/base/error.h"
#include "core/session/metadata.h"
#include "core/session/prompt_builder.h"
#include "core/session/sampler_setup.h"

namespace wasi_nn {
namespace {

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

// Each generated token keeps n_probs candidates with their text: a request may not hold more
// than this many in memory.
constexpr int64_t kMaxProbEntries = 1 << 20;

void check_probs_memory(const RequestSettings& rs, const Engine& engine) {
  const int64_t n_probs = rs.sampling.n_probs;
  if (n_probs == 0) return;
  const int64_t n_tokens = rs.n_predict >= 0 ? rs.n_predict : engine.n_ctx_seq();
  if (n_tokens * n_probs > kMaxProbEntries) {
    fail(ErrorKind::InvalidArgument,
         "n_probs " + std::to_string(n_probs) + " for up to " + std::to_string(n_tokens) +
             " generated tokens would keep " + std::to_string(n_tokens * n_probs) + " candidates; the limit is " +
             std::to_string(kMaxProbEntries) + ". Lower n_probs or n_predict");
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
    fail(ErrorKind::InvalidArgument, "this model was loaded for text generation; embeddings need a model "
                                     "loaded with {\"embedding\": true} (load it again with that key)");
  }
  const Graph& graph = *conv_.graph();
  const Engine& engine = *graph.engine;
  RequestSettings rs = s.request;
  check_probs_memory(rs, engine);
  input_ = input;
  raw_ = rs.chat.mode == ChatMode::Raw;
  std::vector<common_chat_msg> history = raw_ ? std::vector<common_chat_msg>() : start.history;
  new_media_ = start.media;
  const MediaList media = turn_media(start, raw_);
  // With a projector, a marker without a medium is an error too (media_turn.h), not text.
  const bool with_media = !media.empty() || (graph.projector && count_markers(input, media_marker(rs)) > 0);
  BuiltPrompt built = build_prompt(graph, rs, history, input, raw_ || with_media ? nullptr : &start.last);
  std::shared_ptr<const MediaPrompt> media_prompt;
  if (with_media) {
    MediaTokens mt = tokenize_with_media(graph, rs, raw_ ? input : built.text, media, new_media_.size());
    built.tokens = std::move(mt.tokens);
    media_prompt = std::move(mt.media);
  }
  if (built.tokens.empty()) fail(ErrorKind::InvalidArgument, "the prompt is empty; set input 0 to some text");
  // Turns with media are not dropped: the conversation's media would have to follow them.
  dropped_ = rs.context_shift && !with_media ? drop_old_turns(graph, rs, input, &history, &built) : 0;
  if (built.tokens.size() >= engine.n_ctx_seq()) {
    size_t alone = history.empty() || with_media ? built.tokens.size() : build_prompt(graph, rs, {}, input).tokens.size();
    check_fits(engine, built.tokens.size(), alone);
  }
  if (!raw_) rendered_ = RenderedTurn{std::move(built.text), built.tokens, {}};

  auto req = std::make_shared<Request>();
  req->owner = conv_.owner();
  req->tenant = conv_.tenant();
  req->prompt = std::move(built.tokens);
  req->cache_prompt = rs.cache_prompt;
  req->n_predict = rs.n_predict;
  req->n_probs = rs.sampling.n_probs;
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
  if (rs.sampling.grammar_lazy) req->triggers = std::make_unique<TriggerWatch>(rs.sampling, graph.input_limits);
  req->greedy = plan_greedy(rs.sampling, engine.weights().vocab());
  // The sampler's penalties see the whole conversation, not only the reply.
  // Media stand-ins (negative, media_prompt.h) are no vocabulary tokens: the samplers skip them.
  for (llama_token t : req->prompt) {
    if (t >= 0) common_sampler_accept(req->sampler, t, false);
  }
  return req;
}

TurnRecord TextTurn::record(const RequestResult& res) const {
  TurnRecord r;
  if (raw_) {
    r.kind = TurnRecord::Kind::Raw;
    return r;
  }
  r.kind = TurnRecord::Kind::Chat;
  r.dropped = dropped_;
  r.user = input_;
  r.user_media = new_media_;
  r.reply = res.text;
  r.rendered = rendered_;
  r.rendered.reply = res.tokens;
  return r;
}

TurnOutputs TextTurn::outputs(const RequestResult& res, const Conversation& conv) const {
  return TurnOutputs{res.text, text_metadata_json(res, conv, dropped_)};
}

}  // namespace wasi_nn
