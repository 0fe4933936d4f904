// llama.cpp's preconditions on context parameters that the settings alone decide: values that
// would make llama.cpp abort the process (a GGML_ASSERT, not an error return) or refuse the
// context, rejected while the config is parsed, with a message naming the keys as written.
// docs/HARDENING.md ("llama.cpp preconditions") lists every precondition of the pinned llama.cpp
// and where each is checked; the ones that depend on the loaded model are in
// core/model/model_preconditions.h.
//
// Thread-safety: pure functions.
#pragma once

#include <functional>
#include <string>

#include "core/config/settings.h"

namespace wasi_nn {

// Maps a canonical key name to the key as the user wrote it (an alias, dash-case, a section).
using KeyName = std::function<std::string(const char* canonical)>;

// Throws Error(InvalidArgument) when the merged context settings break a precondition of
// llama_init_from_model or of the decode loop:
//  - batch_size >= n_parallel: llama.cpp reserves one output per sequence in a batch of at most
//    batch_size outputs (GGML_ASSERT n_outputs_max, llama-context.cpp:2200 via :375).
//  - a quantised cache_type_v needs flash attention (llama_init_from_model returns NULL).
void check_llama_preconditions(const ContextSettings& context, const KeyName& key_of);

// Throws Error(InvalidArgument) when sampling settings would let llama.cpp abort while sampling:
//  - the infill sampler together with a grammar (or json_schema): infill may replace every
//    candidate by end-of-generation after the grammar ran, and accepting an end-of-generation
//    token the grammar does not allow yet is a GGML_ABORT (llama-grammar.cpp:1450).
void check_sampling_preconditions(const common_params_sampling& sampling, const KeyName& key_of);

}  // namespace wasi_nn
