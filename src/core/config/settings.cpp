#include "core/config/settings.h"

#include <cstdio>

namespace wasi_nn {

namespace {

// %g keeps keys short and stable ("0.5", not "0.500000"); equal floats print equally.
std::string float_list(const std::vector<float>& values) {
  std::string out;
  char buf[32];
  for (size_t i = 0; i < values.size(); ++i) {
    std::snprintf(buf, sizeof(buf), "%s%g", i ? "," : "", static_cast<double>(values[i]));
    out += buf;
  }
  return out;
}

}  // namespace

// Equality is the registry key's: one definition of "the same settings".
bool ModelSettings::operator==(const ModelSettings& o) const { return key() == o.key(); }

std::string ModelSettings::key() const {
  std::string rpc;
  for (const auto& server : rpc_servers) rpc += (rpc.empty() ? "" : ",") + server;
  const std::string ngl = n_gpu_layers == kAutoGpuLayers ? "auto" : std::to_string(n_gpu_layers);
  return "n_gpu_layers=" + ngl + ";main_gpu=" + std::to_string(main_gpu) + ";split_mode=" + enum_name(split_mode) +
         ";tensor_split=" + float_list(tensor_split) + ";use_mmap=" + (use_mmap ? "1" : "0") +
         ";use_mlock=" + (use_mlock ? "1" : "0") + ";rpc_servers=" + rpc +
         ";fit_device_mb=" + std::to_string(fit_device_mb) + ";repack=" + (repack ? "1" : "0");
}

bool ContextSettings::operator==(const ContextSettings& o) const { return key() == o.key(); }

std::string ContextSettings::key() const {
  return "ctx_size=" + std::to_string(ctx_size) + ";batch_size=" + std::to_string(n_batch) +
         ";ubatch_size=" + std::to_string(n_ubatch) + ";threads=" + std::to_string(threads) +
         ";threads_batch=" + std::to_string(threads_batch) + ";n_parallel=" + std::to_string(n_parallel) +
         ";flash_attn=" + enum_name(flash_attn) + ";cache_type_k=" + enum_name(cache_type_k) +
         ";cache_type_v=" + enum_name(cache_type_v) + ";max_queue=" + std::to_string(max_queue) +
         ";priority_aging_ms=" + std::to_string(priority_aging_ms) +
         ";kv_save_budget_mb=" + std::to_string(kv_save_budget_mb) + ";kv_save_dir=" + kv_save_dir +
         ";kv_save_disk_budget_mb=" + std::to_string(kv_save_disk_budget_mb) +
         ";prefix_sharing=" + (prefix_sharing ? "1" : "0") + ";deterministic=" + (deterministic ? "1" : "0") +
         ";embedding=" +
         (embedding ? "1;pooling=" + std::string(enum_name(pooling)) : "0") +  // pooling matters only then
         ";speculative=" + enum_name(speculative) +
         (speculative == Speculative::None
              ? std::string()
              : ";draft_model=" + draft_model + ";draft_max=" + std::to_string(draft_max) +
                    ";draft_min=" + std::to_string(draft_min) + ";draft_p_min=" + std::to_string(draft_p_min) +
                    ";ngram_size_n=" + std::to_string(ngram_size_n) + ";ngram_size_m=" + std::to_string(ngram_size_m));
}

}  // namespace wasi_nn
