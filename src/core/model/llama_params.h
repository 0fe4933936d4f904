// The one mapping from this backend's settings to llama.cpp's parameter structs, shared by the
// model load, the engine's context and llama.cpp's memory fitting (which must see the same
// context the engine will create).
#pragma once

#include "core/config/settings.h"
#include "llama.h"

namespace wasi_nn {

// Devices, n_gpu_layers "auto" and the tensor_split pointer are the caller's (DevicePlan).
llama_model_params model_params_of(const ModelSettings& settings);

// Threads 0 resolve to llama.cpp's choice for this machine. Throws InvalidArgument for a cache
// type ggml does not know (the parameter table admits only known ones).
llama_context_params context_params_of(const ContextSettings& settings);

}  // namespace wasi_nn
