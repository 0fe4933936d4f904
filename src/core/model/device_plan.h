// Where a model's layers go: the devices (RPC servers first, then local GPUs, the order
// llama.cpp uses), the checks of main_gpu and tensor_split against them, and n_gpu_layers "auto"
// resolved by llama.cpp's own fitting (common_fit_params, as llama-server does by default).
// Thread-safety: construct under the model registry's lock (llama.cpp's fitting swaps the
// global log callback while it measures); the object is then read-only.
#pragma once

#include <string>
#include <vector>

#include "core/config/settings.h"
#include "llama.h"

namespace wasi_nn {

// What n_gpu_layers came to: asked "auto" and fitted (status and layers), or given.
struct FitDecision {
  bool automatic = false;    // n_gpu_layers was "auto"
  std::string status;        // "fitted", "failed" (everything offloaded), "no_devices", "given"
  int32_t n_gpu_layers = 0;  // what llama.cpp is asked for (-1 = all)
  size_t n_devices = 0;
};

class DevicePlan {
 public:
  // Connects rpc_servers, validates the GPU keys against the devices present (InvalidArgument
  // with the device list) and, for n_gpu_layers "auto" with at least one device, fits the layers
  // to free device memory next to the KV cache and compute buffers of `context`.
  DevicePlan(const std::string& path, const ModelSettings& model, const ContextSettings& context);
  DevicePlan(const DevicePlan&) = delete;
  DevicePlan& operator=(const DevicePlan&) = delete;

  // For llama_model_load_from_file; its pointers stay valid while this plan lives.
  const llama_model_params& params() const { return params_; }
  size_t n_devices() const { return n_devices_; }
  // What llama.cpp is asked for (-1 = all); "auto" already resolved.
  int32_t n_gpu_layers() const { return params_.n_gpu_layers; }
  const FitDecision& decision() const { return decision_; }

 private:
  std::vector<ggml_backend_dev_t> devices_;                  // explicit list (null-terminated) with RPC servers
  std::vector<float> tensor_split_;                          // llama_max_devices() entries
  std::vector<llama_model_tensor_buft_override> overrides_;  // written by the fitting
  llama_model_params params_;
  size_t n_devices_ = 0;
  FitDecision decision_;
};

}  // namespace wasi_nn
