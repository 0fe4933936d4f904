// check_trigger_pattern / check_trigger_word: bound the regular expressions of a lazy grammar's
// grammar_triggers before std::regex compiles them.
//
// llama.cpp compiles each pattern with std::regex (libstdc++'s compiler recurses per nested
// group) and, while the grammar waits for its trigger, searches the whole text generated so far
// after every token, on the engine's worker thread, with libstdc++'s backtracking matcher
// (llama_grammar_trigger_pattern::find in src/llama-grammar.cpp). That matcher recurses once per
// NFA state it passes, so an unbounded repetition (`.*`, `\s+`, `x{2,}`) recurses once per
// character of the text (about 260 bytes of stack each: `a*` over 32,000 characters overflows an
// 8 MiB stack) and costs time linear in the text from every start position; a repetition
// of a repetition or of an alternation, or a backreference, backtracks exponentially.
//
// The subset accepted (ECMAScript syntax, as std::regex reads it):
//   - literals, escapes, `.`, character classes, `^`, `$`, `\b`, `\B`;
//   - groups `( )`, `(?: )`, lookaheads `(?= )`, `(?! )`, alternation `|`;
//   - bounded repetitions `?`, `{n}`, `{m,n}` (lazy or not) with n <= max_regex_repetition,
//     applied to one character, a class, or a group that holds no repetition and no alternation.
// Refused: `*`, `+`, `{m,}`, backreferences, a repetition of a repetition, a repetition of a group
// holding an alternation or a repetition, a repeated assertion. Every accepted pattern then has
// a bounded match length (so one search from one position recurses at most `states` deep,
// whatever the text) and a bounded number of backtracking paths (`work`). A pattern searched
// anywhere needs no leading `.*`: `[\s\S]*?(<tool_call>)` triggers where `(<tool_call>)` does.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>

#include "core/input/input_limits.h"

namespace wasi_nn {

struct PatternStats {
  size_t depth = 0;           // deepest group nesting
  size_t states = 0;          // NFA states with repetitions expanded: the matcher's deepest recursion
  size_t paths = 0;           // backtracking paths from one start position
  size_t work = 0;            // paths x states: matcher steps from one start position, at most
  size_t max_reach = 0;       // bytes after a match's start the matcher may read (lookaheads included)
  bool syntax_error = false;  // std::regex will refuse it (reported by the caller's compile)
};

// Throws InvalidArgument naming `key` (e.g. "grammar_triggers pattern \"...\"") when the pattern
// is outside the subset above or over a limit.
PatternStats check_trigger_pattern(const std::string& pattern, const InputLimits& limits,
                                   const std::string& key = "grammar_triggers pattern");

// A word trigger becomes a literal pattern (llama.cpp escapes it); its bound is its length.
PatternStats check_trigger_word(const std::string& word, const InputLimits& limits,
                                const std::string& key = "grammar_triggers word");

}  // namespace wasi_nn
