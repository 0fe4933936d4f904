#include "core/input/input_error.h"

#include <nlohmann/json.hpp>

#include "core/base/error.h"

namespace wasi_nn {

namespace {

// The config parser prefixes "config key 'x' " and ends the sentence itself, so a check called
// with an empty key leaves both out.
[[noreturn]] void refuse(const std::string& key, std::string message) {
  if (!message.empty() && message.back() == '.') message.pop_back();
  fail(ErrorKind::InvalidArgument, key.empty() ? message : key + " " + message);
}

}  // namespace

void refuse_over_limit(const std::string& key, const std::string& found, size_t limit, const char* limit_name,
                       const std::string& advice) {
  refuse(key, found + "; the limit is " + std::to_string(limit) + " (" + limit_name + "). " + advice);
}

void refuse_input(const std::string& key, const std::string& message) { refuse(key, message); }

std::string shown_text(const std::string& text, size_t max) {
  // Cut on a UTF-8 boundary so the message stays valid JSON text.
  size_t n = std::min(text.size(), max);
  while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  std::string out = nlohmann::json(text.substr(0, n)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return n < text.size() ? out + "..." : out;
}

}  // namespace wasi_nn
