#include "test_util.h"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <thread>
#include <cstdio>
#include <stdexcept>

namespace wasi_nn::test {

std::string model_path(const std::string& name) {
  return std::string(WASI_NN_TEST_MODEL_DIR) + "/" + name + ".gguf";
}

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

// Writes `text` to a fresh temporary file (so no shell quoting can change it); returns its path.
std::string temp_file(const std::string& text) {
  char tmpl[] = "/tmp/wasi-nn-prompt-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  FILE* f = fdopen(fd, "w");
  fputs(text.c_str(), f);
  fclose(f);
  return tmpl;
}

std::string run_tool(const std::string& command) {
  const std::string drain = WASI_NN_LOG_DRAIN;
  const std::string cmd = drain.empty() ? command : "LD_PRELOAD=" + drain + " " + command;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  if (pclose(p) != 0) throw std::runtime_error("tool failed: " + cmd);
  return out;
}

}  // namespace

std::vector<std::vector<float>> llama_embedding_reference(const std::string& model, const std::vector<std::string>& texts,
                                                          const std::string& pooling, int normalize) {
  const std::string tool = WASI_NN_LLAMA_EMBEDDING;
  if (tool.empty()) throw std::runtime_error("llama-embedding was not built");
  std::string joined;
  for (const auto& t : texts) joined += (joined.empty() ? "" : "\n") + t;  // its default separator
  const std::string file = temp_file(joined);
  const std::string cmd = tool + " -m " + model + " -f " + file + " --pooling " + pooling +
                          " --embd-normalize " + std::to_string(normalize) +
                          " --embd-output-format array --no-warmup -t 2 -c 512 -fa off 2>/dev/null";
  // Its log thread may exit before the last bytes are flushed (as llama-completion's; seen in a
  // third of the runs here): retry until the printed array parses.
  for (int attempt = 0; attempt < 12; ++attempt) {
    const std::string out = run_tool(cmd);
    const size_t open = out.find('['), close = out.rfind(']');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    auto parsed = nlohmann::json::parse(out.substr(open, close - open + 1), nullptr, false);
    if (parsed.is_discarded()) continue;
    remove(file.c_str());
    return parsed.get<std::vector<std::vector<float>>>();
  }
  remove(file.c_str());
  throw std::runtime_error("llama-embedding never printed a complete array: " + cmd);
}

std::string llama_completion_greedy(const std::string& model, const std::string& prompt, int n_predict) {
  const std::string tool = WASI_NN_LLAMA_COMPLETION;
  if (tool.empty()) throw std::runtime_error("llama-completion was not built");
  const std::string file = temp_file(prompt);
  const std::string cmd = tool + " -m " + model + " -f " + file + " -n " + std::to_string(n_predict) +
                          " --temp 0 -no-cnv --no-display-prompt --no-warmup -t 2 -c 512 -fa off --simple-io 2>/dev/null";
  // llama-completion prints through an asynchronous log thread and can exit before the last
  // pieces are flushed (seen under load); a complete run ends with its own "\n\n", so retry
  // until one does.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::string out = run_tool(cmd);
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) {
      out.resize(out.size() - 2);
      remove(file.c_str());
      return out;
    }
  }
  remove(file.c_str());
  throw std::runtime_error("llama-completion never printed a complete output: " + cmd);
}

}  // namespace wasi_nn::test
