#include "core/model/lora_adapter.h"

#include <atomic>

#include "core/base/error.h"
#include "core/base/log.h"

namespace wasi_nn {
namespace {

uint64_t next_adapter_id() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

}  // namespace

LoraAdapter::LoraAdapter(std::shared_ptr<ModelWeights> weights, const ModelSource& source)
    : weights_(std::move(weights)), id_(next_adapter_id()), name_(source.name()) {
  {
    MutexLock lock(weights_->adapter_mutex());
    // llama.cpp reads the same open file through /proc/self/fd (ModelSource): no path the
    // caller gave is opened again.
    adapter_ = llama_adapter_lora_init(weights_->get(), source.load_path().c_str());
  }
  if (!adapter_) {
    fail(ErrorKind::InvalidArgument,
         "LoRA adapter '" + name_ + "' could not be applied to model '" + weights_->name() +
             "': llama.cpp refused it (not a LoRA GGUF, made for another architecture, or its "
             "tensor shapes do not match this model). The host's log has llama.cpp's reason.");
  }
  // An activated LoRA (aLoRA) applies only after its invocation tokens, which the engine's
  // batching does not track: refuse it rather than apply it everywhere.
  if (llama_adapter_get_alora_n_invocation_tokens(adapter_) > 0) {
    {
      MutexLock lock(weights_->adapter_mutex());
      llama_adapter_lora_free(adapter_);
    }
    fail(ErrorKind::Unsupported, "LoRA adapter '" + name_ +
                                     "' is an activated LoRA (it has invocation "
                                     "tokens), which this backend does not apply; use a plain LoRA adapter");
  }
  LOG_INFO("loaded LoRA adapter '%s' for model '%s'", name_.c_str(), weights_->name().c_str());
}

LoraAdapter::~LoraAdapter() {
  MutexLock lock(weights_->adapter_mutex());
  llama_adapter_lora_free(adapter_);
}

}  // namespace wasi_nn
