// ModelAccess: which model files a caller may load by name. The host grants models two ways,
// and nothing else is reachable:
//   - preloaded aliases: a name the guest passes as is ("llama") mapped to a host file the
//     operator chose (any path: the operator is trusted);
//   - model directories: any regular file at or below a granted directory, named by an absolute
//     path or by a path relative to the directory (looked up in each directory in order).
//
// Configuration comes from the environment, read when a backend is created (init_backend):
//   WASI_NN_PRELOAD     "alias=/path/model.gguf;alias2=/path/other.gguf"; an entry
//                       "alias.mmproj=/path/projector.gguf" pairs a projector with "alias"
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
// Each Backend reads the policy from the environment when it is created (init_backend), so a
// changed environment applies to backends created afterwards.
// Thread-safety: a ModelAccess is immutable after construction; locate() may run on many
// threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wasi_nn {

inline constexpr const char* kPreloadEnv = "WASI_NN_PRELOAD";
inline constexpr const char* kModelDirsEnv = "WASI_NN_MODEL_DIRS";

// Where a name leads: the host path to open and, for a file found through a granted directory,
// that directory's real path, below which the file must be opened without following links
// (ModelSource re-walks the path component by component, so a link swapped in after the check
// fails the open instead of escaping the grant).
struct LocatedModel {
  std::string path;
  std::string beneath;  // empty: open `path` as it is (an alias's file, or an unconfined name)
};

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
  std::string resolve(std::string_view name) const { return locate(name).path; }
  // `noun` names what the file is in error messages ("model", "image", ...).
  LocatedModel locate(std::string_view name, std::string_view noun = "model") const;

  // The projector the host paired with model `name`: "<name>.mmproj" when `name` is a preloaded
  // alias and that alias is preloaded too (wasi-nn-run's --nn-mmproj); else "". A load of the
  // model that names no "mmproj" uses it.
  std::string paired_projector(std::string_view name) const;

  // True when loads are restricted (Confined, or Open with a grant configured).
  bool confined() const { return mode_ == Mode::Confined || !grants_.empty(); }

 private:
  LocatedModel resolve_path(std::string_view name, std::string_view noun) const;
  const std::string& grant_of(const std::string& real_path) const;
  bool inside_grant(const std::string& real_path) const;
  bool lexically_inside_grant(const std::string& path) const;

  ModelGrants grants_;                   // dirs canonical (realpath)
  std::vector<std::string> given_dirs_;  // dirs as configured, for lexical checks
  Mode mode_;
};

// True when `path` equals `dir` or lies below it (component boundary; both canonical).
bool path_within(std::string_view path, std::string_view dir);

}  // namespace wasi_nn
