// Keys of WasmEdge's GGML plugin (its metadata parser is the reference: docs/COMPATIBILITY.md,
// section 2). Two groups:
//   - wasmedge_rows(): keys every profile accepts (the profile key itself, the tenant's log
//     verbosity, stream_stdout). They are rows of the main table.
//   - the profile table (wasmedge_profile_table()): what the parser consults first in the
//     WasmEdge profile. It holds WasmEdge's spellings of our keys (last-n-penalty,
//     dry-multipier), WasmEdge's types where they differ from ours (tensor-split as "3,2",
//     cache-type-k as a ggml type number, pooling-type as a number), WasmEdge's meanings where
//     they differ (temp and the penalties clamped, not refused), and every other key the plugin
//     accepts: those it acts on and we do not are accepted with a warning unless they hold the
//     value that changes nothing; llama.cpp tool options the plugin ignores too are accepted
//     silently. A row here may share its canonical name with a main-table row (so the host's
//     caps and denied_keys apply to both); the parser then takes the one whose type fits the
//     value (config_parser.cpp).
#include <cstdlib>
#include <sstream>

#include "core/base/error.h"
#include "core/config/config_parser.h"
#include "core/config/param_rows.h"
#include "ggml.h"
#include "llama.h"

namespace wasi_nn {
namespace param_rows {
namespace {

constexpr double kI64 = 9.2e18;  // WasmEdge reads integers as int64

[[noreturn]] void not_honoured() {
  fail(ErrorKind::Unsupported, "is not implemented by this backend (see docs/PARAMETERS.md, WasmEdge profile)");
}

// A key we cannot honour yet: accepted silently with the value that changes nothing, refused
// (Unsupported; a warning in the WasmEdge profile) with any other.
#define IGNORED_UNLESS(cond)     \
  [](const V& v, Settings& s) {  \
    (void)s;                     \
    if (!(cond)) not_honoured(); \
  }

template <class T>
T clamped(double v, double lo, double hi) {
  return static_cast<T>(v < lo ? lo : v > hi ? hi : v);
}

// "3,2": WasmEdge's comma-separated proportions, one per device.
void apply_tensor_split_text(const V& v, Settings& s) {
  std::string text = v.get<std::string>();
  for (char& c : text) c = c == ',' ? ' ' : c;
  std::istringstream in(text);
  std::vector<float> split;
  for (std::string item; in >> item;) {
    char* end = nullptr;
    const float f = std::strtof(item.c_str(), &end);
    if (end == item.c_str() || *end != '\0' || !(f >= 0)) {
      fail(ErrorKind::InvalidArgument, "must list non-negative numbers separated by commas, e.g. \"3,2\"");
    }
    split.push_back(f);
  }
  if (split.size() > llama_max_devices()) {
    fail(ErrorKind::InvalidArgument, "has " + std::to_string(split.size()) + " entries; this build supports at most " +
                                         std::to_string(llama_max_devices()) + " devices");
  }
  s.model.tensor_split = std::move(split);
}

// A ggml_type number (WasmEdge's cache-type-k/-v) as our KV cache type.
KvCacheType cache_type_of(const V& v) {
  switch (v.get<int64_t>()) {
    case GGML_TYPE_F32: return KvCacheType::F32;
    case GGML_TYPE_F16: return KvCacheType::F16;
    case GGML_TYPE_BF16: return KvCacheType::BF16;
    case GGML_TYPE_Q8_0: return KvCacheType::Q8_0;
    case GGML_TYPE_Q4_0: return KvCacheType::Q4_0;
    case GGML_TYPE_Q4_1: return KvCacheType::Q4_1;
    case GGML_TYPE_IQ4_NL: return KvCacheType::IQ4_NL;
    case GGML_TYPE_Q5_0: return KvCacheType::Q5_0;
    case GGML_TYPE_Q5_1: return KvCacheType::Q5_1;
    default: break;
  }
  fail(ErrorKind::InvalidArgument,
       "is not a KV cache type llama.cpp supports; use a ggml_type number: 0 f32, 1 f16, "
       "30 bf16, 8 q8_0, 2 q4_0, 3 q4_1, 20 iq4_nl, 6 q5_0, 7 q5_1");
}

// llama_pooling_type numbers: -1 unspecified (the model's), 0 none, 1 mean, 2 cls, 3 last, 4 rank.
void apply_pooling_number(const V& v, Settings& s) {
  static const Pooling kByNumber[] = {Pooling::Model, Pooling::None, Pooling::Mean,
                                      Pooling::Cls,   Pooling::Last, Pooling::Rank};
  s.context.pooling = kByNumber[v.get<int64_t>() + 1];
}

void apply_flash_attn_word(const V& v, Settings& s) {
  const std::string& w = v.get_ref<const std::string&>();
  s.context.flash_attn = w == "auto" ? FlashAttn::Auto : (w == "on" || w == "enabled") ? FlashAttn::On : FlashAttn::Off;
}

// WasmEdge clamps these instead of refusing them (max(0, value)); the flag tells llama.cpp
// the user chose them, as the main table's rows do.
void apply_temp(const V& v, Settings& s) {
  s.request.sampling.temp = clamped<float>(v.get<double>(), 0, kInf);
  s.request.sampling.user_sampling_config |= COMMON_PARAMS_SAMPLING_CONFIG_TEMP;
}

void apply_top_p(const V& v, Settings& s) {
  s.request.sampling.top_p = clamped<float>(v.get<double>(), 0, 1);
  s.request.sampling.user_sampling_config |= COMMON_PARAMS_SAMPLING_CONFIG_TOP_P;
}

// 0 would divide the logits by zero in llama.cpp's penalty sampler: 0.01 is the least we take.
void apply_repeat_penalty(const V& v, Settings& s) {
  s.request.sampling.penalty_repeat = clamped<float>(v.get<double>(), 0.01, kInf);
  s.request.sampling.user_sampling_config |= COMMON_PARAMS_SAMPLING_CONFIG_PENALTY_REPEAT;
}

void apply_load_mode(const V& v, Settings& s) {
  const std::string& m = v.get_ref<const std::string&>();
  if (m == "dio") not_honoured();
  s.model.use_mmap = m == "auto" || m == "mmap" || m == "mmap+mlock";
  s.model.use_mlock = m == "mlock" || m == "mmap+mlock";
}

// A copy of the main table's row `name` that also answers to WasmEdge's spellings.
ParamSpec respelled(const char* name, std::vector<std::string> more) {
  ParamSpec spec = *find_param(name);
  spec.section = "wasmedge";
  spec.aliases.insert(spec.aliases.end(), more.begin(), more.end());
  spec.help += " WasmEdge's spellings are accepted too.";
  return spec;
}

ParamSpec accepted(const char* name, ParamType type) {
  const double lo = type == ParamType::Int ? -kI64 : -kInf, hi = type == ParamType::Int ? kI64 : kInf;
  return {name, "wasmedge_noop", {}, type, kScopeAll, lo, hi, {}, "", "", APPLY((void)0)};
}

// llama.cpp tool options WasmEdge's parser reads into common_params and the plugin never uses
// (server, perplexity, speculative decoding, control vectors, downloads): accepted, no effect.
std::vector<ParamSpec> tool_option_rows() {
  const auto B = ParamType::Bool, I = ParamType::Int, F = ParamType::Float, S = ParamType::String;
  // clang-format off
  const std::pair<const char*, ParamType> keys[] = {
      {"n_chunks", I}, {"n_sequences", I}, {"grp_attn_n", I}, {"grp_attn_w", I}, {"n_print", I},
      {"mask_valid", B}, {"strict_cpu", B}, {"poll", I}, {"mask_valid_batch", B}, {"priority_batch", I},
      {"strict_cpu_batch", B}, {"poll_batch", I}, {"no_perf_sampling", B}, {"timing_per_token", B},
      {"n_ctx_speculative", I}, {"n_max_speculative", I}, {"n_min_speculative", I},
      {"n_gpu_layers_speculative", I}, {"p_split_speculative", F}, {"p_min_speculative", F},
      {"hf_repo_vocoder", S}, {"hf_file_vocoder", S}, {"model_url_vocoder", S}, {"model_vocoder", S},
      {"tts_output_file", S}, {"tts_speaker_file", S}, {"always_regenerate_image_embd", B},
      {"model_alias", S}, {"model_url", S}, {"hf_token", S}, {"hf_repo", S}, {"hf_file", S},
      {"prompt_file", S}, {"path_prompt_cache", S}, {"input_prefix", S}, {"input_suffix", S},
      {"lookup_cache_static", S}, {"lookup_cache_dynamic", S}, {"logits_file", S},
      {"lora_init_without_apply", B}, {"verbosity", I}, {"control_vector_layer_start", I},
      {"control_vector_layer_end", I}, {"ppl_stride", I}, {"ppl_output_type", I}, {"hellaswag", B},
      {"hellaswag_tasks", I}, {"winogrande", B}, {"winogrande_tasks", I}, {"multiple_choice", B},
      {"multiple_choice_tasks", I}, {"kl_divergence", B}, {"usage", B}, {"use_color", B}, {"special", B},
      {"interactive", B}, {"interactive_first", B}, {"prompt_cache_all", B}, {"prompt_cache_ro", B},
      {"escape", B}, {"multiline_input", B}, {"simple_io", B}, {"cont_batching", B}, {"no_perf", B},
      {"ctx_shift", B}, {"input_prefix_bos", B}, {"verbose_prompt", B}, {"display_prompt", B},
      {"warmup", B}, {"enable_chat_template", B}, {"embd_out", S}, {"embd_sep", S}, {"port", I},
      {"timeout_read", I}, {"timeout_write", I}, {"n_threads_http", I}, {"n_cache_reuse", I},
      {"hostname", S}, {"public_path", S}, {"ssl_file_key", S}, {"ssl_file_cert", S}, {"webui", B},
      {"endpoint_slots", B}, {"endpoint_props", B}, {"endpoint_metrics", B}, {"log_json", B},
      {"slot_save_path", S}, {"slot_prompt_similarity", F}, {"is_pp_shared", B}, {"n_pp", I}, {"n_tg", I},
      {"n_pl", I}, {"context_files", S}, {"chunk_size", I}, {"chunk_separator", S}, {"n_junk", I},
      {"i_pos", I}, {"out_file", S}, {"n_out_freq", I}, {"n_save_freq", I}, {"i_chunk", I},
      {"process_output", B}, {"compute_ppl", B}, {"n_pca_batch", I}, {"n_pca_iterations", I},
      {"cvector_positive_file", S}, {"cvector_negative_file", S}, {"spm_infill", B},
      {"batched_bench_output_jsonl", B}, {"priority", I}};
  // clang-format on
  std::vector<ParamSpec> rows;
  for (const auto& [name, type] : keys) {
    rows.push_back(accepted(name, type));
    rows.back().help = "No effect, in WasmEdge's plugin too (a llama.cpp tool option).";
  }
  rows.back().help =
      "No effect (WasmEdge: the CPU threads' scheduling priority, which its plugin does not "
      "apply either). Our queue priority is not reachable in this profile.";
  rows.push_back({"cvector_dimre_method",
                  "wasmedge_noop",
                  {},
                  ParamType::Enum,
                  kScopeAll,
                  0,
                  0,
                  {"DIMRE_METHOD_PCA", "DIMRE_METHOD_MEAN"},
                  "",
                  "No effect, in WasmEdge's plugin too.",
                  APPLY((void)0)});
  return rows;
}

// Keys the plugin acts on and this backend does not (yet): a warning unless the value is the
// one that changes nothing (the model's own setting, off, empty).
std::vector<ParamSpec> not_honoured_rows() {
  const auto B = ParamType::Bool, I = ParamType::Int, F = ParamType::Float, S = ParamType::String;
  const unsigned ALL = kScopeAll;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      {"rope_freq_base", "wasmedge_ignored", {}, F, ALL, -kInf, kInf, {}, "0", "RoPE base frequency (0 = the model's).",
       IGNORED_UNLESS(v.get<double>() == 0)},
      {"rope_freq_scale", "wasmedge_ignored", {}, F, ALL, -kInf, kInf, {}, "0", "RoPE frequency scale (0 = the model's).",
       IGNORED_UNLESS(v.get<double>() == 0)},
      {"yarn_ext_factor", "wasmedge_ignored", {}, F, ALL, -kInf, kInf, {}, "-1", "YaRN extrapolation mix (-1 = the model's).",
       IGNORED_UNLESS(v.get<double>() == -1)},
      {"yarn_attn_factor", "wasmedge_ignored", {}, F, ALL, -kInf, kInf, {}, "-1", "YaRN magnitude scale (-1 = the model's).",
       IGNORED_UNLESS(v.get<double>() == -1)},
      {"yarn_beta_fast", "wasmedge_ignored", {}, F, ALL, -kInf, kInf, {}, "-1", "YaRN low correction dim (-1 = the model's).",
       IGNORED_UNLESS(v.get<double>() == -1)},
      {"yarn_beta_slow", "wasmedge_ignored", {}, F, ALL, -kInf, kInf, {}, "-1", "YaRN high correction dim (-1 = the model's).",
       IGNORED_UNLESS(v.get<double>() == -1)},
      {"yarn_orig_ctx", "wasmedge_ignored", {}, I, ALL, -kI64, kI64, {}, "0", "YaRN original context (0 = the model's).",
       IGNORED_UNLESS(v.get<int64_t>() == 0)},
      {"rope_scaling_type", "wasmedge_ignored", {}, I, ALL, -kI64, kI64, {}, "-1", "RoPE scaling type (-1 = the model's).",
       IGNORED_UNLESS(v.get<int64_t>() == -1)},
      {"attention_type", "wasmedge_ignored", {}, I, ALL, -kI64, kI64, {}, "-1",
       "Causal or non-causal attention (-1 = the model's).", IGNORED_UNLESS(v.get<int64_t>() == -1)},
      {"numa", "wasmedge_ignored", {}, I, ALL, -kI64, kI64, {}, "0",
       "NUMA strategy: process-wide, the operator's (left to the OS).", IGNORED_UNLESS(v.get<int64_t>() == 0)},
      {"cpu_moe", "wasmedge_ignored", {}, B, ALL, 0, 0, {}, "false", "Keep MoE expert tensors in CPU memory.",
       IGNORED_UNLESS(!v.get<bool>())},
      {"n_cpu_moe", "wasmedge_ignored", {}, I, ALL, 0, kI64, {}, "0", "Keep the MoE experts of the first N layers in CPU memory.",
       IGNORED_UNLESS(v.get<int64_t>() == 0)},
      {"no_kv_offload", "wasmedge_ignored", {}, B, ALL, 0, 0, {}, "false", "Keep the KV cache in CPU memory.",
       IGNORED_UNLESS(!v.get<bool>())},
      {"check_tensors", "wasmedge_ignored", {}, B, ALL, 0, 0, {}, "false", "Validate tensor data at load.",
       IGNORED_UNLESS(!v.get<bool>())},
      {"tts", "wasmedge_ignored", {}, B, ALL, 0, 0, {}, "false", "Text to speech (OuteTTS and a vocoder).",
       IGNORED_UNLESS(!v.get<bool>())},
  };
  // clang-format on
}

// WasmEdge's types and meanings for keys the main table also has, and its own honoured keys.
std::vector<ParamSpec> mapped_rows() {
  const auto B = ParamType::Bool, I = ParamType::Int, F = ParamType::Float, S = ParamType::String;
  const unsigned ALL = kScopeAll, LT = kScopeLoadTime;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      respelled("repeat_last_n", {"last_n_penalty", "dry_last_n_penalty"}),
      {"mmproj", "wasmedge", {}, S, LT, 0, 0, {}, "",
       "The multimodal projector file: an alias or a path inside the host's grants (as mmproj).",
       APPLY(s.request.media.mmproj = v.get<std::string>())},
      {"image", "wasmedge", {}, S, ALL, 0, 0, {}, "",
       "An image file for the next prompt, by its path inside the host's grants; it goes where the "
       "prompt's marker is, or before the prompt when it has none (docs/MULTIMODAL.md).",
       APPLY(s.request.media.image = v.get<std::string>())},
      respelled("dry_multiplier", {"dry_multipier"}),
      {"temperature", "wasmedge", {"temp"}, F, ALL, -kInf, kInf, {}, "", "Temperature; below 0 counts as 0 (greedy).",
       apply_temp},
      {"top_p", "wasmedge", {}, F, ALL, -kInf, kInf, {}, "", "Nucleus sampling, clamped to 0..1.",
       apply_top_p},
      {"repeat_penalty", "wasmedge", {"penalty_repeat"}, F, ALL, -kInf, kInf, {}, "",
       "Repetition penalty; below 0.01 counts as 0.01 (WasmEdge clamps at 0, which divides by zero).",
       apply_repeat_penalty},
      {"presence_penalty", "wasmedge", {"penalty_present"}, F, ALL, -kInf, kInf, {}, "",
       "Presence penalty; below 0 counts as 0.",
       APPLY(s.request.sampling.penalty_present = clamped<float>(v.get<double>(), 0, kInf))},
      {"frequency_penalty", "wasmedge", {"penalty_freq"}, F, ALL, -kInf, kInf, {}, "",
       "Frequency penalty; below 0 counts as 0.",
       APPLY(s.request.sampling.penalty_freq = clamped<float>(v.get<double>(), 0, kInf))},
      {"stop", "wasmedge", {"reverse_prompt"}, S, ALL, 0, 0, {}, "",
       "WasmEdge's reverse-prompt: one string, \"\" = none (a list takes the main table's stop).",
       APPLY(s.request.stop = v.get_ref<const std::string&>().empty() ? std::vector<std::string>()
                                                                         : std::vector<std::string>{v.get<std::string>()})},
      {"n_prev", "wasmedge", {}, I, ALL, 0, 1048576, {}, "", "Tokens the sampler keeps as its history (llama.cpp n_prev).",
       APPLY(s.request.sampling.n_prev = v.get<int32_t>())},
      {"tensor_split", "wasmedge", {}, S, LT, 0, 0, {}, "",
       "Proportions per device as WasmEdge writes them, e.g. \"3,2\" (a list takes the main table's tensor_split).",
       apply_tensor_split_text},
      {"cache_type_k", "wasmedge", {}, I, LT, 0, GGML_TYPE_COUNT, {}, "", "K cache type as a ggml_type number (1 = f16).",
       APPLY(s.context.cache_type_k = cache_type_of(v))},
      {"cache_type_v", "wasmedge", {}, I, LT, 0, GGML_TYPE_COUNT, {}, "", "V cache type as a ggml_type number (1 = f16).",
       APPLY(s.context.cache_type_v = cache_type_of(v))},
      {"pooling", "wasmedge", {"pooling_type"}, I, LT, -1, 4, {}, "",
       "llama_pooling_type number: -1 the model's, 0 none, 1 mean, 2 cls, 3 last, 4 rank (a name takes the main "
       "table's pooling).",
       apply_pooling_number},
      {"flash_attn", "wasmedge", {}, ParamType::Enum, LT, 0, 0, {"on", "enabled", "off", "disabled", "auto"}, "",
       "Flash attention, with WasmEdge's words (a bool takes the main table's flash_attn).", apply_flash_attn_word},
      {"reranking", "wasmedge", {}, B, LT, 0, 0, {}, "",
       "Any value: embedding mode with rank pooling (the reranking head's scores).",
       APPLY(s.context.embedding = true; s.context.pooling = Pooling::Rank)},
      {"load_mode", "wasmedge", {}, ParamType::Enum, LT, 0, 0, {"auto", "none", "mmap", "mlock", "mmap+mlock", "dio"},
       "", "How the weights are read: sets use_mmap and use_mlock; dio (direct I/O) is not implemented.",
       apply_load_mode},
  };
  // clang-format on
}

std::vector<ParamSpec> build_profile_table() {
  std::vector<ParamSpec> t;
  for (auto rows : {mapped_rows, not_honoured_rows, tool_option_rows}) {
    std::vector<ParamSpec> group = rows();
    t.insert(t.end(), std::make_move_iterator(group.begin()), std::make_move_iterator(group.end()));
  }
  return t;
}

}  // namespace

std::vector<ParamSpec> wasmedge_rows() {
  const auto T = ParamType::Bool;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      {"profile", "compat", {}, ParamType::Enum, kScopeBackend, 0, 0, enum_names<Profile>(), "",
       "The dialect of the tenant's load and request configs (docs/COMPATIBILITY.md): strict = every key checked, "
       "unknown keys refused; wasmedge = WasmEdge's GGML plugin (its keys and types, unknown keys and keys not "
       "implemented accepted with a warning, raw prompts, n_predict -1, no context shift, ContextFull, WasmEdge's "
       "metadata). Default: wasmedge in libwasi_nn_llamacpp.so (wasm guests), strict in libwasi_nn_backend.so. "
       "Host setting only: it decides how strictly a tenant's own configs are checked.",
       APPLY_ENUM(backend.profile)},
      {"enable_log", "compat", {}, T, kScopeAll, 0, 0, {}, "false",
       "This tenant's info lines (the lines logged while the library works on its calls: load, compute summaries) "
       "pass the host's log level. The process-wide level never changes; other tenants are not affected. "
       "An operator may forbid it with the limit {\"enable_log\": false}.",
       APPLY(s.request.enable_log = v.get<bool>())},
      {"enable_debug_log", "compat", {"enable_debug"}, T, kScopeAll, 0, 0, {}, "false",
       "As enable_log, for this tenant's debug lines too (llama.cpp's own info lines included).",
       APPLY(s.request.enable_debug_log = v.get<bool>())},
      {"stream_stdout", "compat", {}, T, kScopeAll, 0, 0, {}, "false",
       "compute hands each piece of the reply to the host as it is generated, and the host prints it to the "
       "guest's stdout (WasmEdge's stream-stdout; wasi-nn-run does). Output 0 still holds the whole reply. "
       "Needs a host that installed a stream sink (wasi_nn_set_stream_sink): otherwise unsupported in the strict "
       "profile and a warning in the WasmEdge profile. Not applied to compute_single.",
       APPLY(s.request.stream_stdout = v.get<bool>())},
  };
  // clang-format on
}

}  // namespace param_rows

const std::vector<ParamSpec>& wasmedge_profile_table() {
  static const std::vector<ParamSpec> table = param_rows::build_profile_table();
  return table;
}

void apply_profile_defaults(Profile profile, Settings& s) {
  if (profile != Profile::WasmEdge) return;
  // WasmEdge's plugin: the guest's text as it is, generation until EOS or the context's end,
  // and ContextFull there instead of a shift. Not the caller's choice: `present` is unchanged.
  s.request.chat.mode = ChatMode::Raw;
  s.request.n_predict = -1;
  s.request.context_shift = false;
}

}  // namespace wasi_nn
