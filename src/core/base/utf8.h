// UTF-8 validation for text a caller sends (prompts, session ids): the same rules everywhere,
// one implementation.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace wasi_nn {

// The byte offset of the first invalid sequence in `text` (overlong forms, UTF-16 surrogates,
// code points past U+10FFFF, truncated or stray continuation bytes), or npos when all is valid.
size_t find_invalid_utf8(std::string_view text);

// Trailing NULs (C strings sent with their terminator counted) dropped; then throws
// InvalidArgument, naming `what`, when the text is larger than `max_bytes`, holds a NUL, or is
// not valid UTF-8. Returns the text without the trailing NULs.
std::string_view checked_text(std::string_view text, const char* what, size_t max_bytes);

}  // namespace wasi_nn
