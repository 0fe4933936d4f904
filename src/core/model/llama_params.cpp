#include "core/model/llama_params.h"

#include <algorithm>

#include "common.h"
#include "core/error.h"

namespace wasi_nn {
namespace {

llama_split_mode split_mode_of(const std::string& name) {
  if (name == "none") return LLAMA_SPLIT_MODE_NONE;
  if (name == "row") return LLAMA_SPLIT_MODE_ROW;
  return LLAMA_SPLIT_MODE_LAYER;
}

ggml_type kv_type_of(const std::string& name) {
  if (name.empty()) return GGML_TYPE_F16;
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const char* n = ggml_type_name(static_cast<ggml_type>(t));
    if (n && name == n) return static_cast<ggml_type>(t);
  }
  fail(ErrorKind::InvalidArgument, "unknown KV cache type '" + name + "'");
}

llama_flash_attn_type flash_attn_of(const std::string& v) {
  if (v == "on") return LLAMA_FLASH_ATTN_TYPE_ENABLED;
  if (v == "off") return LLAMA_FLASH_ATTN_TYPE_DISABLED;
  return LLAMA_FLASH_ATTN_TYPE_AUTO;
}

enum llama_pooling_type pooling_of(const std::string& v) {
  if (v == "none") return LLAMA_POOLING_TYPE_NONE;
  if (v == "mean") return LLAMA_POOLING_TYPE_MEAN;
  if (v == "cls") return LLAMA_POOLING_TYPE_CLS;
  if (v == "last") return LLAMA_POOLING_TYPE_LAST;
  if (v == "rank") return LLAMA_POOLING_TYPE_RANK;
  return LLAMA_POOLING_TYPE_UNSPECIFIED;  // the model's own
}

}  // namespace

llama_model_params model_params_of(const ModelSettings& settings) {
  llama_model_params mp = llama_model_default_params();
  if (settings.n_gpu_layers != ModelSettings::kAutoGpuLayers) mp.n_gpu_layers = settings.n_gpu_layers;
  mp.main_gpu = settings.main_gpu;
  mp.use_extra_bufts = settings.repack;
  mp.split_mode = split_mode_of(settings.split_mode);
  mp.load_mode = settings.use_mmap ? (settings.use_mlock ? LLAMA_LOAD_MODE_MMAP_MLOCK : LLAMA_LOAD_MODE_MMAP)
                                   : (settings.use_mlock ? LLAMA_LOAD_MODE_MLOCK : LLAMA_LOAD_MODE_NONE);
  return mp;
}

llama_context_params context_params_of(const ContextSettings& settings) {
  const uint32_t n_par = std::max<uint32_t>(1, settings.n_parallel);
  const int32_t threads = settings.threads > 0 ? settings.threads : common_cpu_get_num_math();
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = settings.ctx_size * n_par;
  cp.n_batch = settings.n_batch;
  cp.n_ubatch = std::min(settings.n_ubatch, settings.n_batch);
  cp.n_seq_max = n_par;
  cp.kv_unified = false;  // each conversation gets its own ctx_size window
  cp.n_threads = threads;
  cp.n_threads_batch = settings.threads_batch > 0 ? settings.threads_batch : threads;
  cp.flash_attn_type = flash_attn_of(settings.flash_attn);
  cp.type_k = kv_type_of(settings.cache_type_k);
  cp.type_v = kv_type_of(settings.cache_type_v);
  cp.no_perf = true;
  if (settings.embedding) {
    cp.embeddings = true;
    cp.pooling_type = pooling_of(settings.pooling);
    cp.n_ubatch = cp.n_batch;  // a whole input in one ubatch: encoders attend to all of it
    // One KV stream: with one stream per sequence llama.cpp splits a batch into equal-length
    // pieces per sequence, and a sequence pooled across ubatches would keep only its last piece.
    cp.kv_unified = true;
  }
  return cp;
}

llama_flash_attn_type resolve_flash_attn(const std::string& setting, bool on_devices, ggml_type type_v) {
  const llama_flash_attn_type asked = flash_attn_of(setting);
  if (asked != LLAMA_FLASH_ATTN_TYPE_AUTO || on_devices || ggml_is_quantized(type_v)) return asked;
  return LLAMA_FLASH_ATTN_TYPE_DISABLED;
}

}  // namespace wasi_nn
