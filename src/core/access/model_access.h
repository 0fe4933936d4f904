// ModelAccess: which model files a caller may load by name. The host grants models two ways,
// and nothing else is reachable:
//   - preloaded aliases: a name the guest passes as is ("llama") mapped to a host file the
//     operator chose (any path: the operator is trusted);
//   - model directories: any regular file at or below a granted directory, named by an absolute
//     path or by a path relative to the directory (looked up in each directory in order).
//
// Configuration comes from the environment, read when a backend is created (init_backend):
//   WASI_NN_PRELOAD     "alias=/path/model.gguf;alias2=/path/other.gguf"
//   WASI_NN_MODEL_DIRS  "/dir1:/dir2"
// wasi-nn-run sets both from --nn-preload / --nn-dir; an operator of stock WAMR sets them by
// hand. With neither set, a Confined policy grants nothing: every load by name is refused
// (load() from bytes in the guest's own memory is unaffected). The Open policy (the seed ABI's,
// for trusted native hosts) passes any name through unchanged unless a grant is configured,
// in which case it confines exactly like Confined.
//
// Resolution (resolve()):
//   1. an exact alias match wins: its host path is returned (ModelNotFound, naming only the
//      alias, when that file does not exist: wasi-nn-run keeps such a preload, as WasmEdge);
//   2. a name with a ".." component, a NUL, or empty is refused (Security);
//   3. candidates (the absolute name, or each granted dir joined with the relative name) are
//      canonicalised with realpath(), which follows every symlink; a candidate whose real path
//      is not at or below a granted directory's real path (compared on a path-component
//      boundary: /models is not a prefix of /models-x) is refused (Security);
//   4. a name that lies lexically inside a granted dir but names no file -> ModelNotFound;
//      so does a bare name (no '/', not "." or "..") that is no alias and no file in a granted
//      dir, with or without granted dirs (an unknown alias, as WasmEdge answers it).
// Errors: Security (outside the grant; the WAMR ABI maps it to invalid_argument = 1),
// ModelNotFound (inside the grant but missing; 103), InvalidArgument (malformed env vars).
// Messages name the guest's string and the env vars, never a host path the guest was not given.
//
// Thread-safety: a ModelAccess is immutable after construction; resolve() may run on many
// threads. The process-wide policy (install/current) is guarded by a mutex.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wasi_nn {

inline constexpr const char* kPreloadEnv = "WASI_NN_PRELOAD";
inline constexpr const char* kModelDirsEnv = "WASI_NN_MODEL_DIRS";

struct ModelGrants {
  std::vector<std::pair<std::string, std::string>> aliases;  // (alias, host path)
  std::vector<std::string> dirs;                             // host directories
  bool empty() const { return aliases.empty() && dirs.empty(); }
};

// Parses WASI_NN_PRELOAD's text ("a=/p;b=/q"; empty entries ignored). Throws InvalidArgument
// for an entry without '=', an empty alias or path, or a duplicate alias.
std::vector<std::pair<std::string, std::string>> parse_preload_list(std::string_view text);
// Parses WASI_NN_MODEL_DIRS's text ("/d1:/d2"; empty entries ignored). Throws InvalidArgument
// for a relative directory.
std::vector<std::string> parse_model_dirs(std::string_view text);
// Both, from the environment.
ModelGrants grants_from_environment();

class ModelAccess {
 public:
  enum class Mode {
    Confined,  // guests (WAMR ABI): only what is granted; nothing when nothing is granted
    Open,      // native hosts (seed ABI): anything, unless a grant is configured
  };

  // Directories are canonicalised here; a granted directory that does not exist (or is not a
  // directory) throws InvalidArgument naming it and the env var.
  ModelAccess(ModelGrants grants, Mode mode);

  // Reads the environment (see above).
  static ModelAccess from_environment(Mode mode);

  // The host path to load for `name` (see the header comment), or throws.
  std::string resolve(std::string_view name) const;

  // True when loads are restricted (Confined, or Open with a grant configured).
  bool confined() const { return mode_ == Mode::Confined || !grants_.empty(); }

 private:
  std::string resolve_path(std::string_view name) const;
  bool inside_grant(const std::string& real_path) const;
  bool lexically_inside_grant(const std::string& path) const;

  ModelGrants grants_;                   // dirs canonical (realpath)
  std::vector<std::string> given_dirs_;  // dirs as configured, for lexical checks
  Mode mode_;
};

// The process-wide policy of one ABI, replaced at each init_backend (the environment may have
// changed) and read by its load paths. Before any install, current() reads the environment.
class ModelAccessSlot {
 public:
  explicit ModelAccessSlot(ModelAccess::Mode mode) : mode_(mode) {}
  // Re-reads the environment; throws (and keeps the previous policy) when it is malformed.
  void refresh();
  std::shared_ptr<const ModelAccess> current();

 private:
  ModelAccess::Mode mode_;
  std::mutex mu_;
  std::shared_ptr<const ModelAccess> policy_;  // guarded by mu_
};

// True when `path` equals `dir` or lies below it (component boundary; both canonical).
bool path_within(std::string_view path, std::string_view dir);

}  // namespace wasi_nn
