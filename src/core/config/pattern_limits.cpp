#include "core/config/pattern_limits.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/base/error.h"

namespace wasi_nn {
namespace {

// Index just past the end of a quoted literal or a [...] class that starts at `i` (backslash
// escapes the next character); the text's end when it is not closed (the parser says why).
size_t skip_delimited(const std::string& s, size_t i, char close) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') ++i;
    else if (s[i] == close) return i + 1;
  }
  return s.size();
}

uint64_t saturating_mul(uint64_t a, uint64_t b) {
  return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

// One ( ) group of a pattern being measured: its atoms so far, and the size of the item a
// following {m,n} would repeat.
struct Group {
  uint64_t total = 0;
  uint64_t last = 0;
  bool repeats = false;    // holds a quantifier (* + {m,n}), here or in a nested group
  bool alternates = false;  // holds a |, here or in a nested group
};

// Reads "{m}", "{m,}" or "{m,n}" at `i`; returns how many times it repeats the item (n, or m + 1
// when open-ended), 0 when it is not a counted repetition (then '{' is a literal).
uint64_t repetition(const std::string& s, size_t* i) {
  size_t j = *i + 1;
  auto number = [&](uint64_t* out) {
    const size_t start = j;
    *out = 0;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
      *out = std::min<uint64_t>(*out * 10 + (s[j++] - '0'), UINT32_MAX);
    }
    return j > start;
  };
  uint64_t m = 0, n = 0;
  if (!number(&m)) return 0;
  bool open = false;
  if (j < s.size() && s[j] == ',') {
    ++j;
    open = !number(&n);
  } else {
    n = m;
  }
  if (j >= s.size() || s[j] != '}') return 0;
  *i = j;
  return std::max<uint64_t>(1, open ? m + 1 : n);
}

[[noreturn]] void too_big(const std::string& what) {
  fail(ErrorKind::InvalidArgument, "has a pattern that " + what + "; simplify it");
}

// std::regex backtracks: a repeated group that itself repeats or alternates ((a+)+, (a|a)*)
// takes time exponential in the text it is matched against, and llama.cpp matches a lazy
// grammar's trigger patterns against everything generated so far, after every token, on the
// engine thread all conversations share (25 characters of pattern held it for over a minute).
[[noreturn]] void backtracks() {
  too_big("repeats a group that itself repeats or has alternatives (like (a+)* or (a|b)+); "
          "std::regex would backtrack exponentially on it. Write the group without the inner "
          "repetition or alternatives, or use a \"word\" trigger");
}

}  // namespace

void check_grammar_nesting(const std::string& g) {
  int depth = 0;
  for (size_t i = 0; i < g.size();) {
    const char c = g[i];
    if (c == '"' || c == '[') {
      i = skip_delimited(g, i, c == '"' ? '"' : ']');
      continue;
    }
    if (c == '#') {  // a comment, to the end of the line
      while (i < g.size() && g[i] != '\n') ++i;
      continue;
    }
    if (c == '(' && ++depth > kMaxGrammarNesting) {
      fail(ErrorKind::InvalidArgument, "nests groups ( ) deeper than " + std::to_string(kMaxGrammarNesting) +
                                           " levels; name the inner parts as rules instead");
    }
    if (c == ')') depth = std::max(0, depth - 1);
    ++i;
  }
}

void check_pattern_size(const std::string& p) {
  if (p.size() > kMaxPatternBytes) too_big("is longer than " + std::to_string(kMaxPatternBytes) + " bytes");
  std::vector<Group> groups(1);
  bool risky_item = false;  // the item a quantifier would apply to is a group that backtracks
  auto atom = [&](uint64_t size) {
    groups.back().total = std::min(UINT64_MAX - size, groups.back().total) + size;
    groups.back().last = size;
    risky_item = false;
  };
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '*' || c == '+') {
      if (risky_item) backtracks();
      groups.back().repeats = true;
      continue;
    }
    if (c == '\\') {
      ++i;
      atom(1);
    } else if (c == '[') {
      const size_t from = i + 1 < p.size() && p[i + 1] == ']' ? i + 1 : i;  // "[]...]": a literal ]
      i = skip_delimited(p, from, ']') - 1;
      atom(1);
    } else if (c == '(') {
      groups.emplace_back();
      if (groups.size() - 1 > static_cast<size_t>(kMaxPatternNesting)) {
        too_big("nests groups ( ) deeper than " + std::to_string(kMaxPatternNesting) + " levels");
      }
    } else if (c == ')' && groups.size() > 1) {
      const Group inner = groups.back();
      groups.pop_back();
      atom(std::max<uint64_t>(1, inner.total));
      risky_item = inner.repeats || inner.alternates;
      groups.back().repeats |= inner.repeats;
      groups.back().alternates |= inner.alternates;
    } else if (c == '{' && groups.back().last > 0) {
      const uint64_t times = repetition(p, &i);
      if (times == 0) {
        atom(1);
      } else {
        if (times > 1 && risky_item) backtracks();
        Group& g = groups.back();
        g.repeats = g.repeats || times > 1;
        g.total = std::min(UINT64_MAX / 2, g.total) + saturating_mul(g.last, times - 1);
        g.last = saturating_mul(g.last, times);
      }
    } else if (c == '|') {
      groups.back().last = 0;
      groups.back().alternates = true;
      risky_item = false;
    } else if (c != '?') {
      atom(1);
    }
    if (groups.back().total > kMaxPatternSize) {
      too_big("expands to more than " + std::to_string(kMaxPatternSize) + " items once its {m,n} "
              "repetitions are counted");
    }
  }
}

}  // namespace wasi_nn
