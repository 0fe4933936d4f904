#include "host/library_env.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace wasi_nn::host {
namespace {

// Sets `name` to `value`, or removes it when `value` is empty.
void put(const char* name, const std::string& value) {
  if (value.empty())
    ::unsetenv(name);
  else
    ::setenv(name, value.c_str(), 1);
}

// Sets `name` to `value` when the option was given; otherwise leaves the inherited value.
void put_if_given(const char* name, const std::string& value) {
  if (!value.empty()) ::setenv(name, value.c_str(), 1);
}

// "" when `value` is one of `names` (a null-terminated list), else the option's usage error.
std::string one_of(const char* option, const std::string& value, const char* const* names, std::string* out) {
  std::string accepted;
  for (const char* const* n = names; *n; ++n) {
    if (value == *n) {
      *out = value;
      return {};
    }
    accepted += (accepted.empty() ? "" : ", ") + std::string(*n);
  }
  return std::string(option) + " wants one of " + accepted + "; got '" + value + "'";
}

}  // namespace

std::string check_limits(const std::string& json, std::string* out) {
  nlohmann::json parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return "--nn-limits wants a JSON object; '" + json + "' does not parse";
  if (!parsed.is_object()) return "--nn-limits wants a JSON object, e.g. '{\"ctx_size\": 4096}'; got '" + json + "'";
  *out = json;
  return {};
}

std::string check_log_level(const std::string& level, std::string* out) {
  static const char* const kLevels[] = {"none", "error", "warn", "info", "debug", nullptr};
  return one_of("--nn-log-level", level, kLevels, out);
}

std::string check_log_format(const std::string& format, std::string* out) {
  static const char* const kFormats[] = {"plain", "json", nullptr};
  return one_of("--nn-log-format", format, kFormats, out);
}

std::string check_log_file(const std::string& path, std::string* out) {
  if (path.empty()) return "--nn-log-file wants a file path";
  std::error_code ec;
  std::string absolute = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return "--nn-log-file: cannot make '" + path + "' absolute: " + ec.message();
  // The library opens it the same way; checking here turns an unusable file into a usage
  // error instead of the library's warning and a silent fallback to stderr.
  std::FILE* f = std::fopen(absolute.c_str(), "a");
  if (!f) return "--nn-log-file: cannot open '" + path + "' for appending: " + std::strerror(errno);
  std::fclose(f);
  *out = absolute;
  return {};
}

void export_library_env(const Options& opts) {
  std::string preload, dirs;
  for (const Preload& p : opts.preloads) {
    preload += (preload.empty() ? "" : ";") + p.alias + "=" + p.path;
  }
  for (const std::string& d : opts.model_dirs) dirs += (dirs.empty() ? "" : ":") + d;
  put("WASI_NN_PRELOAD", preload);
  put("WASI_NN_MODEL_DIRS", dirs);
  put("WASI_NN_CONFIG", opts.nn_config);
  put_if_given("WASI_NN_LIMITS", opts.library.limits);
  put_if_given("WASI_NN_LOG_LEVEL", opts.library.log_level);
  put_if_given("WASI_NN_LOG_FORMAT", opts.library.log_format);
  put_if_given("WASI_NN_LOG_FILE", opts.library.log_file);
}

}  // namespace wasi_nn::host
