#include "core/config/limits.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/config/param_table.h"
#include "core/config/settings.h"

namespace wasi_nn {
namespace {

using V = nlohmann::ordered_json;

std::string clip(const std::string& s) { return s.size() <= 80 ? s : s.substr(0, 80) + "..."; }

uint32_t as_count(const V& v, const std::string& key, uint64_t max) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || static_cast<uint64_t>(v.get<int64_t>()) > max) {
    fail(ErrorKind::InvalidArgument,
         "limit '" + clip(key) + "' must be an integer from 0 to " + std::to_string(max) + ", not " + clip(v.dump()));
  }
  return static_cast<uint32_t>(v.get<int64_t>());
}

bool as_bool(const V& v, const std::string& key) {
  if (!v.is_boolean())
    fail(ErrorKind::InvalidArgument, "limit '" + clip(key) + "' must be true or false, not " + clip(v.dump()));
  return v.get<bool>();
}

void add_denied(const V& v, const std::string& key, Limits& l) {
  if (!v.is_array()) fail(ErrorKind::InvalidArgument, "limit '" + clip(key) + "' must be a list of parameter names");
  for (const auto& name : v) {
    const ParamSpec* spec = name.is_string() ? find_param(name.get<std::string>()) : nullptr;
    if (!spec) {
      fail(ErrorKind::InvalidArgument,
           "limit '" + clip(key) + "' names " + clip(name.dump()) + ", which is not a parameter (docs/PARAMETERS.md)");
    }
    l.denied_keys.insert(spec->name);
  }
}

// The bounds on guest text (core/input/input_limits.h) as policy keys: each is documented there.
struct InputKey {
  const char* name;
  size_t InputLimits::*field;
  const char* help;
};

const std::vector<InputKey>& input_keys() {
  static const std::vector<InputKey> keys = {
      {"max_grammar_bytes", &InputLimits::max_grammar_bytes,
       "Size of a GBNF grammar (grammar, or the one a json_schema converts to)."},
      {"max_grammar_depth", &InputLimits::max_grammar_depth,
       "Nested ( ) groups in a grammar (llama.cpp's parser recurses per level)."},
      {"max_grammar_repetition", &InputLimits::max_grammar_repetition, "m and n of a grammar's {m,n}."},
      {"max_grammar_elements", &InputLimits::max_grammar_elements,
       "Grammar elements after every repetition is expanded."},
      {"max_grammar_rules", &InputLimits::max_grammar_rules, "Grammar rules after expansion."},
      {"max_grammar_left_depth", &InputLimits::max_grammar_left_depth,
       "Depth llama.cpp's left-recursion check reaches."},
      {"max_triggers", &InputLimits::max_triggers, "Entries in grammar_triggers."},
      {"max_regex_bytes", &InputLimits::max_regex_bytes, "One trigger word or pattern."},
      {"max_regex_depth", &InputLimits::max_regex_depth, "Nested groups of a trigger pattern."},
      {"max_regex_repetition", &InputLimits::max_regex_repetition, "n of a trigger pattern's {m,n}."},
      {"max_regex_states", &InputLimits::max_regex_states, "A trigger pattern's length with its repetitions expanded."},
      {"max_regex_work", &InputLimits::max_regex_work,
       "Matcher steps one start position of a trigger pattern may take."},
      {"max_trigger_scan_work", &InputLimits::max_trigger_scan_work,
       "Text x pattern work a waiting lazy grammar may scan per token."},
      {"max_schema_bytes", &InputLimits::max_schema_bytes, "Size of a json_schema."},
      {"max_schema_depth", &InputLimits::max_schema_depth, "Bracket nesting of a json_schema."},
      {"max_schema_name_bytes", &InputLimits::max_schema_name_bytes, "A property name or $ref of a json_schema."},
      {"max_schema_properties", &InputLimits::max_schema_properties, "Properties of one json_schema object."},
      {"max_schema_visits", &InputLimits::max_schema_visits, "Subschemas the schema converter visits."},
      {"max_schema_refs", &InputLimits::max_schema_refs, "Distinct $ref strings of a json_schema."},
      {"max_schema_copies", &InputLimits::max_schema_copies, "JSON values the schema converter copies."},
      {"max_template_bytes", &InputLimits::max_template_bytes,
       "A tenant's chat template (chat_template, or the template of model bytes it sent)."},
      {"max_operator_template_bytes", &InputLimits::max_operator_template_bytes,
       "A chat template from a host-granted GGUF."},
      {"max_template_block_depth", &InputLimits::max_template_block_depth, "Nested {% %} blocks of a chat template."},
      {"max_template_bracket_depth", &InputLimits::max_template_bracket_depth,
       "Nested brackets inside one template tag."},
      {"max_template_expression_depth", &InputLimits::max_template_expression_depth,
       "Expression depth of one template tag."},
      {"template_memory_bytes", &InputLimits::template_memory_bytes,
       "Memory a tenant's template may use while it renders (in a child process)."},
      {"template_output_bytes", &InputLimits::template_output_bytes, "Size of a rendered prompt."},
      {"max_media_bytes", &InputLimits::max_media_bytes,
       "One image or audio file a request sends (input index 2 and up, or a WasmEdge image)."},
      {"max_media_count", &InputLimits::max_media_count,
       "Images and audio files in one request (in chat mode, the whole conversation's)."},
      {"max_image_pixels", &InputLimits::max_image_pixels,
       "Width x height of one image, read from its header before it is decoded."},
      {"max_audio_seconds", &InputLimits::max_audio_seconds,
       "Duration of one audio file, read from its header (MP3: at its lowest bitrate) before it is decoded."},
      {"max_lora_adapters", &InputLimits::max_lora_adapters, "LoRA adapters one load may name (\"lora\")."},
      {"max_rerank_bytes", &InputLimits::max_rerank_bytes, "Input 0 of a reranking request: its JSON text."},
      {"max_rerank_documents", &InputLimits::max_rerank_documents, "Documents one reranking request may score."},
  };
  return keys;
}

struct PolicyKey {
  LimitKeyDoc doc;
  void (*apply)(const V& v, const std::string& key, Limits& l);
};

const std::vector<PolicyKey>& policy_keys() {
  static const Limits d;
  static const std::vector<PolicyKey> keys = {
      {{"max_graphs", "integer", std::to_string(d.max_graphs),
        "Graphs (loads) one backend context may hold at once; one more load answers invalid_argument."},
       [](const V& v, const std::string& k, Limits& l) { l.max_graphs = as_count(v, k, 1u << 20); }},
      {{"max_contexts", "integer", std::to_string(d.max_contexts),
        "Execution contexts (plain or session) one backend context may hold open at once."},
       [](const V& v, const std::string& k, Limits& l) { l.max_contexts = as_count(v, k, 1u << 24); }},
      {{"max_engines_per_model", "integer", std::to_string(d.max_engines_per_model),
        "Distinct context or model settings the process serves for one model file at once: each is "
        "its own KV cache (and, with other model settings, its own copy of the weights)."},
       [](const V& v, const std::string& k, Limits& l) { l.max_engines_per_model = as_count(v, k, 4096); }},
      {{"max_sequences_per_tenant", "integer", "0",
        "KV sequences one tenant may hold running on a shared engine; its other requests wait. "
        "0 = as many as n_parallel."},
       [](const V& v, const std::string& k, Limits& l) { l.max_sequences_per_tenant = as_count(v, k, 4096); }},
      {{"max_queued_per_tenant", "integer", "0",
        "Requests one tenant may have waiting on an engine; one more answers busy. 0 = max_queue."},
       [](const V& v, const std::string& k, Limits& l) { l.max_queued_per_tenant = as_count(v, k, 1u << 20); }},
      {{"stream_idle_timeout_ms", "integer", std::to_string(d.stream_idle_timeout_ms),
        "A stream (compute_single) whose reader has not asked for more for this long is cancelled, "
        "freeing its sequence; 0 = never."},
       [](const V& v, const std::string& k, Limits& l) { l.stream_idle_timeout_ms = as_count(v, k, 86400000); }},
      {{"stream_ahead_tokens", "integer", std::to_string(d.stream_ahead_tokens),
        "A stream pauses (takes no decode steps) while this many generated tokens wait unread."},
       [](const V& v, const std::string& k, Limits& l) {
         l.stream_ahead_tokens = std::max<uint32_t>(1, as_count(v, k, 1u << 20));
       }},
      {{"allow_load", "bool", "true",
        "Whether a tenant may load a model from bytes it sends (load()); false leaves only the "
        "models the host granted by name."},
       [](const V& v, const std::string& k, Limits& l) { l.allow_load = as_bool(v, k); }},
      {{"denied_keys", "list of parameter names", "[]",
        "Parameters a tenant may not set at all (e.g. [\"use_mlock\", \"n_gpu_layers\", "
        "\"chat_template\"]); the host's defaults still apply."},
       [](const V& v, const std::string& k, Limits& l) { add_denied(v, k, l); }},
  };
  return keys;
}

const InputKey* find_input_key(const std::string& name) {
  for (const auto& k : input_keys()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

// A cap on a parameter: numbers for Int/Float/IntOrAuto, a bool for Bool.
void add_ceiling(const ParamSpec& spec, const V& v, const std::string& key, Limits& l) {
  const bool numeric =
      spec.type == ParamType::Int || spec.type == ParamType::Float || spec.type == ParamType::IntOrAuto;
  if (spec.type == ParamType::Bool) {
    l.ceilings[spec.name] = as_bool(v, key) ? 1 : 0;
  } else if (numeric) {
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < spec.min || v.get<double>() > spec.max) {
      fail(ErrorKind::InvalidArgument, "limit '" + clip(key) + "' must be a number within the parameter's range (" +
                                           param_range_text(spec) + "), not " + clip(v.dump()));
    }
    l.ceilings[spec.name] = v.get<double>();
  } else {
    fail(ErrorKind::InvalidArgument, "limit '" + clip(key) +
                                         "': only numeric and boolean parameters take a cap; "
                                         "forbid this one with \"denied_keys\": [\"" +
                                         spec.name + "\"]");
  }
}

double number_of(const V& v) { return v.is_boolean() ? (v.get<bool>() ? 1 : 0) : v.get<double>(); }

// A cap as JSON: integers print as integers ("2", not "2.0").
V cap_value(const ParamSpec& spec, double cap) {
  if (spec.type == ParamType::Bool) return V(cap != 0);
  if (spec.type == ParamType::Float) return V(cap);
  return V(static_cast<int64_t>(cap));
}

uint64_t free_disk_mb(const std::string& dir) {
  struct statvfs st {};
  if (dir.empty() || ::statvfs(dir.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize / (1024 * 1024);
}

}  // namespace

uint64_t physical_memory_mb() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / (1024 * 1024) : 0;
}

V Limits::check(const ParamSpec& spec, const std::string& key, const V& v, bool clamp) const {
  if (denied_keys.count(spec.name) && !clamp) {
    fail(ErrorKind::InvalidArgument, "config key '" + clip(key) +
                                         "' may not be set here: the host's limits deny it "
                                         "(denied_keys); leave it out to use the host's setting");
  }
  auto cap = ceilings.find(spec.name);
  if (cap == ceilings.end()) return v;
  if (spec.type == ParamType::Bool) {
    if (v.get<bool>() && cap->second == 0) {
      if (clamp) return V(false);
      fail(ErrorKind::InvalidArgument, "config key '" + clip(key) + "' = true is over the host's limit (" + spec.name +
                                           " = false); leave it false");
    }
    return v;
  }
  const bool unbounded = !refuse_only.count(spec.name) &&
                         (v.is_string() || (!spec.unbounded_json.empty() && v == V::parse(spec.unbounded_json)));
  if (unbounded) return cap_value(spec, cap->second);
  if (number_of(v) > cap->second) {
    if (clamp) {
      LOG_WARN("the host's config sets %s = %s, over the limit %s; using the limit", key.c_str(), v.dump().c_str(),
               cap_value(spec, cap->second).dump().c_str());
      return cap_value(spec, cap->second);
    }
    if (undisclosed.count(spec.name)) {
      fail(ErrorKind::InvalidArgument, "config key '" + clip(key) + "' = " + clip(v.dump()) +
                                           " is over the host's limit " + spec.name +
                                           " (what this machine can grant); ask for less");
    }
    fail(ErrorKind::InvalidArgument, "config key '" + clip(key) + "' = " + clip(v.dump()) +
                                         " is over the host's limit " + spec.name + " = " +
                                         cap_value(spec, cap->second).dump() + "; ask for at most that");
  }
  return v;
}

void Limits::clamp_defaults(Settings& s) const {
  for (const auto& [name, cap] : ceilings) {
    const ParamSpec* spec = find_param(name);
    if (!spec || spec->default_json.empty() || s.present.count(name)) continue;
    const V d = V::parse(spec->default_json);
    const bool unbounded = !refuse_only.count(name) &&
                           (d.is_string() || (!spec->unbounded_json.empty() && d == V::parse(spec->unbounded_json)));
    if (!unbounded && number_of(d) <= cap) continue;
    spec->apply(cap_value(*spec, cap), s);
  }
}

Limits Limits::tightened(const Limits& o) const {
  Limits t = *this;
  for (const auto& [name, cap] : o.ceilings) {
    auto it = t.ceilings.find(name);
    // The smaller cap wins, and with it whether its figure may be shown.
    if (it == t.ceilings.end() || cap <= it->second) {
      t.ceilings[name] = cap;
      if (o.undisclosed.count(name))
        t.undisclosed.insert(name);
      else
        t.undisclosed.erase(name);
    }
    if (!o.refuse_only.count(name)) t.refuse_only.erase(name);  // an operator's cap replaces "auto"
  }
  t.denied_keys.insert(o.denied_keys.begin(), o.denied_keys.end());
  t.allow_load = allow_load && o.allow_load;
  t.max_graphs = std::min(max_graphs, o.max_graphs);
  t.max_contexts = std::min(max_contexts, o.max_contexts);
  t.max_engines_per_model = std::min(max_engines_per_model, o.max_engines_per_model);
  auto tighter = [](uint64_t a, uint64_t b) { return a == 0 ? b : b == 0 ? a : std::min(a, b); };
  t.max_sequences_per_tenant = static_cast<uint32_t>(tighter(max_sequences_per_tenant, o.max_sequences_per_tenant));
  t.max_queued_per_tenant = static_cast<uint32_t>(tighter(max_queued_per_tenant, o.max_queued_per_tenant));
  t.stream_idle_timeout_ms = tighter(stream_idle_timeout_ms, o.stream_idle_timeout_ms);
  t.stream_ahead_tokens = std::min(stream_ahead_tokens, o.stream_ahead_tokens);
  for (const auto& k : input_keys()) t.input.*k.field = std::min(input.*k.field, o.input.*k.field);
  t.input.template_render_ms = std::min(input.template_render_ms, o.input.template_render_ms);
  return t;
}

Limits parse_limits(std::string_view text, const char* source) {
  Limits l;
  V doc;
  try {
    doc = V::parse(text.begin(), text.end());
  } catch (const std::exception&) {
    fail(ErrorKind::InvalidArgument,
         std::string(source) + " is not a JSON object of limits such as {\"ctx_size\": 4096}");
  }
  if (!doc.is_object()) fail(ErrorKind::InvalidArgument, std::string(source) + " must be a JSON object of limits");
  for (const auto& [key, value] : doc.items()) {
    const auto& keys = policy_keys();
    const std::string name = key;  // a structured binding cannot be captured in C++17
    auto policy = std::find_if(keys.begin(), keys.end(), [&](const PolicyKey& p) { return name == p.doc.name; });
    if (policy != keys.end()) {
      policy->apply(value, key, l);
    } else if (const InputKey* input = find_input_key(name)) {
      l.input.*input->field = as_count(value, key, uint64_t{1} << 31);
    } else if (name == "template_render_ms") {
      l.input.template_render_ms = as_count(value, key, 600000);
    } else if (const ParamSpec* spec = find_param(key)) {
      add_ceiling(*spec, value, key, l);
    } else {
      fail(ErrorKind::InvalidArgument, std::string(source) + ": '" + clip(key) +
                                           "' is neither a parameter nor a "
                                           "limit (docs/PARAMETERS.md, \"Operator limits\")");
    }
  }
  return l;
}

Limits machine_limits(const std::string& kv_save_dir) {
  Limits l;
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  l.ceilings["threads"] = cores;
  l.ceilings["threads_batch"] = cores;
  if (const uint64_t mb = physical_memory_mb()) l.ceilings["kv_save_budget_mb"] = static_cast<double>(mb);
  if (!kv_save_dir.empty()) l.ceilings["kv_save_disk_budget_mb"] = static_cast<double>(free_disk_mb(kv_save_dir));
  for (const auto& [name, cap] : l.ceilings) {
    l.refuse_only.insert(name);
    l.undisclosed.insert(name);
  }
  return l;
}

Limits environment_limits(const std::string& kv_save_dir) {
  Limits l = machine_limits(kv_save_dir);
  const char* env = std::getenv("WASI_NN_LIMITS");
  if (env && *env) l = l.tightened(parse_limits(env, "WASI_NN_LIMITS"));
  return l;
}

const std::vector<LimitKeyDoc>& limit_table() {
  static const std::vector<LimitKeyDoc> docs = [] {
    std::vector<LimitKeyDoc> d;
    for (const auto& k : policy_keys()) d.push_back(k.doc);
    const InputLimits defaults;
    for (const auto& k : input_keys()) d.push_back({k.name, "integer", std::to_string(defaults.*k.field), k.help});
    d.push_back({"template_render_ms", "integer", std::to_string(defaults.template_render_ms),
                 "Wall time one render of a tenant's chat template may take (in a child process)."});
    return d;
  }();
  return docs;
}

}  // namespace wasi_nn
