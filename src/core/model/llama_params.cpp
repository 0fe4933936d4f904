#include "core/model/llama_params.h"

#include <algorithm>
#include <thread>

#include "common.h"
#include "core/base/error.h"

namespace wasi_nn {
namespace {

llama_split_mode split_mode_of(SplitMode mode) {
  switch (mode) {
    case SplitMode::None: return LLAMA_SPLIT_MODE_NONE;
    case SplitMode::Row: return LLAMA_SPLIT_MODE_ROW;
    case SplitMode::Layer: break;
  }
  return LLAMA_SPLIT_MODE_LAYER;
}

llama_flash_attn_type flash_attn_of(FlashAttn v) {
  switch (v) {
    case FlashAttn::On: return LLAMA_FLASH_ATTN_TYPE_ENABLED;
    case FlashAttn::Off: return LLAMA_FLASH_ATTN_TYPE_DISABLED;
    case FlashAttn::Auto: break;
  }
  return LLAMA_FLASH_ATTN_TYPE_AUTO;
}

enum llama_pooling_type pooling_of(Pooling p) {
  switch (p) {
    case Pooling::None: return LLAMA_POOLING_TYPE_NONE;
    case Pooling::Mean: return LLAMA_POOLING_TYPE_MEAN;
    case Pooling::Cls: return LLAMA_POOLING_TYPE_CLS;
    case Pooling::Last: return LLAMA_POOLING_TYPE_LAST;
    case Pooling::Rank: return LLAMA_POOLING_TYPE_RANK;
    case Pooling::Model: break;
  }
  return LLAMA_POOLING_TYPE_UNSPECIFIED;  // the model's own
}

// Threads beyond the CPUs this process may run on only oversubscribe them (ggml's workers spin
// at barriers), and each one is a thread the host must be able to create: libgomp ends the
// process (exit 1) when it cannot. At most ggml's own limit, GGML_MAX_N_THREADS.
int32_t usable_threads(int32_t asked) {
  const int32_t cpus = static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  return std::min({asked, cpus, static_cast<int32_t>(GGML_MAX_N_THREADS)});
}

// Embeddings: llama.cpp reserves its graphs for a ubatch of min(n_ctx padded to 256, n_ubatch)
// tokens split evenly over n_seq_max sequences (llama-context.cpp:596, graph_reserve rounds the
// tokens up); mean pooling multiplies the unrounded outputs by a matrix of the rounded size and
// asserts (ggml_can_mul_mat, build_pooling) unless that size is a multiple of n_seq_max. The
// model's pooling is unknown here (DevicePlan's fitting creates the same context before the
// model is loaded), so every pooling gets the rounding: batch_size rounded down to a multiple
// of n_parallel, and no more than the padded context. n_batch >= n_parallel (a config check).
uint32_t embedding_batch(uint32_t n_batch, uint32_t n_ctx, uint32_t n_par) {
  const uint32_t n = std::min(n_batch, (n_ctx + 255) / 256 * 256);
  return std::max(n_par, n - n % n_par);
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
  const int32_t threads = usable_threads(settings.threads > 0 ? settings.threads : common_cpu_get_num_math());
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = settings.ctx_size * n_par;
  cp.n_batch = settings.n_batch;
  cp.n_ubatch = std::min(settings.n_ubatch, settings.n_batch);
  cp.n_seq_max = n_par;
  cp.kv_unified = false;  // each conversation gets its own ctx_size window
  cp.n_threads = threads;
  cp.n_threads_batch = settings.threads_batch > 0 ? usable_threads(settings.threads_batch) : threads;
  cp.flash_attn_type = flash_attn_of(settings.flash_attn);
  cp.type_k = kv_type_of(settings.cache_type_k);
  cp.type_v = kv_type_of(settings.cache_type_v);
  cp.no_perf = true;
  if (settings.embedding) {
    cp.embeddings = true;
    cp.pooling_type = pooling_of(settings.pooling);
    cp.n_batch = embedding_batch(cp.n_batch, cp.n_ctx, n_par);
    cp.n_ubatch = cp.n_batch;  // a whole input in one ubatch: encoders attend to all of it
    // One KV stream: with one stream per sequence llama.cpp splits a batch into equal-length
    // pieces per sequence, and a sequence pooled across ubatches would keep only its last piece.
    cp.kv_unified = true;
  }
  return cp;
}

ggml_type kv_type_of(KvCacheType type) {
  switch (type) {
    case KvCacheType::F32: return GGML_TYPE_F32;
    case KvCacheType::F16: return GGML_TYPE_F16;
    case KvCacheType::BF16: return GGML_TYPE_BF16;
    case KvCacheType::Q8_0: return GGML_TYPE_Q8_0;
    case KvCacheType::Q4_0: return GGML_TYPE_Q4_0;
    case KvCacheType::Q4_1: return GGML_TYPE_Q4_1;
    case KvCacheType::IQ4_NL: return GGML_TYPE_IQ4_NL;
    case KvCacheType::Q5_0: return GGML_TYPE_Q5_0;
    case KvCacheType::Q5_1: return GGML_TYPE_Q5_1;
  }
  return GGML_TYPE_F16;
}

uint64_t kv_cache_bytes(const llama_model* model, uint32_t n_cells, ggml_type type_k, ggml_type type_v) {
  const int32_t n_head = llama_model_n_head(model);
  if (n_head <= 0) return 0;
  const int64_t row = static_cast<int64_t>(llama_model_n_embd(model) / n_head) * llama_model_n_head_kv(model);
  const uint64_t per_cell = ggml_row_size(type_k, row) + ggml_row_size(type_v, row);
  return per_cell * n_cells * static_cast<uint64_t>(llama_model_n_layer(model));
}

llama_flash_attn_type resolve_flash_attn(FlashAttn setting, bool on_devices, ggml_type type_v) {
  const llama_flash_attn_type asked = flash_attn_of(setting);
  if (asked != LLAMA_FLASH_ATTN_TYPE_AUTO || on_devices || ggml_is_quantized(type_v)) return asked;
  return LLAMA_FLASH_ATTN_TYPE_DISABLED;
}

}  // namespace wasi_nn
