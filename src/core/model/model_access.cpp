#include "core/model/model_access.h"

#include <climits>
#include <cstdlib>
#include <set>

#include <sys/stat.h>

#include "core/base/error.h"

namespace wasi_nn {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// realpath(3) as a string; empty when the path does not resolve (missing, dangling link, ...).
std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return {};
  return buf;
}

// "/a//b/./c/" -> "/a/b/c" (no ".." handling: callers refuse ".." before).
std::string lexical_normal(std::string_view path) {
  std::string out;
  for (std::string_view part : split(path, '/')) {
    if (part == ".") continue;
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

bool has_dotdot(std::string_view name) {
  for (std::string_view part : split(name, '/')) {
    if (part == "..") return true;
  }
  return false;
}

// A guest's name, as its error messages show it: at most 256 bytes, so a huge name is not
// echoed back whole (or copied into the host's log).
std::string quoted(std::string_view name) {
  return name.size() <= 256
             ? "'" + std::string(name) + "'"
             : "'" + std::string(name.substr(0, 256)) + "...' (" + std::to_string(name.size()) + " bytes)";
}

[[noreturn]] void refuse(std::string_view noun, std::string_view name, const std::string& why) {
  fail(ErrorKind::Security, std::string(noun) + " " + quoted(name) + " is not granted to this module: " + why +
                                ". The host grants models with " + kPreloadEnv +
                                "=\"alias=/path/model.gguf;...\" "
                                "(load the alias by name) or " +
                                kModelDirsEnv +
                                "=\"/dir1:/dir2\" (load files inside them); wasi-nn-run sets these from "
                                "--nn-preload and --nn-dir");
}

// A name with no '/' (and not "." or ".."): what a guest passes to load an alias. Not finding
// one is model_not_found, as under WasmEdge; no file outside the grant is looked at for it.
bool bare_name(std::string_view name) {
  return name.find('/') == std::string_view::npos && name != "." && name != "..";
}

[[noreturn]] void no_such_file(std::string_view noun, std::string_view name) {
  fail(ErrorKind::ModelNotFound, std::string(noun) + " " + quoted(name) +
                                     " is neither a preloaded alias nor a file in a granted model "
                                     "directory. The host grants models with " +
                                     kPreloadEnv +
                                     "=\"alias=/path/model.gguf;...\" "
                                     "or " +
                                     kModelDirsEnv + "=\"/dir1:/dir2\" (wasi-nn-run: --nn-preload, --nn-dir)");
}

// An alias's file, which the operator named (wasi-nn-run keeps an alias whose file is missing
// so that the guest still runs): a missing one is model_not_found, naming only the alias.
std::string alias_target(std::string_view alias, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    fail(ErrorKind::ModelNotFound, "model " + quoted(alias) +
                                       " is a preloaded alias, but the host has no file for it; "
                                       "ask the host operator to check its --nn-preload / " +
                                       kPreloadEnv);
  }
  return path;
}

}  // namespace

bool path_within(std::string_view path, std::string_view dir) {
  if (dir == "/") return !path.empty() && path[0] == '/';
  if (path.size() < dir.size() || path.compare(0, dir.size(), dir) != 0) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

std::vector<std::pair<std::string, std::string>> parse_preload_list(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::set<std::string, std::less<>> seen;
  for (std::string_view entry : split(text, ';')) {
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == entry.size()) {
      fail(ErrorKind::InvalidArgument, std::string(kPreloadEnv) + ": entry " + quoted(entry) +
                                           " is not alias=/path/model.gguf (entries are separated by ';')");
    }
    std::string alias(entry.substr(0, eq));
    if (!seen.insert(alias).second) {
      fail(ErrorKind::InvalidArgument, std::string(kPreloadEnv) + ": alias " + quoted(alias) + " is given twice");
    }
    out.emplace_back(std::move(alias), std::string(entry.substr(eq + 1)));
  }
  return out;
}

std::vector<std::string> parse_model_dirs(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view dir : split(text, ':')) {
    if (dir[0] != '/') {
      fail(ErrorKind::InvalidArgument,
           std::string(kModelDirsEnv) + ": directory " + quoted(dir) + " is not an absolute path");
    }
    out.emplace_back(dir);
  }
  return out;
}

ModelGrants grants_from_environment() {
  ModelGrants g;
  if (const char* p = std::getenv(kPreloadEnv)) g.aliases = parse_preload_list(p);
  if (const char* d = std::getenv(kModelDirsEnv)) g.dirs = parse_model_dirs(d);
  return g;
}

ModelAccess::ModelAccess(ModelGrants grants, Mode mode) : grants_(std::move(grants)), mode_(mode) {
  for (std::string& dir : grants_.dirs) {
    std::string real = real_path(dir);
    struct stat st {};
    if (real.empty() || ::stat(real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      fail(ErrorKind::InvalidArgument,
           std::string(kModelDirsEnv) + ": " + quoted(dir) + " is not an existing directory");
    }
    given_dirs_.push_back(lexical_normal(dir));
    dir = std::move(real);
  }
}

ModelAccess ModelAccess::from_environment(Mode mode) { return ModelAccess(grants_from_environment(), mode); }

LocatedModel ModelAccess::locate(std::string_view name, std::string_view noun) const {
  if (!confined()) return LocatedModel{std::string(name), ""};
  for (const auto& [alias, path] : grants_.aliases) {
    if (alias == name) return LocatedModel{alias_target(alias, path), ""};
  }
  return resolve_path(name, noun);
}

std::string ModelAccess::paired_projector(std::string_view name) const {
  auto has = [&](std::string_view a) {
    for (const auto& entry : grants_.aliases) {
      if (entry.first == a) return true;
    }
    return false;
  };
  const std::string paired = std::string(name) + ".mmproj";
  return has(name) && has(paired) ? paired : std::string();
}

const std::string& ModelAccess::grant_of(const std::string& real) const {
  for (const std::string& dir : grants_.dirs) {
    if (path_within(real, dir)) return dir;
  }
  static const std::string none;
  return none;
}

bool ModelAccess::inside_grant(const std::string& real) const { return !grant_of(real).empty(); }

bool ModelAccess::lexically_inside_grant(const std::string& path) const {
  std::string normal = lexical_normal(path);
  for (const std::string& dir : given_dirs_) {
    if (path_within(normal, dir)) return true;
  }
  return inside_grant(normal);
}

LocatedModel ModelAccess::resolve_path(std::string_view name, std::string_view noun) const {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    refuse(noun, name, "the name is empty or holds a NUL byte");
  }
  if (grants_.dirs.empty()) {
    if (bare_name(name)) no_such_file(noun, name);
    refuse(noun, name,
           grants_.aliases.empty() ? "the host granted no models at all"
                                   : "it is not a preloaded alias, and no model directory is granted");
  }
  if (has_dotdot(name)) refuse(noun, name, "paths with '..' components are not allowed");

  if (name[0] == '/') {
    std::string path(name);
    if (!lexically_inside_grant(path)) refuse(noun, name, "the path is outside the granted directories");
    std::string real = real_path(path);
    if (real.empty()) {
      fail(ErrorKind::ModelNotFound,
           std::string(noun) + " file " + quoted(name) + " does not exist in the granted model directories");
    }
    if (!inside_grant(real)) {
      refuse(noun, name, "it resolves (through a symbolic link) outside the granted directories");
    }
    return LocatedModel{real, grant_of(real)};
  }
  for (const std::string& dir : grants_.dirs) {
    std::string real = real_path(dir + "/" + std::string(name));
    if (real.empty()) continue;
    if (!inside_grant(real)) {
      refuse(noun, name, "it resolves (through a symbolic link) outside the granted directories");
    }
    return LocatedModel{real, grant_of(real)};
  }
  no_such_file(noun, name);
}

}  // namespace wasi_nn
