// Helpers for config tests: parse over the defaults, and expect a precise error.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/config/config_parser.h"

namespace wasi_nn::test {

inline Settings parsed_at(unsigned scope, const std::string& json) {
  Settings s;
  apply_defaults(s);
  parse_config(json, scope, s);
  return s;
}

// Asserts that parsing `json` at `scope` throws `kind` with every fragment in its message.
inline void expect_config_error(unsigned scope, const std::string& json, ErrorKind kind,
                                const std::vector<std::string>& fragments) {
  try {
    parsed_at(scope, json);
    ADD_FAILURE() << "accepted: " << json;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << json << ": " << e.what();
    for (const auto& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "'" << f << "' missing from: " << e.what();
    }
  }
}

}  // namespace wasi_nn::test
