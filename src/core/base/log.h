// Logging: one process-wide sink, a level chosen at run time, never stdout (in a wasm host,
// stdout belongs to the guest). llama.cpp's own log (llama_log_set, which also sets ggml's) is
// routed through the same sink (see runtime.cpp), tagged with source "llama".
//
// Choices, each from the environment first (the operator's word wins), else from a backend's
// config (the latest one that names the key), else the default:
//   level        WASI_NN_LOG_LEVEL  / log_level   none|error|warn|info|debug   (warn)
//   format       WASI_NN_LOG_FORMAT / log_format  plain|json                   (plain)
//   destination  WASI_NN_LOG_FILE   / log_file    a file opened for appending  (stderr)
// A host callback (set_log_callback) replaces the destination while it is installed. An
// unusable environment value is reported as a warning and ignored.
// llama.cpp's `common` helpers keep their own logger (stderr, a few chat-template warnings):
// it follows our level but not our format or destination.
//
// Line formats: plain  "[wasi-nn W] message" ("llama.cpp: " prefixes llama.cpp's lines);
//               json   {"ts":"2026-01-02T03:04:05.678Z","level":"warn","source":"backend","msg":"..."}
// Thread-safety: every function may be called from any thread. Lines are written whole, one
// at a time; the callback is never called concurrently with itself.
#pragma once

#include <string>

namespace wasi_nn {

enum class LogLevel { None = 0, Error = 1, Warn = 2, Info = 3, Debug = 4 };
enum class LogFormat { Plain, Json };
enum class LogSource { Backend, Llama };

// A host's sink: `level` is a LogLevel value (1 error .. 4 debug), `line` the formatted line
// without its newline. Called under the sink's lock.
using LogCallback = void (*)(int level, const char* line, void* user);

// Parses "none"/"error"/"warn"/"info"/"debug"; returns false for anything else.
bool parse_log_level(const std::string& text, LogLevel* out);
// Parses "plain"/"json"; returns false for anything else.
bool parse_log_format(const std::string& text, LogFormat* out);

void set_log_level(LogLevel level);
// Sets the level unless the environment already chose one.
void set_log_level_default(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

// Sets the format unless WASI_NN_LOG_FORMAT chose one.
void set_log_format_default(LogFormat format);
// Appends to `path` from now on (empty: back to stderr) unless WASI_NN_LOG_FILE chose a file.
// Throws InvalidArgument when the file cannot be opened; the destination is then unchanged.
void set_log_file_default(const std::string& path);
// Installs (fn != nullptr) or removes the host callback. Returns false, changing nothing, when
// called from inside the callback. Once it returns, the previous callback is not running and
// is never called again.
bool set_log_callback(LogCallback fn, void* user);

void log_write(LogLevel level, const std::string& message, LogSource source = LogSource::Backend);

// A tenant's own verbosity (WasmEdge's enable-log / enable-debug-log): while a scope lives on a
// thread, lines logged there, on that tenant's behalf, pass when their level is within
// `verbosity` even if the process-wide level is lower, and carry the tenant's id ("tenant N: ",
// or "tenant" in JSON lines). The process-wide level never changes, and other threads (other
// tenants, the engine's worker) are not affected. Scopes nest; the inner one wins.
class TenantLogScope {
 public:
  TenantLogScope(uint64_t tenant, LogLevel verbosity);
  ~TenantLogScope();
  TenantLogScope(const TenantLogScope&) = delete;
  TenantLogScope& operator=(const TenantLogScope&) = delete;

 private:
  uint64_t prev_tenant_;
  LogLevel prev_level_;
};

}  // namespace wasi_nn

// printf-style helpers; the arguments are not evaluated when the level is off.
#define WASI_NN_LOG(level, ...)                                                     \
  do {                                                                              \
    if (::wasi_nn::log_enabled(level)) ::wasi_nn::log_printf((level), __VA_ARGS__); \
  } while (0)
#define LOG_ERR(...) WASI_NN_LOG(::wasi_nn::LogLevel::Error, __VA_ARGS__)
#define LOG_WARN(...) WASI_NN_LOG(::wasi_nn::LogLevel::Warn, __VA_ARGS__)
#define LOG_INFO(...) WASI_NN_LOG(::wasi_nn::LogLevel::Info, __VA_ARGS__)
#define LOG_DEBUG(...) WASI_NN_LOG(::wasi_nn::LogLevel::Debug, __VA_ARGS__)

namespace wasi_nn {
void log_printf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
}
