#include "core/base/utf8.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "core/base/error.h"

namespace wasi_nn {

size_t find_invalid_utf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = s[i];
    const size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (s[i + k] & 0xC0) == 0x80;
    if (ok && n > 1) {  // no overlong forms, UTF-16 surrogates, or code points past U+10FFFF
      uint32_t cp = c & (0x7F >> n);
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
      ok = cp >= (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
    }
    if (!ok) return i;
    i += n;
  }
  return std::string_view::npos;
}

std::string_view checked_text(std::string_view text, const char* what, size_t max_bytes) {
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (text.size() > max_bytes) {
    fail(ErrorKind::InvalidArgument, std::string(what) + " is " + std::to_string(text.size()) +
                                         " bytes, more than the limit of " + std::to_string(max_bytes) + "; send less");
  }
  if (std::memchr(text.data(), '\0', text.size())) {
    fail(ErrorKind::InvalidArgument, std::string(what) + " contains a NUL byte before its end; send UTF-8 text");
  }
  const size_t bad = find_invalid_utf8(text);
  if (bad != std::string_view::npos) {
    fail(ErrorKind::InvalidArgument, std::string(what) + " is not valid UTF-8 (at byte " + std::to_string(bad) + ")");
  }
  return text;
}

}  // namespace wasi_nn
