// Runs llama.cpp's own tools (and our generators) as references: from the tests in tests/models
// (proofs of the generated files) and tests/core (parity of the engine with llama.cpp).
//
// llama.cpp's tools print through common_log's worker thread, which may not have written its
// last lines when the process exits (tests/support/log_drain.c). run_complete() therefore
// preloads the log drain and retries a run whose output is visibly incomplete; a run that
// exits non-zero fails at once.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace wasi_nn::test {

struct ToolRun {
  int status = -1;  // the exit status, or -1 when the process did not exit normally
  std::string out;  // stdout
  std::string err;  // stderr
};

// The path compiled in for a llama.cpp tool; empty when its target is absent from this build.
std::string completion_tool();
std::string mtmd_cli_tool();
std::string embedding_tool();
std::string speculative_tool();
std::string rpc_server_tool();  // ggml's rpc-server

// Runs `tool args...` with stdin from /dev/null and, for llama.cpp's tools, the log drain
// preloaded (when this build has one). Never goes through a shell: arguments need no quoting.
ToolRun run_tool(const std::string& tool, const std::vector<std::string>& args, bool preload_drain = true);

// Runs the tool until `complete(run)` holds (at most 6 times); throws std::runtime_error, with
// the command and the end of its stderr, when it exits non-zero or never completes.
ToolRun run_complete(const std::string& tool, const std::vector<std::string>& args,
                     const std::function<bool(const ToolRun&)>& complete);

// Output that ends with "\n\n": how llama-completion, llama-mtmd-cli and
// llama-speculative-simple finish a complete run. Returns stdout without that ending.
std::string run_to_blank_line(const std::string& tool, const std::vector<std::string>& args);

// Greedy text of llama-completion for `prompt` (no prompt echo), with extra arguments.
std::string greedy_completion(const std::string& model, const std::string& prompt, int n_predict,
                              const std::vector<std::string>& extra = {});

}  // namespace wasi_nn::test
