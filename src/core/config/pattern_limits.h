// Bounds on the two kinds of guest text that llama.cpp parses recursively: a GBNF grammar
// (llama_grammar_parser: one recursion per nested group) and a grammar trigger's regular
// expression (std::regex, compiled by the parser and by llama.cpp's lazy grammar). Nested
// 20,000 deep, either overflows the stack of the thread that parses it and the process dies
// (found by hand next to the context fuzzer; docs/HARDENING.md). A regex's repetition counts
// multiply the automaton std::regex builds, so they are bounded too; and since std::regex
// backtracks, and llama.cpp runs a lazy grammar's trigger patterns over all the text generated
// so far after every token on the engine thread every conversation shares, a pattern may not
// repeat a group that itself repeats or alternates ((a+)+, (a|b)*: exponential time).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wasi_nn {

constexpr int kMaxGrammarNesting = 64;       // nested ( ) groups in a GBNF grammar
constexpr int kMaxPatternNesting = 32;       // nested ( ) groups in a trigger pattern
constexpr uint64_t kMaxPatternSize = 10000;  // pattern atoms after expanding {m,n} counts
constexpr size_t kMaxPatternBytes = 4096;

// Throw Error(InvalidArgument) with a short reason (the parser adds the key) when the text is
// past a bound. They only measure: whether the text parses is for llama.cpp / std::regex.
void check_grammar_nesting(const std::string& grammar);
void check_pattern_size(const std::string& pattern);  // length, nesting, expansion, backtracking

}  // namespace wasi_nn
