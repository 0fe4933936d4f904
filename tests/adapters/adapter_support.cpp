#include "adapters/adapter_support.h"

namespace wasi_nn::test {

std::string lora_config(const std::string& entries, const std::string& more) {
  return R"({"ctx_size": 512, "threads": 2, "n_predict": )" + std::to_string(kTokens) + R"(, "lora": [)" + entries +
         "]" + (more.empty() ? "" : ", " + more) + "}";
}

std::string lora_entry(const std::string& file, const std::string& scale) {
  return R"({"path": ")" + model_file(file) + "\"" + (scale.empty() ? "" : R"(, "scale": )" + scale) + "}";
}

std::string greedy_text(Backend& b, uint32_t g, const std::string& request_keys) {
  std::string request = kGreedyRaw;
  if (!request_keys.empty()) request = request.substr(0, request.size() - 1) + ", " + request_keys + "}";
  return generate(b, b.init_execution_context(g), kPrompt, request).text;
}

std::string reference_text(const std::string& model, const std::vector<std::string>& extra) {
  std::vector<std::string> args = extra;
  // As the engine loads: 2 threads, a 512-token context, no flash attention.
  for (const char* a : {"-t", "2", "-c", "512", "-fa", "off"}) args.push_back(a);
  return greedy_completion(model_file(model), kPrompt, kTokens, args);
}

}  // namespace wasi_nn::test
