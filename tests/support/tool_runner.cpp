#include "support/tool_runner.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include "support/test_files.h"

namespace wasi_nn::test {

std::string completion_tool() { return WASI_NN_LLAMA_COMPLETION; }
std::string mtmd_cli_tool() { return WASI_NN_LLAMA_MTMD_CLI; }
std::string embedding_tool() { return WASI_NN_LLAMA_EMBEDDING; }
std::string speculative_tool() { return WASI_NN_LLAMA_SPECULATIVE; }
std::string rpc_server_tool() { return WASI_NN_RPC_SERVER; }

namespace {

// A temporary file for one of the child's output streams; removed with the object.
struct TempFile {
  std::string path;
  int fd = -1;
  TempFile() {
    char tmpl[] = "/tmp/wasi-nn-models-test-XXXXXX";
    fd = mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    path = tmpl;
  }
  ~TempFile() {
    close(fd);
    unlink(path.c_str());
  }
};

std::string describe(const std::string& tool, const std::vector<std::string>& args) {
  std::string s = tool;
  for (const auto& a : args) s += " " + a;
  return s;
}

std::string tail(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(s.size() - n); }

}  // namespace

ToolRun run_tool(const std::string& tool, const std::vector<std::string>& args, bool preload_drain) {
  TempFile out, err;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(tool.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string drain = preload_drain ? WASI_NN_LOG_DRAIN : "";

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0 || dup2(out.fd, 1) < 0 || dup2(err.fd, 2) < 0) _exit(126);
    if (!drain.empty()) setenv("LD_PRELOAD", drain.c_str(), 1);
    execv(tool.c_str(), argv.data());
    _exit(127);
  }
  int wstatus = 0;
  if (waitpid(pid, &wstatus, 0) != pid) throw std::runtime_error("waitpid failed");
  ToolRun run;
  run.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
  run.out = read_file(out.path);
  run.err = read_file(err.path);
  return run;
}

ToolRun run_complete(const std::string& tool, const std::vector<std::string>& args,
                     const std::function<bool(const ToolRun&)>& complete) {
  for (int attempt = 0; attempt < 6; ++attempt) {
    ToolRun run = run_tool(tool, args);
    if (run.status != 0) {
      throw std::runtime_error(describe(tool, args) + "\nexited with status " + std::to_string(run.status) +
                               "\n--- end of stderr:\n" + tail(run.err, 3000));
    }
    if (complete(run)) return run;
  }
  throw std::runtime_error(describe(tool, args) + "\nnever printed a complete output");
}

std::string run_to_blank_line(const std::string& tool, const std::vector<std::string>& args) {
  auto ends_blank = [](const ToolRun& r) {
    return r.out.size() >= 2 && r.out.compare(r.out.size() - 2, 2, "\n\n") == 0;
  };
  std::string out = run_complete(tool, args, ends_blank).out;
  out.resize(out.size() - 2);
  return out;
}

std::string greedy_completion(const std::string& model, const std::string& prompt, int n_predict,
                              const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"-m",          model,
                                   "-p",          prompt,
                                   "-n",          std::to_string(n_predict),
                                   "--temp",      "0",
                                   "-no-cnv",     "--no-display-prompt",
                                   "--no-warmup", "-t",
                                   "1",           "-c",
                                   "256",         "--simple-io"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_to_blank_line(completion_tool(), args);
}

}  // namespace wasi_nn::test
