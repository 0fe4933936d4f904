#include "core/input/template_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <new>

#include "core/base/error.h"

namespace wasi_nn {
namespace {

enum : char { kOk = 'O', kThrew = 'E', kNoMemory = 'M' };

// The child's own address space size (VmSize), read without allocating.
size_t current_vm_bytes() {
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[64] = {0};
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return 0;
  size_t pages = 0;
  for (const char* p = buf; *p >= '0' && *p <= '9'; ++p) pages = pages * 10 + static_cast<size_t>(*p - '0');
  return pages * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

void write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

void set_limit(int resource, rlim_t value) {
  struct rlimit rl = {value, value};
  ::setrlimit(resource, &rl);
}

[[noreturn]] void child_main(int fd, const std::function<std::string()>& work, const SandboxLimits& limits) {
  // The host's handlers (WAMR's guard-page handler, a runtime's crash reporter) are not for us.
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGXCPU, SIGPIPE, SIGTERM}) ::signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  set_limit(RLIMIT_CORE, 0);
  set_limit(RLIMIT_CPU, static_cast<rlim_t>(limits.wall_ms / 1000 + 2));
  const size_t vm = current_vm_bytes();
  if (vm > 0) set_limit(RLIMIT_AS, static_cast<rlim_t>(vm + limits.memory_bytes));
  std::string out(1, kOk);
  try {
    out += work();
    if (out.size() > limits.output_bytes + 1) out = std::string(1, kThrew) + "produced more than the output limit";
  } catch (const std::bad_alloc&) {
    out.assign(1, kNoMemory);
  } catch (const std::exception& e) {
    out = std::string(1, kThrew) + e.what();
  } catch (...) {
    out = std::string(1, kThrew) + "threw an unknown exception";
  }
  write_all(fd, out.data(), out.size());
  ::_exit(0);
}

struct ChildResult {
  std::string data;
  bool complete = false;  // EOF seen
  bool timed_out = false;
  bool too_large = false;
  bool have_status = false;
  int status = 0;
  double cpu_ms = 0;
  double wall_ms = 0;
};

ChildResult run_child(const std::function<std::string()>& work, const SandboxLimits& limits) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    fail(ErrorKind::Runtime, std::string("could not create a pipe for the template renderer: ") + std::strerror(errno));
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    fail(ErrorKind::Runtime, std::string("could not start the template renderer (fork): ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(fds[1], work, limits);
  }
  ::close(fds[1]);
  ChildResult r;
  const auto deadline = start + std::chrono::milliseconds(limits.wall_ms);
  char buf[65536];
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      break;
    }
    struct pollfd p = {fds[0], POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      r.timed_out = true;
      break;
    }
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      r.complete = n == 0;
      break;
    }
    r.data.append(buf, static_cast<size_t>(n));
    if (r.data.size() > limits.output_bytes + 1) {
      r.too_large = true;
      break;
    }
  }
  if (!r.complete) ::kill(pid, SIGKILL);
  ::close(fds[0]);
  struct rusage ru = {};
  int status = 0;
  pid_t w;
  do {
    w = ::wait4(pid, &status, 0, &ru);
  } while (w < 0 && errno == EINTR);
  // ECHILD: the host reaps children itself (SIGCHLD ignored or a reaper); the pipe tells.
  r.have_status = w == pid;
  r.status = status;
  r.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
  r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::string describe_signal(int sig) {
  switch (sig) {
    case SIGSEGV:
    case SIGBUS:
      return "crashed (signal " + std::to_string(sig) +
             ": most likely unbounded recursion, "
             "such as a macro that calls itself, overflowing the stack)";
    case SIGXCPU: return "used up its CPU time";
    case SIGABRT: return "aborted (signal 6; most often out of memory)";
    case SIGKILL: return "was killed (signal 9; most often by the kernel for memory)";
    default: return "was killed by signal " + std::to_string(sig);
  }
}

}  // namespace

std::string run_sandboxed(const std::function<std::string()>& work, const SandboxLimits& limits,
                          const std::string& what) {
  ChildResult r = run_child(work, limits);
  // Blocked on a lock inherited from another thread rather than busy: try once more.
  if (r.timed_out && r.have_status && r.cpu_ms * 10 < r.wall_ms) r = run_child(work, limits);
  if (r.timed_out) {
    fail(ErrorKind::InvalidArgument, what + " ran longer than " + std::to_string(limits.wall_ms) +
                                         " ms and was stopped; templates must render in bounded "
                                         "time (no huge ranges, repetitions or recursion)");
  }
  if (r.too_large) {
    fail(ErrorKind::InvalidArgument,
         what + " produced more than " + std::to_string(limits.output_bytes) + " bytes and was stopped");
  }
  if (r.have_status && WIFSIGNALED(r.status)) {
    fail(ErrorKind::InvalidArgument, what + " " + describe_signal(WTERMSIG(r.status)) + " while rendering");
  }
  if (!r.complete || r.data.empty() || (r.have_status && (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0))) {
    fail(ErrorKind::InvalidArgument, what + " renderer ended without a result");
  }
  if (r.data[0] == kNoMemory) {
    fail(ErrorKind::InvalidArgument, what + " needed more than " + std::to_string(limits.memory_bytes >> 20) +
                                         " MiB of memory while rendering and was stopped");
  }
  if (r.data[0] == kThrew) fail(ErrorKind::InvalidArgument, what + " failed: " + r.data.substr(1));
  return r.data.substr(1);
}

}  // namespace wasi_nn
