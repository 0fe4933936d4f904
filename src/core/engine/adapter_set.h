// AdapterSet: the LoRA adapters and scales one request decodes with. llama.cpp applies adapters
// per context (llama_set_adapters_lora), not per token, so the engine decodes sequences with
// different sets in different llama_decode calls, and never reuses KV computed under another
// set (Slot::kv_adapters, SavedSequence::adapters, prefix sharing compare key()).
// Thread-safety: a value; built on the caller's thread, read by the worker after submit.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/model/lora_adapter.h"

namespace wasi_nn {

class AdapterSet {
 public:
  AdapterSet() = default;
  // Adapters with scale 0 are left out (llama.cpp ignores them too), so "off" and "absent" are
  // one set; the rest are ordered by adapter id, so the order a load lists them in does not
  // split equal sets.
  explicit AdapterSet(std::vector<std::pair<std::shared_ptr<const LoraAdapter>, float>> scaled);

  bool empty() const { return adapters_.empty(); }
  size_t size() const { return adapters_.size(); }
  // Identifies the set: equal keys = the same adapters with bit-equal scales. "" = none.
  const std::string& key() const { return key_; }
  // Makes this the set `ctx` decodes with (llama_set_adapters_lora).
  void apply(llama_context* ctx) const;

 private:
  std::vector<std::shared_ptr<const LoraAdapter>> adapters_;
  std::vector<float> scales_;
  std::string key_;
};

}  // namespace wasi_nn
