// ModelWeights: one loaded llama_model (weights + vocabulary), shared by every engine that
// serves it. Created only through ModelRegistry; freed when its last holder lets go.
// Thread-safety: immutable after construction; all methods are safe from any thread.
#pragma once

#include <memory>
#include <string>

#include "core/base/mutex.h"
#include "core/config/settings.h"
#include "core/model/device_plan.h"
#include "core/model/model_source.h"
#include "core/model/row_invariance.h"
#include "llama.h"

namespace wasi_nn {

class Runtime;

class ModelWeights {
 public:
  // Loads `source` (opened and checked) onto the devices DevicePlan chooses; `context` is the
  // context the first engine will create, which n_gpu_layers "auto" leaves room for (later
  // engines with other contexts share the same placement). Throws InvalidArgument when a GPU
  // key does not fit the devices present, Runtime when an RPC server does not answer or
  // llama.cpp cannot read the model (the message names the model as the caller named it and
  // the cause; the host's memory figures go to the log, not to the caller).
  ModelWeights(const ModelSource& source, const ModelSettings& settings, const ContextSettings& context);
  ~ModelWeights();
  ModelWeights(const ModelWeights&) = delete;
  ModelWeights& operator=(const ModelWeights&) = delete;

  llama_model* get() const { return model_; }
  const llama_vocab* vocab() const { return vocab_; }
  // The name of the load that created it, for the host's log. Callers' messages use their own.
  const std::string& name() const { return name_; }
  bool from_guest_bytes() const { return from_guest_bytes_; }  // see ModelSource
  const ModelSettings& settings() const { return settings_; }
  uint32_t n_ctx_train() const;
  std::string description() const;                        // e.g. "llama 7B Q4_K - Medium"
  int32_t n_gpu_layers() const { return n_gpu_layers_; }  // as asked of llama.cpp; -1 = all
  const FitDecision& fit() const { return fit_; }
  int32_t n_layer() const { return llama_model_n_layer(model_); }
  size_t n_devices() const { return n_devices_; }  // GPUs and RPC devices it may use
  // The file's matrix types, read at load (row_invariance.h).
  const MatrixTypes& matrix_types() const { return matrix_types_; }
  // SHA-256 of the file, computed at load only when the first context is deterministic (the
  // only weights loaded without repacking; hashing a large file takes seconds); else "".
  const std::string& file_sha256() const { return sha256_; }
  // Guards the model's list of LoRA adapters (llama_model::loras, an unordered set): loading
  // and freeing an adapter change it, and a context reads it while it reserves its compute
  // graph (at creation, and at the first decode after its adapter set changed).
  Mutex& adapter_mutex() const { return adapter_mu_; }

 private:
  mutable Mutex adapter_mu_;
  std::shared_ptr<Runtime> runtime_;  // keeps llama.cpp initialised while the model lives
  std::string name_;
  bool from_guest_bytes_ = false;
  ModelSettings settings_;
  llama_model* model_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  int32_t n_gpu_layers_ = 0;
  FitDecision fit_;
  size_t n_devices_ = 0;
  MatrixTypes matrix_types_;
  std::string sha256_;
};

}  // namespace wasi_nn
