#include "core/model/model_weights.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/runtime.h"
#include "core/model/device_plan.h"
#include "core/model/file_sha256.h"

namespace wasi_nn {
namespace {

// MemAvailable from /proc/meminfo, in bytes; 0 when unknown.
uint64_t available_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

std::string gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

}  // namespace

ModelWeights::ModelWeights(const ModelSource& source, const ModelSettings& settings, const ContextSettings& context)
    : runtime_(Runtime::acquire()),
      name_(source.name()),
      from_guest_bytes_(source.from_guest_bytes()),
      settings_(settings) {
  const std::string path = source.load_path();
  const DevicePlan plan(path, settings_, context);
  n_gpu_layers_ = plan.n_gpu_layers();
  fit_ = plan.decision();
  n_devices_ = plan.n_devices();

  LOG_INFO("loading model '%s' (%s)", name_.c_str(), gib(source.size()).c_str());
  model_ = llama_model_load_from_file(path.c_str(), plan.params());
  if (!model_) {
    const uint64_t avail = available_memory();
    LOG_ERR("model '%s' failed to load: %s of weights, %s of memory available", name_.c_str(),
            gib(source.size()).c_str(), avail ? gib(avail).c_str() : "unknown");
    fail(ErrorKind::Runtime, "failed to load model '" + name_ +
                                 "': llama.cpp could not read it (corrupt or "
                                 "truncated GGUF, an unsupported architecture, or not enough memory for its " +
                                 gib(source.size()) + " of weights). The host's log has llama.cpp's own reason.");
  }
  vocab_ = llama_model_get_vocab(model_);
  // Read now: the file is open only while the weights load.
  matrix_types_ = read_matrix_types(path);
  if (context.deterministic) sha256_ = wasi_nn::file_sha256(path);
}

ModelWeights::~ModelWeights() {
  if (model_) llama_model_free(model_);
  LOG_INFO("freed model '%s'", name_.c_str());
}

uint32_t ModelWeights::n_ctx_train() const { return static_cast<uint32_t>(llama_model_n_ctx_train(model_)); }

std::string ModelWeights::description() const {
  char buf[256];
  llama_model_desc(model_, buf, sizeof buf);
  return buf;
}

}  // namespace wasi_nn
