// Rows of the parameter table: sampling and stopping (defaults are llama.cpp's, as
// llama-server uses them).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/base/error.h"
#include "core/config/param_rows.h"
#include "core/config/param_values.h"
#include "core/input/gbnf_check.h"
#include "core/input/input_limits.h"
#include "core/input/json_schema_check.h"
#include "core/input/schema_pattern_check.h"
#include "json-schema-to-grammar.h"
#include "llama.h"

namespace wasi_nn::param_rows {
namespace {

void apply_seed(const V& v, Settings& s) {
  const int64_t seed = v.get<int64_t>();
  s.request.sampling.seed = seed < 0 ? LLAMA_DEFAULT_SEED : static_cast<uint32_t>(seed);
}

// Sampler kinds a user may name, in llama.cpp's order.
const std::vector<common_sampler_type>& sampler_kinds() {
  static const std::vector<common_sampler_type> kinds = {
      COMMON_SAMPLER_TYPE_PENALTIES, COMMON_SAMPLER_TYPE_DRY,       COMMON_SAMPLER_TYPE_TOP_N_SIGMA,
      COMMON_SAMPLER_TYPE_TOP_K,     COMMON_SAMPLER_TYPE_TYPICAL_P, COMMON_SAMPLER_TYPE_TOP_P,
      COMMON_SAMPLER_TYPE_MIN_P,     COMMON_SAMPLER_TYPE_XTC,       COMMON_SAMPLER_TYPE_TEMPERATURE,
      COMMON_SAMPLER_TYPE_INFILL,    COMMON_SAMPLER_TYPE_ADAPTIVE_P};
  return kinds;
}

std::string sampler_choices() {
  std::string names, chars;
  for (auto kind : sampler_kinds()) {
    names += (names.empty() ? "" : ", ") + common_sampler_type_to_str(kind);
    chars += common_sampler_type_to_chr(kind);
  }
  return "names: " + names + "; chars: " + chars;
}

[[noreturn]] void unknown_sampler(const std::string& item) {
  fail(ErrorKind::InvalidArgument, "names an unknown sampler '" + item + "' (" + sampler_choices() + ")");
}

common_sampler_type sampler_from_char(char c) {
  for (auto kind : sampler_kinds()) {
    if (common_sampler_type_to_chr(kind) == c) return kind;
  }
  unknown_sampler(std::string(1, c));
}

// llama.cpp's converters skip unknown names with a warning; we convert one name at a time so an
// unknown name is an error instead of a silently shorter chain. (Names go through llama.cpp for
// its spellings: "top-k", "topk", "nucleus", ...)
void apply_samplers(const V& v, Settings& s) {
  std::vector<common_sampler_type> chain;
  if (v.is_string()) {
    for (char c : v.get_ref<const std::string&>()) chain.push_back(sampler_from_char(c));
  } else {
    for (const auto& name : v) {
      auto one = common_sampler_types_from_names({name.get<std::string>()});
      if (one.size() != 1) unknown_sampler(name.get<std::string>());
      chain.push_back(one[0]);
    }
  }
  s.request.sampling.samplers = std::move(chain);
  s.request.sampling.user_sampling_config |= COMMON_PARAMS_SAMPLING_CONFIG_SAMPLERS;
}

std::string default_samplers() {
  V names = V::array();
  for (auto kind : common_params_sampling().samplers) {
    names.push_back(common_sampler_type_to_str(kind));
  }
  return names.dump();
}

void apply_grammar(const V& v, Settings& s) {
  const auto& text = v.get_ref<const std::string&>();
  check_gbnf(text, active_input_limits(), "");
  s.request.sampling.grammar = text.empty() ? common_grammar() : common_grammar(COMMON_GRAMMAR_TYPE_USER, text);
}

// Same conversion and grammar type as llama-server's "json_schema" field.
void apply_json_schema(const V& v, Settings& s) {
  std::string grammar;
  const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
  check_json_schema(text, active_input_limits(), "");
  try {
    // Before the converter prints them to stderr (the text is bounded: check_json_schema).
    check_schema_patterns(nlohmann::ordered_json::parse(text), "");
    grammar = json_schema_to_grammar(common_json::parse(text));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument, std::string("is not a usable JSON schema: ") + e.what());
  }
  if (grammar.empty()) fail(ErrorKind::InvalidArgument, "converts to an empty grammar");
  check_gbnf(grammar, active_input_limits(), "converts to a grammar that");
  s.request.sampling.grammar = common_grammar(COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT, grammar);
}

void apply_stop(const V& v, Settings& s) {
  s.request.stop = v.is_string() ? std::vector<std::string>{v.get<std::string>()} : v.get<std::vector<std::string>>();
}

}  // namespace

std::vector<ParamSpec> sampling_rows() {
  const common_params_sampling d;  // llama.cpp's defaults
  const auto T = ParamType::Bool;  // short names keep the rows readable
  const auto I = ParamType::Int;
  const auto F = ParamType::Float;
  const auto E = ParamType::Enum;
  const auto S = ParamType::String;
  const unsigned LT = kScopeLoadTime, ALL = kScopeAll;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      // sampling (llama.cpp's defaults, as llama-server uses them)
      {"temperature", "sampling", {"temp"}, F, ALL, 0, kInf, {}, num(d.temp),
       "Randomness of the next-token choice; 0 = greedy (always the most likely token).",
       APPLY_SAMPLING(temp, float, TEMP)},
      {"dynatemp_range", "sampling", {}, F, ALL, 0, kInf, {}, num(d.dynatemp_range),
       "Dynamic temperature: the temperature varies within temperature +- range with the "
       "entropy of the candidates; 0 = disabled.",
       APPLY(s.request.sampling.dynatemp_range = v.get<float>())},
      {"dynatemp_exponent", "sampling", {}, F, ALL, 0, kInf, {}, num(d.dynatemp_exponent),
       "Dynamic temperature exponent: how entropy maps to temperature.",
       APPLY(s.request.sampling.dynatemp_exponent = v.get<float>())},
      {"top_k", "sampling", {}, I, ALL, 0, kI32, {}, num(d.top_k),
       "Keep only the K most likely tokens; 0 = disabled.", APPLY_SAMPLING(top_k, int32_t, TOP_K)},
      {"top_p", "sampling", {}, F, ALL, 0, 1, {}, num(d.top_p),
       "Keep the most likely tokens whose probabilities add up to P; 1 = disabled.",
       APPLY_SAMPLING(top_p, float, TOP_P)},
      {"min_p", "sampling", {}, F, ALL, 0, 1, {}, num(d.min_p),
       "Drop tokens less likely than P times the most likely one; 0 = disabled.",
       APPLY_SAMPLING(min_p, float, MIN_P)},
      {"typical_p", "sampling", {"typ_p"}, F, ALL, 0, 1, {}, num(d.typ_p),
       "Locally typical sampling with parameter P; 1 = disabled.",
       APPLY(s.request.sampling.typ_p = v.get<float>())},
      {"top_n_sigma", "sampling", {}, F, ALL, -1, kInf, {}, num(d.top_n_sigma),
       "Keep tokens within N standard deviations of the top logit; 0 or negative = disabled.",
       APPLY(s.request.sampling.top_n_sigma = v.get<float>())},
      {"xtc_probability", "sampling", {}, F, ALL, 0, 1, {}, num(d.xtc_probability),
       "Chance that XTC removes the most likely tokens; 0 = disabled.",
       APPLY_SAMPLING(xtc_probability, float, XTC_PROBABILITY)},
      {"xtc_threshold", "sampling", {}, F, ALL, 0, 1, {}, num(d.xtc_threshold),
       "XTC removes tokens above this probability. Above 0.5 XTC does nothing, so a value "
       "above 0.5 with xtc_probability > 0 is rejected.",
       APPLY_SAMPLING(xtc_threshold, float, XTC_THRESHOLD)},
      {"repeat_penalty", "sampling", {"penalty_repeat"}, F, ALL, 0.01, kInf, {},
       num(d.penalty_repeat), "Penalty for repeating recent tokens; 1 = disabled.",
       APPLY_SAMPLING(penalty_repeat, float, PENALTY_REPEAT)},
      {"repeat_last_n", "sampling", {"penalty_last_n"}, I, ALL, -1, kI32, {},
       num(d.penalty_last_n), "Recent tokens the penalties look at; 0 = disabled, -1 = ctx_size.",
       APPLY_SAMPLING(penalty_last_n, int32_t, PENALTY_LAST_N)},
      {"presence_penalty", "sampling", {"penalty_present"}, F, ALL, -kInf, kInf, {},
       num(d.penalty_present), "Penalty for any token already present; 0 = disabled.",
       APPLY(s.request.sampling.penalty_present = v.get<float>())},
      {"frequency_penalty", "sampling", {"penalty_freq"}, F, ALL, -kInf, kInf, {},
       num(d.penalty_freq), "Penalty growing with how often a token appeared; 0 = disabled.",
       APPLY(s.request.sampling.penalty_freq = v.get<float>())},
      {"dry_multiplier", "sampling", {}, F, ALL, 0, kInf, {}, num(d.dry_multiplier),
       "DRY (don't repeat yourself) penalty strength; 0 = disabled.",
       APPLY(s.request.sampling.dry_multiplier = v.get<float>())},
      {"dry_base", "sampling", {}, F, ALL, 1, kInf, {}, num(d.dry_base),
       "DRY penalty base: penalty = multiplier * base ^ (repeat length - allowed length).",
       APPLY(s.request.sampling.dry_base = v.get<float>())},
      {"dry_allowed_length", "sampling", {}, I, ALL, 0, kI32, {}, num(d.dry_allowed_length),
       "Repetitions up to this many tokens are not penalised by DRY.",
       APPLY(s.request.sampling.dry_allowed_length = v.get<int32_t>())},
      {"dry_penalty_last_n", "sampling", {}, I, ALL, -1, kI32, {}, num(d.dry_penalty_last_n),
       "Recent tokens DRY scans for repetitions; 0 = disabled, -1 = ctx_size.",
       APPLY(s.request.sampling.dry_penalty_last_n = v.get<int32_t>())},
      {"dry_sequence_breakers", "sampling", {}, ParamType::StringList, ALL, 0, 0, {},
       V(d.dry_sequence_breakers).dump(), "Strings that end a repetition for DRY.",
       APPLY(s.request.sampling.dry_sequence_breakers = v.get<std::vector<std::string>>())},
      {"mirostat", "sampling", {}, I, ALL, 0, 2, {}, num(d.mirostat),
       "Mirostat sampling: 0 = off, 1 = Mirostat, 2 = Mirostat 2.0 (replaces the sampler chain "
       "apart from temperature).",
       APPLY_SAMPLING(mirostat, int32_t, MIROSTAT)},
      {"mirostat_tau", "sampling", {}, F, ALL, 0, kInf, {}, num(d.mirostat_tau),
       "Mirostat target entropy.", APPLY_SAMPLING(mirostat_tau, float, MIROSTAT_TAU)},
      {"mirostat_eta", "sampling", {}, F, ALL, 0, kInf, {}, num(d.mirostat_eta),
       "Mirostat learning rate.", APPLY_SAMPLING(mirostat_eta, float, MIROSTAT_ETA)},
      {"adaptive_target", "sampling", {}, F, ALL, -1, 1, {}, num(d.adaptive_target),
       "Adaptive-p sampling: pick tokens near this probability; negative = disabled. Takes "
       "effect only when samplers lists adaptive_p (which then replaces the final random pick).",
       APPLY(s.request.sampling.adaptive_target = v.get<float>())},
      {"adaptive_decay", "sampling", {}, F, ALL, 0, 0.99, {}, num(d.adaptive_decay),
       "Adaptive-p: decay of its running average; history is about 1 / (1 - decay) tokens.",
       APPLY(s.request.sampling.adaptive_decay = v.get<float>())},
      {"seed", "sampling", {}, I, ALL, -1, 4294967295.0, {}, "-1",
       "Random seed; -1 = a new random seed for every request.", apply_seed},
      {"min_keep", "sampling", {}, I, ALL, 0, kI32, {}, num(d.min_keep),
       "Each sampler keeps at least this many tokens; 0 = no minimum.",
       APPLY(s.request.sampling.min_keep = v.get<int32_t>())},
      {"samplers", "sampling", {}, ParamType::Samplers, ALL, 0, 0, {}, default_samplers(),
       "Order of the sampler chain: a list of names, or a string of one char per sampler (" +
           sampler_choices() + "). infill is not allowed with a grammar or json_schema.",
       apply_samplers},
      {"grammar", "sampling", {}, S, ALL, 0, 0, {}, "\"\"",
       "GBNF grammar the output must follow; empty = none. Not together with json_schema.",
       apply_grammar},
      {"json_schema", "sampling", {}, ParamType::Schema, ALL, 0, 0, {}, "",
       "JSON schema (an object, or a string holding one) the output must follow; converted to "
       "a grammar. Not together with grammar.",
       apply_json_schema},
      {"logit_bias", "sampling", {}, ParamType::LogitBias, ALL, 0, 0, {}, "[]",
       "Added to the logits of given tokens: [[token, bias], ...] or {\"token\": bias}, where a "
       "token is an id or a text (every token of the text, as the model tokenizes it, gets the "
       "bias); a bias of false forbids the token. Ids must be in the model's vocabulary.",
       apply_logit_bias},
      {"grammar_lazy", "sampling", {}, T, ALL, 0, 0, {}, "false",
       "Apply grammar (or json_schema) only from the point where one of grammar_triggers "
       "appears in the output; the grammar must then match from the trigger on.",
       APPLY(s.request.sampling.grammar_lazy = v.get<bool>())},
      {"grammar_triggers", "sampling", {}, ParamType::GrammarTriggers, ALL, 0, 0, {}, "[]",
       "What switches a lazy grammar on: a list of words (strings) or objects {\"type\": "
       "\"word\" | \"pattern\" | \"pattern_full\" | \"token\", \"value\": text or regex, "
       "\"token\": id} (llama-server's numeric types 0-3 too). A pattern's first capture group, "
       "if any, marks where the grammar starts; pattern_full must match the whole output so "
       "far; a token trigger names one token by id or by its text.",
       apply_grammar_triggers},
      // stopping
      {"n_predict", "stopping", {"max_tokens", "max_completion_tokens"}, I, ALL, -1, 1048576, {},
       "512", "Most tokens to generate; -1 = until end of sequence or a full context.",
       APPLY(s.request.n_predict = v.get<int32_t>()), "-1"},
      {"stop", "stopping", {"stop_sequences", "reverse_prompt"}, ParamType::StringOrList, ALL, 0,
       0, {}, "[]", "Generation stops at any of these strings, which are left out of the output.",
       apply_stop},
      {"t_max_predict_ms", "stopping", {"time_limit_ms"}, I, ALL, 0, 86400000.0, {}, "0",
       "Stop generating this many milliseconds after the first token (stop_reason "
       "\"time_limit\"); 0 = no limit.",
       APPLY(s.request.t_max_predict_ms = v.get<int64_t>()), "0"},
      {"n_probs", "sampling", {"logprobs"}, I, ALL, 0, 100, {}, "0",
       "Return, in the metadata (output 1) \"probs\", each generated token's probability and "
       "the n_probs most likely candidates (softmax of the raw logits); 0 = off.",
       APPLY(s.request.sampling.n_probs = v.get<int32_t>())},
      {"ignore_eos", "stopping", {}, T, ALL, 0, 0, {}, "false",
       "Keep generating past end-of-sequence tokens (until n_predict or a stop string).",
       APPLY(s.request.sampling.ignore_eos = v.get<bool>())},
  };
  // clang-format on
}

}  // namespace wasi_nn::param_rows
