// Helpers for the tests of the C++ core (tests/core, tests/hardening's fault tests): a Backend
// as a native host creates it, one whole turn through the facade, the process-wide stats, and
// llama.cpp's own tools as references. Library wasi_nn_test_support (tests/support).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend/backend.h"
#include "core/base/error.h"
#include "support/test_files.h"
#include "support/tool_runner.h"

namespace wasi_nn {

// A Backend as a trusted native host creates it: models load by any path (unless the
// environment grants models, as for the seed ABI).
class HostBackend : public Backend {
 public:
  explicit HostBackend(std::string_view config_json = {})
      : Backend(BackendOptions{ModelAccess::Mode::Open}, config_json) {}
};

}  // namespace wasi_nn

namespace wasi_nn::test {

struct Output {
  std::string text;
  nlohmann::json meta;
};

// set_input(0, prompt) [+ set_input(1, request_json)] + compute + both outputs.
Output generate(Backend& b, uint32_t ctx, const std::string& prompt, const std::string& request_json = "");

// The error `f` throws; fails the test (and returns a Runtime error) when it throws none.
Error error_of(const std::function<void()>& f);

// The process-wide stats document (Backend::process_stats) as JSON.
nlohmann::json process_stats();
// Polls the stats until `ready` holds for them; fails the test (and returns false) after 60 s.
// Tests wait for a state of the engine (a queue depth, a sequence running) this way rather than
// sleeping for a time that a loaded machine may not honour.
bool wait_for_stats(const std::function<bool(const nlohmann::json&)>& ready);
size_t queue_depth(const nlohmann::json& stats);

// llama.cpp's own llama-completion, greedily, on a raw prompt, with the engine tests' threads,
// context and attention; returns only the generated text. Throws when it is not built.
std::string llama_completion_greedy(const std::string& model, const std::string& prompt, int n_predict);

// llama.cpp's own llama-embedding on `texts` (one prompt each) with the given pooling and
// normalisation; returns one vector per text (per token with pooling "none"). Throws when it
// is not built.
std::vector<std::vector<float>> llama_embedding_reference(const std::string& model,
                                                          const std::vector<std::string>& texts,
                                                          const std::string& pooling, int normalize);

}  // namespace wasi_nn::test
