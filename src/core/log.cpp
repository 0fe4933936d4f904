#include "core/log.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

namespace wasi_nn {
namespace {

struct Sink {
  std::mutex mu;
  FILE* file = stderr;  // guarded by mu
  std::atomic<int> level{static_cast<int>(LogLevel::Warn)};
  bool env_level = false;

  Sink() {
    LogLevel lv;
    const char* env = std::getenv("WASI_NN_LOG_LEVEL");
    if (env && parse_log_level(env, &lv)) {
      level = static_cast<int>(lv);
      env_level = true;
    }
    const char* path = std::getenv("WASI_NN_LOG_FILE");
    if (path && *path) {
      if (FILE* f = std::fopen(path, "a")) file = f;
    }
  }
};

Sink& sink() {
  static Sink* s = new Sink();  // leaked: llama.cpp may log from static destructors
  return *s;
}

const char* level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::Error: return "E";
    case LogLevel::Warn: return "W";
    case LogLevel::Info: return "I";
    case LogLevel::Debug: return "D";
    default: return "-";
  }
}

}  // namespace

bool parse_log_level(const std::string& text, LogLevel* out) {
  static const struct { const char* name; LogLevel level; } kLevels[] = {
      {"none", LogLevel::None}, {"error", LogLevel::Error}, {"warn", LogLevel::Warn},
      {"info", LogLevel::Info}, {"debug", LogLevel::Debug}};
  for (const auto& l : kLevels) {
    if (text == l.name) {
      *out = l.level;
      return true;
    }
  }
  return false;
}

void set_log_level(LogLevel level) { sink().level = static_cast<int>(level); }

void set_log_level_default(LogLevel level) {
  if (!sink().env_level) set_log_level(level);
}

LogLevel log_level() { return static_cast<LogLevel>(sink().level.load()); }

bool log_enabled(LogLevel level) {
  return level != LogLevel::None && static_cast<int>(level) <= sink().level.load();
}

void log_write(LogLevel level, const std::string& message) {
  if (!log_enabled(level)) return;
  Sink& s = sink();
  std::lock_guard<std::mutex> lock(s.mu);
  std::fprintf(s.file, "[wasi-nn %s] %s%s", level_tag(level), message.c_str(),
               (!message.empty() && message.back() == '\n') ? "" : "\n");
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
