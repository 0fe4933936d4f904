// Runtime: process-wide llama.cpp state. llama_backend_init and the log callback are set up
// once, when the first holder appears, and torn down when the last one goes. WAMR calls
// init_backend once per wasm instance, so backends, models and engines each hold a reference
// instead of owning global state.
// Thread-safety: acquire() may be called from any thread.
#pragma once

#include <memory>

#include "ggml.h"

namespace wasi_nn {

// llama.cpp's log callback: whole lines to our sink (log.h). mtmd's own log uses it too.
void llama_log_to_sink(ggml_log_level level, const char* text, void* user);

class Runtime {
 public:
  static std::shared_ptr<Runtime> acquire();
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

 private:
  Runtime();
};

}  // namespace wasi_nn
