// Reads a pattern the way libstdc++'s ECMAScript std::regex scanner does (regex_scanner.tcc:
// `]` right after `[` closes the class, `{` always starts an interval, several quantifiers in a
// row each apply to the previous result) and sizes it with an explicit stack of open groups.
#include "core/input/regex_check.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <vector>

#include "core/input/input_error.h"

namespace wasi_nn {
namespace {

constexpr size_t kHuge = std::numeric_limits<size_t>::max() / 4;
size_t sat_add(size_t a, size_t b) { return std::min(kHuge, a + b); }
size_t sat_mul(size_t a, size_t b) { return (a != 0 && b > kHuge / a) ? kHuge : a * b; }

// One piece of a sequence: an atom, a group, an assertion, or one of those repeated.
struct Item {
  size_t states = 1, paths = 1, len = 1, reach = 1;
  bool repeatable = true;  // not an assertion, not already repeated
  bool assertion = false;
  bool has_repeat = false;  // holds a repetition
  bool has_alt = false;     // holds an alternation
};

struct Sequence {
  size_t states = 0, paths = 1, len = 0, reach = 0;
  bool has_repeat = false, has_alt = false;
  bool has_last = false;
  Item last;

  void commit() {
    if (!has_last) return;
    states = sat_add(states, last.states);
    paths = sat_mul(paths, last.paths);
    reach = std::max(reach, sat_add(len, last.reach));
    len = sat_add(len, last.len);
    has_repeat = has_repeat || last.has_repeat;
    has_alt = has_alt || last.has_alt;
    has_last = false;
  }
  void add(const Item& item) {
    commit();
    last = item;
    has_last = true;
  }
};

enum class GroupKind { Root, Group, Lookahead };

struct Group {
  explicit Group(GroupKind k) : kind(k) {}
  GroupKind kind;
  Sequence cur;
  size_t states = 0, paths = 0, len = 0, reach = 0, alternatives = 0;
  bool has_repeat = false, has_alt = false;

  void end_alternative() {
    cur.commit();
    states = sat_add(states, cur.states);
    paths = sat_add(paths, cur.paths);
    len = std::max(len, cur.len);
    reach = std::max(reach, cur.reach);
    has_repeat = has_repeat || cur.has_repeat;
    has_alt = has_alt || cur.has_alt;
    ++alternatives;
    cur = Sequence{};
  }
  Item close() {
    end_alternative();
    Item it;
    it.states = sat_add(states, 2);  // the group's begin and end states
    it.paths = paths;
    it.len = kind == GroupKind::Lookahead ? 0 : len;
    it.reach = reach;
    it.assertion = kind == GroupKind::Lookahead;
    it.repeatable = !it.assertion;
    it.has_repeat = has_repeat;
    it.has_alt = has_alt || alternatives > 1;
    return it;
  }
};

struct Syntax {};  // std::regex will refuse the pattern; its compile reports why

class PatternScan {
 public:
  PatternScan(const std::string& p, const InputLimits& limits, const std::string& key)
      : p_(p), limits_(limits), key_(key) {}

  PatternStats run();

 private:
  void step();
  void escape();
  void char_class();
  void open_group();
  void quantifier(size_t min_times, size_t max_times);
  void braces();
  void atom(size_t advance) {
    i_ += advance;
    groups_.back().cur.add(Item{});
  }
  void assertion(size_t advance) {
    i_ += advance;
    Item it;
    it.len = 0;
    it.reach = 0;
    it.assertion = true;
    it.repeatable = false;
    groups_.back().cur.add(it);
  }
  [[noreturn]] void refuse(const std::string& what) {
    refuse_input(key_, what + " at byte " + std::to_string(at_) +
                           ". Trigger patterns are searched again over all generated text after "
                           "every token by a backtracking matcher, so only bounded repetitions "
                           "(?, {n}, {m,n}) of one character, a class or a group without "
                           "repetitions or alternatives are accepted; a pattern matches anywhere, "
                           "so a leading .* is never needed.");
  }

  const std::string& p_;
  const InputLimits& limits_;
  const std::string& key_;
  size_t i_ = 0;
  size_t at_ = 0;  // where the current token starts, for messages
  std::vector<Group> groups_;
  PatternStats stats_;
};

PatternStats PatternScan::run() {
  if (p_.size() > limits_.max_regex_bytes) {
    refuse_over_limit(key_, "is " + std::to_string(p_.size()) + " bytes", limits_.max_regex_bytes, "max_regex_bytes",
                      "Use a shorter pattern.");
  }
  groups_.emplace_back(GroupKind::Root);
  try {
    while (i_ < p_.size()) {
      at_ = i_;
      step();
    }
    if (groups_.size() != 1) throw Syntax{};
  } catch (const Syntax&) {
    stats_.syntax_error = true;
    return stats_;
  }
  const Item whole = groups_.back().close();
  stats_.states = whole.states;
  stats_.paths = whole.paths;
  stats_.work = sat_mul(whole.paths, whole.states);
  stats_.max_reach = whole.reach;
  if (stats_.states > limits_.max_regex_states) {
    refuse_over_limit(
        key_, "expands to " + std::to_string(stats_.states) + " matcher states (repetitions copy what they repeat)",
        limits_.max_regex_states, "max_regex_states", "Use smaller repetition counts or a shorter pattern.");
  }
  if (stats_.work > limits_.max_regex_work) {
    refuse_over_limit(
        key_,
        "can take " + std::to_string(stats_.work) + " matcher steps from one position (" +
            std::to_string(stats_.paths) + " backtracking paths x " + std::to_string(stats_.states) + " states)",
        limits_.max_regex_work, "max_regex_work", "Use fewer alternatives or optional parts in sequence.");
  }
  return stats_;
}

void PatternScan::step() {
  const char c = p_[i_];
  switch (c) {
    case '\\': return escape();
    case '[': return char_class();
    case '(': return open_group();
    case ')': {
      if (groups_.size() == 1) throw Syntax{};
      const Item it = groups_.back().close();
      groups_.pop_back();
      ++i_;
      return groups_.back().cur.add(it);
    }
    case '|': ++i_; return groups_.back().end_alternative();
    case '*':
    case '+': refuse(std::string("uses the unbounded repetition '") + c + "'");
    case '?': ++i_; return quantifier(0, 1);
    case '{': return braces();
    case '^':
    case '$': return assertion(1);
    default: return atom(1);
  }
}

void PatternScan::escape() {
  if (i_ + 1 >= p_.size()) throw Syntax{};
  const char c = p_[i_ + 1];
  if (c >= '1' && c <= '9') refuse("uses a backreference \\" + std::string(1, c));
  if (c == 'b' || c == 'B') return assertion(2);
  size_t hex = 0;
  if (c == 'x') hex = 2;
  if (c == 'u') hex = 4;
  if (c == 'c') hex = 1;
  if (i_ + 2 + hex > p_.size()) throw Syntax{};
  atom(2 + hex);
}

// A bracket expression: `]` closes it even first (ECMAScript); [:name:], [.x.], [=x=] inside.
void PatternScan::char_class() {
  size_t j = i_ + 1;
  if (j < p_.size() && p_[j] == '^') ++j;
  while (true) {
    if (j >= p_.size()) throw Syntax{};
    const char c = p_[j];
    if (c == ']') break;
    if (c == '\\') {
      j += 2;
      continue;
    }
    if (c == '[' && j + 1 < p_.size() && (p_[j + 1] == ':' || p_[j + 1] == '.' || p_[j + 1] == '=')) {
      const char kind = p_[j + 1];
      const size_t end = p_.find(std::string(1, kind) + "]", j + 2);
      if (end == std::string::npos) throw Syntax{};
      j = end + 2;
      continue;
    }
    ++j;
  }
  atom(j + 1 - i_);
}

void PatternScan::open_group() {
  GroupKind kind = GroupKind::Group;
  size_t advance = 1;
  if (i_ + 1 < p_.size() && p_[i_ + 1] == '?') {
    const char k = i_ + 2 < p_.size() ? p_[i_ + 2] : '\0';
    if (k == ':') {
      advance = 3;
    } else if (k == '=' || k == '!') {
      kind = GroupKind::Lookahead;
      advance = 3;
    } else {
      throw Syntax{};
    }
  }
  i_ += advance;
  groups_.emplace_back(kind);
  stats_.depth = std::max(stats_.depth, groups_.size() - 1);
  if (groups_.size() - 1 > limits_.max_regex_depth) {
    refuse_over_limit(key_,
                      "nests groups more than " + std::to_string(limits_.max_regex_depth) +
                          " deep (std::regex compiles them recursively)",
                      limits_.max_regex_depth, "max_regex_depth", "Use fewer nested groups.");
  }
}

void PatternScan::braces() {
  size_t j = i_ + 1;
  auto number = [&](size_t& out) {
    const size_t start = j;
    size_t v = 0;
    while (j < p_.size() && std::isdigit(static_cast<unsigned char>(p_[j]))) {
      v = std::min(kHuge, v * 10 + static_cast<size_t>(p_[j] - '0'));
      ++j;
    }
    out = v;
    return j > start;
  };
  size_t min_times = 0, max_times = 0;
  if (!number(min_times)) throw Syntax{};
  if (j < p_.size() && p_[j] == ',') {
    ++j;
    if (!number(max_times)) refuse("uses the unbounded repetition {" + std::to_string(min_times) + ",}");
  } else {
    max_times = min_times;
  }
  if (j >= p_.size() || p_[j] != '}') throw Syntax{};
  i_ = j + 1;
  quantifier(min_times, max_times);
}

void PatternScan::quantifier(size_t min_times, size_t max_times) {
  if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy: the same paths, tried in another order
  if (i_ < p_.size() && (p_[i_] == '*' || p_[i_] == '+')) {
    at_ = i_;
    refuse(std::string("uses the unbounded repetition '") + p_[i_] + "'");
  }
  Sequence& seq = groups_.back().cur;
  if (!seq.has_last) throw Syntax{};
  Item& it = seq.last;
  if (it.assertion) refuse("repeats an assertion");
  if (!it.repeatable) refuse("repeats a repetition");
  if (it.has_repeat) refuse("repeats a group that holds a repetition");
  if (it.has_alt) refuse("repeats a group that holds alternatives");
  if (min_times > max_times) throw Syntax{};
  if (max_times > limits_.max_regex_repetition) {
    refuse_over_limit(key_, "repeats an item up to " + std::to_string(max_times) + " times",
                      limits_.max_regex_repetition, "max_regex_repetition", "Use a smaller count.");
  }
  it.states = sat_add(sat_mul(it.states, max_times), 1);
  it.paths = max_times - min_times + 1;
  it.reach = max_times == 0 ? 0 : sat_add(sat_mul(max_times - 1, it.len), it.reach);
  it.len = sat_mul(it.len, max_times);
  it.repeatable = false;
  it.has_repeat = true;
}

}  // namespace

PatternStats check_trigger_pattern(const std::string& pattern, const InputLimits& limits, const std::string& key) {
  return PatternScan(pattern, limits, key).run();
}

PatternStats check_trigger_word(const std::string& word, const InputLimits& limits, const std::string& key) {
  if (word.size() > limits.max_regex_bytes) {
    refuse_over_limit(key, "is " + std::to_string(word.size()) + " bytes", limits.max_regex_bytes, "max_regex_bytes",
                      "Use a shorter word.");
  }
  PatternStats s;
  s.states = word.size();
  s.paths = 1;
  s.work = word.size();
  s.max_reach = word.size();
  return s;
}

}  // namespace wasi_nn
