// Typed settings, grouped by who owns them. The values are filled from JSON by the parameter
// table (param_table.cpp); nothing else parses config. Defaults live in the table too: a
// default-constructed struct here only holds neutral zero values until apply_defaults() runs.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/base/log.h"
#include "core/config/agent_settings.h"
#include "core/config/enums.h"
#include "core/config/limits.h"
#include "sampling.h"  // llama.cpp common: common_params_sampling

namespace wasi_nn {

// Weight-loading parameters: two loads with equal ModelSettings share one llama_model.
struct ModelSettings {
  // n_gpu_layers: fit the layers to free device memory with llama.cpp's common_fit_params.
  static constexpr int32_t kAutoGpuLayers = INT32_MIN;
  int32_t n_gpu_layers = 0;  // -1 = all layers; kAutoGpuLayers = "auto"
  int32_t main_gpu = 0;
  SplitMode split_mode = SplitMode::Layer;
  std::vector<float> tensor_split;
  std::vector<std::string> rpc_servers;  // "host:port" of llama.cpp rpc-server processes
  uint64_t fit_device_mb = 0;            // n_gpu_layers "auto" uses at most this much of each device; 0 = free - 1 GiB
  bool use_mmap = true;
  bool use_mlock = false;
  // ggml may repack weights at load for its faster CPU kernels (gemm for rows in groups of 4,
  // gemv for the rest, so a token's result depends on its batch); "deterministic" turns it off.
  bool repack = true;

  bool operator==(const ModelSettings& o) const;
  std::string key() const;  // stable text for registry keys and logs
};

// Parameters of the llama_context a model is served from; two loads with equal ModelSettings
// and ContextSettings share one engine (context + scheduler thread).
struct ContextSettings {
  uint32_t ctx_size = 0;      // tokens per sequence (conversation window)
  uint32_t n_batch = 0;       // logical batch: max tokens per decode step
  uint32_t n_ubatch = 0;      // physical batch
  int32_t threads = 0;        // generation threads
  int32_t threads_batch = 0;  // prompt-processing threads
  uint32_t n_parallel = 0;    // KV sequences resident at once (slots)
  FlashAttn flash_attn = FlashAttn::Auto;
  KvCacheType cache_type_k = KvCacheType::F16;
  KvCacheType cache_type_v = KvCacheType::F16;
  // Serving (the engine's queue and its store of evicted conversations' KV states).
  uint32_t max_queue = 0;          // requests waiting for a sequence; more answer Busy
  uint32_t priority_aging_ms = 0;  // a waiting request gains +1 priority per this many ms
  uint64_t kv_save_budget_mb = 0;  // host memory for evicted KV states; 0 = do not save
  std::string kv_save_dir;         // "" = memory only; else spill to this directory
  uint64_t kv_save_disk_budget_mb = 0;
  bool prefix_sharing = true;  // copy a shared prompt prefix from another sequence
  // The same request gives the same bytes whatever else the engine decodes
  // (docs/DETERMINISM.md): each decode call holds one kind of work, KV is reused only where it
  // was computed as a prompt.
  bool deterministic = false;
  // Speculative decoding (docs/SPECULATIVE.md): drafts verified in the engine's own batch.
  Speculative speculative = Speculative::None;
  std::string draft_model;     // a model name as the caller gave it, resolved like the model's
  uint32_t draft_max = 16;     // drafted tokens per step and sequence, at most
  uint32_t draft_min = 0;      // a shorter draft is not used
  float draft_p_min = 0.75f;   // a draft model's token is drafted only at this probability or more
  uint32_t ngram_size_n = 12;  // n-gram lookup: the last n tokens searched for in the history
  uint32_t ngram_size_m = 48;  //   and how many tokens after a match are drafted
  // Embedding mode: the engine returns pooled vectors instead of generating text.
  bool embedding = false;
  Pooling pooling = Pooling::Model;  // Model: the GGUF's own pooling type

  bool operator==(const ContextSettings& o) const;
  std::string key() const;
};

// A LoRA adapter a load names ("lora": [{"path" | "alias", "scale"}]): a host-granted file,
// located exactly as a model name is (ModelAccess), and the scale requests get by default.
struct LoraFile {
  std::string name;
  float scale = 1.0f;
  bool operator==(const LoraFile& o) const { return name == o.name && scale == o.scale; }
};

// A request's scale for one of its load's adapters ("lora": [{"id", "scale"}]; the id is the
// adapter's index in the load's list). 0 turns that adapter off for the request.
struct LoraScale {
  uint32_t id = 0;
  float scale = 0.0f;
};

// How a prompt becomes tokens.
struct ChatSettings {
  ChatMode mode = ChatMode::Chat;  // Chat: apply the chat template, keep history
  std::string chat_template;       // "" = the model's own; a built-in name; or a Jinja template
  std::string system_prompt;
};

// What an embedding request returns (models loaded with embedding = true).
struct EmbeddingSettings {
  int32_t normalize = 2;                 // common_embd_normalize: -1 none, 0 max-abs int16, 1 taxicab, 2 L2, >2 p-norm
  EmbdOutput output = EmbdOutput::Json;  // F32: raw little-endian floats
  EmbdInput input = EmbdInput::Text;     // Json: input 0 is a JSON array of texts
};

// Images and audio (docs/MULTIMODAL.md).
struct MediaSettings {
  std::string mmproj;  // load: the projector's name (an alias or a path inside the host's grants)
  std::string marker;  // request: where each medium goes in the prompt; "" = mtmd's "<__media__>"
  std::string image;   // request, WasmEdge profile: an image file named by its path in the grants
};

// Everything that may vary per request: load-time values are the defaults, a request's JSON
// (set_input index 1, or run_inference's runtime config) overrides them for that request only.
struct RequestSettings {
  common_params_sampling sampling;
  // logit_bias entries given as text: compute tokenizes each with the model's vocabulary and
  // biases every token of it (as llama-server does); they complement sampling.logit_bias.
  std::vector<std::pair<std::string, float>> logit_bias_text;
  // sampling.penalty_last_n and sampling.dry_penalty_last_n may hold -1 = "the context size":
  // the engine resolves it (llama.cpp's samplers do not). sampling.seed == LLAMA_DEFAULT_SEED
  // means a random seed. sampling.ignore_eos needs the engine to add the EOG logit biases.
  // sampling.grammar_triggers of type TOKEN may hold token == LLAMA_TOKEN_NULL: the token is
  // named by its text (value), resolved against the model's vocabulary by compute.
  int32_t n_predict = 0;         // -1 = until EOS or context end
  int64_t t_max_predict_ms = 0;  // 0 = no time limit on generation
  int32_t priority = 0;          // higher is admitted first
  int64_t timeout_ms = 0;        // 0 = none; else the whole request (queue + generation)
  bool context_shift = true;     // when the window fills: drop old tokens/turns and go on
  int32_t n_keep = 0;            // tokens kept at the start on a shift (BOS always kept)
  int32_t n_discard = 0;         // tokens dropped per shift; 0 = half of what is not kept
  std::vector<std::string> stop;
  bool reset = false;                  // forget the conversation before this request
  bool stream_stdout = false;          // the host prints each piece as it is generated (its sink)
  bool enable_log = false;             // this tenant's info lines pass the host's log level
  bool enable_debug_log = false;       // ... and its debug lines
  bool cache_prompt = true;            // reuse the KV prefix shared with the previous request
  std::vector<LoraScale> lora_scales;  // overrides of the load's adapter scales, by id
  ChatSettings chat;
  EmbeddingSettings embd;
  MediaSettings media;
  AgentSettings agent;  // tools, reasoning, message input, token tasks, forks (docs/AGENTS.md)
};

// Backend-wide settings (init_backend_with_config, and the backend section of a load config).
struct BackendSettings {
  Limits limits;  // the host's "limits" key (see has_limits)
  bool has_limits = false;
  std::string share_group;  // tenants of one group share KV prefixes
  uint32_t max_sessions = 0;
  uint64_t idle_timeout_ms = 0;
  LogLevel log_level = LogLevel::Warn;
  LogFormat log_format = LogFormat::Plain;
  std::string log_file;               // empty: stderr
  Profile profile = Profile::Strict;  // the dialect of tenant configs (host setting)
};

// One parsed config document. `present` records which canonical keys were given, so a load
// config can be told apart from defaults when it is merged over an earlier one.
struct Settings {
  BackendSettings backend;
  ModelSettings model;
  ContextSettings context;
  RequestSettings request;
  std::vector<LoraFile> lora;     // the load's adapters, in id order (not part of the engine's key)
  std::set<std::string> present;  // canonical names of every key any parse_config() applied
  // Keys the WasmEdge profile accepted without honouring them (unknown, or not implemented):
  // one line each, reported in the log and in output 1's "warnings".
  std::vector<std::string> warnings;
};

}  // namespace wasi_nn
