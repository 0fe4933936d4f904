#include "core/engine/model_registry.h"

#include "core/base/error.h"
#include "core/base/log.h"

namespace wasi_nn {

ModelRegistry& ModelRegistry::instance() {
  static ModelRegistry* registry = new ModelRegistry();  // leaked: outlives static teardown
  return *registry;
}

std::shared_ptr<Engine> ModelRegistry::acquire(const ModelSource& source, const ModelSettings& model,
                                               const ContextSettings& context, uint32_t max_engines,
                                               const ModelSource* draft) {
  MutexLock lock(mu_);
  const std::string ekey =
      source.key() + "\n" + model.key() + "\n" + context.key() + (draft ? "\ndraft=" + draft->key() : std::string());
  std::shared_ptr<Engine> engine = engines_[ekey].lock();
  if (engine) return engine;
  check_engine_room(source, max_engines);
  std::shared_ptr<ModelWeights> weights = weights_for(source, model, context);
  std::shared_ptr<ModelWeights> draft_weights = draft ? weights_for(*draft, model, context) : nullptr;
  engine = std::make_shared<Engine>(weights, context, draft_weights);
  engines_[ekey] = engine;
  // Drop entries whose objects are gone, so the maps do not grow with every load.
  for (auto it = engines_.begin(); it != engines_.end();)
    it = it->second.expired() ? engines_.erase(it) : std::next(it);
  for (auto it = weights_.begin(); it != weights_.end();)
    it = it->second.expired() ? weights_.erase(it) : std::next(it);
  return engine;
}

// The weights of `source` with these settings: the ones already loaded, or a new load.
std::shared_ptr<ModelWeights> ModelRegistry::weights_for(const ModelSource& source, const ModelSettings& model,
                                                         const ContextSettings& context) {
  const std::string wkey = source.key() + "\n" + model.key();
  std::shared_ptr<ModelWeights> weights = weights_[wkey].lock();
  if (!weights) {
    weights = std::make_shared<ModelWeights>(source, model, context);
    weights_[wkey] = weights;
  } else {
    LOG_INFO("sharing already loaded model '%s' (loaded as '%s')", source.name().c_str(), weights->name().c_str());
  }
  return weights;
}

std::shared_ptr<const LoraAdapter> ModelRegistry::acquire_adapter(const std::shared_ptr<ModelWeights>& weights,
                                                                  const ModelSource& source) {
  MutexLock lock(mu_);
  // The weights' address names them while they live; an adapter keeps its weights alive, so an
  // entry whose weights are gone has expired too and is never matched.
  const std::string key = std::to_string(reinterpret_cast<uintptr_t>(weights.get())) + "\n" + source.key();
  std::shared_ptr<const LoraAdapter> adapter = adapters_[key].lock();
  if (adapter) return adapter;
  adapter = std::make_shared<const LoraAdapter>(weights, source);
  adapters_[key] = adapter;
  for (auto it = adapters_.begin(); it != adapters_.end();)
    it = it->second.expired() ? adapters_.erase(it) : std::next(it);
  return adapter;
}

// Each engine is a KV cache (and, with other model settings, a copy of the weights): a tenant
// must not multiply them without bound by varying its settings.
void ModelRegistry::check_engine_room(const ModelSource& source, uint32_t max_engines) {
  const std::string prefix = source.key() + "\n";
  uint32_t live = 0;
  for (const auto& [key, engine] : engines_) {
    live += key.compare(0, prefix.size(), prefix) == 0 && !engine.expired() ? 1 : 0;
  }
  if (live >= max_engines) {
    fail(ErrorKind::InvalidArgument,
         "model '" + source.name() + "' is already served with " + std::to_string(live) +
             " different settings, the host's limit (max_engines_per_model = " + std::to_string(max_engines) +
             "); load it with the settings of an existing load (most often: leave out the context keys)");
  }
}

size_t ModelRegistry::live_models() {
  MutexLock lock(mu_);
  size_t n = 0;
  for (auto& kv : weights_) n += kv.second.expired() ? 0 : 1;
  return n;
}

std::vector<std::shared_ptr<Engine>> ModelRegistry::live_engines() {
  MutexLock lock(mu_);
  std::vector<std::shared_ptr<Engine>> out;
  for (auto& kv : engines_) {
    if (auto e = kv.second.lock()) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace wasi_nn
