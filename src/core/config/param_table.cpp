// The parameter table: assembled from its row groups (param_rows.h), plus the lookups and texts
// the parser and the reference use. Sampling defaults are read from llama.cpp's own
// common_params_sampling, so they follow the pinned llama.cpp (they match llama-server's). Ranges
// follow llama-server's validation, tightened where a value would be silently replaced or have
// no effect.
#include "core/config/param_table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "core/base/error.h"
#include "core/config/limits.h"
#include "core/config/param_rows.h"
#include "core/config/rpc_server_list.h"
#include "llama.h"

namespace wasi_nn {
namespace param_rows {

// Integers print in full (4294967295, not 4.29497e+09); floats with %g, which prints llama.cpp's
// float defaults as written in its source (0.95f -> "0.95") and parses back to the same float.
std::string num(double d) {
  char buf[32];
  const bool integral = std::fabs(d) < 1e15 && d == std::floor(d);
  std::snprintf(buf, sizeof(buf), integral ? "%.0f" : "%g", d);
  return buf;
}

void no_apply(const V&, Settings&) {}

ParamSpec unsupported(const char* name, const char* section, std::vector<std::string> aliases, std::string accepted,
                      std::string why) {
  return {name, section, std::move(aliases),  ParamType::Unsupported, kScopeAll, 0,
          0,    {},      std::move(accepted), std::move(why),         no_apply};
}

namespace {

void apply_tensor_split(const V& v, Settings& s) {
  if (v.size() > llama_max_devices()) {
    fail(ErrorKind::InvalidArgument, "has " + std::to_string(v.size()) + " entries; this build supports at most " +
                                         std::to_string(llama_max_devices()) + " devices");
  }
  s.model.tensor_split = v.get<std::vector<float>>();
}

void apply_flash_attn(const V& v, Settings& s) {
  if (v.is_boolean()) {
    s.context.flash_attn = v.get<bool>() ? FlashAttn::On : FlashAttn::Off;
  } else {
    enum_from_name(v.get_ref<const std::string&>(), &s.context.flash_attn);
  }
}

}  // namespace

std::vector<ParamSpec> host_rows() {
  const auto T = ParamType::Bool;  // short names keep the rows readable
  const auto I = ParamType::Int;
  const auto E = ParamType::Enum;
  const auto S = ParamType::String;
  const unsigned LT = kScopeLoadTime, ALL = kScopeAll;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      // backend
      {"max_sessions", "backend", {}, I, LT, 1, 100000, {}, "100",
       "Most sessions (named conversations with their history and KV state) one backend keeps.",
       APPLY(s.backend.max_sessions = v.get<uint32_t>())},
      {"idle_timeout_ms", "backend", {"retention_ms", "session_timeout_ms"}, I, LT, 1, 604800000,
       {}, "300000", "A session unused for this many milliseconds is closed and its memory freed.",
       APPLY(s.backend.idle_timeout_ms = v.get<uint64_t>())},
      {"log_level", "backend", {"logging_level"}, E, kScopeBackend, 0, 0,
       {"none", "error", "warn", "info", "debug"}, "\"warn\"",
       "Least severe message written to the log sink (stderr unless the host installs one); "
       "applies to llama.cpp's own log too. Never written to stdout. Process-wide and the host's: "
       "WASI_NN_LOG_LEVEL wins over it, and a model load or request cannot set it.",
       APPLY(parse_log_level(v.get<std::string>(), &s.backend.log_level))},
      {"log_format", "backend", {"logging_format"}, E, kScopeBackend, 0, 0, {"plain", "json"},
       "\"plain\"",
       "Log line format: plain text, or JSON lines ({\"ts\", \"level\", \"source\": "
       "\"backend\"|\"llama\", \"msg\"}). Process-wide; WASI_NN_LOG_FORMAT wins over it.",
       APPLY(parse_log_format(v.get<std::string>(), &s.backend.log_format))},
      {"log_file", "backend", {"logging_file"}, S, kScopeBackend, 0, 0, {}, "\"\"",
       "File the log is appended to instead of stderr (a host setting: guests cannot name host "
       "files). Process-wide; WASI_NN_LOG_FILE wins over it.",
       APPLY(s.backend.log_file = v.get<std::string>())},
      {"limits", "backend", {}, ParamType::Object, kScopeBackend, 0, 0, {}, "",
       "The operator's limits for this backend context (one tenant): caps on parameters and the "
       "policy keys of \"Operator limits\" below. They tighten WASI_NN_LIMITS. Host setting only.",
       APPLY(s.backend.limits = parse_limits(v.dump(), "config key 'limits'"); s.backend.has_limits = true)},
      {"share_group", "backend", {}, S, kScopeBackend, 0, 0, {}, "\"\"",
       "Backend contexts (tenants) naming the same group may reuse each other's KV prefixes (a "
       "common system prompt is computed once for the group); empty = this tenant's prefixes "
       "are its own. Members of a group can tell from cached_tokens and timings whether another "
       "member sent the same prefix. Host setting only.",
       APPLY(s.backend.share_group = v.get<std::string>())},
      // model
      {"n_gpu_layers", "model", {"ngl", "gpu_layers"}, ParamType::IntOrAuto, LT, -1, kI32,
       {"auto"}, "\"auto\"",
       "Model layers offloaded to GPUs and RPC servers: auto = as many as fit in free device "
       "memory next to the KV cache of ctx_size x n_parallel (llama.cpp's own fitting, as "
       "llama-server does by default); 0 = CPU only; -1 = all (so does any number above the "
       "model's layer count). Without a GPU or RPC server every value runs on the CPU.",
       APPLY(s.model.n_gpu_layers =
                 v.is_string() ? ModelSettings::kAutoGpuLayers : v.get<int32_t>()), "-1"},
      {"main_gpu", "model", {}, I, LT, 0, kI32, {}, "0",
       "GPU that holds the whole model with split_mode none (and intermediate results with "
       "row); must be below the number of devices present at load (0 without any).",
       APPLY(s.model.main_gpu = v.get<int32_t>())},
      {"split_mode", "model", {}, E, LT, 0, 0, enum_names<SplitMode>(), "\"layer\"",
       "How the model is spread over several GPUs: none = main_gpu only, layer = whole layers "
       "per GPU, row = rows of each tensor.",
       APPLY_ENUM(model.split_mode)},
      {"tensor_split", "model", {}, ParamType::FloatList, LT, 0, kInf, {}, "[]",
       "Share of the model each device holds, e.g. [3, 1], in device order (RPC servers first, "
       "then local GPUs); at most one entry per device present at load; empty = in proportion "
       "to free memory.",
       apply_tensor_split},
      {"rpc_servers", "model", {"rpc"}, ParamType::StringOrList, kScopeBackend, 0, 0, {}, "[]",
       "llama.cpp rpc-server processes (built from the same llama.cpp) that hold model layers, as "
       "\"host:port,host:port\" or a list [\"host:port\", ...]; each is a device ahead of the "
       "local GPUs, filled by n_gpu_layers. A server that does not answer within 5 s fails the "
       "load. Host setting only (init_backend_with_config / WASI_NN_CONFIG): it opens network "
       "connections, so a model load or a request cannot set it.",
       APPLY(s.model.rpc_servers = rpc_server_list(v))},
      {"fit_device_mb", "model", {}, I, kScopeBackend, 0, 1 << 30, {}, "0",
       "With n_gpu_layers \"auto\": fit the layers within this many MiB of each device (GPU or "
       "RPC server) instead of its free memory less 1 GiB (llama.cpp's fit margin); 0 = the "
       "device's own. The fitting's decision is in wasi_nn_stats. Host setting only.",
       APPLY(s.model.fit_device_mb = v.get<uint64_t>())},
      {"use_mmap", "model", {"mmap"}, T, LT, 0, 0, {}, "true",
       "Map the model file into memory instead of reading it (faster loads, shared pages).",
       APPLY(s.model.use_mmap = v.get<bool>())},
      {"use_mlock", "model", {"mlock"}, T, LT, 0, 0, {}, "false",
       "Lock the model in RAM so the OS cannot swap it out.",
       APPLY(s.model.use_mlock = v.get<bool>())},
      // context
      {"ctx_size", "context", {"n_ctx", "context_size"}, I, LT, 16, 1048576, {}, "4096",
       "Context window of one conversation, in tokens (prompt, history and reply). The KV "
       "cache holds n_parallel windows of this size.",
       APPLY(s.context.ctx_size = v.get<uint32_t>())},
      {"batch_size", "context", {"n_batch"}, I, LT, 1, 1048576, {}, "512",
       "Most tokens one decode step processes, summed over every conversation in the step. At "
       "least n_parallel (a step holds a token of every sequence). With embedding it is rounded "
       "down to a multiple of n_parallel, and for models that attend non-causally (encoders "
       "such as BERT) it is at most ctx_size x n_parallel.",
       APPLY(s.context.n_batch = v.get<uint32_t>())},
      {"ubatch_size", "context", {"n_ubatch"}, I, LT, 1, 1048576, {}, "512",
       "Physical batch: most tokens sent to the device at once. Must not exceed batch_size; "
       "when it is not given, it follows batch_size (512 or less). Models that attend "
       "non-causally (encoders such as BERT) and embedding loads use batch_size for it.",
       APPLY(s.context.n_ubatch = v.get<uint32_t>())},
      {"threads", "context", {"n_threads"}, I, LT, 0, 1024, {}, "0",
       "CPU threads for generation; 0 = chosen from the machine's cores (an operator's cap on "
       "threads replaces 0).",
       APPLY(s.context.threads = v.get<int32_t>()), "0"},
      {"threads_batch", "context", {"n_threads_batch"}, I, LT, 0, 1024, {}, "0",
       "CPU threads for prompt processing; 0 = same as threads.",
       APPLY(s.context.threads_batch = v.get<int32_t>()), "0"},
      // serving: the engine's queue and its store of evicted conversations' KV states
      {"max_queue", "backend", {"queue_size"}, I, LT, 1, 1000000, {}, "256",
       "Requests that may wait for a free sequence per model; one more answers busy.",
       APPLY(s.context.max_queue = v.get<uint32_t>())},
      {"priority_aging_ms", "backend", {}, I, LT, 1, 86400000.0, {}, "1000",
       "A waiting request gains +1 priority per this many milliseconds, so none waits forever.",
       APPLY(s.context.priority_aging_ms = v.get<uint32_t>())},
      {"kv_save_budget_mb", "memory", {}, I, LT, 0, 1048576, {}, "1024",
       "Host memory for the KV states of conversations evicted from their sequence; their next "
       "turn restores it instead of re-processing the history. 0 = do not save.",
       APPLY(s.context.kv_save_budget_mb = v.get<uint64_t>())},
      {"kv_save_dir", "memory", {}, S, kScopeBackend, 0, 0, {}, "\"\"",
       "Directory where saved KV states spill when kv_save_budget_mb is full; empty = memory "
       "only. Host setting only (init_backend_with_config / WASI_NN_CONFIG): a model load or a "
       "request cannot set it.",
       APPLY(s.context.kv_save_dir = v.get<std::string>())},
      {"kv_save_disk_budget_mb", "memory", {}, I, LT, 0, 1048576 * 16.0, {}, "4096",
       "Disk space kv_save_dir may use.", APPLY(s.context.kv_save_disk_budget_mb = v.get<uint64_t>())},
      {"prefix_sharing", "memory", {}, T, LT, 0, 0, {}, "true",
       "A prompt sharing 32+ leading tokens with another conversation's KV copies them instead "
       "of computing them again (a common system prompt is computed once).",
       APPLY(s.context.prefix_sharing = v.get<bool>())},
      {"deterministic", "context", {}, T, LT, 0, 0, {}, "false",
       "The same request gives the same bytes (tokens and probabilities) whatever other "
       "conversations the engine decodes with it, and after prefix sharing, KV reuse, eviction "
       "and restore, at any batch_size >= 3, threads and n_parallel, on the CPU (layers on a GPU "
       "are refused; flash_attn must be off). Output 1 then carries a \"determinism\" "
       "fingerprint: equal fingerprints promise equal bytes (docs/DETERMINISM.md). Turns off "
       "weight repacking; costs some throughput. In the backend config: every load's default.",
       APPLY(s.context.deterministic = v.get<bool>(); s.model.repack = !v.get<bool>())},
      {"priority", "runtime", {}, I, ALL, -100, 100, {}, "0",
       "Queue priority: higher is admitted to a sequence first; FIFO among equals.",
       APPLY(s.request.priority = v.get<int32_t>())},
      {"timeout_ms", "runtime", {"default_task_timeout_ms"}, I, ALL, 0, 86400000.0, {}, "0",
       "Fail the request with timeout when it has not finished this long after compute was "
       "called (queueing included); 0 = none.",
       APPLY(s.request.timeout_ms = v.get<int64_t>()), "0"},
      {"context_shift", "memory", {"context_shifting"}, T, ALL, 0, 0, {}, "true",
       "When a conversation outgrows ctx_size: before a turn, drop its oldest turns; while "
       "generating, when one cell of the window is left, keep n_keep tokens, discard n_discard "
       "and go on (as llama.cpp does). false = a conversation that no longer fits answers "
       "context_full (101) at compute, and a generation that reaches the end of the window "
       "succeeds with stop_reason context_full. Shifting while generating needs a KV cache "
       "llama.cpp can shift (see cache_type_k); otherwise generation ends with stop_reason "
       "context_full.",
       APPLY(s.request.context_shift = v.get<bool>())},
      {"n_keep", "memory", {"n_keep_tokens"}, I, ALL, 0, kI32, {}, "0",
       "Tokens kept at the start of the window on a context shift (BOS is always kept).",
       APPLY(s.request.n_keep = v.get<int32_t>())},
      {"n_discard", "memory", {"n_discard_tokens"}, I, ALL, 0, kI32, {}, "0",
       "Tokens discarded per context shift, right after the n_keep kept ones; 0 = half of "
       "those not kept; at most all of those not kept but one.",
       APPLY(s.request.n_discard = v.get<int32_t>())},
      {"n_parallel", "context", {"parallel", "slots"}, I, LT, 1, 256, {}, "4",
       "KV sequences resident at once: how many conversations keep their KV state in memory "
       "and can generate in the same decode step.",
       APPLY(s.context.n_parallel = v.get<uint32_t>())},
      {"flash_attn", "context", {"flash_attention"}, ParamType::EnumOrBool, LT, 0, 0,
       enum_names<FlashAttn>(), "\"auto\"",
       "Flash attention: auto = on where the model's layers run on a GPU (or RPC device) that supports it, off when it runs on the CPU only (slower there), unless a quantized cache_type_v needs it. true/false mean on/off.",
       apply_flash_attn},
      {"cache_type_k", "context", {}, E, LT, 0, 0, enum_names<KvCacheType>(), "\"f16\"",
       "Data type of the KV cache's keys; quantized types save memory. A quantized type's "
       "block (32 values) must divide the model's attention head size. llama.cpp cannot shift "
       "a bf16 cache, nor a quantized one unless the head size is a multiple of 64: with those, "
       "context_shift does not apply while generating.",
       APPLY_ENUM(context.cache_type_k)},
      {"cache_type_v", "context", {}, E, LT, 0, 0, enum_names<KvCacheType>(), "\"f16\"",
       "Data type of the KV cache's values; quantized types need flash attention, and their "
       "block (32 values) must divide the model's attention head size.",
       APPLY_ENUM(context.cache_type_v)},
  };
  // clang-format on
}

}  // namespace param_rows

namespace {

std::vector<ParamSpec> build_table() {
  using namespace param_rows;
  std::vector<ParamSpec> t;
  for (auto rows : {host_rows, sampling_rows, session_rows, media_rows, agent_rows, adapter_rows, speculative_rows,
                    wasmedge_rows, unsupported_rows}) {
    std::vector<ParamSpec> group = rows();
    t.insert(t.end(), std::make_move_iterator(group.begin()), std::make_move_iterator(group.end()));
  }
  return t;
}

}  // namespace

using param_rows::kInf;
using param_rows::num;
using param_rows::V;

static const ParamSpec* find_param_by_canonical(const std::string& name) {
  for (const auto& spec : param_table()) {
    if (name == spec.name) return &spec;
    for (const auto& a : spec.aliases) {
      if (name == a) return &spec;
    }
  }
  return nullptr;
}

const std::vector<ParamSpec>& param_table() {
  static const std::vector<ParamSpec> table = build_table();
  return table;
}

const ParamSpec* find_param(std::string_view name) {
  std::string key(name);
  std::replace(key.begin(), key.end(), '-', '_');
  return find_param_by_canonical(key);
}

const std::vector<std::string>& param_sections() {
  static const std::vector<std::string> sections = {
      "backend",      "model",      "context",     "sampling", "stopping", "session",    "memory", "memory_management",
      "cache_policy", "logging",    "performance", "runtime",  "chat",     "embeddings", "media",  "agents",
      "adapters",     "speculation"};
  return sections;
}

void apply_defaults(Settings& s) {
  s = Settings();
  for (const auto& spec : param_table()) {
    if (spec.type == ParamType::Unsupported || spec.default_json.empty()) continue;
    spec.apply(V::parse(spec.default_json), s);
  }
  s.request.sampling.user_sampling_config = 0;  // defaults are not the user's choice
}

std::string param_type_name(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::Bool: return "bool";
    case ParamType::Int: return "integer";
    case ParamType::IntOrAuto: return "integer or \"" + spec.choices.at(0) + "\"";
    case ParamType::Float: return "number";
    case ParamType::Enum: return "string";
    case ParamType::EnumOrBool: return "string or bool";
    case ParamType::String: return "string";
    case ParamType::FloatList: return "list of numbers";
    case ParamType::StringList: return "list of strings";
    case ParamType::StringOrList: return "string or list of strings";
    case ParamType::Samplers: return "list of strings, or string";
    case ParamType::Schema: return "object or string";
    case ParamType::LogitBias: return "list or object";
    case ParamType::GrammarTriggers: return "list";
    case ParamType::Object: return "object";
    case ParamType::ObjectList: return "list of objects";
    case ParamType::StringOrObject: return "string or object";
    case ParamType::StringOrInteger: return "string or integer";
    case ParamType::Unsupported: return "-";
  }
  return "?";
}

std::string param_range_text(const ParamSpec& spec) {
  switch (spec.type) {
    case ParamType::Int:
    case ParamType::IntOrAuto:
    case ParamType::Float:
    case ParamType::FloatList: {
      std::string r = spec.min == -kInf && spec.max == kInf ? "any finite number"
                      : spec.max == kInf                    ? ">= " + num(spec.min)
                                                            : num(spec.min) + " to " + num(spec.max);
      if (spec.type == ParamType::IntOrAuto) return spec.choices.at(0) + ", or " + r;
      return spec.type == ParamType::FloatList ? "each " + r : r;
    }
    case ParamType::Enum:
    case ParamType::EnumOrBool: {
      std::string r;
      for (const auto& c : spec.choices) r += (r.empty() ? "" : ", ") + c;
      return (spec.type == ParamType::EnumOrBool ? "true, false, " : "") + r;
    }
    case ParamType::StringList: return "non-empty list of non-empty strings";
    case ParamType::StringOrList: return "non-empty strings";
    case ParamType::Samplers: return "sampler names or chars";
    default: return "-";
  }
}

std::string param_scope_text(unsigned scopes) {
  std::string r;
  if (scopes & kScopeBackend) r += "backend";
  if (scopes & kScopeLoad) r += std::string(r.empty() ? "" : ", ") + "load";
  if (scopes & kScopeRequest) r += std::string(r.empty() ? "" : ", ") + "request";
  return r;
}

}  // namespace wasi_nn
