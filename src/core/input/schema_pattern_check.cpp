// A scan that mirrors common_schema_converter::_pattern_to_rule (llama.cpp 80fb11a) step by step
// and stops where it would throw unsupported_pattern; it keeps only the position and the depth.
#include "core/input/schema_pattern_check.h"

#include <cctype>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "common.h"
#include "core/input/input_error.h"

namespace wasi_nn {
namespace {

constexpr int kMaxPatternDepth = 100;  // MAX_PATTERN_DEPTH

// gbnf_escape_length: \xHH, \uHHHH, \UHHHHHHHH, \t \r \n \\ \" \[ \]; 0 when unsupported.
size_t escape_length(const std::string& s, size_t pos) {
  if (pos + 1 >= s.size() || s[pos] != '\\') return 0;
  size_t n_hex = 0;
  switch (s[pos + 1]) {
    case 'x': n_hex = 2; break;
    case 'u': n_hex = 4; break;
    case 'U': n_hex = 8; break;
    case 't':
    case 'r':
    case 'n':
    case '\\':
    case '"':
    case '[':
    case ']': return 2;
    default: return 0;
  }
  if (pos + 2 + n_hex > s.size()) return 0;
  for (size_t i = pos + 2; i < pos + 2 + n_hex; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(s[i]))) return 0;
  }
  return 2 + n_hex;
}

bool non_literal(char c) { return c != '\0' && std::strchr("|.()[]{}*+?^$", c) != nullptr; }
bool escaped_in_regex_only(char c) { return c != '\0' && std::strchr("^$.[](){}|*+?", c) != nullptr; }

// {m}, {m,}, {,n}, {m,n}: the converter's std::stoi calls on each part.
bool valid_counts(const std::string& inner) {
  const auto nums = string_split(inner, ",");
  if (nums.size() != 1 && nums.size() != 2) return false;
  try {
    if (nums.size() == 1) {
      (void)std::stoi(nums[0]);
    } else {
      if (!nums[0].empty()) (void)std::stoi(nums[0]);
      if (!nums[1].empty()) (void)std::stoi(nums[1]);
    }
  } catch (const std::logic_error&) {
    return false;
  }
  return true;
}

// A run of literal characters from s[i]; returns the reason it is unsupported, or "" with *i
// past the run (or left where the converter would report an invalid pattern).
std::string scan_literal(const std::string& s, size_t* i) {
  const size_t n = s.size();
  bool empty = true;
  while (*i < n) {
    const char c = s[*i];
    if (c == '\\') {
      if (*i == n - 1) {  // a trailing backslash: invalid, the converter refuses it
        *i = n;
        return "";
      }
      if (escaped_in_regex_only(s[*i + 1])) {
        *i += 2;
      } else {
        const size_t e = escape_length(s, *i);
        if (e == 0) return "unsupported escape " + s.substr(*i, 2);
        *i += e;
      }
    } else if (c == '"' || (!non_literal(c) && (*i == n - 1 || empty || s[*i + 1] == '.' || !non_literal(s[*i + 1])))) {
      ++*i;
    } else {
      break;
    }
    empty = false;
  }
  return empty ? std::string("unsupported character ") + s[*i] : "";
}

}  // namespace

std::string unsupported_schema_pattern(const std::string& pattern) {
  if (pattern.size() < 2 || pattern.front() != '^' || pattern.back() != '$') return "not anchored with ^ and $";
  const std::string s = pattern.substr(1, pattern.size() - 2);
  const size_t n = s.size();
  size_t i = 0;
  int depth = 0;
  while (i < n) {
    const char c = s[i];
    if (c == '.' || c == '|' || c == '*' || c == '+' || c == '?') {
      ++i;
    } else if (c == '(') {
      ++i;
      if (i < n && s[i] == '?') {
        if (i + 1 >= n || s[i + 1] != ':') return "a group of the form (?...) other than (?:...)";
        i += 2;
      }
      if (++depth > kMaxPatternDepth) return "groups nested more than 100 deep";
    } else if (c == ')') {
      if (depth == 0) return "";  // unbalanced: invalid, the converter refuses it
      ++i;
      --depth;
    } else if (c == '^' || c == '$') {
      return "an anchor inside the pattern";
    } else if (c == '[') {
      for (++i; i < n && s[i] != ']';) {
        if (s[i] != '\\') {
          ++i;
          continue;
        }
        const size_t e = escape_length(s, i);
        if (e == 0) return "unsupported escape " + s.substr(i, 2) + " in a character class";
        i += e;
      }
      if (i >= n) return "";  // unterminated class: invalid, the converter refuses it
      ++i;
    } else if (c == '{') {
      const size_t close = s.find('}', i);
      if (close == std::string::npos) return "unterminated { }";
      if (!valid_counts(s.substr(i + 1, close - i - 1))) return "a repetition { } that is not {m}, {m,}, {,n} or {m,n}";
      i = close + 1;
    } else {
      const std::string why = scan_literal(s, &i);
      if (!why.empty()) return why;
    }
  }
  return "";
}

void check_schema_patterns(const nlohmann::ordered_json& schema, const std::string& key) {
  std::vector<const nlohmann::ordered_json*> todo = {&schema};
  while (!todo.empty()) {
    const nlohmann::ordered_json* v = todo.back();
    todo.pop_back();
    if (v->is_object()) {
      auto p = v->find("pattern");
      if (p != v->end() && p->is_string()) {
        const std::string why = unsupported_schema_pattern(p->get<std::string>());
        if (!why.empty()) {
          refuse_input(key, "has a pattern " + shown_text(p->get<std::string>()) + " that llama.cpp cannot convert (" +
                                why + "); use ^...$ with literals, classes, groups (?:...), | and repetitions");
        }
      }
    }
    if (v->is_structured()) {
      for (const auto& child : *v) todo.push_back(&child);
    }
  }
}

}  // namespace wasi_nn
