#include "core/engine/adapter_set.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace wasi_nn {

AdapterSet::AdapterSet(std::vector<std::pair<std::shared_ptr<const LoraAdapter>, float>> scaled) {
  scaled.erase(std::remove_if(scaled.begin(), scaled.end(), [](const auto& a) { return a.second == 0.0f; }),
               scaled.end());
  std::sort(scaled.begin(), scaled.end(), [](const auto& a, const auto& b) { return a.first->id() < b.first->id(); });
  for (auto& [adapter, scale] : scaled) {
    uint32_t bits = 0;
    std::memcpy(&bits, &scale, sizeof bits);  // the exact float: 0.1f and 0.1000001f differ
    char part[48];
    std::snprintf(part, sizeof part, "%llu:%08x;", static_cast<unsigned long long>(adapter->id()), bits);
    key_ += part;
    adapters_.push_back(std::move(adapter));
    scales_.push_back(scale);
  }
}

void AdapterSet::apply(llama_context* ctx) const {
  std::vector<llama_adapter_lora*> ptrs;
  for (const auto& a : adapters_) ptrs.push_back(a->get());
  std::vector<float> scales = scales_;
  llama_set_adapters_lora(ctx, ptrs.data(), ptrs.size(), scales.data());
}

}  // namespace wasi_nn
