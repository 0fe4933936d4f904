// The parameter table. Sampling defaults are read from llama.cpp's own common_params_sampling,
// so they follow the pinned llama.cpp (they match llama-server's). Ranges follow llama-server's
// validation, tightened where a value would be silently replaced or have no effect.
#include "core/config/param_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/config/param_values.h"
#include "core/config/pattern_limits.h"
#include "core/config/rpc_server_list.h"
#include "core/base/error.h"
#include "json-schema-to-grammar.h"
#include "llama.h"

namespace wasi_nn {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kI32 = 2147483647.0;

using V = ParamValue;

// Every apply function has the same shape; the macro keeps each table row to its one statement.
#define APPLY(stmt) [](const V& v, Settings& s) { (void)v; (void)s; stmt; }
// An enum key: the table's choices are the enum's names, so the lookup cannot miss.
#define APPLY_ENUM(field) \
  [](const V& v, Settings& s) { enum_from_name(v.get_ref<const std::string&>(), &s.field); }
// Sampling fields llama.cpp also reads from a model's metadata: the flag tells it the user chose.
#define APPLY_SAMPLING(field, type, flag)                          \
  [](const V& v, Settings& s) {                                    \
    s.request.sampling.field = v.get<type>();                      \
    s.request.sampling.user_sampling_config |= COMMON_PARAMS_SAMPLING_CONFIG_##flag; \
  }

// Integers print in full (4294967295, not 4.29497e+09); floats with %g, which prints llama.cpp's
// float defaults as written in its source (0.95f -> "0.95") and parses back to the same float.
std::string num(double d) {
  char buf[32];
  const bool integral = std::fabs(d) < 1e15 && d == std::floor(d);
  std::snprintf(buf, sizeof(buf), integral ? "%.0f" : "%g", d);
  return buf;
}

std::string quoted(const std::string& s) { return V(s).dump(); }

void apply_tensor_split(const V& v, Settings& s) {
  if (v.size() > llama_max_devices()) {
    fail(ErrorKind::InvalidArgument, "has " + std::to_string(v.size()) +
                                         " entries; this build supports at most " +
                                         std::to_string(llama_max_devices()) + " devices");
  }
  s.model.tensor_split = v.get<std::vector<float>>();
}

void apply_seed(const V& v, Settings& s) {
  const int64_t seed = v.get<int64_t>();
  s.request.sampling.seed = seed < 0 ? LLAMA_DEFAULT_SEED : static_cast<uint32_t>(seed);
}

// Sampler kinds a user may name, in llama.cpp's order.
const std::vector<common_sampler_type>& sampler_kinds() {
  static const std::vector<common_sampler_type> kinds = {
      COMMON_SAMPLER_TYPE_PENALTIES, COMMON_SAMPLER_TYPE_DRY,     COMMON_SAMPLER_TYPE_TOP_N_SIGMA,
      COMMON_SAMPLER_TYPE_TOP_K,     COMMON_SAMPLER_TYPE_TYPICAL_P, COMMON_SAMPLER_TYPE_TOP_P,
      COMMON_SAMPLER_TYPE_MIN_P,     COMMON_SAMPLER_TYPE_XTC,     COMMON_SAMPLER_TYPE_TEMPERATURE,
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
  fail(ErrorKind::InvalidArgument,
       "names an unknown sampler '" + item + "' (" + sampler_choices() + ")");
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
  check_grammar_nesting(text);  // llama.cpp's GBNF parser recurses per nested group
  s.request.sampling.grammar =
      text.empty() ? common_grammar() : common_grammar(COMMON_GRAMMAR_TYPE_USER, text);
}

// Same conversion and grammar type as llama-server's "json_schema" field.
void apply_json_schema(const V& v, Settings& s) {
  std::string grammar;
  try {
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    grammar = json_schema_to_grammar(common_json::parse(text));
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument, std::string("is not a usable JSON schema: ") + e.what());
  }
  if (grammar.empty()) fail(ErrorKind::InvalidArgument, "converts to an empty grammar");
  s.request.sampling.grammar = common_grammar(COMMON_GRAMMAR_TYPE_OUTPUT_FORMAT, grammar);
}

void apply_stop(const V& v, Settings& s) {
  s.request.stop = v.is_string() ? std::vector<std::string>{v.get<std::string>()}
                                 : v.get<std::vector<std::string>>();
}

void apply_flash_attn(const V& v, Settings& s) {
  if (v.is_boolean()) {
    s.context.flash_attn = v.get<bool>() ? FlashAttn::On : FlashAttn::Off;
  } else {
    enum_from_name(v.get_ref<const std::string&>(), &s.context.flash_attn);
  }
}

void no_apply(const V&, Settings&) {}


// Keys the original project documented but this backend does not implement. A value equal to
// `accepted` describes what the backend does anyway and is accepted; any other is an error.
ParamSpec unsupported(const char* name, const char* section, std::vector<std::string> aliases,
                      std::string accepted, std::string why) {
  return {name, section, std::move(aliases), ParamType::Unsupported, kScopeAll, 0, 0, {},
          std::move(accepted), std::move(why), no_apply};
}

std::vector<ParamSpec> build_table() {
  const common_params_sampling d;  // llama.cpp's defaults
  const auto T = ParamType::Bool;  // short names keep the rows readable
  const auto I = ParamType::Int;
  const auto F = ParamType::Float;
  const auto E = ParamType::Enum;
  const auto S = ParamType::String;
  const unsigned LT = kScopeLoadTime, ALL = kScopeAll;
  std::vector<ParamSpec> t = {
      // backend
      {"max_sessions", "backend", {}, I, LT, 1, 100000, {}, "100",
       "Most sessions (named conversations with their history and KV state) one backend keeps.",
       APPLY(s.backend.max_sessions = v.get<uint32_t>())},
      {"idle_timeout_ms", "backend", {"retention_ms", "session_timeout_ms"}, I, LT, 1, 604800000,
       {}, "300000", "A session unused for this many milliseconds is closed and its memory freed.",
       APPLY(s.backend.idle_timeout_ms = v.get<uint64_t>())},
      {"log_level", "backend", {"logging_level"}, E, LT, 0, 0,
       {"none", "error", "warn", "info", "debug"}, "\"warn\"",
       "Least severe message written to the log sink (stderr unless the host installs one); "
       "applies to llama.cpp's own log too. Never written to stdout.",
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
      // model
      {"n_gpu_layers", "model", {"ngl", "gpu_layers"}, ParamType::IntOrAuto, LT, -1, kI32,
       {"auto"}, "\"auto\"",
       "Model layers offloaded to GPUs and RPC servers: auto = as many as fit in free device "
       "memory next to the KV cache of ctx_size x n_parallel (llama.cpp's own fitting, as "
       "llama-server does by default); 0 = CPU only; -1 = all (so does any number above the "
       "model's layer count). Without a GPU or RPC server every value runs on the CPU.",
       APPLY(s.model.n_gpu_layers =
                 v.is_string() ? ModelSettings::kAutoGpuLayers : v.get<int32_t>())},
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
       "CPU threads for generation; 0 = chosen from the machine's cores. More threads than "
       "the machine has CPUs (or than 512, ggml's limit) are lowered to that.",
       APPLY(s.context.threads = v.get<int32_t>())},
      {"threads_batch", "context", {"n_threads_batch"}, I, LT, 0, 1024, {}, "0",
       "CPU threads for prompt processing; 0 = same as threads. Lowered like threads.",
       APPLY(s.context.threads_batch = v.get<int32_t>())},
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
      {"priority", "runtime", {}, I, ALL, -100, 100, {}, "0",
       "Queue priority: higher is admitted to a sequence first; FIFO among equals.",
       APPLY(s.request.priority = v.get<int32_t>())},
      {"timeout_ms", "runtime", {"default_task_timeout_ms"}, I, ALL, 0, 86400000.0, {}, "0",
       "Fail the request with timeout when it has not finished this long after compute was "
       "called (queueing included); 0 = none.",
       APPLY(s.request.timeout_ms = v.get<int64_t>())},
      {"context_shift", "memory", {"context_shifting"}, T, ALL, 0, 0, {}, "true",
       "When a conversation outgrows ctx_size: before a turn, drop its oldest turns; while "
       "generating, keep n_keep tokens, discard n_discard and go on. false = answer "
       "context_full (101). Shifting while generating needs a KV cache llama.cpp can shift "
       "(see cache_type_k); otherwise generation ends with stop_reason context_full.",
       APPLY(s.request.context_shift = v.get<bool>())},
      {"n_keep", "memory", {"n_keep_tokens"}, I, ALL, 0, kI32, {}, "0",
       "Tokens kept at the start of the window on a context shift (BOS is always kept).",
       APPLY(s.request.n_keep = v.get<int32_t>())},
      {"n_discard", "memory", {"n_discard_tokens"}, I, ALL, 0, kI32, {}, "0",
       "Tokens discarded per context shift; 0 = half of those not kept.",
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
       "GBNF grammar the output must follow; empty = none. Not together with json_schema. "
       "Groups ( ) nest at most 64 deep.",
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
       "far; a token trigger names one token by id or by its text. A pattern is at most 4096 "
       "bytes, nests groups at most 32 deep, expands to at most 10000 items with its {m,n} "
       "counts, and does not repeat a group that itself repeats or has alternatives ((a+)*, "
       "(a|b)+), on which std::regex backtracks exponentially.",
       apply_grammar_triggers},
      // stopping
      {"n_predict", "stopping", {"max_tokens", "max_completion_tokens"}, I, ALL, -1, kI32, {},
       "512", "Most tokens to generate; -1 = until end of sequence or a full context.",
       APPLY(s.request.n_predict = v.get<int32_t>())},
      {"stop", "stopping", {"stop_sequences", "reverse_prompt"}, ParamType::StringOrList, ALL, 0,
       0, {}, "[]", "Generation stops at any of these strings, which are left out of the output.",
       apply_stop},
      {"t_max_predict_ms", "stopping", {"time_limit_ms"}, I, ALL, 0, 86400000.0, {}, "0",
       "Stop generating this many milliseconds after the first token (stop_reason "
       "\"time_limit\"); 0 = no limit.",
       APPLY(s.request.t_max_predict_ms = v.get<int64_t>())},
      {"n_probs", "sampling", {"logprobs"}, I, ALL, 0, 100, {}, "0",
       "Return, in the metadata (output 1) \"probs\", each generated token's probability and "
       "the n_probs most likely candidates (softmax of the raw logits); 0 = off.",
       APPLY(s.request.sampling.n_probs = v.get<int32_t>())},
      {"ignore_eos", "stopping", {}, T, ALL, 0, 0, {}, "false",
       "Keep generating past end-of-sequence tokens (until n_predict or a stop string).",
       APPLY(s.request.sampling.ignore_eos = v.get<bool>())},
      // session
      {"mode", "session", {}, E, ALL, 0, 0, enum_names<ChatMode>(), "\"chat\"",
       "chat = the prompt is a user message, formatted with the chat template and added to the "
       "session's history; raw = the prompt is tokenized as given.",
       APPLY_ENUM(request.chat.mode)},
      {"chat_template", "session", {}, S, ALL, 0, 0, {}, "\"\"",
       "Chat template: empty = the model's own; a llama.cpp built-in name (e.g. \"chatml\", "
       "\"llama3\", \"phi3\"), rendered by llama.cpp's built-in formatter; or Jinja text, rendered "
       "by llama.cpp's Jinja engine. The template's end-of-turn marker is also a stop string.",
       apply_chat_template},
      {"system_prompt", "session", {}, S, ALL, 0, 0, {}, "\"\"",
       "System message placed before the conversation in chat mode; empty = none.",
       APPLY(s.request.chat.system_prompt = v.get<std::string>())},
      {"cache_prompt", "session", {"enable_prompt_cache"}, T, ALL, 0, 0, {}, "true",
       "Reuse the KV cache for the prefix this prompt shares with the session's previous one.",
       APPLY(s.request.cache_prompt = v.get<bool>())},
      {"reset", "session", {}, T, kScopeRequest, 0, 0, {}, "false",
       "Forget the session's conversation (history and KV state) before this request.",
       APPLY(s.request.reset = v.get<bool>())},
      // embeddings
      {"embedding", "embeddings", {"embeddings_mode"}, T, ALL, 0, 0, {}, "false",
       "Load the model for embeddings: compute returns the pooled, normalised vector of input 0 "
       "(output 0) instead of generated text. Set at load; a request may only repeat the "
       "load's value (an embedding request to a text model is an error). No streaming.",
       APPLY(s.context.embedding = v.get<bool>())},
      {"pooling", "embeddings", {"pooling_type"}, E, LT, 0, 0,
       enum_names<Pooling>(), "\"model\"",
       "How token vectors become one vector per input: model = the GGUF's own pooling type; "
       "none = one vector per token; rank = the reranking head's scores (never normalised).",
       APPLY_ENUM(context.pooling)},
      {"embd_normalize", "embeddings", {"embd_normalise", "normalize"}, I, ALL, -1, kI32, {}, "2",
       "Normalisation of each vector (llama.cpp's common_embd_normalize): -1 none, 0 max "
       "absolute scaled to int16 range, 1 taxicab, 2 euclidean (L2 norm 1), >2 p-norm.",
       APPLY(s.request.embd.normalize = v.get<int32_t>())},
      {"embd_output", "embeddings", {"embedding_output"}, E, ALL, 0, 0, enum_names<EmbdOutput>(), "\"json\"",
       "Output 0 of an embedding request: json = {\"n_embedding\": N, \"embedding\": [...]} "
       "(WasmEdge's shape; with embd_input json: \"embeddings\": [[...], ...]); f32 = the raw "
       "little-endian floats, every vector in input order (N per vector; see n_vectors in "
       "output 1).",
       APPLY_ENUM(request.embd.output)},
      {"embd_input", "embeddings", {"embedding_input"}, E, ALL, 0, 0, enum_names<EmbdInput>(), "\"text\"",
       "Input 0 of an embedding request: text = one text; json = a JSON array of texts, "
       "embedded together (sequences share decode steps) and returned in order.",
       APPLY_ENUM(request.embd.input)},
  };
  const std::vector<ParamSpec> unsupported_keys = {
      unsupported("auto_cleanup", "backend", {}, "true",
                  "idle sessions are always closed after idle_timeout_ms"),
      unsupported("max_concurrent", "backend", {}, "", "concurrency is set by n_parallel"),
      unsupported("priority_scheduling_enabled", "backend", {}, "true",
                  "requests are always admitted by priority (see priority)"),
      unsupported("fair_scheduling_enabled", "backend", {}, "",
                  "every active conversation shares each decode step"),
      unsupported("auto_queue_cleanup", "backend", {}, "", "there is no separate task queue"),
      unsupported("queue_warning_threshold", "backend", {}, "", "there is no separate task queue"),
      unsupported("queue_reject_threshold", "backend", {}, "", "there is no separate task queue"),
      unsupported("numa", "model", {}, "", "NUMA placement is left to the OS"),
      unsupported("stream", "stopping", {"stream_stdout"}, "false",
                  "the whole reply is returned by get_output"),
      unsupported("cache_strategy", "memory", {"cache_deletion_strategy"}, "",
                  "idle sessions are evicted by idle_timeout_ms"),
      unsupported("max_cache_tokens", "memory", {}, "", "KV memory is ctx_size * n_parallel"),
      unsupported("enable_partial_cache_deletion", "memory", {}, "", "use cache_prompt"),
      unsupported("enable_token_cache_reuse", "memory", {}, "", "use cache_prompt"),
      unsupported("max_memory_mb", "memory", {}, "",
                  "memory follows from the model, ctx_size and n_parallel"),
      unsupported("memory_pressure_threshold", "memory", {}, "", "memory use is fixed at load"),
      unsupported("enable_debug", "logging", {"enable_debug_log"}, "false",
                  "use log_level \"debug\""),
      unsupported("enable_log", "logging", {}, "", "use log_level"),
      unsupported("timestamps", "logging", {}, "", "the log sink formats messages"),
      unsupported("colors", "logging", {}, "false", "logs are never coloured"),
      unsupported("batch_processing", "performance", {}, "true",
                  "conversations are always batched"),
      unsupported("batch_timeout_ms", "performance", {}, "",
                  "decode steps do not wait to fill a batch"),
      unsupported("mmproj", "model", {"image"}, "", "multimodal input is not supported"),
      unsupported("lora", "model", {}, "", "LoRA adapters are not supported"),
  };
  t.insert(t.end(), unsupported_keys.begin(), unsupported_keys.end());
  return t;
}

#undef APPLY
#undef APPLY_ENUM
#undef APPLY_SAMPLING

}  // namespace

const std::vector<ParamSpec>& param_table() {
  static const std::vector<ParamSpec> table = build_table();
  return table;
}

const std::vector<std::string>& param_sections() {
  static const std::vector<std::string> sections = {
      "backend", "model",   "context", "sampling",    "stopping", "session", "memory",
      "memory_management", "cache_policy", "logging", "performance", "runtime", "chat",
      "embeddings"};
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
                      : spec.max == kInf ? ">= " + num(spec.min)
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
