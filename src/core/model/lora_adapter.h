// LoraAdapter: one LoRA adapter file loaded into one model (llama_adapter_lora). Created only
// through ModelRegistry::acquire_adapter, so every tenant that names the same file for the same
// weights shares one copy; freed when its last holder (a Graph, a running Request, the engine
// that has it applied) lets go, always before the model it belongs to.
// Thread-safety: immutable after construction; get() may be read from any thread, but only an
// engine's worker applies it to a context (llama_set_adapters_lora).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/model/model_source.h"
#include "core/model/model_weights.h"

namespace wasi_nn {

class LoraAdapter {
 public:
  // Loads the adapter `source` (opened and confined like a model file) into `weights`. Throws
  // InvalidArgument naming source.name() when llama.cpp refuses it (not a LoRA GGUF, another
  // architecture, shapes that do not match this model), Unsupported for an activated LoRA.
  LoraAdapter(std::shared_ptr<ModelWeights> weights, const ModelSource& source);
  ~LoraAdapter();
  LoraAdapter(const LoraAdapter&) = delete;
  LoraAdapter& operator=(const LoraAdapter&) = delete;

  llama_adapter_lora* get() const { return adapter_; }
  // Process-unique and never reused: names this adapter in the engine's adapter-set keys,
  // which must not match a later adapter loaded at the same address.
  uint64_t id() const { return id_; }
  const std::string& name() const { return name_; }  // as the loader named it, for logs

 private:
  std::shared_ptr<ModelWeights> weights_;  // the adapter is freed before its model
  llama_adapter_lora* adapter_ = nullptr;
  uint64_t id_ = 0;
  std::string name_;
};

}  // namespace wasi_nn
