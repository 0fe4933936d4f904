// ModelSource: a model file or an in-memory GGUF image, opened once. llama.cpp then reads that
// same open file through /proc/self/fd/N, so nothing can swap the file between the checks and
// the load. A file found through a granted directory is opened by walking its real path
// component by component below the directory with O_NOFOLLOW: a link swapped in after the
// access check fails the open instead of escaping the grant.
//
// The source carries three names: key() identifies the content for the model registry (the
// file's device and inode, or a digest of the bytes), load_path() is what llama.cpp opens, and
// name() is the model as the caller named it, the only one that appears in messages a caller
// can read (never a host path the caller did not give).
// Thread-safety: a ModelSource is used by one thread; it owns its descriptor.
#pragma once

#include <string>
#include <string_view>

#include "core/model/model_access.h"

namespace wasi_nn {

class ModelSource {
 public:
  // Opens what `access` locates for `name`. Throws what ModelAccess throws, ModelNotFound when
  // the file vanished, Security when a path component turned into a link, InvalidArgument when
  // it is not a regular GGUF file.
  static ModelSource open_file(std::string_view name, const ModelAccess& access);
  // The bytes of a file that is not a model (a WasmEdge guest's image), found and opened exactly
  // as open_file() finds and opens a model, at most `max_bytes`; `what` names it in messages
  // ("image"). Throws what open_file() throws, and InvalidArgument when it is larger.
  static std::string read_file(std::string_view name, const ModelAccess& access, size_t max_bytes, const char* what);
  // Stages the bytes in an anonymous in-memory file. InvalidArgument without the GGUF magic.
  static ModelSource from_bytes(std::string_view bytes);

  ModelSource(ModelSource&& other) noexcept;
  ModelSource& operator=(ModelSource&&) = delete;
  ModelSource(const ModelSource&) = delete;
  ~ModelSource();

  const std::string& key() const { return key_; }
  std::string load_path() const { return "/proc/self/fd/" + std::to_string(fd_); }
  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  // Bytes a caller sent (load()), not a file the host granted: their chat template is the
  // caller's, not the operator's.
  bool from_guest_bytes() const { return from_bytes_; }

 private:
  ModelSource(int fd, std::string key, std::string name, uint64_t size, bool from_bytes);

  int fd_ = -1;
  std::string key_, name_;
  uint64_t size_ = 0;
  bool from_bytes_ = false;
};

}  // namespace wasi_nn
