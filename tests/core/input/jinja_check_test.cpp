// check_template: every template llama.cpp ships (models/templates) and the tiny models' own
// pass; nesting attacks on the Jinja parser are refused by name.
#include <gtest/gtest.h>

#include "core/input/jinja_check.h"
#include "input_test_support.h"
#include "llama.h"
#include "test_vocab.h"

namespace wasi_nn {
namespace {

using test::nested;
const InputLimits kLimits;

TEST(JinjaCheck, LlamaCppsTemplatesPassAsGuestTemplates) {
  const auto files = test::files_in(test::llama_dir() + "/models/templates", ".jinja");
  ASSERT_GE(files.size(), 50u);
  TemplateStats worst;
  for (const auto& f : files) {
    TemplateStats s;
    EXPECT_NO_THROW(s = check_template(test::read_file(f), TemplateTrust::Guest, kLimits)) << f;
    worst.block_depth = std::max(worst.block_depth, s.block_depth);
    worst.bracket_depth = std::max(worst.bracket_depth, s.bracket_depth);
    worst.expression_depth = std::max(worst.expression_depth, s.expression_depth);
  }
  // The defaults leave room above what real templates use (recorded in docs/INPUT_BOUNDS.md).
  EXPECT_LE(worst.block_depth * 2, kLimits.max_template_block_depth);
  EXPECT_LE(worst.bracket_depth * 2, kLimits.max_template_bracket_depth);
  EXPECT_LE(worst.expression_depth * 2, kLimits.max_template_expression_depth);
  std::printf("deepest over models/templates: blocks %zu, brackets %zu, expression %zu\n", worst.block_depth,
              worst.bracket_depth, worst.expression_depth);
}

TEST(JinjaCheck, TinyModelsTemplatesPass) {
  for (const char* name : {"tiny-llama", "tiny-qwen2", "tiny-phi3"}) {
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    test::tiny_model();  // initialises llama.cpp
    llama_model* m = llama_model_load_from_file(test::model_path(name).c_str(), mp);
    ASSERT_NE(m, nullptr) << name;
    const char* t = llama_model_chat_template(m, nullptr);
    if (t) EXPECT_NO_THROW(check_template(t, TemplateTrust::Operator, kLimits)) << name;
    llama_model_free(m);
  }
}

TEST(JinjaCheck, DeepBracketsAreRefused) {
  EXPECT_REFUSED(check_template("{{ " + nested(100000, "(", ")", "1") + " }}", TemplateTrust::Operator, kLimits),
                 "nests brackets more than 16 deep", "max_template_bracket_depth");
  EXPECT_REFUSED(check_template("{{ " + nested(20, "[", "]") + " }}", TemplateTrust::Guest, kLimits),
                 "max_template_bracket_depth");
  EXPECT_NO_THROW(check_template("{{ " + nested(16, "(", ")", "1") + " }}", TemplateTrust::Guest, kLimits));
}

TEST(JinjaCheck, LongOperatorChainsAreRefused) {
  std::string chain = "{{ 'a'";
  for (int i = 0; i < 100000; ++i) chain += " ~ 'a'";
  EXPECT_REFUSED(check_template(chain + " }}", TemplateTrust::Operator, kLimits), "operators deep",
                 "max_template_expression_depth");
  std::string nots = "{% if " + std::string();
  for (int i = 0; i < 100; ++i) nots += "not ";
  EXPECT_REFUSED(check_template(nots + "x %}{% endif %}", TemplateTrust::Guest, kLimits),
                 "max_template_expression_depth");
  std::string calls = "{{ f";
  for (int i = 0; i < 100; ++i) calls += "()";
  EXPECT_REFUSED(check_template(calls + " }}", TemplateTrust::Guest, kLimits), "max_template_expression_depth");
}

TEST(JinjaCheck, DeepBlocksAndElifChainsAreRefused) {
  EXPECT_REFUSED(check_template(nested(1000, "{% if x %}", "{% endif %}"), TemplateTrust::Guest, kLimits),
                 "nests blocks 33 deep", "max_template_block_depth");
  std::string elifs = "{% if x == 0 %}a";
  for (int i = 1; i < 20000; ++i) elifs += "{% elif x == " + std::to_string(i) + " %}a";
  EXPECT_REFUSED(check_template(elifs + "{% endif %}", TemplateTrust::Operator, kLimits),
                 "each {% elif %} counts as one more level");
  EXPECT_REFUSED(check_template(nested(40, "{% for x in y %}", "{% endfor %}"), TemplateTrust::Guest, kLimits),
                 "max_template_block_depth");
  // Blocks that close do not add up.
  std::string flat;
  for (int i = 0; i < 1000; ++i) flat += "{% if x %}{% set y = 1 %}{% endif %}";
  EXPECT_NO_THROW(check_template(flat, TemplateTrust::Guest, kLimits));
}

TEST(JinjaCheck, SizeDependsOnWhoSuppliedIt) {
  const std::string big = "{{ x }}" + std::string(100 * 1024, 'a');
  EXPECT_REFUSED(check_template(big, TemplateTrust::Guest, kLimits), "max_template_bytes");
  EXPECT_NO_THROW(check_template(big, TemplateTrust::Operator, kLimits));
  std::string crlf;
  for (int i = 0; i < 5000; ++i) crlf += "a\r\n";
  EXPECT_REFUSED(check_template(crlf, TemplateTrust::Guest, kLimits), "\\r\\n line ends");
}

TEST(JinjaCheck, WhatDoesNotLexIsRefused) {
  EXPECT_REFUSED(check_template("{{ 'unterminated }}", TemplateTrust::Guest, kLimits),
                 "chat_template is not a valid Jinja template");
}

}  // namespace
}  // namespace wasi_nn
