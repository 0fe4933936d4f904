// Deterministic mode's fingerprint (docs/DETERMINISM.md): everything that decides the bits a
// request gets, so two nodes can tell whether their outputs must match. Equal fingerprints and
// different bytes is a bug; different fingerprints may give different bytes.
// Thread-safety: a pure function of its arguments and of this build.
#pragma once

#include <string>

#include "core/model/model_weights.h"
#include "llama.h"

namespace wasi_nn {

// A JSON object: library version, llama.cpp commit and build, compiler and target, the CPU
// features and kernel families ggml's CPU backend was built with, the model file's SHA-256 and
// matrix types, the context settings that change numerics as resolved (`cp`), and "id": the
// SHA-256 of all of those, one value to compare.
std::string determinism_fingerprint(const ModelWeights& weights, const llama_context_params& cp);

}  // namespace wasi_nn
