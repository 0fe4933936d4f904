// The environment contract between wasi-nn-run and libwasi_nn_llamacpp.so. WAMR dlopen()s the
// library by name and calls its WASI-NN functions; the host's policy reaches it only through
// environment variables, read at init_backend (grants, config, limits) or at the library's
// first log line (log settings). All are set before any instance exists.
//
//   WASI_NN_PRELOAD     "alias=/path;..."  from --nn-preload   replaced (the command line is
//   WASI_NN_MODEL_DIRS  "/dir1:/dir2"      from --nn-dir       the whole grant)
//   WASI_NN_CONFIG      JSON               from --nn-config    replaced
//   WASI_NN_LIMITS      JSON object        from --nn-limits    set when given, else inherited
//   WASI_NN_LOG_LEVEL   none..debug        from --nn-log-level     ditto
//   WASI_NN_LOG_FORMAT  plain|json         from --nn-log-format    ditto
//   WASI_NN_LOG_FILE    absolute path      from --nn-log-file      ditto
//
// Limits and log settings are the operator's (src/core/base/log.h): the library never takes them
// from a guest, and a guest's WASI environment (--env) is not this process's environment.
#pragma once

#include <string>

#include "host/options.h"

namespace wasi_nn::host {

// Validators for the host settings: each returns "" and stores the value to export in *out,
// or returns a usage error naming the option and what it accepts.
// A JSON object (parsed here; the keys are the library's to check).
std::string check_limits(const std::string& json, std::string* out);
// none, error, warn, info or debug (the names src/core/base/log.h's parse_log_level accepts).
std::string check_log_level(const std::string& level, std::string* out);
// plain or json (src/core/base/log.h's parse_log_format).
std::string check_log_format(const std::string& format, std::string* out);
// A file this process can open for appending (it is created if missing); *out is absolute.
std::string check_log_file(const std::string& path, std::string* out);

// Sets the variables above from `opts` (see the table). Call before WAMR loads the library.
void export_library_env(const Options& opts);

}  // namespace wasi_nn::host
