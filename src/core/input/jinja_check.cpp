#include "core/input/jinja_check.h"

#include <algorithm>
#include <vector>

#include "core/input/input_error.h"
// The engine's lexer header defines a helper it does not use here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "jinja/lexer.h"
#pragma GCC diagnostic pop

namespace wasi_nn {
namespace {

using jinja::token;

bool is_block_open(const std::string& name) {
  return name == "if" || name == "for" || name == "macro" || name == "call" || name == "filter";
}

bool is_block_close(const std::string& name) {
  return name == "endif" || name == "endfor" || name == "endmacro" || name == "endcall" || name == "endfilter" ||
         name == "endset";
}

bool is_operator(const token& t) {
  switch (t.t) {
    case token::additive_binary_operator:
    case token::multiplicative_binary_operator:
    case token::comparison_binary_operator:
    case token::unary_operator:
    case token::pipe:
    case token::dot:
    case token::call_operator: return true;
    case token::identifier:
      return t.value == "and" || t.value == "or" || t.value == "not" || t.value == "in" || t.value == "is" ||
             t.value == "if" || t.value == "else";
    default: return false;
  }
}

bool is_open(token::type t) {
  return t == token::open_paren || t == token::open_square_bracket || t == token::open_curly_bracket;
}

bool is_close(token::type t) {
  return t == token::close_paren || t == token::close_square_bracket || t == token::close_curly_bracket;
}

class TemplateScan {
 public:
  TemplateScan(const InputLimits& limits, const std::string& key) : limits_(limits), key_(key) {}

  void run(const std::vector<token>& tokens);
  TemplateStats stats;

 private:
  struct Level {
    size_t ops = 0;
    size_t deepest_child = 0;
  };
  size_t tag(const std::vector<token>& tokens, size_t begin, size_t end);
  void statement(const std::vector<token>& tokens, size_t begin, size_t end);
  void check_depths();

  const InputLimits& limits_;
  const std::string& key_;
  std::vector<size_t> blocks_;  // open blocks: 1 + their elifs
  size_t block_depth_ = 0;
};

void TemplateScan::run(const std::vector<token>& tokens) {
  stats.tokens = tokens.size();
  size_t i = 0;
  while (i < tokens.size()) {
    const token::type t = tokens[i].t;
    if (t != token::open_statement && t != token::open_expression) {
      ++i;
      continue;
    }
    const token::type close = t == token::open_statement ? token::close_statement : token::close_expression;
    size_t end = i + 1;
    while (end < tokens.size() && tokens[end].t != close) ++end;
    if (t == token::open_statement) statement(tokens, i + 1, end);
    const size_t depth = tag(tokens, i + 1, end);
    stats.expression_depth = std::max(stats.expression_depth, depth);
    check_depths();
    i = end + 1;
  }
}

// Block nesting as the parser recurses: a block per if/for/macro/call/filter and per
// {% set x %}...{% endset %} (a set without `=`), one more per elif until the endif.
void TemplateScan::statement(const std::vector<token>& tokens, size_t begin, size_t end) {
  if (begin >= end || tokens[begin].t != token::identifier) return;
  const std::string& name = tokens[begin].value;
  if (name == "filter") ++stats.filter_blocks;
  bool opens = is_block_open(name);
  if (name == "set") {
    opens = true;
    int brackets = 0;
    for (size_t k = begin + 1; k < end; ++k) {
      if (is_open(tokens[k].t)) ++brackets;
      if (is_close(tokens[k].t)) --brackets;
      if (tokens[k].t == token::equals && brackets == 0) opens = false;
    }
  }
  if (opens) {
    blocks_.push_back(1);
    ++block_depth_;
  } else if (name == "elif" && !blocks_.empty()) {
    ++blocks_.back();
    ++block_depth_;
  } else if (is_block_close(name) && !blocks_.empty()) {
    block_depth_ -= blocks_.back();
    blocks_.pop_back();
  }
  stats.block_depth = std::max(stats.block_depth, block_depth_);
}

// An upper bound of the AST depth of one tag: at each bracket level, every operator can nest
// the expression one deeper (chains nest to the left), plus the deepest bracket inside.
size_t TemplateScan::tag(const std::vector<token>& tokens, size_t begin, size_t end) {
  std::vector<Level> levels(1);
  for (size_t k = begin; k < end; ++k) {
    const token& t = tokens[k];
    if (is_open(t.t)) {
      ++levels.back().ops;  // a call, an index, or a literal: one node above what it holds
      levels.emplace_back();
      stats.bracket_depth = std::max(stats.bracket_depth, levels.size() - 1);
      if (levels.size() - 1 > limits_.max_template_bracket_depth) check_depths();
    } else if (is_close(t.t) && levels.size() > 1) {
      const Level done = levels.back();
      levels.pop_back();
      levels.back().deepest_child = std::max(levels.back().deepest_child, done.ops + done.deepest_child + 1);
    } else if (is_operator(t)) {
      ++levels.back().ops;
    }
  }
  while (levels.size() > 1) {  // unclosed: the parser refuses it, but size it all the same
    const Level done = levels.back();
    levels.pop_back();
    levels.back().deepest_child = std::max(levels.back().deepest_child, done.ops + done.deepest_child + 1);
  }
  return levels[0].ops + levels[0].deepest_child + 1;
}

void TemplateScan::check_depths() {
  if (stats.bracket_depth > limits_.max_template_bracket_depth) {
    refuse_over_limit(key_,
                      "nests brackets more than " + std::to_string(limits_.max_template_bracket_depth) +
                          " deep in one tag (the Jinja parser recurses about twelve frames per level)",
                      limits_.max_template_bracket_depth, "max_template_bracket_depth",
                      "Split the expression with {% set %}.");
  }
  if (stats.expression_depth > limits_.max_template_expression_depth) {
    refuse_over_limit(key_,
                      "has an expression " + std::to_string(stats.expression_depth) +
                          " operators deep (parsing, rendering and freeing it recurse once per operator)",
                      limits_.max_template_expression_depth, "max_template_expression_depth",
                      "Split the expression with {% set %}.");
  }
  if (stats.block_depth > limits_.max_template_block_depth) {
    refuse_over_limit(
        key_, "nests blocks " + std::to_string(stats.block_depth) + " deep (each {% elif %} counts as one more level)",
        limits_.max_template_block_depth, "max_template_block_depth",
        "Use fewer nested blocks and shorter elif chains.");
  }
}

}  // namespace

TemplateStats check_template(const std::string& text, TemplateTrust trust, const InputLimits& limits,
                             const std::string& key) {
  const size_t max_bytes =
      trust == TemplateTrust::Guest ? limits.max_template_bytes : limits.max_operator_template_bytes;
  const char* max_name = trust == TemplateTrust::Guest ? "max_template_bytes" : "max_operator_template_bytes";
  if (text.size() > max_bytes) {
    refuse_over_limit(key, "is " + std::to_string(text.size()) + " bytes", max_bytes, max_name,
                      "Use a shorter template.");
  }
  TemplateStats stats;
  for (size_t at = text.find("\r\n"); at != std::string::npos; at = text.find("\r\n", at + 2)) {
    if (++stats.crlf > kMaxTemplateCrlf) {
      refuse_over_limit(key,
                        "has more than " + std::to_string(kMaxTemplateCrlf) +
                            " \\r\\n line ends (the Jinja lexer erases each one in place)",
                        kMaxTemplateCrlf, "kMaxTemplateCrlf", "Use \\n line ends.");
    }
  }
  jinja::lexer_result lexed;
  try {
    lexed = jinja::lexer().tokenize(text);
  } catch (const std::exception& e) {
    refuse_input(key, std::string("is not a valid Jinja template: ") + e.what());
  }
  TemplateScan scan(limits, key);
  scan.stats = stats;
  scan.run(lexed.tokens);
  return scan.stats;
}

}  // namespace wasi_nn
