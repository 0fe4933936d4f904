#include "host/options.h"

#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "host/library_env.h"

namespace wasi_nn::host {
namespace {

const char kUsage[] =
    "usage: wasi-nn-run [options] module.wasm [guest args...]\n"
    "\n"
    "Runs a WASI (wasm32-wasi) module under WAMR with WASI-NN (wasi_ephemeral_nn), served by\n"
    "libwasi_nn_llamacpp.so (found next to this program, or through the library search path).\n"
    "\n"
    "WASI:\n"
    "  --dir DIR               give the guest the host directory DIR (seen as DIR)\n"
    "  --dir GUEST:HOST        ... the host directory HOST, seen as GUEST (WasmEdge's syntax)\n"
    "  --dir HOST::GUEST       ... the host directory HOST, seen as GUEST (WAMR's syntax)\n"
    "  --env NAME=VALUE        set an environment variable in the guest\n"
    "  --stack-size=BYTES      WAMR interpreter stack per instance (default 131072)\n"
    "  --heap-size=BYTES       WAMR app heap per instance (default 16384)\n"
    "WASI-NN (the guest may load only what is granted here):\n"
    "  --nn-preload ALIAS:GGML:TARGET:PATH\n"
    "                          make the model file PATH loadable as load_by_name(\"ALIAS\")\n"
    "                          (TARGET: AUTO, CPU or GPU; WasmEdge's syntax). A missing PATH is\n"
    "                          a warning: loading ALIAS then answers model_not_found (103)\n"
    "  --nn-mmproj ALIAS:PATH  pair the multimodal projector file PATH with the preloaded model\n"
    "                          ALIAS: loading ALIAS without an \"mmproj\" key loads it too, and\n"
    "                          \"mmproj\": \"ALIAS.mmproj\" names it (images and audio as inputs\n"
    "                          2, 3, ...; docs/MULTIMODAL.md)\n"
    "  --nn-dir DIR            let the guest load model files inside DIR by path (absolute, or\n"
    "                          relative to DIR)\n"
    "  --nn-config JSON        default settings for every backend and load (a guest's load\n"
    "                          config overrides them), e.g. '{\"n_gpu_layers\": -1}'\n"
    "WASI-NN host settings (the guest cannot change them):\n"
    "  --nn-limits JSON        the operator's ceilings on what guests may ask for (a JSON object)\n"
    "  --nn-log-level LEVEL    none, error, warn (default), info or debug\n"
    "  --nn-log-format FORMAT  plain (default) or json\n"
    "  --nn-log-file PATH      append the library's log to PATH instead of stderr\n"
    "Other:\n"
    "  --instances=N           run N instances of the module at once, in N threads, in one\n"
    "                          process (they share loaded models); exit status: the first\n"
    "                          failing instance's\n"
    "  --report-rss            print resident memory (VmRSS) before instantiation and after all\n"
    "                          instances ran (models still loaded) to stderr\n"
    "  -h, --help              this text\n"
    "\n"
    "Exit status: the guest's own exit status (0 on success); 64 usage error; 65 the module\n"
    "cannot be read or loaded; 66 instantiation failed or an import is missing; 70 the guest\n"
    "trapped; 71 the runtime could not start.\n"
    "\n"
    "Grants reach libwasi_nn_llamacpp.so as WASI_NN_PRELOAD=\"alias=/path;...\" and\n"
    "WASI_NN_MODEL_DIRS=\"/dir1:/dir2\", --nn-config as WASI_NN_CONFIG; any values of these\n"
    "variables in wasi-nn-run's own environment are replaced. With no grant, every load by\n"
    "name is refused. The host settings reach it as WASI_NN_LIMITS, WASI_NN_LOG_LEVEL,\n"
    "WASI_NN_LOG_FORMAT and WASI_NN_LOG_FILE; when an option is not given, the variable in\n"
    "wasi-nn-run's own environment (if any) applies.\n";

bool parse_u32(std::string_view text, uint32_t min, uint32_t* out) {
  if (text.empty() || text.size() > 10) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < min || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// realpath(3) as a string; empty when the path does not resolve.
std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return {};
  return buf;
}

// "ALIAS:GGML:TARGET:PATH"; PATH may itself hold ':'.
std::string parse_preload(const std::string& spec, Options* out) {
  std::string_view s(spec);
  size_t a = s.find(':');
  size_t b = a == std::string_view::npos ? a : s.find(':', a + 1);
  size_t c = b == std::string_view::npos ? b : s.find(':', b + 1);
  if (c == std::string_view::npos || a == 0 || c + 1 == s.size()) {
    return "--nn-preload wants ALIAS:GGML:TARGET:PATH, got '" + spec + "'";
  }
  std::string encoding(s.substr(a + 1, b - a - 1)), target(s.substr(b + 1, c - b - 1));
  for (auto* t : {&encoding, &target}) {
    for (char& ch : *t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  if (encoding != "GGML") return "--nn-preload: encoding must be GGML, got '" + encoding + "'";
  if (target != "AUTO" && target != "CPU" && target != "GPU") {
    return "--nn-preload: target must be AUTO, CPU or GPU, got '" + target + "'";
  }
  std::string alias(s.substr(0, a));
  if (alias.find_first_of(";=") != std::string::npos) {
    return "--nn-preload: alias '" + alias + "' may not contain ';' or '='";
  }
  std::string given(s.substr(c + 1));
  std::string path = real_path(given);
  if (path.empty()) {
    // As WasmEdge: the guest still runs, and loading the alias answers model_not_found.
    std::error_code ec;
    path = std::filesystem::absolute(given, ec).lexically_normal().string();
    if (ec) return "--nn-preload: cannot make '" + given + "' absolute: " + ec.message();
    out->warnings.push_back("--nn-preload: model file '" + given + "' not found; load_by_name(\"" + alias +
                            "\") will answer model_not_found (103)");
  }
  if (path.find(';') != std::string::npos) return "--nn-preload: path may not contain ';'";
  out->preloads.push_back({alias, path});
  return {};
}

// "ALIAS:PATH": the projector becomes preload "ALIAS.mmproj" (model_access.h: paired_projector).
std::string parse_mmproj(const std::string& spec, Options* out) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    return "--nn-mmproj wants ALIAS:PATH, got '" + spec + "'";
  }
  const std::string alias = spec.substr(0, colon), given = spec.substr(colon + 1);
  if (alias.find_first_of(";=") != std::string::npos)
    return "--nn-mmproj: alias '" + alias + "' may not contain ';' or '='";
  const std::string path = real_path(given);
  if (path.empty()) return "--nn-mmproj: projector file '" + given + "' not found";
  if (path.find(';') != std::string::npos) return "--nn-mmproj: path may not contain ';'";
  out->preloads.push_back({alias + ".mmproj", path});
  return {};
}

std::string parse_nn_dir(const std::string& dir, Options* out) {
  std::string path = real_path(dir);
  if (path.empty()) return "--nn-dir: directory '" + dir + "' not found";
  if (path.find(':') != std::string::npos) return "--nn-dir: path may not contain ':'";
  out->model_dirs.push_back(path);
  return {};
}

// WAMR's HOST::GUEST, WasmEdge's GUEST:HOST, or a plain DIR (seen by the guest as DIR).
std::string parse_dir(const std::string& spec, Options* out) {
  const std::string usage = "--dir wants DIR, GUEST:HOST (WasmEdge) or HOST::GUEST (WAMR), got '" + spec + "'";
  std::string host = spec, guest = spec;
  if (size_t sep = spec.find("::"); sep != std::string::npos) {
    host = spec.substr(0, sep);
    guest = spec.substr(sep + 2);
  } else if (size_t colon = spec.find(':'); colon != std::string::npos) {
    guest = spec.substr(0, colon);
    host = spec.substr(colon + 1);
    const std::string ro = ":readonly";
    if (host.size() >= ro.size() && host.compare(host.size() - ro.size(), ro.size(), ro) == 0) {
      // WasmEdge's GUEST:HOST:readonly: WAMR cannot make a preopen read-only, and granting it
      // writable instead would widen what the operator asked for.
      return "--dir '" + spec +
             "': read-only preopens (WasmEdge's ':readonly') are not "
             "supported by this host; drop the suffix to grant the directory writable";
    }
  }
  if (host.empty() || guest.empty()) return usage;
  out->dirs.emplace_back(host, guest);
  return {};
}

}  // namespace

const char* usage_text() { return kUsage; }

std::string parse_options(int argc, char** argv, Options* out) {
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.empty() || arg[0] != '-') break;
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "-h" || arg == "--help") {
      out->help = true;
      return {};
    }
    if (arg == "--report-rss") {
      out->report_rss = true;
      continue;
    }
    // --name=value or --name value
    std::string name = arg, value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else {
      if (i + 1 >= argc) return "option " + arg + " needs a value";
      value = argv[++i];
    }
    std::string err;
    if (name == "--dir")
      err = parse_dir(value, out);
    else if (name == "--env") {
      if (value.find('=') == std::string::npos || value[0] == '=')
        err = "--env wants NAME=VALUE, got '" + value + "'";
      else
        out->env.push_back(value);
    } else if (name == "--nn-preload")
      err = parse_preload(value, out);
    else if (name == "--nn-mmproj")
      err = parse_mmproj(value, out);
    else if (name == "--nn-dir")
      err = parse_nn_dir(value, out);
    else if (name == "--nn-config")
      out->nn_config = value;
    else if (name == "--nn-limits")
      err = check_limits(value, &out->library.limits);
    else if (name == "--nn-log-level")
      err = check_log_level(value, &out->library.log_level);
    else if (name == "--nn-log-format")
      err = check_log_format(value, &out->library.log_format);
    else if (name == "--nn-log-file")
      err = check_log_file(value, &out->library.log_file);
    else if (name == "--stack-size") {
      if (!parse_u32(value, 1024, &out->stack_size)) err = "--stack-size wants a byte count >= 1024";
    } else if (name == "--heap-size") {
      if (!parse_u32(value, 0, &out->heap_size)) err = "--heap-size wants a byte count";
    } else if (name == "--instances") {
      if (!parse_u32(value, 1, &out->instances) || out->instances > 256) err = "--instances wants 1..256";
    } else {
      err = "unknown option " + name;
    }
    if (!err.empty()) return err;
  }
  if (i >= argc) return "no module given";
  out->wasm = argv[i];
  for (; i < argc; ++i) out->argv.push_back(argv[i]);
  return {};
}

}  // namespace wasi_nn::host
