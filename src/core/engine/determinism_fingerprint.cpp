#include "core/engine/determinism_fingerprint.h"

#include <nlohmann/json.hpp>

#include "build-info.h"
#include "ggml-backend.h"
#include "hash/hash.h"

namespace wasi_nn {
namespace {

// The CPU backend's features: the ISA extensions its kernels were compiled for (and found at
// run time), and the kernel families built in (LLAMAFILE, REPACK, OPENMP, KLEIDIAI, AMX).
std::string cpu_features() {
  ggml_backend_reg_t reg = ggml_backend_reg_by_name("CPU");
  auto get = reg ? reinterpret_cast<ggml_backend_get_features_t>(
                       ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features"))
                 : nullptr;
  std::string out;
  for (ggml_backend_feature* f = get ? get(reg) : nullptr; f && f->name; ++f) {
    const std::string value = f->value ? f->value : "";
    out += (out.empty() ? "" : " ") + std::string(f->name) + (value == "1" ? "" : "=" + value);
  }
  return out;
}

}  // namespace

std::string determinism_fingerprint(const ModelWeights& weights, const llama_context_params& cp) {
  nlohmann::ordered_json f;
  f["library"] = std::string("wasi_nn_backend ") + WASI_NN_VERSION;
  f["llama_cpp"] = {{"build_number", llama_build_number()}, {"commit", llama_commit()}};
  f["compiler"] = llama_compiler();
  f["target"] = llama_build_target();
  f["ggml_cpu"] = cpu_features();
  f["model_sha256"] = weights.file_sha256();
  f["matrix_types"] = weights.matrix_types().histogram;
  f["numerics"] = {{"repack", weights.settings().repack},
                   {"flash_attn", cp.flash_attn_type == LLAMA_FLASH_ATTN_TYPE_ENABLED},
                   {"cache_type_k", ggml_type_name(cp.type_k)},
                   {"cache_type_v", ggml_type_name(cp.type_v)},
                   {"kv_unified", cp.kv_unified},
                   // Layers on a device (-1 = all); 0 when the build has none.
                   {"n_gpu_layers", weights.n_devices() > 0 ? weights.n_gpu_layers() : 0},
                   {"sampled_tokens_together", weights.matrix_types().rows_independent}};
  const std::string text = f.dump();
  f["id"] = hash_sha256_hex(text.data(), text.size());
  return f.dump();
}

}  // namespace wasi_nn
