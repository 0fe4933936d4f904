#include "support/core_helpers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <thread>

namespace wasi_nn::test {

Output generate(Backend& b, uint32_t ctx, const std::string& prompt, const std::string& request_json) {
  b.set_input(ctx, 0, prompt);
  if (!request_json.empty()) b.set_input(ctx, 1, request_json);
  b.compute(ctx);
  std::string buf(1 << 20, '\0');
  Output out;
  out.text.assign(buf.data(), b.get_output(ctx, 0, buf.data(), buf.size()));
  size_t n = b.get_output(ctx, 1, buf.data(), buf.size());
  out.meta = nlohmann::json::parse(buf.substr(0, n));
  return out;
}

Error error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error";
  return Error(ErrorKind::Runtime, "none");
}

nlohmann::json process_stats() {
  std::string buf(1 << 20, '\0');
  return nlohmann::json::parse(buf.substr(0, Backend::process_stats(buf.data(), buf.size())));
}

bool wait_for_stats(const std::function<bool(const nlohmann::json&)>& ready) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ready(process_stats())) {
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "the engine did not reach the awaited state within 60 s: " << process_stats().dump();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

size_t queue_depth(const nlohmann::json& stats) { return stats["queue_depth"].get<size_t>(); }

namespace {

// The engine tests' settings (2 threads, a 512-token context, no flash attention), after a
// tool's own defaults: llama.cpp's argument parser keeps the last value given.
const std::vector<std::string> kEngineLikeArgs = {"-t", "2", "-c", "512", "-fa", "off"};

void require_tool(const std::string& tool, const char* name) {
  if (tool.empty()) throw std::runtime_error(std::string(name) + " was not built");
}

}  // namespace

std::string llama_completion_greedy(const std::string& model, const std::string& prompt, int n_predict) {
  require_tool(completion_tool(), "llama-completion");
  return greedy_completion(model, prompt, n_predict, kEngineLikeArgs);
}

std::vector<std::vector<float>> llama_embedding_reference(const std::string& model,
                                                          const std::vector<std::string>& texts,
                                                          const std::string& pooling, int normalize) {
  require_tool(embedding_tool(), "llama-embedding");
  std::string joined;
  for (const auto& t : texts) joined += (joined.empty() ? "" : "\n") + t;  // its default separator
  std::vector<std::string> args = {"-m",
                                   model,
                                   "-p",
                                   joined,
                                   "--pooling",
                                   pooling,
                                   "--embd-normalize",
                                   std::to_string(normalize),
                                   "--embd-output-format",
                                   "array",
                                   "--no-warmup"};
  args.insert(args.end(), kEngineLikeArgs.begin(), kEngineLikeArgs.end());
  // A run cut short by its log thread prints no complete array: run_complete retries it.
  nlohmann::json parsed;
  auto complete = [&](const ToolRun& r) {
    const size_t open = r.out.find('['), close = r.out.rfind(']');
    if (open == std::string::npos || close == std::string::npos || close < open) return false;
    parsed = nlohmann::json::parse(r.out.substr(open, close - open + 1), nullptr, false);
    return !parsed.is_discarded();
  };
  run_complete(embedding_tool(), args, complete);
  return parsed.get<std::vector<std::vector<float>>>();
}

}  // namespace wasi_nn::test
