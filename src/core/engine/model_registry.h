// ModelRegistry: the process-wide table of loaded models and engines. Every backend context in
// the process (every wasm instance under WAMR) that loads the same file with the same settings
// gets the same weights and the same engine, so N instances cost one copy of the model.
// The registry holds only weak references: a model is freed when its last graph is dropped.
// Thread-safety: acquire() may be called from any thread; loads are serialised.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/mutex.h"
#include "core/config/settings.h"
#include "core/engine/engine.h"
#include "core/model/lora_adapter.h"
#include "core/model/model_weights.h"

namespace wasi_nn {

class ModelRegistry {
 public:
  static ModelRegistry& instance();

  // Returns the engine serving `source` with these settings, loading the weights and creating
  // the context if no one else holds them. Models are told apart by source.key() (the file's
  // identity, or a digest of in-memory bytes) and the model settings.
  // Creating a new engine for a model that already has `max_engines` live ones (over every
  // model and context setting) answers InvalidArgument naming the limit.
  // `draft`: the draft model of speculative decoding (context.speculative Draft), or null; its
  // weights are shared like any model's.
  std::shared_ptr<Engine> acquire(const ModelSource& source, const ModelSettings& model, const ContextSettings& context,
                                  uint32_t max_engines = UINT32_MAX, const ModelSource* draft = nullptr);

  // The LoRA adapter `source` loaded into `weights`, loading it if no one else holds it: the same
  // file (source.key()) for the same weights is one adapter for every tenant. Throws what
  // LoraAdapter's constructor throws.
  std::shared_ptr<const LoraAdapter> acquire_adapter(const std::shared_ptr<ModelWeights>& weights,
                                                     const ModelSource& source);

  // Number of distinct weights currently alive (for tests and stats).
  size_t live_models();
  // The engines currently alive (for stats). The references keep them alive while held.
  std::vector<std::shared_ptr<Engine>> live_engines();

 private:
  void check_engine_room(const ModelSource& source, uint32_t max_engines) REQUIRES(mu_);
  std::shared_ptr<ModelWeights> weights_for(const ModelSource& source, const ModelSettings& model,
                                            const ContextSettings& context) REQUIRES(mu_);

  Mutex mu_;
  std::map<std::string, std::weak_ptr<ModelWeights>> weights_ GUARDED_BY(mu_);
  std::map<std::string, std::weak_ptr<Engine>> engines_ GUARDED_BY(mu_);
  std::map<std::string, std::weak_ptr<const LoraAdapter>> adapters_ GUARDED_BY(mu_);
};

}  // namespace wasi_nn
