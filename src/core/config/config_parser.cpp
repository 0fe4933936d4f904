#include "core/config/config_parser.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/base/error.h"
#include "core/config/llama_preconditions.h"
#include "core/input/input_limits.h"

namespace wasi_nn {

namespace {

using V = ParamValue;
using Path = std::vector<std::string>;

// Name lookup built once from the table.
struct Index {
  std::unordered_map<std::string, const ParamSpec*> by_name;  // canonical names and aliases
  std::unordered_set<std::string> prefixes;                   // "dynatemp" for "dynatemp_range", ...
  std::unordered_set<std::string> sections;
};

void add_name(Index& idx, const std::string& name, const ParamSpec& spec) {
  idx.by_name.emplace(name, &spec);
  for (size_t pos = name.find('_'); pos != std::string::npos; pos = name.find('_', pos + 1)) {
    idx.prefixes.insert(name.substr(0, pos));
  }
}

Index index_of(const std::vector<ParamSpec>& table) {
  Index i;
  for (const auto& spec : table) {
    add_name(i, spec.name, spec);
    for (const auto& alias : spec.aliases) add_name(i, alias, spec);
  }
  i.sections.insert(param_sections().begin(), param_sections().end());
  return i;
}

const Index& index() {
  static const Index idx = index_of(param_table());
  return idx;
}

const Index& wasmedge_index() {
  static const Index idx = index_of(wasmedge_profile_table());
  return idx;
}

std::string join(Path::const_iterator begin, Path::const_iterator end) {
  std::string out;
  for (auto it = begin; it != end; ++it) out += (it == begin ? "" : "_") + *it;
  return out;
}

// The path with its leading section names dropped, joined: "sampling.dynatemp.range" ->
// "dynatemp_range". Empty when the path is sections only.
std::string stripped_name(const Path& p) {
  auto it = p.begin();
  while (it != p.end() && index().sections.count(*it)) ++it;
  return join(it, p.end());
}

const ParamSpec* lookup(const Index& idx, const Path& p) {
  const auto& by_name = idx.by_name;
  auto hit = by_name.find(join(p.begin(), p.end()));
  if (hit == by_name.end()) hit = by_name.find(stripped_name(p));
  return hit == by_name.end() ? nullptr : hit->second;
}

// Whether `v` has the JSON type `spec` takes (its range is checked later).
bool fits(const ParamSpec& spec, const V& v) {
  switch (spec.type) {
    case ParamType::Bool: return v.is_boolean();
    case ParamType::Int:
    case ParamType::Float: return v.is_number();
    case ParamType::IntOrAuto: return v.is_number() || v.is_string();
    case ParamType::Enum:
    case ParamType::String: return v.is_string();
    case ParamType::EnumOrBool: return v.is_string() || v.is_boolean();
    case ParamType::Schema: return v.is_object() || v.is_string();
    case ParamType::Unsupported: return false;
    default: return v.is_array() || v.is_object();
  }
}

// The row for the key at `p`. In the WasmEdge profile its own row wins, unless only the main
// table's row takes the value's type ("tensor_split": [3, 1] is ours, "3,2" WasmEdge's).
const ParamSpec* resolve(const Path& p, const V& value, Profile profile) {
  const ParamSpec* ours = lookup(index(), p);
  if (profile != Profile::WasmEdge) return ours;
  const ParamSpec* theirs = lookup(wasmedge_index(), p);
  if (!theirs) return ours;
  return ours && !fits(*theirs, value) && fits(*ours, value) ? ours : theirs;
}

// True when an object at this path may hold further keys.
bool is_group(const Path& p) {
  const std::string rest = stripped_name(p);
  return rest.empty() || index().prefixes.count(rest) || index().prefixes.count(join(p.begin(), p.end()));
}

std::string normalise(std::string key) {
  std::replace(key.begin(), key.end(), '-', '_');
  return key;
}

// Hostile input can be huge: messages quote at most this much of it.
std::string clip(const std::string& s, size_t max = 80) { return s.size() <= max ? s : s.substr(0, max) + "..."; }

std::string describe(const V& v) {
  const char* kind = v.is_string()    ? "a string"
                     : v.is_boolean() ? "a boolean"
                     : v.is_number()  ? "a number"
                     : v.is_null()    ? "null"
                     : v.is_array()   ? "a list"
                                      : "an object";
  return clip(v.dump()) + " (" + kind + ")";
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

// The closest known name, if it is close enough to be a typo; "" otherwise.
std::string suggestion(const std::string& name) {
  if (name.empty() || name.size() > 64) return "";  // bounds the work on hostile keys
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& [known, spec] : index().by_name) {
    const size_t d = edit_distance(name, known);
    if (d < best_d || (d == best_d && known < best)) best = known, best_d = d;
  }
  return best_d <= std::max<size_t>(2, name.size() / 3) ? best : "";
}

[[noreturn]] void unknown_key(const std::string& key, const Path& p) {
  std::string msg = "unknown config key '" + clip(key) + "'";
  const std::string hint = suggestion(stripped_name(p));
  msg += hint.empty() ? "." : "; did you mean '" + hint + "'?";
  fail(ErrorKind::InvalidArgument, msg + " Remove it or use a key listed in docs/PARAMETERS.md.");
}

[[noreturn]] void bad_type(const std::string& key, const ParamSpec& spec, const V& v) {
  const std::string range = param_range_text(spec);
  const std::string type = param_type_name(spec);
  const bool vowel = std::string("aeiou").find(type[0]) != std::string::npos;
  fail(ErrorKind::InvalidArgument, "config key '" + clip(key) + "' must be " + (vowel ? "an " : "a ") + type +
                                       (range == "-" ? "" : " (" + range + ")") + ", but got " + describe(v) +
                                       "; give a value of that type.");
}

[[noreturn]] void out_of_range(const std::string& key, const ParamSpec& spec, const V& v) {
  if (!spec.choices.empty()) {
    fail(ErrorKind::InvalidArgument, "config key '" + clip(key) + "' = " + clip(v.dump()) +
                                         " is not one of: " + param_range_text(spec) + ". Use one of these.");
  }
  fail(ErrorKind::InvalidArgument, "config key '" + clip(key) + "' = " + clip(v.dump()) +
                                       " is out of range; allowed: " + param_range_text(spec) +
                                       ". Choose a value in that range.");
}

bool in_range(const ParamSpec& spec, double d) {
  // Floats are stored as float: a finite double beyond FLT_MAX would become infinity.
  const bool fits = spec.type == ParamType::Int || spec.type == ParamType::IntOrAuto || std::fabs(d) <= FLT_MAX;
  return std::isfinite(d) && fits && d >= spec.min && d <= spec.max;
}

bool is_string_list(const V& v, bool allow_empty) {
  if (!v.is_array() || (!allow_empty && v.empty())) return false;
  return std::all_of(v.begin(), v.end(), [](const V& e) { return e.is_string(); });
}

// Strings in these lists must be non-empty: an empty stop string or DRY breaker matches
// everywhere or nowhere, never what was meant.
void require_non_empty_strings(const std::string& key, const ParamSpec& spec, const V& v) {
  auto empty = [](const V& e) { return e.get_ref<const std::string&>().empty(); };
  if (v.is_string() ? empty(v) : std::any_of(v.begin(), v.end(), empty)) out_of_range(key, spec, v);
}

// Checks `v` against the spec's type and range; returns it in the form apply() expects.
V checked(const std::string& key, const ParamSpec& spec, const V& v) {
  switch (spec.type) {
    case ParamType::Bool:
      if (!v.is_boolean()) bad_type(key, spec, v);
      return v;
    case ParamType::IntOrAuto:
      if (v.is_string()) {
        if (spec.choices.at(0) != v.get_ref<const std::string&>()) out_of_range(key, spec, v);
        return v;
      }
      [[fallthrough]];
    case ParamType::Int: {
      if (!v.is_number()) bad_type(key, spec, v);
      const double d = v.get<double>();
      if (std::isfinite(d) && d != std::floor(d)) bad_type(key, spec, v);
      if (!in_range(spec, d)) out_of_range(key, spec, v);
      return V(static_cast<int64_t>(d));
    }
    case ParamType::Float:
      if (!v.is_number()) bad_type(key, spec, v);
      if (!in_range(spec, v.get<double>())) out_of_range(key, spec, v);
      return V(v.get<double>());
    case ParamType::EnumOrBool:
      if (v.is_boolean()) return v;
      [[fallthrough]];
    case ParamType::Enum:
      if (!v.is_string()) bad_type(key, spec, v);
      if (std::find(spec.choices.begin(), spec.choices.end(), v.get<std::string>()) == spec.choices.end()) {
        out_of_range(key, spec, v);
      }
      return v;
    case ParamType::String:
      if (!v.is_string()) bad_type(key, spec, v);
      return v;
    case ParamType::FloatList:
      if (!v.is_array()) bad_type(key, spec, v);
      for (const auto& e : v) {
        if (!e.is_number()) bad_type(key, spec, v);
        if (!in_range(spec, e.get<double>())) out_of_range(key, spec, v);
      }
      return v;
    case ParamType::StringList:
      if (!is_string_list(v, false)) bad_type(key, spec, v);
      require_non_empty_strings(key, spec, v);
      return v;
    case ParamType::StringOrList:
      if (!v.is_string() && !is_string_list(v, true)) bad_type(key, spec, v);
      require_non_empty_strings(key, spec, v);
      return v;
    case ParamType::Samplers:
      if (!v.is_string() && !is_string_list(v, true)) bad_type(key, spec, v);
      return v;
    case ParamType::Schema:
      if (!v.is_object() && !v.is_string()) bad_type(key, spec, v);
      return v;
    case ParamType::LogitBias:
      if (!v.is_object() && !v.is_array()) bad_type(key, spec, v);
      return v;
    case ParamType::GrammarTriggers:
      if (!v.is_array()) bad_type(key, spec, v);
      return v;
    case ParamType::Object:
      if (!v.is_object()) bad_type(key, spec, v);
      return v;
    case ParamType::ObjectList:
      if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const V& e) { return e.is_object(); })) {
        bad_type(key, spec, v);
      }
      return v;
    case ParamType::StringOrObject:
      if (!v.is_string() && !v.is_object()) bad_type(key, spec, v);
      return v;
    case ParamType::StringOrInteger:
      if (v.is_string() && !v.get_ref<const std::string&>().empty()) return v;
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 4294967295LL) bad_type(key, spec, v);
      return v;
    case ParamType::Unsupported: break;
  }
  return v;
}

// State of one parse_config() call.
struct Document {
  unsigned scope;
  Settings& out;
  const ParseOptions& options;
  std::map<std::string, std::string> given;  // canonical name -> key as the user wrote it

  bool lenient() const { return options.profile == Profile::WasmEdge; }
  // The WasmEdge profile accepts what it cannot honour: one line per key, bounded.
  void warn(const std::string& line) {
    auto& w = out.warnings;
    if (w.size() < kMaxConfigWarnings) {
      w.push_back(line);
    } else if (w.size() == kMaxConfigWarnings) {
      w.push_back("more config keys were ignored; only the first " + std::to_string(kMaxConfigWarnings) +
                  " are listed");
    }
  }
};

void check_scope(const std::string& key, const ParamSpec& spec, unsigned scope) {
  if (spec.scopes & scope) return;
  if (spec.scopes == kScopeBackend) {
    fail(ErrorKind::Security,
         "config key '" + clip(key) +
             "' is a host setting: only the backend config "
             "(init_backend_with_config, or WASI_NN_CONFIG for WAMR) may set it, not a model load or "
             "a request.");
  }
  if (spec.scopes == kScopeRequest) {
    fail(ErrorKind::InvalidArgument, "config key '" + clip(key) +
                                         "' can only be set per request (input index 1, or "
                                         "run_inference's config), not when loading a model or creating the backend.");
  }
  fail(ErrorKind::InvalidArgument,
       "config key '" + clip(key) +
           "' can only be set when loading a model "
           "(load_by_name_with_config) or in the backend config (init_backend_with_config), not per "
           "request. Load the model again with the new value.");
}

void reject_unsupported(const std::string& key, const ParamSpec& spec, const V& v) {
  if (!spec.default_json.empty() && v == V::parse(spec.default_json)) return;  // a no-op
  std::string msg = "config key '" + clip(key) + "' is not supported by this backend (" + spec.help + "). Remove it";
  if (!spec.default_json.empty()) msg += " or set it to " + spec.default_json;
  fail(ErrorKind::Unsupported, msg + ".");
}

// The WasmEdge profile's answer to a key it cannot honour: a warning, nothing applied.
bool ignored_by_profile(const std::string& key, const ParamSpec& spec, const V& v, Document& doc) {
  if (!doc.lenient()) return false;
  if (spec.type == ParamType::Unsupported) {
    if (spec.default_json.empty() || v != V::parse(spec.default_json)) {
      doc.warn("config key '" + clip(key) + "' is ignored: " + spec.help);
    }
    return true;
  }
  if (!(spec.scopes & doc.scope) && (spec.scopes & kScopeLoad)) {
    checked(key, spec, v);  // a wrong type is still an error, as in WasmEdge
    doc.warn("config key '" + clip(key) + "' is ignored here: it applies only when the model is loaded");
    return true;
  }
  return false;
}

void apply_one(const std::string& key, const ParamSpec& spec, const V& v, Document& doc) {
  auto [it, fresh] = doc.given.emplace(spec.name, key);
  if (!fresh) {
    fail(ErrorKind::InvalidArgument, "config keys '" + clip(it->second) + "' and '" + clip(key) + "' both set " +
                                         spec.name + "; keep one of them.");
  }
  if (ignored_by_profile(key, spec, v, doc)) return;
  if (spec.type == ParamType::Unsupported) return reject_unsupported(key, spec, v);
  check_scope(key, spec, doc.scope);
  const V value = doc.options.limits ? doc.options.limits->check(spec, key, checked(key, spec, v), doc.options.clamp)
                                     : checked(key, spec, v);
  try {
    spec.apply(value, doc.out);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Unsupported && doc.lenient()) {
      return doc.warn("config key '" + clip(key) + "' = " + clip(value.dump()) + " is ignored: " + spec.help +
                      " This backend does not implement it.");
    }
    fail(e.kind(), "config key '" + clip(key) + "' " + e.what() + ".");
  }
  doc.out.present.insert(spec.name);
}

// Recursion depth is bounded by the parser's nesting limit (kMaxConfigDepth).
void walk(const V& object, const std::string& prefix, const Path& path, Document& doc) {
  for (const auto& [raw_key, value] : object.items()) {
    const std::string key = prefix.empty() ? raw_key : prefix + "." + raw_key;
    Path p = path;
    p.push_back(normalise(raw_key));
    const ParamSpec* spec = resolve(p, value, doc.options.profile);
    const bool takes_object = spec && (spec->type == ParamType::Schema || spec->type == ParamType::LogitBias ||
                                       spec->type == ParamType::Object || spec->type == ParamType::StringOrObject ||
                                       spec->type == ParamType::Unsupported);
    if (value.is_object() && !takes_object && is_group(p)) {
      walk(value, key, p, doc);
    } else if (spec) {
      apply_one(key, *spec, value, doc);
    } else if (stripped_name(p).empty()) {
      fail(ErrorKind::InvalidArgument, "config key '" + clip(key) +
                                           "' is a section; its value "
                                           "must be an object of keys, not " +
                                           describe(value) + ".");
    } else if (doc.lenient()) {
      doc.warn("unknown config key '" + clip(key) +
               "' is ignored (neither this backend nor WasmEdge's plugin knows it)");
    } else {
      unknown_key(key, p);
    }
  }
}

std::string given_name(const Document& doc, const std::string& canonical) {
  auto it = doc.given.find(canonical);
  return it == doc.given.end() ? canonical : it->second;
}

// ubatch_size's default, from the table (it follows batch_size when nobody gave it).
uint32_t default_ubatch_size() {
  static const uint32_t value = [] {
    for (const auto& spec : param_table()) {
      if (std::string(spec.name) == "ubatch_size") return V::parse(spec.default_json).get<uint32_t>();
    }
    return 512u;
  }();
  return value;
}

// Penalty windows are ring buffers of that many tokens, allocated per request: a window beyond
// the context could never fill, and a huge one would exhaust memory. A window nobody set (the
// default 64 with a tiny ctx_size) follows ctx_size down instead.
void check_windows(Document& doc) {
  Settings& s = doc.out;
  const int64_t n_ctx = s.context.ctx_size;
  const std::pair<const char*, int32_t*> windows[] = {{"repeat_last_n", &s.request.sampling.penalty_last_n},
                                                      {"dry_penalty_last_n", &s.request.sampling.dry_penalty_last_n}};
  for (const auto& [name, window] : windows) {
    const int32_t n = *window;
    if (n <= n_ctx) continue;
    if (!s.present.count(name)) {
      *window = static_cast<int32_t>(n_ctx);
      continue;
    }
    fail(ErrorKind::InvalidArgument, "config key '" + given_name(doc, name) + "' = " + std::to_string(n) +
                                         " exceeds ctx_size = " + std::to_string(n_ctx) +
                                         ": the penalty window cannot be "
                                         "longer than the context. Use at most ctx_size, or -1 for the whole context.");
  }
}

// A lazy grammar needs a grammar and a trigger; triggers need a lazy grammar.
void check_grammar(Document& doc) {
  const auto& smp = doc.out.request.sampling;
  const bool has_grammar = !common_grammar_value(smp.grammar).empty();
  if (smp.grammar_lazy && smp.grammar_triggers.empty()) {
    fail(ErrorKind::InvalidArgument, "config key '" + given_name(doc, "grammar_lazy") +
                                         "' = true needs grammar_triggers (the words or patterns "
                                         "that switch the grammar on); give some, or drop "
                                         "grammar_lazy.");
  }
  if (smp.grammar_lazy && !has_grammar) {
    fail(ErrorKind::InvalidArgument, "config key '" + given_name(doc, "grammar_lazy") +
                                         "' = true needs a grammar or json_schema to apply; "
                                         "give one, or drop grammar_lazy.");
  }
  if (!smp.grammar_lazy && !smp.grammar_triggers.empty()) {
    fail(ErrorKind::InvalidArgument, "config key '" + given_name(doc, "grammar_triggers") +
                                         "' only applies to a lazy grammar; set grammar_lazy to "
                                         "true (with a grammar or json_schema), or drop the "
                                         "triggers.");
  }
}

// Settings the chosen chain ignores. Mirostat replaces the chain, so a samplers list given with
// it (in the same config) has no effect; adaptive_target acts only through the adaptive_p sampler.
void check_sampler_chain(Document& doc) {
  const auto& smp = doc.out.request.sampling;
  if (smp.mirostat != 0 && doc.given.count("mirostat") && doc.given.count("samplers")) {
    fail(ErrorKind::InvalidArgument, "config keys '" + given_name(doc, "mirostat") + "' and '" +
                                         given_name(doc, "samplers") +
                                         "' contradict: mirostat "
                                         "replaces the sampler chain, so the samplers order "
                                         "would have no effect; give only one.");
  }
  const bool adaptive =
      std::find(smp.samplers.begin(), smp.samplers.end(), COMMON_SAMPLER_TYPE_ADAPTIVE_P) != smp.samplers.end();
  if (smp.adaptive_target >= 0 && (!adaptive || smp.mirostat != 0)) {
    fail(ErrorKind::InvalidArgument, "config key '" + given_name(doc, "adaptive_target") +
                                         "' has no effect unless samplers lists adaptive_p (and "
                                         "mirostat is 0); add adaptive_p to samplers, or drop "
                                         "adaptive_target.");
  }
}

// Rules that involve two keys. They run on the merged result, so a request that sets one key
// is checked against the other's value from the load config.
void cross_check(Document& doc) {
  Settings& s = doc.out;
  if (doc.given.count("grammar") && doc.given.count("json_schema")) {
    fail(ErrorKind::InvalidArgument, "config keys '" + given_name(doc, "grammar") + "' and '" +
                                         given_name(doc, "json_schema") +
                                         "' both constrain the output; give only one.");
  }
  if (doc.given.count("ubatch_size") && s.context.n_ubatch > s.context.n_batch) {
    fail(ErrorKind::InvalidArgument,
         "config key '" + given_name(doc, "ubatch_size") + "' = " + std::to_string(s.context.n_ubatch) +
             " exceeds batch_size = " + std::to_string(s.context.n_batch) + "; set ubatch_size <= batch_size.");
  }
  // Documented: an ubatch_size nobody gave follows batch_size, down and back up (a backend
  // config's small batch_size must not stick once a load config raises it).
  if (!s.present.count("ubatch_size")) {
    s.context.n_ubatch = std::min<uint32_t>(default_ubatch_size(), s.context.n_batch);
  } else if (s.context.n_ubatch > s.context.n_batch) {
    s.context.n_ubatch = s.context.n_batch;  // given earlier (backend config), batch lowered since
  }
  const auto& smp = s.request.sampling;
  if (smp.xtc_probability > 0 && smp.xtc_threshold > 0.5f) {
    fail(ErrorKind::InvalidArgument, "config key '" + given_name(doc, "xtc_threshold") +
                                         "' = " + V(smp.xtc_threshold).dump() + " disables XTC, so '" +
                                         given_name(doc, "xtc_probability") + "' = " + V(smp.xtc_probability).dump() +
                                         " would have no effect; set xtc_threshold <= 0.5 "
                                         "or xtc_probability to 0.");
  }
  const KeyName key_of = [&doc](const char* name) { return given_name(doc, name); };
  check_llama_preconditions(s.context, key_of);
  check_sampling_preconditions(s.request.sampling, key_of);
  check_windows(doc);
  check_grammar(doc);
  check_sampler_chain(doc);
}

// Parses with a callback that bounds nesting before it grows (the parser itself is iterative)
// and rejects duplicate keys, which nlohmann would otherwise resolve by silently keeping one.
// Text that is not JSON fails with `not_json` (WasmEdge answers InvalidEncoding there).
V parse_text(std::string_view text, ErrorKind not_json) {
  if (text.size() > kMaxConfigBytes) {
    fail(ErrorKind::InvalidArgument, "config is " + std::to_string(text.size()) + " bytes; the limit is " +
                                         std::to_string(kMaxConfigBytes) + ". Send less.");
  }
  std::vector<std::unordered_set<std::string>> open_objects;
  int depth = 0;
  auto callback = [&](int, V::parse_event_t event, V& parsed) {
    using E = V::parse_event_t;
    if (event == E::object_start || event == E::array_start) {
      if (++depth > kMaxConfigDepth) {
        fail(ErrorKind::InvalidArgument,
             "config nests deeper than " + std::to_string(kMaxConfigDepth) + " levels; flatten it.");
      }
      if (event == E::object_start) open_objects.emplace_back();
    } else if (event == E::object_end || event == E::array_end) {
      --depth;
      if (event == E::object_end) open_objects.pop_back();
    } else if (event == E::key && !open_objects.back().insert(parsed.get<std::string>()).second) {
      fail(ErrorKind::InvalidArgument,
           "config key '" + clip(parsed.get<std::string>()) + "' appears twice in one object; keep one.");
    }
    return true;
  };
  try {
    return V::parse(text.begin(), text.end(), callback);
  } catch (const V::exception& e) {
    std::string why = e.what();
    why = why.substr(why.find(']') + 1);  // drop nlohmann's "[json.exception...]" tag
    fail(not_json, "config is not valid JSON:" + clip(why, 200) + ". Check quotes, commas and brackets.");
  }
}

}  // namespace

void parse_config(std::string_view json, unsigned scope, Settings& into, const ParseOptions& options) {
  // C callers may count the string's terminator in its length; nlohmann would stop at any NUL
  // and silently ignore the rest, so a NUL before the end is an error.
  while (!json.empty() && json.back() == '\0') json.remove_suffix(1);
  if (json.find('\0') != std::string_view::npos) {
    fail(ErrorKind::InvalidArgument,
         "config has a NUL byte at offset " + std::to_string(json.find('\0')) + "; pass only the JSON text.");
  }
  const bool blank =
      std::all_of(json.begin(), json.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
  if (blank) return;
  const V root =
      parse_text(json, options.profile == Profile::WasmEdge ? ErrorKind::InvalidEncoding : ErrorKind::InvalidArgument);
  if (!root.is_object()) {
    fail(ErrorKind::InvalidArgument,
         "config must be a JSON object such as {\"ctx_size\": 4096}, "
         "not " +
             describe(root) + ".");
  }
  Settings work = into;
  // The table's converters check grammars, schemas and templates against the tenant's bounds.
  ScopedInputLimits bounds(options.limits ? &options.limits->input : nullptr);
  Document doc{scope, work, options, {}};
  walk(root, "", {}, doc);
  cross_check(doc);
  into = std::move(work);
}

}  // namespace wasi_nn
