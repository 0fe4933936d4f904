#include "core/session/agent_prompt.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common.h"
#include "core/base/error.h"
#include "core/input/input_error.h"
#include "core/session/tool_fallback.h"

namespace wasi_nn {
namespace {

// The functions this request offers: all of them, or only the one tool_choice names.
std::vector<ToolSpec> offered_tools(const AgentSettings& a) {
  if (a.tool_choice != ToolChoice::Named) return a.tools;
  for (const auto& t : a.tools) {
    if (t.name == a.tool_name) return {t};
  }
  fail(ErrorKind::InvalidArgument, "tool_choice names the function " + shown_text(a.tool_name) +
                                       ", which is not in tools; name one of the tools given");
}

std::vector<common_chat_tool> to_common(const std::vector<ToolSpec>& tools) {
  std::vector<common_chat_tool> out;
  for (const auto& t : tools) out.push_back({t.name, t.description, t.parameters});
  return out;
}

ChatRender render(const ChatTemplates& tmpls, const common_chat_templates_inputs& in) {
  try {
    return tmpls.render(in);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument, std::string("the chat template failed on this conversation: ") + e.what() +
                                         ". Use mode \"raw\" to send a preformatted prompt.");
  }
}

bool required_call(const AgentSettings& a) {
  return a.tool_choice == ToolChoice::Required || a.tool_choice == ToolChoice::Named;
}

// llama.cpp's call grammars let text come before the call ("root ::= <generation prompt> space
// until-N? tool-calls", where until-N is any text up to the call marker): a model may then write
// text until n_predict and never call. A required call starts right away: the optional text goes.
std::string call_first(const std::string& grammar) {
  const size_t root = grammar.rfind("root ::= ", 0) == 0 ? 0 : grammar.find("\nroot ::= ");
  if (root == std::string::npos) return grammar;
  const size_t end = std::min(grammar.find('\n', root + 1), grammar.size());
  std::string out = grammar.substr(0, root);
  bool quoted = false;
  for (size_t i = root; i < end; ++i) {
    const char c = grammar[i];
    if (quoted && c == '\\') {
      out += grammar.substr(i++, 2);
      continue;
    }
    if (!quoted && c == '[') {  // a character class, which may hold a quote
      size_t j = i + 1;
      while (j < end && grammar[j] != ']') j += grammar[j] == '\\' ? 2 : 1;
      out += grammar.substr(i, std::min(j, end - 1) - i + 1);
      i = std::min(j, end - 1);
      continue;
    }
    if (c == '"') quoted = !quoted;
    const bool word_start = !quoted && grammar.compare(i, 7, " until-") == 0;
    if (word_start) {
      size_t j = i + 7;
      while (j < end && std::isdigit(static_cast<unsigned char>(grammar[j]))) ++j;
      if (j < end && grammar[j] == '?' && j > i + 7) {
        i = j;  // the optional text rule goes
        continue;
      }
    }
    out += c;
  }
  return out + grammar.substr(end);
}

// llama.cpp's grammars for some formats (Hermes' and Qwen's <tool_call> blocks) repeat whole call
// blocks whatever parallel_tool_calls says ("tool-calls ::= (tool-call space)+"); without
// parallel calls a reply holds one.
std::string one_call(const std::string& grammar) {
  for (const char* repeated : {"\ntool-calls ::= (tool-call space)+\n", "\ntool-calls ::= (tool-call? space)+\n"}) {
    const size_t at = grammar.find(repeated);
    if (at != std::string::npos) {
      return grammar.substr(0, at) + "\ntool-calls ::= tool-call space\n" + grammar.substr(at + std::strlen(repeated));
    }
  }
  return grammar;
}

// Markers a stream holds back while they may still be forming.
std::vector<std::string> markers_of(const common_chat_params& p) {
  std::vector<std::string> m = p.preserved_tokens;
  m.push_back(p.thinking_start_tag);
  m.insert(m.end(), p.thinking_end_tags.begin(), p.thinking_end_tags.end());
  for (const auto& t : p.grammar_triggers) {
    if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_WORD) m.push_back(t.value);
  }
  m.erase(std::remove(m.begin(), m.end(), std::string()), m.end());
  return m;
}

// `own_grammar`: the request's grammar or json_schema shapes an answer (tool_choice none only).
std::shared_ptr<ReplyFormat> generic_format(const ChatTemplates& tmpls, common_chat_templates_inputs in,
                                            const std::vector<ToolSpec>& tools, const AgentSettings& a,
                                            bool own_grammar, const InputLimits& limits, common_chat_params* rendered) {
  in.messages = fallback_messages(in.messages, tools);
  in.tools.clear();
  *rendered = render(tmpls, in).params;
  auto f = std::make_shared<ReplyFormat>();
  f->kind = ReplyFormat::Kind::Generic;
  f->tools = a.tools_active();
  f->parallel = a.parallel_tool_calls;
  const FallbackReply allowed = !a.tools_active()  ? FallbackReply::Answer
                                : required_call(a) ? FallbackReply::Call
                                                   : FallbackReply::CallOrAnswer;
  if (!own_grammar) f->params.grammar = fallback_grammar(tools, allowed, a.parallel_tool_calls, limits);
  return f;
}

}  // namespace

ChatTurnRender render_chat_turn(const ChatTemplates& tmpls, common_chat_templates_inputs in, const RequestSettings& rs,
                                const InputLimits& limits) {
  const AgentSettings& a = rs.agent;
  const bool tools = a.tools_active();
  const bool presented = a.tools_presented();
  const bool own_grammar = !common_grammar_value(rs.sampling.grammar).empty();
  if (tools && own_grammar) {
    fail(ErrorKind::InvalidArgument,
         "tools and grammar (or json_schema) both constrain the reply; give only one, "
         "or set tool_choice to \"none\"");
  }
  const std::vector<ToolSpec> offered = presented ? offered_tools(a) : std::vector<ToolSpec>();
  in.reasoning_format = static_cast<common_reasoning_format>(a.reasoning_format);
  in.enable_thinking = a.reasoning_budget != 0;
  ChatTurnRender out;
  if (presented && in.use_jinja) {
    in.tools = to_common(offered);
    in.tool_choice = !tools             ? COMMON_CHAT_TOOL_CHOICE_NONE
                     : required_call(a) ? COMMON_CHAT_TOOL_CHOICE_REQUIRED
                                        : COMMON_CHAT_TOOL_CHOICE_AUTO;
    in.parallel_tool_calls = a.parallel_tool_calls;
  }
  ChatRender r;
  if (!presented || in.use_jinja) r = render(tmpls, in);
  if (presented && (!in.use_jinja || !r.caps["supports_tool_calls"])) {
    out.reply = generic_format(tmpls, in, offered, a, own_grammar, limits, &out.params);
    return out;
  }
  auto f = std::make_shared<ReplyFormat>();
  f->tools = tools;
  f->parallel = a.parallel_tool_calls;
  const bool thinks = a.reasoning_format != ReasoningFormat::None && r.params.supports_thinking;
  if (tools || thinks) {
    f->kind = ReplyFormat::Kind::Chat;
    f->parser = load_chat_parser(r.params, a.reasoning_format, tools, limits);
    f->markers = markers_of(r.params);
  }
  f->params = r.params;
  f->params.prompt.clear();
  if (tools && required_call(a)) f->params.grammar = call_first(f->params.grammar);
  if (tools && !a.parallel_tool_calls) f->params.grammar = one_call(f->params.grammar);
  out.params = std::move(r.params);
  out.reply = std::move(f);
  return out;
}

void apply_reply_format(const ReplyFormat& reply, const AgentSettings& agent, const llama_vocab* vocab,
                        common_params_sampling& sp, std::set<llama_token>* preserved) {
  const common_chat_params& p = reply.params;
  for (const auto& text : p.preserved_tokens) {
    const auto ids = common_tokenize(vocab, text, /*add_special=*/false, /*parse_special=*/true);
    if (ids.size() != 1) continue;
    sp.preserved_tokens.insert(ids[0]);
    preserved->insert(ids[0]);
  }
  if (!p.grammar.empty()) {
    sp.grammar = common_grammar(COMMON_GRAMMAR_TYPE_TOOL_CALLS, p.grammar);
    sp.grammar_lazy = p.grammar_lazy;
    sp.grammar_triggers.clear();
    // As llama-server does: a trigger word that is one token of this vocabulary triggers as
    // that token (the text of a special token never appears in the sampled pieces).
    for (const auto& t : p.grammar_triggers) {
      const auto ids = t.type == COMMON_GRAMMAR_TRIGGER_TYPE_WORD ? common_tokenize(vocab, t.value, false, true)
                                                                  : std::vector<llama_token>();
      if (ids.size() == 1 && preserved->count(ids[0])) {
        sp.grammar_triggers.push_back({COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN, t.value, ids[0]});
      } else {
        sp.grammar_triggers.push_back(t);
      }
    }
  }
  if (reply.kind == ReplyFormat::Kind::Chat) sp.generation_prompt = p.generation_prompt;
  if (!p.thinking_start_tag.empty() && !p.thinking_end_tags.empty()) {
    sp.reasoning_budget_tokens = agent.reasoning_budget;
    sp.reasoning_budget_start = common_tokenize(vocab, p.thinking_start_tag, false, true);
    sp.reasoning_budget_end.clear();
    for (const auto& tag : p.thinking_end_tags)
      sp.reasoning_budget_end.push_back(common_tokenize(vocab, tag, false, true));
    sp.reasoning_budget_forced = sp.reasoning_budget_end.front();
  }
}

}  // namespace wasi_nn
