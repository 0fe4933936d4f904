#include "core/model/model_weights.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "core/error.h"
#include "core/log.h"
#include "core/model/device_plan.h"
#include "core/runtime.h"

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

void check_model_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    fail(ErrorKind::ModelNotFound,
         "model file '" + path + "' cannot be opened: " + std::strerror(errno) +
             ". Check the path (relative paths are resolved against the host's working directory).");
  }
  if (!S_ISREG(st.st_mode)) {
    fail(ErrorKind::InvalidArgument, "model path '" + path +
                                         "' is not a regular file (a directory, device or FIFO); "
                                         "pass the path of a .gguf file");
  }
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  if (!in.read(magic, 4) || std::memcmp(magic, "GGUF", 4) != 0) {
    fail(ErrorKind::InvalidArgument,
         "model file '" + path + "' is not a GGUF file (it does not start with the GGUF magic); "
         "convert it with llama.cpp's convert_hf_to_gguf.py or pass a .gguf model");
  }
}

ModelWeights::ModelWeights(std::string path, const ModelSettings& settings,
                           const ContextSettings& context)
    : runtime_(Runtime::acquire()), path_(std::move(path)), settings_(settings) {
  check_model_file(path_);
  const DevicePlan plan(path_, settings_, context);
  n_gpu_layers_ = plan.n_gpu_layers();
  n_devices_ = plan.n_devices();

  struct stat st;
  ::stat(path_.c_str(), &st);
  LOG_INFO("loading model '%s' (%s)", path_.c_str(), gib(st.st_size).c_str());
  model_ = llama_model_load_from_file(path_.c_str(), plan.params());
  if (!model_) {
    const uint64_t avail = available_memory();
    fail(ErrorKind::Runtime,
         "failed to load model '" + path_ + "': llama.cpp could not read it (corrupt or "
         "truncated GGUF, an unsupported architecture, or not enough memory; set "
         "WASI_NN_LOG_LEVEL=debug for llama.cpp's own reason). Memory needed: about " +
             gib(st.st_size) + " for the weights; available: " +
             (avail ? gib(avail) : std::string("unknown")) + ".");
  }
  vocab_ = llama_model_get_vocab(model_);
}

ModelWeights::~ModelWeights() {
  if (model_) llama_model_free(model_);
  LOG_INFO("freed model '%s'", path_.c_str());
}

uint32_t ModelWeights::n_ctx_train() const {
  return static_cast<uint32_t>(llama_model_n_ctx_train(model_));
}

std::string ModelWeights::description() const {
  char buf[256];
  llama_model_desc(model_, buf, sizeof buf);
  return buf;
}

}  // namespace wasi_nn
