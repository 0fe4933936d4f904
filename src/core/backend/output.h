// Copying an output into a caller's buffer, with the contract every ABI call that returns bytes
// shares (get_output, get_output_single, the stats call, the last-error read): the bytes are
// copied and a NUL follows when it fits (not counted); when they do not fit, nothing is written
// and TooLarge carries the size needed, so the caller can retry with a larger buffer.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>

namespace wasi_nn {

// Returns the bytes written. Throws Error(TooLarge, needed = text.size()).
size_t copy_output(const std::string& text, char* buf, size_t cap);

}  // namespace wasi_nn
