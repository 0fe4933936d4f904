#include "core/base/runtime.h"

#include <string>

#include "core/base/log.h"
#include "core/base/mutex.h"
#include "llama.h"

namespace wasi_nn {
namespace {

Mutex g_mu;
std::weak_ptr<Runtime> g_runtime GUARDED_BY(g_mu);

}  // namespace

// llama.cpp logs in fragments (GGML_LOG_LEVEL_CONT continues the previous line); buffer per
// thread and emit whole lines through our sink.
void llama_log_to_sink(ggml_log_level level, const char* text, void*) {
  thread_local std::string line;
  thread_local LogLevel line_level = LogLevel::Debug;
  if (level != GGML_LOG_LEVEL_CONT) {
    switch (level) {
      case GGML_LOG_LEVEL_ERROR: line_level = LogLevel::Error; break;
      case GGML_LOG_LEVEL_WARN: line_level = LogLevel::Warn; break;
      // llama.cpp's INFO is very chatty (every tensor, every context): our debug.
      default: line_level = LogLevel::Debug; break;
    }
  }
  line += text ? text : "";
  if (!line.empty() && line.back() == '\n') {
    log_write(line_level, line, LogSource::Llama);
    line.clear();
  }
}

Runtime::Runtime() {
  llama_log_set(llama_log_to_sink, nullptr);
  llama_backend_init();
  LOG_INFO("llama.cpp backend initialised");
}

Runtime::~Runtime() {
  llama_backend_free();
  LOG_INFO("llama.cpp backend released");
}

std::shared_ptr<Runtime> Runtime::acquire() {
  MutexLock lock(g_mu);
  std::shared_ptr<Runtime> rt = g_runtime.lock();
  if (!rt) {
    rt = std::shared_ptr<Runtime>(new Runtime());
    g_runtime = rt;
  }
  return rt;
}

}  // namespace wasi_nn
