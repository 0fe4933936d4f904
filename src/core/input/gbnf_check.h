// check_gbnf: bounds a GBNF grammar before llama.cpp parses it.
//
// llama.cpp's grammar parser (src/llama-grammar.cpp) recurses twice per nested ( ) group, copies
// the repeated item of S{m,n} m times and adds n-m rules (so `"x...x"{2000}` or a repetition of a
// repetition expands a short text to gigabytes; `{5,3}` makes n-m wrap around to 2^64 rules),
// and its left-recursion check recurses along chains of leftmost rule references, revisiting
// shared rules (exponential in a chain of two-way alternatives). check_gbnf replays that parser
// without recursion, materialising the expanded rules only up to the limits, and replays the
// left-recursion check with an explicit stack, counting its depth and its visits.
//
// Text llama.cpp would reject as malformed is let through unchanged (stats.syntax_error): its
// parser stops at the same byte ours did and refuses it itself, so nothing past that point is
// ever expanded. Undefined rules and left recursion are likewise left to llama.cpp.
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/input/input_limits.h"

namespace wasi_nn {

struct GrammarStats {
  size_t depth = 0;        // deepest ( ) nesting
  size_t elements = 0;     // grammar elements after expansion
  size_t rules = 0;        // rules after expansion
  size_t left_depth = 0;   // deepest recursion of llama.cpp's left-recursion check
  size_t left_visits = 0;  // rule visits of that check
  bool syntax_error = false;
  size_t error_offset = 0;      // with syntax_error: the byte llama.cpp stops at
  bool undefined_rule = false;  // parses, but names a rule it never defines, or has no root
  // The <text> token literals (offset, length of "<...>"): llama.cpp tokenizes each and refuses
  // the grammar unless it is exactly one token of the model's vocabulary.
  std::vector<std::pair<size_t, size_t>> token_texts;
};

// Throws InvalidArgument naming `key` when `stats` says llama.cpp's parser would refuse the
// grammar. llama.cpp's parser prints a grammar it refuses to the process's stderr (fprintf, past
// every log sink and level), so a tenant's grammar must never reach it unless it parses.
void refuse_unparsable_gbnf(const GrammarStats& stats, const std::string& key);

// Throws InvalidArgument naming `key` ("grammar", "json_schema", ...) when `text` exceeds a limit.
GrammarStats check_gbnf(const std::string& text, const InputLimits& limits, const std::string& key = "grammar");

// Rule visits the left-recursion replay may make before it refuses; not a limit of the grammar
// language, only of how much work llama.cpp's check may do (it is exponential in the worst case).
constexpr size_t kMaxGrammarLeftVisits = 1u << 20;

}  // namespace wasi_nn
