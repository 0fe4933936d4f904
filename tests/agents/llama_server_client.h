// llama.cpp's own llama-server (built from the same llama.cpp, WASI_NN_BUILD_LLAMA_TOOLS) as a
// reference: started on a free loopback port for one model, asked over plain HTTP/1.1, stopped
// when the object goes.
#pragma once

#include <sys/types.h>
#include <nlohmann/json.hpp>
#include <string>

namespace wasi_nn::agents {

class LlamaServer {
 public:
  static bool available();  // built?
  // Starts it on `model` (2 threads, one slot, no warm-up); waits for /health. Throws on failure.
  explicit LlamaServer(const std::string& model);
  ~LlamaServer();
  LlamaServer(const LlamaServer&) = delete;
  LlamaServer& operator=(const LlamaServer&) = delete;

  // POSTs `body` to `path`; returns the JSON answer. Throws on a failed request.
  nlohmann::json post(const std::string& path, const nlohmann::json& body) const;

 private:
  std::string request(const std::string& head, const std::string& body) const;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace wasi_nn::agents
