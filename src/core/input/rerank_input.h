// A reranking request's input 0 ({"query": "...", "documents": ["...", ...], "top_n": N}),
// bounded before nlohmann's parser sees it: its size (max_rerank_bytes), its nesting (the shape
// needs two levels; deeper text is refused unparsed) and its document count
// (max_rerank_documents). Messages name what was wrong and the limit, never echo the text whole.
// Thread-safety: a pure function.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/input/input_limits.h"

namespace wasi_nn {

struct RerankInput {
  std::string query;
  std::vector<std::string> documents;  // at least one
  size_t top_n = 0;                    // results to return, best first; 0 = all
};

// Throws InvalidArgument (over a limit, not JSON, or not that shape).
RerankInput parse_rerank_input(const std::string& text, const InputLimits& limits);

}  // namespace wasi_nn
