// The one mapping from this backend's settings to llama.cpp's parameter structs, shared by the
// model load, the engine's context and llama.cpp's memory fitting (which must see the same
// context the engine will create).
#pragma once

#include "core/config/settings.h"
#include "llama.h"

namespace wasi_nn {

// Devices, n_gpu_layers "auto" and the tensor_split pointer are the caller's (DevicePlan).
llama_model_params model_params_of(const ModelSettings& settings);

// Threads 0 resolve to llama.cpp's choice for this machine.
llama_context_params context_params_of(const ContextSettings& settings);

ggml_type kv_type_of(KvCacheType type);

// Bytes of a KV cache of `n_cells` cells for `model` with these cache types: per layer, one K
// and one V row of (head size x KV heads) elements per cell. Standard attention only: models
// with other caches (recurrent, MLA) are estimated the same way.
uint64_t kv_cache_bytes(const llama_model* model, uint32_t n_cells, ggml_type type_k, ggml_type type_v);

// flash_attn "auto" for a context whose model runs on the CPU only (`on_devices` false): off,
// unless a quantised V cache needs it. llama.cpp's "auto" turns flash attention on wherever the
// device supports it, the CPU included, but its CPU kernel is the slower one there: measured on
// the 1B Llama-3 shape, 2 threads, 1024 tokens deep, a 24-token prompt pass is 6x slower with
// it and decoding 1.4x slower (bench/README.md). Explicit on/off are kept as given.
llama_flash_attn_type resolve_flash_attn(FlashAttn setting, bool on_devices, ggml_type type_v);

}  // namespace wasi_nn
