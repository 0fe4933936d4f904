#include "core/model/device_plan.h"

#include <cstring>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/model/llama_params.h"
#include "core/model/rpc_servers.h"
#include "fit.h"

namespace wasi_nn {
namespace {

bool is_rpc(ggml_backend_dev_t dev) {
  return std::strcmp(ggml_backend_reg_name(ggml_backend_dev_backend_reg(dev)), "RPC") == 0;
}

// The local GPUs llama.cpp picks when model_params.devices is null (llama_prepare_model_devices:
// discrete GPUs, one per device id; integrated GPUs of one backend only when there is none).
std::vector<ggml_backend_dev_t> local_gpus() {
  std::vector<ggml_backend_dev_t> gpus, igpus;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    const auto type = ggml_backend_dev_type(dev);
    if (type == GGML_BACKEND_DEVICE_TYPE_GPU && !is_rpc(dev)) {
      ggml_backend_dev_props props;
      ggml_backend_dev_get_props(dev, &props);
      bool seen = false;
      for (auto* other : gpus) {
        ggml_backend_dev_props o;
        ggml_backend_dev_get_props(other, &o);
        seen = seen || (props.device_id && o.device_id && std::strcmp(props.device_id, o.device_id) == 0);
      }
      if (!seen) gpus.push_back(dev);
    } else if (type == GGML_BACKEND_DEVICE_TYPE_IGPU &&
               (igpus.empty() || ggml_backend_dev_backend_reg(dev) == ggml_backend_dev_backend_reg(igpus.back()))) {
      igpus.push_back(dev);
    }
  }
  return gpus.empty() ? igpus : gpus;
}

std::string device_list(const std::vector<ggml_backend_dev_t>& devs) {
  if (devs.empty()) return "none: no GPU backend in this build sees a GPU, and rpc_servers is empty";
  std::string out;
  for (size_t i = 0; i < devs.size(); ++i) {
    out += (i ? ", " : "") + std::to_string(i) + " = " + ggml_backend_dev_name(devs[i]) + " (" +
           ggml_backend_dev_description(devs[i]) + ")";
  }
  return out;
}

void check_gpu_keys(const ModelSettings& s, const std::vector<ggml_backend_dev_t>& devs) {
  const size_t n = devs.size();
  if (s.main_gpu > 0 && static_cast<size_t>(s.main_gpu) >= n) {
    fail(ErrorKind::InvalidArgument, "config key 'main_gpu' = " + std::to_string(s.main_gpu) +
                                         " names no device; devices " + "present: " + device_list(devs) +
                                         ". Use a device index below " + std::to_string(n == 0 ? 1 : n) + ".");
  }
  if (s.tensor_split.size() > n) {
    fail(ErrorKind::InvalidArgument, "config key 'tensor_split' has " + std::to_string(s.tensor_split.size()) +
                                         " entries, more than the " + std::to_string(n) + " device(s) present (" +
                                         device_list(devs) +
                                         "). Give at most one share per device, or [] to split by free "
                                         "memory.");
  }
}

}  // namespace

DevicePlan::DevicePlan(const std::string& path, const ModelSettings& model, const ContextSettings& context)
    : tensor_split_(llama_max_devices(), 0.0f), params_(model_params_of(model)) {
  std::vector<ggml_backend_dev_t> devs = rpc_devices(model.rpc_servers);
  const size_t n_rpc = devs.size();
  for (auto* dev : local_gpus()) devs.push_back(dev);
  check_gpu_keys(model, devs);
  n_devices_ = devs.size();
  if (n_rpc > 0) {  // an explicit list, so RPC devices serve only the models that name them
    devices_ = devs;
    devices_.push_back(nullptr);
    params_.devices = devices_.data();
  }
  std::copy(model.tensor_split.begin(), model.tensor_split.end(), tensor_split_.begin());
  if (!model.tensor_split.empty()) params_.tensor_split = tensor_split_.data();

  decision_.n_devices = n_devices_;
  decision_.automatic = model.n_gpu_layers == ModelSettings::kAutoGpuLayers;
  decision_.n_gpu_layers = params_.n_gpu_layers;
  decision_.status = "given";
  if (!decision_.automatic) return;
  if (n_devices_ == 0) {
    LOG_DEBUG("n_gpu_layers auto: no GPU or RPC device, the model runs on the CPU");
    decision_.status = "no_devices";
    return;
  }
  // Fit as llama-server does: n_gpu_layers left at llama.cpp's default means "choose"; 1 GiB
  // left free per device (llama.cpp's default margin); the context is ours, so it is kept.
  llama_context_params cp = context_params_of(context);
  overrides_.assign(llama_max_tensor_buft_overrides(), {nullptr, nullptr});
  std::vector<size_t> margins(llama_max_devices(), size_t(1) << 30);
  if (model.fit_device_mb > 0) {
    // Use at most fit_device_mb of each device: leave the rest of its free memory as margin.
    for (size_t i = 0; i < devs.size() && i < margins.size(); ++i) {
      size_t free = 0, total = 0;
      ggml_backend_dev_memory(devs[i], &free, &total);
      const size_t cap = static_cast<size_t>(model.fit_device_mb) << 20;
      margins[i] = free > cap ? free - cap : 0;
    }
  }
  const auto status = common_fit_params(path.c_str(), &params_, &cp, tensor_split_.data(), overrides_.data(),
                                        margins.data(), cp.n_ctx, nullptr, GGML_LOG_LEVEL_ERROR);
  decision_.status = status == COMMON_PARAMS_FIT_STATUS_SUCCESS ? "fitted" : "failed";
  decision_.n_gpu_layers = params_.n_gpu_layers;
  if (status == COMMON_PARAMS_FIT_STATUS_SUCCESS) {
    const std::string layers = params_.n_gpu_layers < 0 ? "all" : std::to_string(params_.n_gpu_layers);
    LOG_INFO("n_gpu_layers auto: %s layers on %zu device(s) for '%s'", layers.c_str(), n_devices_, path.c_str());
  } else {
    LOG_WARN(
        "n_gpu_layers auto: llama.cpp could not fit '%s' to free device memory (its own "
        "warning says why); loading with every layer offloaded. Set n_gpu_layers, or lower "
        "ctx_size/n_parallel.",
        path.c_str());
  }
}

}  // namespace wasi_nn
