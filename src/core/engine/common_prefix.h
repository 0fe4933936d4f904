// The length of the common prefix of two token sequences: what a KV sequence holding `a` can
// keep when it is to hold `b`.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "llama.h"

namespace wasi_nn {

inline size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace wasi_nn
