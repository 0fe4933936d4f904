// context_fuzz: a fork-per-case fuzzer over load configs and request settings that creates real
// llama.cpp contexts on the tiny test models and runs requests on them, through the seed C ABI.
//
//   context_fuzz --models-dir DIR[:DIR...] [--cases N] [--seconds S] [--seed N] [--first N] [--jobs J]
//                [--timeout S] [--memory-mb M] [--out DIR] [--stop-on-crash] [--models a,b]
//   context_fuzz --models-dir DIR --replay FILE.json [--no-fork]   run one saved case, say how it ended
//   context_fuzz --print N [--seed N]                    print case N as JSON
//
// Each case (context_case.h: decoded from its number, so a run is reproducible from its seed)
// runs in a child forked for it; the parent never calls the library, so each child starts from
// a clean process. A child that dies by a signal (an abort in llama.cpp is SIGABRT) or exits
// otherwise than 0 is a finding: its case is written to --out as crash-<seed>-<case>.json with
// the end of its stderr. A child over --timeout is killed and saved as hang-*.json (reported,
// not counted as a crash: on a loaded machine a slow case is not a defect by itself).
// SIGINT or SIGTERM stops the run after the running cases and prints the summary.
// Exit status: 0 when no case crashed, 1 otherwise, 2 on a usage error.
//
// Why a standalone driver and not libFuzzer: the findings are process deaths, so every case
// needs its own process; coverage counters do not come back from a forked child, and the code
// that aborts (llama.cpp) is not instrumented anyway. The space that matters is structured (a
// few dozen keys, each with a handful of boundary values), which a seeded generator covers well,
// and a plain build can run it as a ctest.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "context_case.h"
#include "context_child.h"

namespace {

using namespace context_fuzz;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string models_dir;
  std::vector<std::string> models = {"tiny-llama.gguf", "tiny-qwen2.gguf",     "tiny-phi3.gguf",
                                     "tiny-bert.gguf",  "tiny-llama-h64.gguf", "tiny-llama-h96.gguf"};
  uint64_t cases = 0;  // 0: no limit (then --seconds bounds the run)
  double seconds = 0;
  uint64_t seed = 1;
  uint64_t first = 0;
  int jobs = 1;
  int timeout = 120;
  uint64_t memory_mb = 4096;
  std::string out = "context-fuzz-out";
  bool stop_on_crash = false;
  bool no_fork = false;  // --replay in this process (to run it under a debugger)
  std::string replay;
  long long print = -1;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "context_fuzz: %s\nusage: context_fuzz --models-dir DIR [--cases N] [--seconds S] "
               "[--seed N] [--first N] [--jobs J] [--timeout S] [--memory-mb M] [--out DIR] "
               "[--stop-on-crash] [--models a,b] | --replay FILE | --print N\n",
               why);
  std::exit(2);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--stop-on-crash") {
      o.stop_on_crash = true;
      continue;
    }
    if (a == "--no-fork") {
      o.no_fork = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--models-dir")
      o.models_dir = v;
    else if (a == "--models")
      o.models = split(v);
    else if (a == "--cases")
      o.cases = std::stoull(v);
    else if (a == "--seconds")
      o.seconds = std::stod(v);
    else if (a == "--seed")
      o.seed = std::stoull(v);
    else if (a == "--first")
      o.first = std::stoull(v);
    else if (a == "--jobs")
      o.jobs = std::max(1, std::stoi(v));
    else if (a == "--timeout")
      o.timeout = std::max(1, std::stoi(v));
    else if (a == "--memory-mb")
      o.memory_mb = std::stoull(v);
    else if (a == "--out")
      o.out = v;
    else if (a == "--replay")
      o.replay = v;
    else if (a == "--print")
      o.print = std::stoll(v);
    else
      usage(("unknown option " + a).c_str());
  }
  if (o.print < 0 && o.models_dir.empty()) usage("--models-dir is required");
  if (o.print < 0 && o.replay.empty() && o.cases == 0 && o.seconds <= 0) usage("give --cases or --seconds");
  if (o.models.empty()) usage("--models lists no model");
  return o;
}

double elapsed(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

// SIGINT / SIGTERM: start no more cases, let the running ones end, print the summary. A second
// signal ends the run at once (the handler is reset to the default).
volatile sig_atomic_t g_stop = 0;
void on_stop(int sig) {
  g_stop = 1;
  signal(sig, SIG_DFL);
}

// One running child.
struct Running {
  pid_t pid = 0;
  Case c;
  int report_fd = -1;  // read end of the child's report pipe
  int slot = 0;        // which of the --jobs stderr files it writes
  std::string stderr_path;
  Clock::time_point start;
};

// In the child: bounds it (memory, no core files, a timer), quiets the library's log (llama.cpp's
// assertion message still reaches stderr) and runs the case. Never returns.
[[noreturn]] void child_main(const Options& o, const Case& c, int report_fd, const std::string& stderr_path) {
  const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (err >= 0) dup2(err, 2);
  const int null = open("/dev/null", O_WRONLY);
  if (null >= 0) dup2(null, 1);
  rlimit mem{o.memory_mb << 20, o.memory_mb << 20};
  setrlimit(RLIMIT_AS, &mem);
  rlimit core{0, 0};
  setrlimit(RLIMIT_CORE, &core);
  setenv("WASI_NN_LOG_LEVEL", "error", 1);
  setenv("GGML_NO_BACKTRACE", "1", 1);  // ggml would otherwise attach gdb to print a backtrace
  alarm(static_cast<unsigned>(o.timeout));
  std::exit(run_case(c, o.models_dir, report_fd));
}

Running start(const Options& o, const Case& c, int slot) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(2);
  }
  Running r;
  r.c = c;
  r.slot = slot;
  r.stderr_path = o.out + "/.slot" + std::to_string(slot) + ".stderr";
  r.start = Clock::now();
  std::fflush(nullptr);
  r.pid = fork();
  if (r.pid < 0) {
    std::perror("fork");
    std::exit(2);
  }
  if (r.pid == 0) {
    close(fds[0]);
    child_main(o, c, fds[1], r.stderr_path);
  }
  close(fds[1]);
  r.report_fd = fds[0];
  return r;
}

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

std::string tail_of_file(const std::string& path, size_t max = 4000) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  return s.size() <= max ? s : s.substr(s.size() - max);
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\')
      out += '\\', out += static_cast<char>(ch);
    else if (ch == '\n')
      out += "\\n";
    else if (ch < 0x20 || ch >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", ch);
      out += b;
    } else
      out += static_cast<char>(ch);
  }
  return out + "\"";
}

// How a child ended, in words: "ok", "exit 3", "signal 6 (Aborted)", "timeout".
std::string outcome(int status, bool timed_out) {
  if (timed_out) return "timeout";
  if (WIFEXITED(status)) return WEXITSTATUS(status) == kChildOk ? "ok" : "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "status " + std::to_string(status);
}

struct Totals {
  uint64_t cases = 0, crashes = 0, hangs = 0;
  long long first_crash = -1;  // case number
  uint64_t cases_to_first_crash = 0;
  std::map<std::string, uint64_t> codes;             // "load=0" -> count
  std::map<std::string, uint64_t> why;               // start of a failed load's message -> count
  std::vector<std::pair<double, uint64_t>> slowest;  // (seconds, case), the few slowest
};

void note_time(Totals& t, double secs, uint64_t id) {
  t.slowest.emplace_back(secs, id);
  std::sort(t.slowest.rbegin(), t.slowest.rend());
  if (t.slowest.size() > 5) t.slowest.pop_back();
}

void count_codes(const std::string& report, Totals& t) {
  std::stringstream ss(report);
  for (std::string item; ss >> item;) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    const std::string call = item.substr(0, eq);
    if (call == "load" || call == "compute" || call == "run_inference" || call == "compute_single" || call == "open")
      ++t.codes[item];
    if (call == "why") ++t.why[item.substr(eq + 1)];
  }
}

// Saves the case of a child that crashed or hung; returns the file written.
std::string save_reproducer(const Options& o, const Running& r, const std::string& how, const std::string& report) {
  const std::string kind = how == "timeout" ? "hang" : "crash";
  const std::string path = o.out + "/" + kind + "-" + std::to_string(o.seed) + "-" + std::to_string(r.c.id) + ".json";
  const std::string extra = "{\"seed\": " + std::to_string(o.seed) + ", \"outcome\": " + json_string(how) +
                            ", \"codes\": " + json_string(report) +
                            ", \"stderr_tail\": " + json_string(tail_of_file(r.stderr_path)) + "}";
  std::ofstream(path) << case_to_json(r.c, extra);
  return path;
}

void finish(const Options& o, Running& r, int status, bool timed_out, Totals& t) {
  const std::string report = read_all(r.report_fd);
  close(r.report_fd);
  ++t.cases;
  count_codes(report, t);
  note_time(t, elapsed(r.start), r.c.id);
  const std::string how = outcome(status, timed_out);
  if (how == "ok") return;
  const std::string path = save_reproducer(o, r, how, report);
  if (timed_out) {
    ++t.hangs;
  } else {
    ++t.crashes;
    if (t.first_crash < 0) t.first_crash = static_cast<long long>(r.c.id), t.cases_to_first_crash = t.cases;
  }
  std::fprintf(stderr, "context_fuzz: case %llu: %s; reproducer %s\n  load %s\n",
               static_cast<unsigned long long>(r.c.id), how.c_str(), path.c_str(), r.c.load.c_str());
}

// Waits for any child; kills children over the timeout (the child's own alarm is the first
// line of defence; this one also covers a child that blocks SIGALRM).
void reap_one(const Options& o, std::vector<Running>& running, Totals& t) {
  for (;;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (size_t i = 0; i < running.size(); ++i) {
        if (running[i].pid != pid) continue;
        const bool alarm_hit = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
        const bool killed =
            WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && elapsed(running[i].start) >= o.timeout;
        finish(o, running[i], status, alarm_hit || killed, t);
        running.erase(running.begin() + static_cast<long>(i));
        return;
      }
      continue;
    }
    for (auto& r : running) {
      if (elapsed(r.start) > o.timeout + 10) kill(r.pid, SIGKILL);
    }
    usleep(2000);
  }
}

// The lowest stderr slot no running child writes.
int free_slot(const std::vector<Running>& running) {
  for (int slot = 0;; ++slot) {
    bool used = false;
    for (const auto& r : running) used = used || r.slot == slot;
    if (!used) return slot;
  }
}

int run_campaign(const Options& o) {
  mkdir(o.out.c_str(), 0755);
  Totals t;
  const auto t0 = Clock::now();
  auto last_progress = t0;
  std::vector<Running> running;
  uint64_t next = o.first;
  auto more = [&] {
    if (o.cases && next - o.first >= o.cases) return false;
    if (o.seconds > 0 && elapsed(t0) >= o.seconds) return false;
    return !g_stop && !(o.stop_on_crash && t.crashes > 0);
  };
  signal(SIGINT, on_stop);
  signal(SIGTERM, on_stop);
  while (more() || !running.empty()) {
    while (more() && static_cast<int>(running.size()) < o.jobs) {
      running.push_back(start(o, generate_case(o.seed, next, o.models), free_slot(running)));
      ++next;
    }
    reap_one(o, running, t);
    if (elapsed(last_progress) >= 60) {
      last_progress = Clock::now();
      std::fprintf(stderr, "context_fuzz: %.0f s, %llu cases (%.2f/s), %llu crashes, %llu hangs\n", elapsed(t0),
                   static_cast<unsigned long long>(t.cases), t.cases / elapsed(t0),
                   static_cast<unsigned long long>(t.crashes), static_cast<unsigned long long>(t.hangs));
    }
  }
  const double secs = elapsed(t0);
  std::printf(
      "context_fuzz: seed %llu, cases %llu..%llu: %llu cases in %.0f s (%.2f cases/s, %d jobs), %llu crashes, %llu "
      "hangs\n",
      static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(o.first),
      static_cast<unsigned long long>(next - 1), static_cast<unsigned long long>(t.cases), secs,
      t.cases / std::max(secs, 1e-9), o.jobs, static_cast<unsigned long long>(t.crashes),
      static_cast<unsigned long long>(t.hangs));
  if (t.first_crash >= 0) {
    std::printf("context_fuzz: first crash: case %lld, the %llu-th case run\n", t.first_crash,
                static_cast<unsigned long long>(t.cases_to_first_crash));
  }
  std::printf("context_fuzz: codes:");
  for (const auto& [code, n] : t.codes) std::printf(" %s:%llu", code.c_str(), static_cast<unsigned long long>(n));
  std::printf("\ncontext_fuzz: failed loads:");
  for (const auto& [why, n] : t.why) std::printf("\n  %6llu  %s", static_cast<unsigned long long>(n), why.c_str());
  std::printf("\ncontext_fuzz: slowest cases:");
  for (const auto& [secs, id] : t.slowest) std::printf(" %llu (%.1f s)", static_cast<unsigned long long>(id), secs);
  std::printf("\n");
  return t.crashes ? 1 : 0;
}

int replay(const Options& o) {
  std::ifstream in(o.replay);
  std::stringstream ss;
  ss << in.rdbuf();
  if (o.no_fork) return run_case(case_from_json(ss.str()), o.models_dir, 1);  // for a debugger
  Options one = o;
  mkdir(one.out.c_str(), 0755);
  Running r = start(one, case_from_json(ss.str()), 0);
  int status = 0;
  waitpid(r.pid, &status, 0);
  const std::string report = read_all(r.report_fd);
  const std::string how = outcome(status, WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
  std::printf("context_fuzz: replay %s: %s; codes: %s", o.replay.c_str(), how.c_str(),
              report.empty() ? "\n" : report.c_str());
  if (how != "ok") std::printf("%s", tail_of_file(r.stderr_path).c_str());
  return how == "ok" ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  if (o.print >= 0) {
    std::printf("%s", case_to_json(generate_case(o.seed, static_cast<uint64_t>(o.print), o.models)).c_str());
    return 0;
  }
  return o.replay.empty() ? run_campaign(o) : replay(o);
}
