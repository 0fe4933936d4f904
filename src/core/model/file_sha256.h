// SHA-256 of a file's bytes, for deterministic mode's fingerprint (docs/DETERMINISM.md): two
// nodes compare the model they ran by content, not by name.
// Thread-safety: a pure function.
#pragma once

#include <string>

namespace wasi_nn {

// Lowercase hex digest of the file at `path`, read in 1 MiB pieces (about 2 s per GB); "" when
// it cannot be read to its end.
std::string file_sha256(const std::string& path);

}  // namespace wasi_nn
