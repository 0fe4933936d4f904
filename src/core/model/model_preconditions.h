// llama.cpp's preconditions that depend on the loaded model: its attention (causal or not) and
// its attention head sizes. The engine applies them to the context parameters between
// context_params_of() and llama_init_from_model(), so llama.cpp never sees a combination it
// would abort on. docs/HARDENING.md ("llama.cpp preconditions") lists each with the llama.cpp
// line it guards; the model-independent ones are checked while parsing
// (core/config/llama_preconditions.h).
//
// Thread-safety: pure functions of their arguments (the model is only read).
#pragma once

#include "core/config/settings.h"
#include "llama.h"

namespace wasi_nn {

// Adjusts `cp` (built by context_params_of from `settings`, flash attention already resolved)
// to `model`:
//  - a model that attends non-causally (an encoder such as BERT; GGUF key
//    <arch>.attention.causal = false) must see each decode in one ubatch
//    (GGML_ASSERT "non-causal attention requires n_ubatch >= n_tokens", llama-context.cpp:1724,
//    and "encoder requires n_ubatch >= n_tokens", :1435): n_ubatch = n_batch, and n_batch no
//    larger than the context.
// Throws Error(InvalidArgument) naming the key when a quantised cache_type_k / cache_type_v
// packs more values per block than the model's attention heads hold, or a block size that does
// not divide it (llama_init_from_model refuses it with flash attention; without, the cache
// holds unusable rows).
void fit_context_to_model(const llama_model* model, const ContextSettings& settings, llama_context_params& cp);

// Whether llama.cpp can shift this model's K cache of type `type_k` (the RoPE re-rotation that
// follows llama_memory_seq_add, i.e. context_shift while generating). Not for bf16 (the CPU
// RoPE kernel aborts on it: ops.cpp "fatal error"), nor for a quantised type when the head size
// is not a multiple of 64 (llama.cpp then has no Hadamard rotation for it and dereferences a
// NULL tensor in build_rope_shift). llama_memory_can_shift() does not know either.
bool k_shift_supported(const llama_model* model, ggml_type type_k);

// Throws Error(InvalidArgument) when a request's sampler chain needs what the model's vocabulary
// lacks: the infill sampler ends generation with the end-of-text (or end-of-sequence) token and
// asserts that one exists (GGML_ASSERT, llama-sampler.cpp:4222; BERT vocabularies have neither).
void check_sampling_fits_vocab(const llama_vocab* vocab, const common_params_sampling& sampling);

}  // namespace wasi_nn
