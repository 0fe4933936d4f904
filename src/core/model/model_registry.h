// ModelRegistry: the process-wide table of loaded models and engines. Every backend context in
// the process (every wasm instance under WAMR) that loads the same file with the same settings
// gets the same weights and the same engine, so N instances cost one copy of the model.
// The registry holds only weak references: a model is freed when its last graph is dropped.
// Thread-safety: acquire() may be called from any thread; loads are serialised.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/config/settings.h"
#include "core/engine/engine.h"
#include "core/model/model_weights.h"

namespace wasi_nn {

class ModelRegistry {
 public:
  static ModelRegistry& instance();

  // Returns the engine serving `path` with these settings, loading the weights and creating
  // the context if no one else holds them. `key` identifies the model's content (its canonical
  // path, or a digest for in-memory images); `path` is where llama.cpp reads it from.
  std::shared_ptr<Engine> acquire(const std::string& key, const std::string& path,
                                  const ModelSettings& model, const ContextSettings& context);

  // Number of distinct weights currently alive (for tests and stats).
  size_t live_models();
  // The engines currently alive (for stats). The references keep them alive while held.
  std::vector<std::shared_ptr<Engine>> live_engines();

 private:
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<ModelWeights>> weights_;  // guarded by mu_
  std::map<std::string, std::weak_ptr<Engine>> engines_;        // guarded by mu_
};

}  // namespace wasi_nn
