#include "core/model/model_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "core/base/error.h"

namespace wasi_nn {
namespace {

std::string quoted(std::string_view name) { return "'" + std::string(name.substr(0, 256)) + "'"; }

// Opens `path` (a real path, free of links, "." and "..") below `dir` without following any
// link: each component is opened relative to its parent with O_NOFOLLOW.
int open_beneath(const std::string& dir, const std::string& path, std::string_view name, const char* what = "model") {
  if (path.size() <= dir.size()) {  // the granted directory itself
    fail(ErrorKind::InvalidArgument, what + (" " + quoted(name)) +
                                         " is not a regular file (a directory, device "
                                         "or FIFO); pass a file");
  }
  int at = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (at < 0)
    fail(ErrorKind::ModelNotFound, what + (" " + quoted(name)) + " cannot be opened: its granted directory is gone");
  std::string rest = path.substr(dir == "/" ? 1 : dir.size() + 1);
  for (;;) {
    const size_t slash = rest.find('/');
    const bool last = slash == std::string::npos;
    const std::string part = rest.substr(0, slash);
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer (checked after the open).
    const int flags = O_NOFOLLOW | O_CLOEXEC | (last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY);
    const int next = ::openat(at, part.c_str(), flags);
    const int err = errno;
    ::close(at);
    if (next < 0) {
      if (err == ELOOP || err == ENOTDIR) {
        fail(ErrorKind::Security, what + (" " + quoted(name)) +
                                      " changed while it was opened (a path "
                                      "component became a symbolic link); it is not loaded");
      }
      fail(ErrorKind::ModelNotFound, what + (" " + quoted(name)) + " cannot be opened: " + std::strerror(err));
    }
    if (last) return next;
    at = next;
    rest = rest.substr(slash + 1);
  }
}

// A regular file that starts with the GGUF magic; returns its size.
uint64_t check_gguf(int fd, std::string_view name) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    fail(ErrorKind::InvalidArgument, "model " + quoted(name) +
                                         " is not a regular file (a directory, device "
                                         "or FIFO); pass a .gguf model file");
  }
  char magic[4] = {0, 0, 0, 0};
  if (::pread(fd, magic, 4, 0) != 4 || std::memcmp(magic, "GGUF", 4) != 0) {
    fail(ErrorKind::InvalidArgument, "model " + quoted(name) +
                                         " is not a GGUF file (it does not start with the GGUF magic); "
                                         "convert it with llama.cpp's convert_hf_to_gguf.py or pass a .gguf model");
  }
  return static_cast<uint64_t>(st.st_size);
}

// What metadata and messages call the model: the caller's name without its directories.
std::string display_name(std::string_view name) {
  const size_t slash = name.find_last_of('/');
  return std::string(slash == std::string_view::npos ? name : name.substr(slash + 1));
}

}  // namespace

ModelSource::ModelSource(int fd, std::string key, std::string name, uint64_t size, bool from_bytes)
    : fd_(fd), key_(std::move(key)), name_(std::move(name)), size_(size), from_bytes_(from_bytes) {}

ModelSource::ModelSource(ModelSource&& o) noexcept
    : fd_(o.fd_), key_(std::move(o.key_)), name_(std::move(o.name_)), size_(o.size_), from_bytes_(o.from_bytes_) {
  o.fd_ = -1;
}

ModelSource::~ModelSource() {
  if (fd_ >= 0) ::close(fd_);
}

ModelSource ModelSource::open_file(std::string_view name, const ModelAccess& access) {
  if (name.empty()) fail(ErrorKind::InvalidArgument, "model name is empty; pass the path of a .gguf file");
  if (name.find('\0') != std::string_view::npos) fail(ErrorKind::InvalidArgument, "model name contains a NUL byte");
  const LocatedModel where = access.locate(name);
  int fd = -1;
  if (!where.beneath.empty()) {
    fd = open_beneath(where.beneath, where.path, name);
  } else {
    fd = ::open(where.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
      const int err = errno;
      fail(ErrorKind::ModelNotFound, "model file " + quoted(name) + " cannot be opened: " + std::strerror(err) +
                                         ". Check the name (relative paths are resolved against the host's "
                                         "working directory)");
    }
  }
  try {
    const uint64_t size = check_gguf(fd, name);
    struct stat st {};
    ::fstat(fd, &st);
    // The same file reached by two names, or by two tenants, is one model in the registry.
    const std::string key = "file:" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                            std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
                            std::to_string(st.st_mtim.tv_nsec);
    return ModelSource(fd, key, display_name(name), size, false);
  } catch (...) {
    ::close(fd);
    throw;
  }
}

std::string ModelSource::read_file(std::string_view name, const ModelAccess& access, size_t max_bytes,
                                   const char* what) {
  if (name.empty() || name.find('\0') != std::string_view::npos) {
    fail(ErrorKind::InvalidArgument, std::string(what) + " path is empty or contains a NUL byte");
  }
  const LocatedModel where = access.locate(name, what);
  int fd = where.beneath.empty() ? ::open(where.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)
                                 : open_beneath(where.beneath, where.path, name, what);
  if (fd < 0)
    fail(ErrorKind::ModelNotFound, what + (" " + quoted(name)) + " cannot be opened: " + std::strerror(errno));
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const uint64_t size = regular ? static_cast<uint64_t>(st.st_size) : 0;
  std::string out;
  if (regular && size <= max_bytes) {
    out.resize(size);
    size_t off = 0;
    while (off < size) {
      const ssize_t n = ::pread(fd, out.data() + off, size - off, static_cast<off_t>(off));
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    out.resize(off);
  }
  ::close(fd);
  if (!regular) fail(ErrorKind::InvalidArgument, what + (" " + quoted(name)) + " is not a regular file; pass a file");
  if (size > max_bytes) {
    fail(ErrorKind::InvalidArgument, what + (" " + quoted(name)) + " is " + std::to_string(size) +
                                         " bytes; the limit is " + std::to_string(max_bytes) +
                                         " (max_media_bytes). Send a smaller file");
  }
  return out;
}

ModelSource ModelSource::from_bytes(std::string_view bytes) {
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "GGUF", 4) != 0) {
    fail(ErrorKind::InvalidArgument, "the model bytes are not a GGUF image (no GGUF magic)");
  }
  // llama.cpp loads from files: hand it an anonymous in-memory file. Identical bytes share one
  // model through the registry key.
  const int fd = ::memfd_create("wasi-nn-model", MFD_CLOEXEC);
  if (fd < 0) fail(ErrorKind::Runtime, std::string("memfd_create failed: ") + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) {
      ::close(fd);
      fail(ErrorKind::OutOfMemory, "could not stage the model bytes in memory");
    }
    off += static_cast<size_t>(n);
  }
  const std::string key =
      "bytes:" + std::to_string(std::hash<std::string_view>()(bytes)) + ":" + std::to_string(bytes.size());
  return ModelSource(fd, key, "model bytes", bytes.size(), true);
}

}  // namespace wasi_nn
