#include "core/session/prompt_builder.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "common.h"
#include "core/base/error.h"
#include "core/base/mutex.h"
#include "core/session/agent_prompt.h"
#include "core/session/graph.h"

namespace wasi_nn {

namespace {

// A chat_template that names one of llama.cpp's built-in formats ("llama3", "phi3", ...). These
// are rendered by llama.cpp's built-in formatter (llama_chat_apply_template), as llama-server
// does without --jinja: given to the Jinja engine, a name would render as its own text.
bool is_builtin_template(const std::string& name) {
  std::vector<const char*> names(llama_chat_builtin_templates(nullptr, 0));
  llama_chat_builtin_templates(names.data(), names.size());
  return std::find_if(names.begin(), names.end(), [&](const char* n) { return name == n; }) != names.end();
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// The template's end-of-turn marker ("<|im_end|>", "<|end|>", "</s>", ...): what it writes
// after an assistant reply, found by rendering a one-turn exchange whose reply is a sentinel.
// The model should end its turn with it; when it spells the marker as plain text (or the
// template is not the model's own), the marker is a stop string. Empty when the template puts
// only whitespace there or cannot render the exchange.
std::string render_end_of_turn(const ChatTemplates* tmpls, bool use_jinja) {
  static const char* kSentinel = "WasiNnEndOfTurnProbe";
  common_chat_templates_inputs in;
  common_chat_msg user, reply;
  user.role = "user";
  user.content = "Hi";
  reply.role = "assistant";
  reply.content = kSentinel;
  in.messages = {user, reply};
  in.add_generation_prompt = false;
  in.use_jinja = use_jinja;
  try {
    const std::string text = tmpls->apply(in).prompt;
    const size_t at = text.rfind(kSentinel);
    return at == std::string::npos ? "" : trim(text.substr(at + std::string(kSentinel).size()));
  } catch (const std::exception&) {
    return "";
  }
}

// Rendering costs as much as a request's own prompt, so markers are kept per template source
// (a few templates per process; the cache is emptied if hostile requests grow it).
struct MarkerCache {
  Mutex mu;
  std::map<std::string, std::string> markers GUARDED_BY(mu);  // template source -> marker
};

std::string end_of_turn(const ChatTemplates* tmpls, bool use_jinja) {
  static MarkerCache* cache = new MarkerCache();  // leaked: used until the process ends
  const std::string key = (use_jinja ? "j:" : "b:") + tmpls->source();
  {
    MutexLock lock(cache->mu);
    auto it = cache->markers.find(key);
    if (it != cache->markers.end()) return it->second;
  }
  std::string marker = render_end_of_turn(tmpls, use_jinja);
  MutexLock lock(cache->mu);
  if (cache->markers.size() >= 64) cache->markers.clear();
  cache->markers.emplace(key, marker);
  return marker;
}

// The tokens of `text` when it starts with the previous turn's prompt and reply: the previous
// prompt tokens, then the reply tokens whose pieces the text repeats (a template may trim the
// reply, a stop string may have cut it), then the rest tokenized. Empty when it does not start
// so (history dropped or edited, another system prompt or template).
std::vector<llama_token> tokens_after(const llama_vocab* vocab, const RenderedTurn& prev, const std::string& text,
                                      size_t* reused) {
  if (prev.text.empty() || text.compare(0, prev.text.size(), prev.text) != 0) return {};
  std::vector<llama_token> out = prev.prompt;
  size_t at = prev.text.size();
  for (llama_token t : prev.reply) {
    const std::string piece = common_token_to_piece(vocab, t, /*special=*/true);
    if (piece.empty() || text.compare(at, piece.size(), piece) != 0) break;
    out.push_back(t);
    at += piece.size();
  }
  *reused = out.size();
  const auto rest = common_tokenize(vocab, text.substr(at), /*add_special=*/false, /*parse_special=*/true);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace

bool is_raw_mode(const RequestSettings& settings) { return settings.chat.mode == ChatMode::Raw; }

BuiltPrompt build_raw_prompt(const Graph& graph, const std::string& text) {
  BuiltPrompt out;
  out.tokens = common_tokenize(graph.engine->weights().vocab(), text, /*add_special=*/true, /*parse_special=*/true);
  return out;
}

BuiltPrompt build_prompt(const Graph& graph, const RequestSettings& settings,
                         const std::vector<common_chat_msg>& history, const std::vector<common_chat_msg>& added,
                         const RenderedTurn* previous) {
  const llama_vocab* vocab = graph.engine->weights().vocab();
  BuiltPrompt out;
  // A request may name another template than the load did; build it on this thread.
  std::shared_ptr<const ChatTemplates> own;
  const ChatTemplates* tmpls = graph.templates.get();
  if (settings.chat.chat_template != graph.settings.request.chat.chat_template) {
    own = make_templates(graph.engine->weights(), settings.chat.chat_template, graph.input_limits, /*validate=*/false);
    tmpls = own.get();
  }
  common_chat_templates_inputs in;
  if (!settings.chat.system_prompt.empty()) {
    common_chat_msg sys;
    sys.role = "system";
    sys.content = settings.chat.system_prompt;
    in.messages.push_back(sys);
  }
  in.messages.insert(in.messages.end(), history.begin(), history.end());
  in.messages.insert(in.messages.end(), added.begin(), added.end());
  in.add_generation_prompt = true;
  in.use_jinja = !is_builtin_template(settings.chat.chat_template);
  ChatTurnRender rendered = render_chat_turn(*tmpls, std::move(in), settings, graph.input_limits);
  common_chat_params& params = rendered.params;
  out.reply = std::move(rendered.reply);
  if (previous) out.tokens = tokens_after(vocab, *previous, params.prompt, &out.reused);
  if (out.tokens.empty()) {
    out.tokens = common_tokenize(vocab, params.prompt, /*add_special=*/true, /*parse_special=*/true);
  }
  out.text = std::move(params.prompt);
  out.template_stops = params.additional_stops;
  const std::string marker = end_of_turn(tmpls, !is_builtin_template(settings.chat.chat_template));
  if (!marker.empty() &&
      std::find(out.template_stops.begin(), out.template_stops.end(), marker) == out.template_stops.end()) {
    out.template_stops.push_back(marker);
  }
  return out;
}

}  // namespace wasi_nn
