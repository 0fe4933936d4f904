// A replay of llama.cpp's GBNF parser (llama_grammar_parser::parse and
// llama_grammar_detect_left_recursion in src/llama-grammar.cpp, 80fb11a) with explicit stacks.
// Every step mirrors the original so that the rules built here are the rules llama.cpp would
// build; only their elements' kinds are kept (terminal, rule reference, alternative, end).
#include "core/input/gbnf_check.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/input/input_error.h"

namespace wasi_nn {
namespace {

constexpr uint64_t kNoMax = std::numeric_limits<uint64_t>::max();
constexpr uint64_t kLlamaRepetitionThreshold = 2000;  // MAX_REPETITION_THRESHOLD

enum Kind : uint8_t { kEnd, kAlt, kRef, kTerm };
struct Elem {
  Kind kind;
  uint32_t value;
};
using Rule = std::vector<Elem>;

// Where llama.cpp's parser would throw: it refuses the grammar there, so the replay stops.
struct SyntaxError {
  const char* at;
};

bool is_digit(char c) { return '0' <= c && c <= '9'; }
bool is_word(char c) { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '-' || is_digit(c); }

const char* parse_space(const char* pos, bool newline_ok) {
  while (*pos == ' ' || *pos == '\t' || *pos == '#' || (newline_ok && (*pos == '\r' || *pos == '\n'))) {
    if (*pos == '#') {
      while (*pos && *pos != '\r' && *pos != '\n') ++pos;
    } else {
      ++pos;
    }
  }
  return pos;
}

const char* parse_name(const char* pos) {
  const char* start = pos;
  while (is_word(*pos)) ++pos;
  if (pos == start) throw SyntaxError{pos};
  return pos;
}

// std::stoull of a digit run; llama.cpp's parse fails when it is out of range.
uint64_t parse_count(const char* begin, const char* end) {
  uint64_t v = 0;
  for (const char* p = begin; p < end; ++p) {
    const uint64_t d = static_cast<uint64_t>(*p - '0');
    if (v > (kNoMax - d) / 10) throw SyntaxError{begin};
    v = v * 10 + d;
  }
  return v;
}

const char* parse_int(const char* pos) {
  const char* start = pos;
  while (is_digit(*pos)) ++pos;
  if (pos == start) throw SyntaxError{pos};
  return pos;
}

// decode_utf8 for one character (stops at a NUL, as llama.cpp does).
const char* skip_utf8(const char* src) {
  static const int lookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  const int len = lookup[static_cast<uint8_t>(*src) >> 4];
  const char* end = src + len;
  const char* pos = src + 1;
  while (pos < end && *pos) ++pos;
  return pos;
}

const char* parse_hex(const char* src, int size) {
  const char* pos = src;
  const char* end = src + size;
  for (; pos < end && *pos; ++pos) {
    const char c = *pos;
    if (!(is_digit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F'))) break;
  }
  if (pos != end) throw SyntaxError{src};
  return pos;
}

const char* parse_char(const char* src) {
  if (*src == '\\') {
    switch (src[1]) {
      case 'x': return parse_hex(src + 2, 2);
      case 'u': return parse_hex(src + 2, 4);
      case 'U': return parse_hex(src + 2, 8);
      case 't':
      case 'r':
      case 'n':
      case '\\':
      case '"':
      case '[':
      case ']':
      case '-': return src + 2;
      default: throw SyntaxError{src};
    }
  }
  if (*src) return skip_utf8(src);
  throw SyntaxError{src};
}

// parse_token: <[id]> or <text> (one token of the model's vocabulary, which llama.cpp checks).
const char* parse_token(const char* src) {
  const char* pos = src;
  if (*pos != '<') throw SyntaxError{pos};
  ++pos;
  if (*pos == '[') {
    ++pos;
    const char* int_end = parse_int(pos);
    if (parse_count(pos, int_end) > 0xFFFFFFFFull) throw SyntaxError{pos};  // std::stoul
    pos = int_end;
    if (*pos != ']') throw SyntaxError{pos};
    ++pos;
    if (*pos != '>') throw SyntaxError{pos};
    return pos + 1;
  }
  while (*pos != 0 && *pos != '>') ++pos;
  if (*pos != '>') throw SyntaxError{pos};
  return pos + 1;
}

class Replay {
 public:
  Replay(const InputLimits& limits, const std::string& key) : limits_(limits), key_(key) {}

  void parse(const char* src) {
    text_ = src;
    const char* pos = parse_space(src, true);
    while (*pos) pos = parse_rule(pos);
  }

  // llama.cpp's checks after parsing: every rule defined, every reference to a defined rule, a
  // "root" rule. Returns false where llama.cpp refuses the grammar (before its left-recursion
  // check runs).
  bool complete() const {
    if (!symbols_.count("root")) return false;
    for (const Rule& r : rules_) {
      if (r.empty()) return false;
      for (const Elem& e : r) {
        if (e.kind == kRef && (e.value >= rules_.size() || rules_[e.value].empty())) return false;
      }
    }
    return true;
  }

  void replay_left_recursion_check();

  GrammarStats stats;

 private:
  struct Frame {
    uint32_t rule_id;
    Rule rule;
    bool nested;
    size_t last_sym_start = 0;
    uint64_t n_prev_rules = 1;
    uint32_t n_rules_before = 0;  // symbols before this group opened
  };

  const char* parse_rule(const char* src);
  const char* parse_alternates(const char* pos, const std::string& rule_name, uint32_t rule_id);
  const char* parse_item(const char* pos, std::vector<Frame>& frames, const std::string& name);
  const char* parse_braces(const char* pos, Frame& f, const std::string& rule_name);
  void repeat(Frame& f, uint64_t min_times, uint64_t max_times, const std::string& rule_name, const char* pos);
  void check_repetition(uint64_t min_times, uint64_t max_times);

  uint32_t symbol_id(const std::string& name) {
    const auto next = static_cast<uint32_t>(symbols_.size());
    auto result = symbols_.emplace(name, next);
    if (result.second) charge_name(name);
    return result.first->second;
  }
  uint32_t generate_symbol_id(const std::string& base) {
    const auto next = static_cast<uint32_t>(symbols_.size());
    std::string name = base + '_' + std::to_string(next);
    charge_name(name);
    symbols_[name] = next;
    if (symbols_.size() > limits_.max_grammar_rules) {
      refuse_over_limit(key_,
                        "expands to more than " + std::to_string(limits_.max_grammar_rules) +
                            " rules (each repetition {m,n} adds n-m rules, each ( ) group one)",
                        limits_.max_grammar_rules, "max_grammar_rules",
                        "Use smaller repetition counts or fewer groups.");
    }
    return next;
  }
  void add_rule(uint32_t id, const Rule& rule) {
    if (rules_.size() <= id) rules_.resize(id + 1);
    rules_[id] = rule;
    stats.rules = std::max(stats.rules, rules_.size());
  }
  // Rule names are memory too (a generated rule's name repeats its parent's): 8 bytes = 1 element.
  void charge_name(const std::string& name) { grow((name.size() + 7) / 8); }
  void grow(uint64_t n) {
    if (n > limits_.max_grammar_elements || stats.elements + n > limits_.max_grammar_elements) {
      refuse_over_limit(key_,
                        "expands to more than " + std::to_string(limits_.max_grammar_elements) +
                            " grammar elements (a repetition S{m,n} copies S m times)",
                        limits_.max_grammar_elements, "max_grammar_elements",
                        "Repeat shorter items, use smaller counts, or use * and + instead of "
                        "large bounded repetitions.");
    }
    stats.elements += n;
  }
  void push(Frame& f, Kind kind, uint32_t value = 0) {
    grow(1);
    f.rule.push_back({kind, value});
  }

  const InputLimits& limits_;
  const std::string& key_;
  std::unordered_map<std::string, uint32_t> symbols_;
  const char* text_ = nullptr;  // the grammar being parsed (token offsets are from here)
  std::vector<Rule> rules_;
};

const char* Replay::parse_rule(const char* src) {
  const char* name_end = parse_name(src);
  const char* pos = parse_space(name_end, false);
  const std::string name(src, name_end);
  const uint32_t rule_id = symbol_id(name);
  if (!(pos[0] == ':' && pos[1] == ':' && pos[2] == '=')) throw SyntaxError{pos};
  pos = parse_space(pos + 3, true);
  pos = parse_alternates(pos, name, rule_id);
  if (*pos == '\r') {
    pos += pos[1] == '\n' ? 2 : 1;
  } else if (*pos == '\n') {
    ++pos;
  } else if (*pos) {
    throw SyntaxError{pos};
  }
  return parse_space(pos, true);
}

// parse_alternates and parse_sequence, with a frame per open ( ) group instead of recursion.
const char* Replay::parse_alternates(const char* pos, const std::string& rule_name, uint32_t rule_id) {
  std::vector<Frame> frames;
  frames.push_back(Frame{rule_id, {}, false});
  while (true) {
    const char* next = parse_item(pos, frames, rule_name);
    if (next) {
      pos = next;
      continue;
    }
    Frame& f = frames.back();
    if (*pos == '|') {  // the next alternative: a fresh parse_sequence
      push(f, kAlt);
      pos = parse_space(pos + 1, true);
      f.last_sym_start = f.rule.size();
      f.n_prev_rules = 1;
      continue;
    }
    push(f, kEnd);
    add_rule(f.rule_id, f.rule);
    if (frames.size() == 1) return pos;
    const Frame group = std::move(frames.back());
    frames.pop_back();
    Frame& parent = frames.back();
    const uint32_t made = static_cast<uint32_t>(symbols_.size()) - group.n_rules_before;
    parent.n_prev_rules = std::max(1u, made);
    parent.last_sym_start = parent.rule.size();
    push(parent, kRef, group.rule_id);
    if (*pos != ')') throw SyntaxError{pos};
    pos = parse_space(pos + 1, parent.nested);
  }
}

// One step of parse_sequence; returns null at a byte that ends the sequence.
const char* Replay::parse_item(const char* pos, std::vector<Frame>& frames, const std::string& name) {
  Frame& f = frames.back();
  if (*pos == '"') {
    ++pos;
    f.last_sym_start = f.rule.size();
    f.n_prev_rules = 1;
    while (*pos != '"') {
      if (!*pos) throw SyntaxError{pos};
      pos = parse_char(pos);
      push(f, kTerm);
    }
    return parse_space(pos + 1, f.nested);
  }
  if (*pos == '[') {
    ++pos;
    if (*pos == '^') ++pos;
    f.last_sym_start = f.rule.size();
    f.n_prev_rules = 1;
    while (*pos != ']') {
      if (!*pos) throw SyntaxError{pos};
      pos = parse_char(pos);
      push(f, kTerm);
      if (pos[0] == '-' && pos[1] != ']') {
        if (!pos[1]) throw SyntaxError{pos};
        pos = parse_char(pos + 1);
        push(f, kTerm);
      }
    }
    return parse_space(pos + 1, f.nested);
  }
  if (*pos == '<' || *pos == '!') {
    if (*pos == '!') ++pos;
    const char* end = parse_token(pos);
    if (pos[1] != '[') stats.token_texts.emplace_back(static_cast<size_t>(pos - text_), static_cast<size_t>(end - pos));
    f.last_sym_start = f.rule.size();
    f.n_prev_rules = 1;
    push(f, kTerm);
    return parse_space(end, f.nested);
  }
  if (is_word(*pos)) {
    const char* name_end = parse_name(pos);
    const uint32_t id = symbol_id(std::string(pos, name_end));
    pos = parse_space(name_end, f.nested);
    f.last_sym_start = f.rule.size();
    f.n_prev_rules = 1;
    push(f, kRef, id);
    return pos;
  }
  if (*pos == '(') {
    pos = parse_space(pos + 1, true);
    const auto before = static_cast<uint32_t>(symbols_.size());
    const uint32_t sub = generate_symbol_id(name);
    frames.push_back(Frame{sub, {}, true, 0, 1, before});
    const size_t depth = frames.size() - 1;
    stats.depth = std::max(stats.depth, depth);
    if (depth > limits_.max_grammar_depth) {
      refuse_over_limit(key_,
                        "nests parentheses more than " + std::to_string(limits_.max_grammar_depth) +
                            " deep (llama.cpp's parser recurses once per level)",
                        limits_.max_grammar_depth, "max_grammar_depth", "Name the inner groups as rules of their own.");
    }
    return pos;
  }
  if (*pos == '.') {
    f.last_sym_start = f.rule.size();
    f.n_prev_rules = 1;
    push(f, kTerm);
    return parse_space(pos + 1, f.nested);
  }
  if (*pos == '*' || *pos == '+' || *pos == '?') {
    const char op = *pos;
    pos = parse_space(pos + 1, f.nested);
    repeat(f, op == '+' ? 1 : 0, op == '?' ? 1 : kNoMax, name, pos);
    return pos;
  }
  if (*pos == '{') return parse_braces(pos, f, name);
  return nullptr;
}

const char* Replay::parse_braces(const char* pos, Frame& f, const std::string& rule_name) {
  const char* at = pos;
  pos = parse_space(pos + 1, f.nested);
  if (!is_digit(*pos)) throw SyntaxError{pos};
  const char* int_end = parse_int(pos);
  const uint64_t min_times = parse_count(pos, int_end);
  pos = parse_space(int_end, f.nested);
  uint64_t max_times = kNoMax;
  if (*pos == '}') {
    max_times = min_times;
    pos = parse_space(pos + 1, f.nested);
  } else if (*pos == ',') {
    pos = parse_space(pos + 1, f.nested);
    if (is_digit(*pos)) {
      const char* max_end = parse_int(pos);
      max_times = parse_count(pos, max_end);
      pos = parse_space(max_end, f.nested);
    }
    if (*pos != '}') throw SyntaxError{pos};
    pos = parse_space(pos + 1, f.nested);
  } else {
    throw SyntaxError{pos};
  }
  check_repetition(min_times, max_times);
  if (min_times > kLlamaRepetitionThreshold) throw SyntaxError{at};
  if (max_times != kNoMax && max_times > kLlamaRepetitionThreshold) max_times = kNoMax;
  repeat(f, min_times, max_times, rule_name, at);
  return pos;
}

// Counts llama.cpp would take as given but should not: above its threshold it refuses the
// minimum and silently drops the maximum; a minimum above the maximum wraps n-m around to 2^64.
void Replay::check_repetition(uint64_t min_times, uint64_t max_times) {
  const uint64_t limit = limits_.max_grammar_repetition;
  const uint64_t biggest = max_times == kNoMax ? min_times : std::max(min_times, max_times);
  if (biggest > limit) {
    refuse_over_limit(key_, "repeats an item " + std::to_string(biggest) + " times", limit, "max_grammar_repetition",
                      "llama.cpp refuses a larger minimum and silently makes a larger maximum "
                      "unbounded; use a smaller count, or * / + for an unbounded one.");
  }
  if (max_times != kNoMax && min_times > max_times) {
    refuse_input(key_, "has a repetition {" + std::to_string(min_times) + "," + std::to_string(max_times) +
                           "} whose minimum exceeds its maximum "
                           "(llama.cpp would expand it into about 2^64 rules); write {m,n} with m <= n.");
  }
}

// handle_repetitions: S{m,n} -> S repeated m times, then n-m optional rules S'(k) ::= S S'(k-1) |.
void Replay::repeat(Frame& f, uint64_t min_times, uint64_t max_times, const std::string& rule_name, const char* pos) {
  const bool no_max = max_times == kNoMax;
  if (f.last_sym_start == f.rule.size()) throw SyntaxError{pos};
  const Rule prev(f.rule.begin() + static_cast<std::ptrdiff_t>(f.last_sym_start), f.rule.end());
  uint64_t total_rules = 1;
  if (!no_max && max_times > 0) {
    total_rules = max_times;
  } else if (min_times > 0) {
    total_rules = min_times;
  }
  if (f.n_prev_rules * total_rules >= kLlamaRepetitionThreshold) throw SyntaxError{pos};
  if (min_times == 0) {
    f.rule.resize(f.last_sym_start);
  } else {
    grow((min_times - 1) * prev.size());
    for (uint64_t i = 1; i < min_times; ++i) f.rule.insert(f.rule.end(), prev.begin(), prev.end());
  }
  const uint64_t n_opt = no_max ? 1 : max_times - min_times;
  grow(n_opt * (prev.size() + 3));
  uint32_t last_rec_rule_id = 0;
  Rule rec(prev);
  for (uint64_t i = 0; i < n_opt; ++i) {
    rec.resize(prev.size());
    const uint32_t rec_rule_id = generate_symbol_id(rule_name);
    if (i > 0 || no_max) rec.push_back({kRef, no_max ? rec_rule_id : last_rec_rule_id});
    rec.push_back({kAlt, 0});
    rec.push_back({kEnd, 0});
    add_rule(rec_rule_id, rec);
    last_rec_rule_id = rec_rule_id;
  }
  if (n_opt > 0) push(f, kRef, last_rec_rule_id);
  f.n_prev_rules *= total_rules;
}

// llama_grammar_detect_left_recursion for every rule, with an explicit stack. It recurses into a
// leftmost reference whether or not that rule was checked before, so shared rules are revisited.
void Replay::replay_left_recursion_check() {
  const size_t n = rules_.size();
  std::vector<bool> visited(n), in_progress(n), may_be_empty(n);
  struct Call {
    size_t rule;
    size_t i = 0;
    bool recurse = true;
  };
  std::vector<Call> stack;
  auto enter = [&](size_t r) {
    if (++stats.left_visits > kMaxGrammarLeftVisits) {
      refuse_over_limit(
          key_,
          "makes llama.cpp's left-recursion check visit rules more than " + std::to_string(kMaxGrammarLeftVisits) +
              " times (chains of alternatives that start with the same rule "
              "are revisited once per path)",
          kMaxGrammarLeftVisits, "kMaxGrammarLeftVisits", "Factor the shared leading rule out of the alternatives.");
    }
    in_progress[r] = true;
    const Rule& rule = rules_[r];
    bool at_start = true;
    for (const Elem& e : rule) {
      if (e.kind == kEnd || e.kind == kAlt) {
        if (at_start) {
          may_be_empty[r] = true;
          break;
        }
        at_start = true;
      } else {
        at_start = false;
      }
    }
    stack.push_back(Call{r});
    stats.left_depth = std::max(stats.left_depth, stack.size());
    if (stack.size() > limits_.max_grammar_left_depth) {
      refuse_over_limit(key_,
                        "chains rules more than " + std::to_string(limits_.max_grammar_left_depth) +
                            " deep through their first symbols (llama.cpp's left-recursion "
                            "check recurses once per link)",
                        limits_.max_grammar_left_depth, "max_grammar_left_depth",
                        "Start long chains of rules with a literal, or flatten them.");
    }
  };
  for (size_t start = 0; start < n; ++start) {
    if (visited[start]) continue;
    enter(start);
    while (!stack.empty()) {
      Call& c = stack.back();
      const Rule& rule = rules_[c.rule];
      if (c.i >= rule.size()) {
        in_progress[c.rule] = false;
        visited[c.rule] = true;
        const size_t done = c.rule;
        stack.pop_back();
        if (!stack.empty()) {
          Call& parent = stack.back();
          if (!may_be_empty[done]) parent.recurse = false;
          ++parent.i;
        }
        continue;
      }
      const Elem& e = rule[c.i];
      if (e.kind == kRef && c.recurse) {
        if (in_progress[e.value]) return;  // left recursion: llama.cpp refuses the grammar
        enter(e.value);
        continue;
      }
      c.recurse = e.kind == kEnd || e.kind == kAlt;
      ++c.i;
    }
  }
}

}  // namespace

GrammarStats check_gbnf(const std::string& text, const InputLimits& limits, const std::string& key) {
  const size_t size = std::min(text.size(), text.find('\0'));  // llama.cpp reads a C string
  if (size > limits.max_grammar_bytes) {
    refuse_over_limit(key, "is " + std::to_string(size) + " bytes", limits.max_grammar_bytes, "max_grammar_bytes",
                      "Send a shorter grammar.");
  }
  Replay replay(limits, key);
  try {
    replay.parse(text.c_str());
  } catch (const SyntaxError& e) {
    replay.stats.syntax_error = true;
    replay.stats.error_offset = static_cast<size_t>(e.at - text.c_str());
    return replay.stats;
  }
  if (!replay.complete()) {
    replay.stats.syntax_error = true;
    replay.stats.undefined_rule = true;
    replay.stats.error_offset = size;
    return replay.stats;
  }
  replay.replay_left_recursion_check();
  return replay.stats;
}

void refuse_unparsable_gbnf(const GrammarStats& stats, const std::string& key) {
  if (!stats.syntax_error) return;
  if (stats.undefined_rule) {
    refuse_input(key,
                 "names a rule it never defines, or defines no 'root' rule; define every rule it uses, "
                 "starting with root ::= ...");
  }
  refuse_input(key, "does not parse as GBNF (a syntax error at byte " + std::to_string(stats.error_offset) +
                        "); see llama.cpp's grammars/README.md");
}

}  // namespace wasi_nn
