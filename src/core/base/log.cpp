#include "core/base/log.h"

#include "core/base/mutex.h"

#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/base/error.h"

// llama.cpp's `common` helpers log through their own logger (common/log.h, whose macro names
// clash with ours, hence this one declaration): it cannot be routed into the sink, but its
// verbosity follows our level, and it never writes these lines to stdout.
void common_log_set_verbosity_thold(int verbosity);

namespace wasi_nn {
namespace {

thread_local bool t_in_callback = false;
// The tenant this thread logs for, and the verbosity it asked for (TenantLogScope).
thread_local uint64_t t_tenant = 0;
thread_local LogLevel t_tenant_level = LogLevel::None;

// Our level as common's verbosity threshold (common/log.h: OUTPUT 0, ERROR 1, WARN 2, INFO 3,
// DEBUG 5). common's logger writes to stderr, past the sink and its callback, and its error and
// warning lines carry tenants' text (a grammar with the prompt it was to constrain, a model's
// unparsed output, a template's error): it is silent unless the operator asked for debug, the
// level at which tenants' text is logged anyway (docs/SECURITY.md, "The host's log").
void follow_in_common(LogLevel level) {
  static const int kThold[] = {-1, -1, -1, -1, 5};
  common_log_set_verbosity_thold(kThold[static_cast<int>(level)]);
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Error: return "error";
    case LogLevel::Warn: return "warn";
    case LogLevel::Info: return "info";
    case LogLevel::Debug: return "debug";
    default: return "none";
  }
}

std::string utc_timestamp() {
  timeval tv{};
  ::gettimeofday(&tv, nullptr);
  std::tm tm{};
  ::gmtime_r(&tv.tv_sec, &tm);
  char buf[64];  // ample for any int fields, so the compiler sees no truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(tv.tv_usec / 1000));
  return buf;
}

std::string format_line(LogFormat format, LogLevel level, LogSource source, std::string msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) msg.pop_back();
  if (format == LogFormat::Json) {
    nlohmann::ordered_json j;
    j["ts"] = utc_timestamp();
    j["level"] = level_name(level);
    j["source"] = source == LogSource::Llama ? "llama" : "backend";
    if (t_tenant != 0) j["tenant"] = t_tenant;
    j["msg"] = msg;
    // llama.cpp may log bytes that are not UTF-8 (token pieces): replace, never throw.
    return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  const char tag = "-EWID"[static_cast<int>(level)];
  const std::string who = t_tenant != 0 ? "tenant " + std::to_string(t_tenant) + ": " : "";
  return std::string("[wasi-nn ") + tag + "] " + who + (source == LogSource::Llama ? "llama.cpp: " : "") + msg;
}

struct Sink {
  Mutex mu;
  FILE* file GUARDED_BY(mu) = stderr;  // stderr or a file we opened
  LogFormat format GUARDED_BY(mu) = LogFormat::Plain;
  LogCallback callback GUARDED_BY(mu) = nullptr;
  void* callback_user GUARDED_BY(mu) = nullptr;
  std::atomic<int> level{static_cast<int>(LogLevel::Warn)};
  bool env_level = false, env_format = false, env_file = false;  // set once, in the constructor

  Sink() NO_THREAD_SAFETY_ANALYSIS {  // nobody else sees the sink before it is built
    std::string problems;             // reported once the sink is set up: an operator's typo is not silent
    LogLevel lv;
    const char* env = std::getenv("WASI_NN_LOG_LEVEL");
    if (env && parse_log_level(env, &lv)) {
      level = static_cast<int>(lv);
      env_level = true;
    } else if (env) {
      problems += std::string("WASI_NN_LOG_LEVEL='") + env + "' is not none|error|warn|info|debug; ignored\n";
    }
    follow_in_common(static_cast<LogLevel>(level.load()));
    LogFormat fmt;
    env = std::getenv("WASI_NN_LOG_FORMAT");
    if (env && parse_log_format(env, &fmt)) {
      format = fmt;
      env_format = true;
    } else if (env) {
      problems += std::string("WASI_NN_LOG_FORMAT='") + env + "' is not plain|json; ignored\n";
    }
    const char* path = std::getenv("WASI_NN_LOG_FILE");
    if (path && *path) {
      if (FILE* f = std::fopen(path, "a")) {
        file = f;
        env_file = true;
      } else {
        problems += std::string("WASI_NN_LOG_FILE='") + path + "' cannot be opened for appending (" +
                    std::strerror(errno) + "); logging to stderr\n";
      }
    }
    for (size_t at = 0, end; (end = problems.find('\n', at)) != std::string::npos; at = end + 1) {
      if (level.load() >= static_cast<int>(LogLevel::Warn)) {
        std::fprintf(file, "%s\n",
                     format_line(format, LogLevel::Warn, LogSource::Backend, problems.substr(at, end - at)).c_str());
      }
    }
  }
};

Sink& sink() {
  static Sink* s = new Sink();  // leaked: llama.cpp may log from static destructors
  return *s;
}

}  // namespace

bool parse_log_level(const std::string& text, LogLevel* out) {
  static const struct {
    const char* name;
    LogLevel level;
  } kLevels[] = {{"none", LogLevel::None},
                 {"error", LogLevel::Error},
                 {"warn", LogLevel::Warn},
                 {"info", LogLevel::Info},
                 {"debug", LogLevel::Debug}};
  for (const auto& l : kLevels) {
    if (text == l.name) {
      *out = l.level;
      return true;
    }
  }
  return false;
}

bool parse_log_format(const std::string& text, LogFormat* out) {
  if (text == "plain")
    *out = LogFormat::Plain;
  else if (text == "json")
    *out = LogFormat::Json;
  else
    return false;
  return true;
}

void set_log_level(LogLevel level) {
  sink().level = static_cast<int>(level);
  follow_in_common(level);
}

void set_log_level_default(LogLevel level) {
  if (!sink().env_level) set_log_level(level);
}

LogLevel log_level() { return static_cast<LogLevel>(sink().level.load()); }

bool log_enabled(LogLevel level) {
  if (level == LogLevel::None) return false;
  return static_cast<int>(level) <= sink().level.load() || static_cast<int>(level) <= static_cast<int>(t_tenant_level);
}

TenantLogScope::TenantLogScope(uint64_t tenant, LogLevel verbosity)
    : prev_tenant_(t_tenant), prev_level_(t_tenant_level) {
  t_tenant = tenant;
  t_tenant_level = verbosity;
}

TenantLogScope::~TenantLogScope() {
  t_tenant = prev_tenant_;
  t_tenant_level = prev_level_;
}

void set_log_format_default(LogFormat format) {
  Sink& s = sink();
  if (s.env_format) return;
  MutexLock lock(s.mu);
  s.format = format;
}

void set_log_file_default(const std::string& path) {
  Sink& s = sink();
  if (s.env_file) return;
  FILE* f = stderr;
  if (!path.empty()) {
    f = std::fopen(path.c_str(), "a");
    if (!f) {
      fail(ErrorKind::InvalidArgument, "log_file '" + path + "' cannot be opened for appending (" +
                                           std::strerror(errno) + "); name a writable file");
    }
  }
  MutexLock lock(s.mu);
  if (s.file != stderr) std::fclose(s.file);
  s.file = f;
}

bool set_log_callback(LogCallback fn, void* user) {
  if (t_in_callback) return false;  // the sink's lock is held by this very thread
  Sink& s = sink();
  MutexLock lock(s.mu);
  s.callback = fn;
  s.callback_user = fn ? user : nullptr;
  return true;
}

void log_write(LogLevel level, const std::string& message, LogSource source) {
  if (!log_enabled(level) || t_in_callback) return;  // a callback's own logging is dropped
  Sink& s = sink();
  MutexLock lock(s.mu);
  const std::string line = format_line(s.format, level, source, message);
  if (s.callback) {
    struct InCallback {  // reset even if a C++ host's callback throws
      InCallback() { t_in_callback = true; }
      ~InCallback() { t_in_callback = false; }
    } in_callback;
    s.callback(static_cast<int>(level), line.c_str(), s.callback_user);
    return;
  }
  std::fprintf(s.file, "%s\n", line.c_str());
  std::fflush(s.file);
}

void log_printf(LogLevel level, const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    log_write(level, buf);
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, fmt);
  std::vsnprintf(&big[0], big.size(), fmt, ap);
  va_end(ap);
  big.pop_back();
  log_write(level, big);
}

}  // namespace wasi_nn
