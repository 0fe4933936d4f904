#include "core/config/param_values.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/base/error.h"
#include "core/input/input_error.h"
#include "core/input/jinja_check.h"
#include "core/input/regex_check.h"
#include "llama.h"

namespace wasi_nn {

namespace {

using V = ParamValue;
constexpr double kI32 = 2147483647.0;

float bias_value(const V& b) {
  if (b.is_boolean() && !b.get<bool>()) return -std::numeric_limits<float>::infinity();
  if (!b.is_number() || !std::isfinite(b.get<double>())) {
    fail(ErrorKind::InvalidArgument, "has bias " + b.dump() +
                                         "; a bias is a finite number, "
                                         "or false to forbid the token");
  }
  return b.get<float>();
}

// One logit_bias entry: a token id (an integer) or a text (a string), which compute tokenizes
// with the model's vocabulary, biasing every token of it.
void add_bias(const V& token, const V& bias, Settings& s) {
  const float b = bias_value(bias);
  if (token.is_string() && !token.get_ref<const std::string&>().empty()) {
    s.request.logit_bias_text.emplace_back(token.get<std::string>(), b);
  } else if (token.is_number_integer() && token.get<int64_t>() >= 0 && token.get<int64_t>() <= kI32) {
    s.request.sampling.logit_bias.push_back({static_cast<llama_token>(token.get<int64_t>()), b});
  } else {
    fail(ErrorKind::InvalidArgument, "names token " + token.dump() +
                                         "; a token is given by its "
                                         "id (an integer >= 0) or by non-empty text");
  }
}

// llama-server's trigger types, by its numbers (common_grammar_trigger_type) and by name.
common_grammar_trigger_type trigger_type(const V& t) {
  static const std::vector<std::pair<std::string, common_grammar_trigger_type>> kinds = {
      {"token", COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN},
      {"word", COMMON_GRAMMAR_TRIGGER_TYPE_WORD},
      {"pattern", COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN},
      {"pattern_full", COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL}};
  for (size_t i = 0; i < kinds.size(); ++i) {
    if ((t.is_string() && t.get<std::string>() == kinds[i].first) ||
        (t.is_number_integer() && t.get<int64_t>() == kinds[i].second)) {
      return kinds[i].second;
    }
  }
  fail(ErrorKind::InvalidArgument, "has trigger type " + t.dump() +
                                       "; a type is \"word\", "
                                       "\"pattern\", \"pattern_full\" or \"token\" (or llama-server's "
                                       "numbers 1, 2, 3, 0)");
}

// One grammar trigger: "text" (a word), or {"type", "value", "token"} as llama-server takes it.
// A token trigger names its token by "token" (an id) or by "value" (text that compute checks is
// one token of the model's vocabulary). Patterns are checked here with the regex engine
// llama.cpp uses, so a bad one names its key.
common_grammar_trigger grammar_trigger(const V& e) {
  common_grammar_trigger t{COMMON_GRAMMAR_TRIGGER_TYPE_WORD, "", LLAMA_TOKEN_NULL};
  if (e.is_string()) {
    t.value = e.get<std::string>();
  } else if (e.is_object() && e.contains("type")) {
    t.type = trigger_type(e["type"]);
    if (e.contains("value") && e["value"].is_string()) t.value = e["value"].get<std::string>();
    if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN && e.contains("token")) {
      const V& id = e["token"];
      if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > kI32) {
        fail(ErrorKind::InvalidArgument, "has trigger token " + id.dump() +
                                             "; a token id is an "
                                             "integer >= 0");
      }
      t.token = static_cast<llama_token>(id.get<int64_t>());
    }
  } else {
    fail(ErrorKind::InvalidArgument, "has entry " + e.dump() +
                                         "; each trigger is a word (a "
                                         "string) or {\"type\": ..., \"value\": ...}");
  }
  if (t.value.empty() && t.token == LLAMA_TOKEN_NULL) {
    fail(ErrorKind::InvalidArgument, "has entry " + e.dump() +
                                         " with no text; give a non-empty "
                                         "\"value\" (or a \"token\" id for a token trigger)");
  }
  if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_WORD) {
    check_trigger_word(t.value, active_input_limits(), "has word " + shown_text(t.value) + ", which");
  }
  if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN || t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL) {
    // Bounded before std::regex compiles it (recursively) and llama.cpp searches with it.
    check_trigger_pattern(t.value, active_input_limits(), "has pattern " + shown_text(t.value) + ", which");
    try {
      std::regex check(t.value);
    } catch (const std::regex_error& err) {
      fail(ErrorKind::InvalidArgument,
           "has pattern " + V(t.value).dump() + ", which is not a valid regular expression (" + err.what() + ")");
    }
  }
  return t;
}

// Names llama.cpp's built-in templates render by name (llama_chat_apply_template).
std::vector<std::string> builtin_chat_templates() {
  std::vector<const char*> names(llama_chat_builtin_templates(nullptr, 0));
  llama_chat_builtin_templates(names.data(), names.size());
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace

// Token ids are checked against the vocabulary, and texts tokenized, by compute, which knows
// the model. An object key that is an integer names a token id ({"15043": -1}); any other key is
// text ({"Hello": false}), as in llama-server.
void apply_logit_bias(const V& v, Settings& s) {
  s.request.sampling.logit_bias.clear();
  s.request.logit_bias_text.clear();
  if (v.is_array()) {
    for (const auto& e : v) {
      if (!e.is_array() || e.size() != 2) {
        fail(ErrorKind::InvalidArgument, "has entry " + e.dump() + "; each entry is [token_id or text, bias]");
      }
      add_bias(e[0], e[1], s);
    }
  } else {
    for (const auto& [key, bias] : v.items()) {
      char* end = nullptr;
      const long long id = std::strtoll(key.c_str(), &end, 10);
      add_bias(key.empty() || *end ? V(key) : V(id), bias, s);
    }
  }
}

void apply_grammar_triggers(const V& v, Settings& s) {
  const size_t max = active_input_limits().max_triggers;
  if (v.size() > max) {
    refuse_over_limit("", "has " + std::to_string(v.size()) + " triggers", max, "max_triggers",
                      "Each is searched for after every generated token; use fewer");
  }
  std::vector<common_grammar_trigger> out;
  for (const auto& e : v) out.push_back(grammar_trigger(e));
  s.request.sampling.grammar_triggers = std::move(out);
}

// A chat_template is empty (the model's own), a built-in name, or Jinja text. Text that is
// neither (a misspelt name, most often) would render as itself and is rejected.
void apply_chat_template(const V& v, Settings& s) {
  const auto& text = v.get_ref<const std::string&>();
  const auto names = builtin_chat_templates();
  const bool named = std::find(names.begin(), names.end(), text) != names.end();
  const bool jinja = text.find("{{") != std::string::npos || text.find("{%") != std::string::npos;
  if (!text.empty() && !named && !jinja) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    fail(ErrorKind::InvalidArgument, "= " + V(text).dump().substr(0, 80) +
                                         " is neither a "
                                         "built-in template name (" +
                                         list + ") nor a Jinja template");
  }
  if (jinja && !named) check_template(text, TemplateTrust::Guest, active_input_limits(), "");
  s.request.chat.chat_template = text;
}

}  // namespace wasi_nn
