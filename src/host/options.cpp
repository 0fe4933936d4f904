#include "host/options.h"

#include <cctype>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace wasi_nn::host {
namespace {

const char kUsage[] =
    "usage: wasi-nn-run [options] module.wasm [guest args...]\n"
    "\n"
    "Runs a WASI (wasm32-wasi) module under WAMR with WASI-NN (wasi_ephemeral_nn), served by\n"
    "libwasi_nn_llamacpp.so (found next to this program, or through the library search path).\n"
    "\n"
    "WASI:\n"
    "  --dir=HOST[::GUEST]     give the guest the host directory HOST (seen as GUEST)\n"
    "  --env=NAME=VALUE        set an environment variable in the guest\n"
    "  --stack-size=BYTES      WAMR interpreter stack per instance (default 131072)\n"
    "  --heap-size=BYTES       WAMR app heap per instance (default 16384)\n"
    "WASI-NN (the guest may load only what is granted here):\n"
    "  --nn-preload ALIAS:GGML:TARGET:PATH\n"
    "                          make the model file PATH loadable as load_by_name(\"ALIAS\")\n"
    "                          (TARGET: AUTO, CPU or GPU; WasmEdge's syntax)\n"
    "  --nn-dir DIR            let the guest load model files inside DIR by path (absolute, or\n"
    "                          relative to DIR)\n"
    "  --nn-config JSON        default settings for every backend and load (a guest's load\n"
    "                          config overrides them), e.g. '{\"n_gpu_layers\": -1}'\n"
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
    "name is refused.\n";

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

std::string absolute(const std::string& path) {
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
  std::string path = absolute(std::string(s.substr(c + 1)));
  if (path.empty()) return "--nn-preload: model file '" + std::string(s.substr(c + 1)) + "' not found";
  if (path.find(';') != std::string::npos) return "--nn-preload: path may not contain ';'";
  out->preloads.push_back({alias, path});
  return {};
}

std::string parse_nn_dir(const std::string& dir, Options* out) {
  std::string path = absolute(dir);
  if (path.empty()) return "--nn-dir: directory '" + dir + "' not found";
  if (path.find(':') != std::string::npos) return "--nn-dir: path may not contain ':'";
  out->model_dirs.push_back(path);
  return {};
}

std::string parse_dir(const std::string& spec, Options* out) {
  size_t sep = spec.find("::");
  std::string host = spec.substr(0, sep);
  std::string guest = sep == std::string::npos ? host : spec.substr(sep + 2);
  if (host.empty() || guest.empty()) return "--dir wants HOST[::GUEST], got '" + spec + "'";
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
    if (arg == "--") { ++i; break; }
    if (arg == "-h" || arg == "--help") { out->help = true; return {}; }
    if (arg == "--report-rss") { out->report_rss = true; continue; }
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
    if (name == "--dir") err = parse_dir(value, out);
    else if (name == "--env") {
      if (value.find('=') == std::string::npos || value[0] == '=') err = "--env wants NAME=VALUE, got '" + value + "'";
      else out->env.push_back(value);
    } else if (name == "--nn-preload") err = parse_preload(value, out);
    else if (name == "--nn-dir") err = parse_nn_dir(value, out);
    else if (name == "--nn-config") out->nn_config = value;
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
