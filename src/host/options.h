// wasi-nn-run's command line: what to run (a wasm module and its arguments), what the guest may
// see (WASI directories and environment) and which models it may load (WASI-NN grants).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace wasi_nn::host {

// Exit codes of wasi-nn-run (documented in --help and src/host/README.md). Any other value is
// the guest's own exit status (0 when it exited successfully).
enum ExitCode : int {
  kExitUsage = 64,        // bad command line
  kExitBadModule = 65,    // the .wasm file cannot be read, or WAMR cannot load (parse) it
  kExitInstantiate = 66,  // instantiation failed, or an import is not provided by the host
  kExitTrap = 70,         // the guest trapped (unreachable, out-of-bounds access, stack overflow)
  kExitRuntime = 71,      // the runtime itself could not start (WAMR init, threads)
};

struct Preload {
  std::string alias;  // the name the guest passes to load_by_name
  std::string path;   // host path of the GGUF file (absolute)
};

// Host-only settings of libwasi_nn_llamacpp.so, passed to it as environment variables. Empty:
// not given on the command line (the operator's own environment, if any, then applies).
// Guests cannot set these: a guest's --env goes to the guest's WASI environment only.
struct LibrarySettings {
  std::string limits;      // --nn-limits JSON object  -> WASI_NN_LIMITS
  std::string log_level;   // --nn-log-level           -> WASI_NN_LOG_LEVEL
  std::string log_format;  // --nn-log-format          -> WASI_NN_LOG_FORMAT
  std::string log_file;    // --nn-log-file (absolute) -> WASI_NN_LOG_FILE
};

struct Options {
  std::vector<std::pair<std::string, std::string>> dirs;  // WASI preopens: (host, guest)
  std::vector<std::string> env;                           // NAME=VALUE for the guest
  std::vector<Preload> preloads;                          // --nn-preload
  std::vector<std::string> model_dirs;                    // --nn-dir (absolute)
  std::string nn_config;                                  // --nn-config JSON
  LibrarySettings library;                                // --nn-limits, --nn-log-*
  std::vector<std::string> warnings;                      // for stderr before the guest runs (a preload's missing file)
  uint32_t stack_size = 128u << 10;                       // WAMR interpreter stack, bytes
  uint32_t heap_size = 16u << 10;                         // WAMR app heap, bytes
  uint32_t instances = 1;                                 // --instances
  bool report_rss = false;                                // --report-rss
  bool help = false;
  std::string wasm;               // the module to run
  std::vector<std::string> argv;  // the guest's argv; argv[0] is the module name
};

// Parses argv. Returns an empty string on success, else a message for a usage error.
std::string parse_options(int argc, char** argv, Options* out);

// The --help text.
const char* usage_text();

}  // namespace wasi_nn::host
