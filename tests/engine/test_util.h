// Helpers shared by the engine tests: model paths, a Backend-level generate(), JSON access.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.h"

namespace wasi_nn::test {

std::string model_path(const std::string& name);  // e.g. "tiny-llama"

struct Output {
  std::string text;
  nlohmann::json meta;
};

// set_input(0, prompt) [+ set_input(1, request_json)] + compute + both outputs.
Output generate(Backend& b, uint32_t ctx, const std::string& prompt, const std::string& request_json = "");

// Runs llama.cpp's own llama-completion greedily on a raw prompt; returns only the generated text.
std::string llama_completion_greedy(const std::string& model, const std::string& prompt, int n_predict);

// Runs llama.cpp's own llama-embedding on `texts` (one prompt each) with the given pooling and
// normalisation; returns one vector per text (per token with pooling "none").
std::vector<std::vector<float>> llama_embedding_reference(const std::string& model, const std::vector<std::string>& texts,
                                                          const std::string& pooling, int normalize);

}  // namespace wasi_nn::test
