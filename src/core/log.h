// Logging: one process-wide sink (stderr by default, or a file), a level chosen at run time,
// never stdout — in a wasm host, stdout belongs to the guest. llama.cpp's own log is routed
// through the same sink (see runtime.cpp).
//
// Level: WASI_NN_LOG_LEVEL (none|error|warn|info|debug) in the environment, else the
// `log_level` config key of the first backend, else "warn". WASI_NN_LOG_FILE appends to a file.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <string>

namespace wasi_nn {

enum class LogLevel { None = 0, Error = 1, Warn = 2, Info = 3, Debug = 4 };

// Parses "none"/"error"/"warn"/"info"/"debug"; returns false for anything else.
bool parse_log_level(const std::string& text, LogLevel* out);

void set_log_level(LogLevel level);
// Sets the level unless the environment already chose one (the operator's word wins).
void set_log_level_default(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

void log_write(LogLevel level, const std::string& message);

}  // namespace wasi_nn

// printf-style helpers; the arguments are not evaluated when the level is off.
#define WASI_NN_LOG(level, ...)                                                   \
  do {                                                                            \
    if (::wasi_nn::log_enabled(level)) ::wasi_nn::log_printf((level), __VA_ARGS__); \
  } while (0)
#define LOG_ERR(...) WASI_NN_LOG(::wasi_nn::LogLevel::Error, __VA_ARGS__)
#define LOG_WARN(...) WASI_NN_LOG(::wasi_nn::LogLevel::Warn, __VA_ARGS__)
#define LOG_INFO(...) WASI_NN_LOG(::wasi_nn::LogLevel::Info, __VA_ARGS__)
#define LOG_DEBUG(...) WASI_NN_LOG(::wasi_nn::LogLevel::Debug, __VA_ARGS__)

namespace wasi_nn {
void log_printf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
}
