// libFuzzer target: parse_config() on arbitrary bytes. The first byte picks the scope (any
// non-empty combination of backend, load and request); the rest is the config text. Every input
// must either parse or throw wasi_nn::Error with InvalidArgument or Unsupported, and a failed
// parse must leave the Settings unchanged (all or nothing). Anything else (another exception, a
// crash, a sanitizer report, a hang) is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/base/error.h"
#include "core/config/config_parser.h"
#include "core/config/param_table.h"
#include "core/config/settings.h"

namespace {

// What a failed parse must not change.
std::string snapshot(const wasi_nn::Settings& s) {
  std::string out = s.model.key() + "|" + s.context.key() + "|";
  for (const auto& k : s.present) out += k + ",";
  return out;
}

// Parses once; on failure checks the error's kind and message and that `settings` is unchanged.
void parse_checked(std::string_view text, unsigned scope, wasi_nn::Settings& settings) {
  const std::string before = snapshot(settings);
  try {
    wasi_nn::parse_config(text, scope, settings);
  } catch (const wasi_nn::Error& e) {
    if (e.kind() != wasi_nn::ErrorKind::InvalidArgument && e.kind() != wasi_nn::ErrorKind::Unsupported) {
      std::abort();  // parse_config promises only these two kinds
    }
    if (e.what()[0] == '\0') std::abort();           // every failure explains itself
    if (snapshot(settings) != before) std::abort();  // all or nothing
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned scope = (data[0] % 7) + 1;  // 1..7: every non-empty set of scopes
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  wasi_nn::Settings settings;
  wasi_nn::apply_defaults(settings);
  parse_checked(text, scope, settings);
  // Applying the same document again on top of the result must hold the same promises.
  parse_checked(text, scope, settings);
  return 0;
}
