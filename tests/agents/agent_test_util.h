// Helpers of the agent tests: a backend with one tiny model loaded, one-call requests and
// streams through the core facade, and the test tools.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/backend/backend.h"
#include "core/base/error.h"

namespace wasi_nn::agents {

using json = nlohmann::json;

// A model of tests/models.cmake ("tiny-qwen25-tools", "tiny-phi3").
std::string model_path(const std::string& name);

struct Reply {
  std::string text;  // output 0
  json meta;         // output 1
};

struct Piece {
  std::string text;  // output_single 0
  json meta;         // output_single 1
};

// A trusted native host's backend with `model` loaded (ctx_size 1024 unless `load` says else).
class Agent {
 public:
  explicit Agent(const std::string& model, const json& load = json::object(), const std::string& backend_config = "");
  Backend& backend() { return backend_; }
  uint32_t graph() const { return graph_; }
  uint32_t context();
  uint32_t session(const std::string& id);

  // set_input(0, input) + set_input(1, settings) + compute; both outputs.
  Reply ask(uint32_t ctx, const std::string& input, const json& settings = json::object());
  // The same call, which must fail: the error.
  Error refuse(uint32_t ctx, const std::string& input, const json& settings = json::object());
  // A whole stream: every piece up to EndOfSequence; *last gets the outputs after it.
  std::vector<Piece> stream(uint32_t ctx, const std::string& input, const json& settings, Reply* last);

 private:
  Backend backend_;
  uint32_t graph_ = 0;
};

// Two functions with bounded arguments (short strings, an enum, small integers), so a random
// model under the call grammar always finishes a call.
json test_tools();

// The messages of one user question, as a JSON array string.
std::string user_messages(const std::string& text);

}  // namespace wasi_nn::agents
