// Text nested `depth` levels deep, for the tests of the nesting bounds (core/input).
#pragma once

#include <string>

namespace fuzz_test {

// open^depth + inner + close^depth: nested("(", "x", ")", 2) is "((x))".
inline std::string nested(const std::string& open, const std::string& inner, const std::string& close, int depth) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += open;
  s += inner;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

}  // namespace fuzz_test
