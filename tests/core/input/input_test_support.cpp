#include "input_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

namespace wasi_nn::test {
namespace {

struct ThreadCall {
  const std::function<void()>* fn;
};

void* thread_main(void* arg) {
  (*static_cast<ThreadCall*>(arg)->fn)();
  return nullptr;
}

size_t vm_bytes() {
  std::ifstream f("/proc/self/statm");
  size_t pages = 0;
  f >> pages;
  return pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

[[noreturn]] void child(const std::function<void()>& fn, size_t stack_bytes, size_t memory_bytes) {
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE}) signal(sig, SIG_DFL);
  struct rlimit none = {0, 0};
  setrlimit(RLIMIT_CORE, &none);
  const rlim_t as = vm_bytes() + memory_bytes;
  struct rlimit cap = {as, as};
  setrlimit(RLIMIT_AS, &cap);
  if (stack_bytes == 0) {
    fn();
  } else {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack_bytes);
    ThreadCall call{&fn};
    pthread_t t;
    if (pthread_create(&t, &attr, thread_main, &call) != 0) _exit(90);
    pthread_join(t, nullptr);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  const size_t peak = static_cast<size_t>(ru.ru_maxrss) * 1024;
  _exit(peak > memory_bytes / 4 ? 3 : 0);
}

}  // namespace

std::string ChildOutcome::describe() const {
  std::ostringstream s;
  if (finished) s << "finished (exit " << exit_code << ")";
  if (signal) s << "killed by signal " << signal;
  if (timed_out) s << "still running at the deadline";
  if (over_memory) s << ", over the memory budget";
  s << " after " << seconds << " s";
  return s.str();
}

ChildOutcome run_in_child(const std::function<void()>& fn, int timeout_ms, size_t stack_bytes, size_t memory_bytes) {
  const auto start = std::chrono::steady_clock::now();
  fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) child(fn, stack_bytes, memory_bytes);
  ChildOutcome out;
  int status = 0;
  while (true) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(timeout_ms)) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      out.timed_out = true;
      break;
    }
    usleep(2000);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!out.timed_out && WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  if (WIFEXITED(status)) {
    out.finished = true;
    out.exit_code = WEXITSTATUS(status);
    out.over_memory = out.exit_code == 3;
  }
  return out;
}

std::string nested(size_t n, const std::string& open, const std::string& close, const std::string& middle) {
  std::string s;
  s.reserve(n * (open.size() + close.size()) + middle.size());
  for (size_t i = 0; i < n; ++i) s += open;
  s += middle;
  for (size_t i = 0; i < n; ++i) s += close;
  return s;
}

std::vector<std::string> files_in(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(dir + "/" + name);
      }
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string llama_dir() { return WASI_NN_LLAMA_SOURCE_DIR; }

}  // namespace wasi_nn::test
