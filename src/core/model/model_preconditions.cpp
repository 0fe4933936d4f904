#include "core/model/model_preconditions.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/base/error.h"
#include "core/config/limits.h"
#include "core/model/llama_params.h"
#include "ggml-backend.h"

namespace wasi_nn {
namespace {

// A GGUF metadata value as text ("" when absent). llama.cpp reads these same keys into its
// hparams, which its public API does not expose.
std::string meta(const llama_model* model, const std::string& key) {
  char buf[128];
  const int32_t n = llama_model_meta_val_str(model, key.c_str(), buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, std::min<size_t>(n, sizeof buf - 1));
}

std::string arch_key(const llama_model* model, const char* suffix) {
  return meta(model, "general.architecture") + "." + suffix;
}

uint32_t meta_u32(const llama_model* model, const char* suffix, uint32_t fallback) {
  const std::string v = meta(model, arch_key(model, suffix));
  return v.empty() ? fallback : static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
}

// llama_hparams::causal_attn: true unless the GGUF says otherwise (encoders such as BERT).
bool attends_causally(const llama_model* model) { return meta(model, arch_key(model, "attention.causal")) != "false"; }

// Head sizes as llama.cpp derives them: <arch>.attention.key_length / value_length, else
// n_embd / n_head. 0 when the model has no attention heads (recurrent models).
uint32_t head_size(const llama_model* model, bool key) {
  const int32_t n_head = llama_model_n_head(model);
  const uint32_t fallback = n_head > 0 ? static_cast<uint32_t>(llama_model_n_embd(model) / n_head) : 0;
  return meta_u32(model, key ? "attention.key_length" : "attention.value_length", fallback);
}

[[noreturn]] void bad_block_size(const char* key, KvCacheType type, int64_t block, uint32_t head) {
  fail(ErrorKind::InvalidArgument,
       std::string("config key '") + key + "' = \"" + enum_name(type) + "\" stores blocks of " + std::to_string(block) +
           " values, which do not divide this model's attention head "
           "size of " +
           std::to_string(head) +
           ", so llama.cpp cannot hold its cache rows in "
           "that type. Use f16, bf16 or f32 for this model, or a type whose block size divides " +
           std::to_string(head) + ".");
}

void check_block_sizes(const llama_model* model, const ContextSettings& settings, const llama_context_params& cp) {
  const struct {
    const char* key;
    KvCacheType setting;
    ggml_type type;
    bool is_key;
  } caches[] = {{"cache_type_k", settings.cache_type_k, cp.type_k, true},
                {"cache_type_v", settings.cache_type_v, cp.type_v, false}};
  for (const auto& c : caches) {
    if (!ggml_is_quantized(c.type)) continue;
    const uint32_t head = head_size(model, c.is_key);
    const int64_t block = ggml_blck_size(c.type);
    if (head > 0 && head % block != 0) bad_block_size(c.key, c.setting, block, head);
  }
}

}  // namespace

namespace {

// What the KV cache of `cp` needs at least: every cell's keys and values in every layer, plus
// llama.cpp's per-cell bookkeeping (a position and a 256-bit sequence set). An estimate from
// below: it ignores compute buffers, recurrent state and padding.
double kv_bytes_at_least(const llama_model* model, const llama_context_params& cp) {
  const double layers = llama_model_n_layer(model);
  const double heads = std::max(1, llama_model_n_head(model));
  const double kv_heads = std::max(1, llama_model_n_head_kv(model));
  const double head_values = llama_model_n_embd(model) / heads;
  auto bytes_per_value = [](ggml_type t) {
    return static_cast<double>(ggml_type_size(t)) / static_cast<double>(ggml_blck_size(t));
  };
  const double per_cell = layers * kv_heads * head_values * (bytes_per_value(cp.type_k) + bytes_per_value(cp.type_v));
  return static_cast<double>(cp.n_ctx) * (per_cell + 40.0);
}

// Memory the KV cache could be given: this machine's RAM and every device's memory.
double memory_for_kv() {
  double total = static_cast<double>(physical_memory_mb()) * 1024.0 * 1024.0;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    if (ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_CPU) continue;
    size_t free_b = 0, total_b = 0;
    ggml_backend_dev_memory(dev, &free_b, &total_b);
    total += static_cast<double>(total_b);
  }
  return total;
}

// A KV cache larger than all the memory there is would only fail inside llama.cpp, after it
// allocated (and zeroed) its per-cell bookkeeping: gigabytes, and under a sanitizer an abort.
// The message names what the tenant asked for, never the machine's figures.
void check_kv_fits_machine(const llama_model* model, const ContextSettings& settings, const llama_context_params& cp) {
  const double need = kv_bytes_at_least(model, cp), have = memory_for_kv();
  if (have <= 0 || need <= have) return;
  fail(ErrorKind::OutOfMemory,
       "the KV cache for ctx_size " + std::to_string(settings.ctx_size) + " x n_parallel " +
           std::to_string(cp.n_seq_max) + " (" + std::to_string(cp.n_ctx) + " cells) needs at least " +
           std::to_string(static_cast<unsigned long long>(need / (1024.0 * 1024.0 * 1024.0))) +
           " GiB for this model, more memory than this machine has; lower ctx_size or n_parallel, or use a "
           "quantised cache_type_k/cache_type_v");
}

}  // namespace

void fit_context_to_model(const llama_model* model, const ContextSettings& settings, llama_context_params& cp) {
  check_kv_fits_machine(model, settings, cp);
  check_block_sizes(model, settings, cp);
  if (!attends_causally(model)) {
    // A decode can never need more than the context; one ubatch must take a whole decode.
    // (n_ctx is ctx_size x n_parallel, so an embedding batch stays a multiple of n_parallel.)
    cp.n_batch = std::min(cp.n_batch, cp.n_ctx);
    cp.n_ubatch = cp.n_batch;
  }
}

void check_sampling_fits_vocab(const llama_vocab* vocab, const common_params_sampling& sampling) {
  const auto& chain = sampling.samplers;
  const bool infill = std::find(chain.begin(), chain.end(), COMMON_SAMPLER_TYPE_INFILL) != chain.end();
  if (!infill || sampling.mirostat != 0) return;
  if (llama_vocab_eot(vocab) != LLAMA_TOKEN_NULL || llama_vocab_eos(vocab) != LLAMA_TOKEN_NULL) return;
  fail(ErrorKind::InvalidArgument,
       "config key 'samplers' lists infill, which ends the output with the model's end-of-text "
       "token, but this model's vocabulary has none (no EOT or EOS token); drop infill from "
       "samplers for this model");
}

bool k_shift_supported(const llama_model* model, ggml_type type_k) {
  if (type_k == GGML_TYPE_F16 || type_k == GGML_TYPE_F32) return true;
  if (!ggml_is_quantized(type_k)) return false;  // bf16: no CPU RoPE kernel for it
  // llama_kv_cache builds its Hadamard rotation only for one head size shared by every layer,
  // a multiple of 64, and not when the host disabled it (LLAMA_ATTN_ROT_DISABLE).
  const char* disabled = std::getenv("LLAMA_ATTN_ROT_DISABLE");
  if (disabled && std::atoi(disabled) != 0) return false;
  const uint32_t head = head_size(model, true);
  const uint32_t head_swa = meta_u32(model, "attention.key_length_swa", head);
  return head > 0 && head % 64 == 0 && head_swa == head;
}

}  // namespace wasi_nn
