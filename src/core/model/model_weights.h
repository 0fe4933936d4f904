// ModelWeights: one loaded llama_model (weights + vocabulary), shared by every engine that
// serves it. Created only through ModelRegistry; freed when its last holder lets go.
// Thread-safety: immutable after construction; all methods are safe from any thread.
#pragma once

#include <memory>
#include <string>

#include "core/config/settings.h"
#include "llama.h"

namespace wasi_nn {

class Runtime;

class ModelWeights {
 public:
  // Loads `path` (already resolved to a canonical path) onto the devices DevicePlan chooses;
  // `context` is the context the first engine will create, which n_gpu_layers "auto" leaves room
  // for (later engines with other contexts share the same placement). Throws ModelNotFound when
  // the file is missing, InvalidArgument when it is not a GGUF file or a GPU key does not fit
  // the devices present, Runtime when an RPC server does not answer, OutOfMemory/Runtime when
  // llama.cpp fails (the message names the file, the cause, and memory needed against free).
  ModelWeights(std::string path, const ModelSettings& settings, const ContextSettings& context);
  ~ModelWeights();
  ModelWeights(const ModelWeights&) = delete;
  ModelWeights& operator=(const ModelWeights&) = delete;

  llama_model* get() const { return model_; }
  const llama_vocab* vocab() const { return vocab_; }
  const std::string& path() const { return path_; }
  const ModelSettings& settings() const { return settings_; }
  uint32_t n_ctx_train() const;
  std::string description() const;  // e.g. "llama 7B Q4_K - Medium"
  int32_t n_gpu_layers() const { return n_gpu_layers_; }  // as asked of llama.cpp; -1 = all
  size_t n_devices() const { return n_devices_; }         // GPUs and RPC devices it may use

 private:
  std::shared_ptr<Runtime> runtime_;  // keeps llama.cpp initialised while the model lives
  std::string path_;
  ModelSettings settings_;
  llama_model* model_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  int32_t n_gpu_layers_ = 0;
  size_t n_devices_ = 0;
};

// Checks that `path` names a readable regular GGUF file; throws the Error a load would.
void check_model_file(const std::string& path);

}  // namespace wasi_nn
