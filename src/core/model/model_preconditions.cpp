#include "core/model/model_preconditions.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/base/error.h"
#include "core/model/llama_params.h"

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
bool attends_causally(const llama_model* model) {
  return meta(model, arch_key(model, "attention.causal")) != "false";
}

// Head sizes as llama.cpp derives them: <arch>.attention.key_length / value_length, else
// n_embd / n_head. 0 when the model has no attention heads (recurrent models).
uint32_t head_size(const llama_model* model, bool key) {
  const int32_t n_head = llama_model_n_head(model);
  const uint32_t fallback = n_head > 0 ? static_cast<uint32_t>(llama_model_n_embd(model) / n_head) : 0;
  return meta_u32(model, key ? "attention.key_length" : "attention.value_length", fallback);
}

[[noreturn]] void bad_block_size(const char* key, KvCacheType type, int64_t block, uint32_t head) {
  fail(ErrorKind::InvalidArgument,
       std::string("config key '") + key + "' = \"" + enum_name(type) + "\" stores blocks of " +
           std::to_string(block) + " values, which do not divide this model's attention head "
           "size of " + std::to_string(head) + ", so llama.cpp cannot hold its cache rows in "
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

void fit_context_to_model(const llama_model* model, const ContextSettings& settings, llama_context_params& cp) {
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
