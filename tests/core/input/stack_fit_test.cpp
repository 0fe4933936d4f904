// The limits are enough: the worst input each check accepts goes through llama.cpp's real
// parser (and, for trigger patterns, its matcher) on a thread with a 1 MiB stack (512 KiB for
// the matcher, which runs on the engine's 8 MiB worker), in a child process. A limit set too
// high would crash the child.
#include <gtest/gtest.h>

#include "common.h"
#include "core/input/gbnf_check.h"
#include "core/input/jinja_check.h"
#include "core/input/json_schema_check.h"
#include "core/input/regex_check.h"
#include "input_test_support.h"
#include "json-schema-to-grammar.h"
#include "llama.h"
#include "test_vocab.h"

namespace wasi_nn {
namespace {

using test::nested;
const InputLimits kLimits;
constexpr size_t kCallerStack = 1u << 20;

void expect_fits(const std::function<void()>& call, size_t stack = kCallerStack) {
  test::tiny_model();
  const test::ChildOutcome o = test::run_in_child(call, 60000, stack);
  EXPECT_TRUE(o.finished && o.exit_code == 0) << o.describe();
}

TEST(StackFit, WorstAcceptedGrammar) {
  // 32 nested groups at the start of a chain of 990 rules, each starting with the next.
  std::string g = "root ::= " + nested(32, "(", ")", "r0") + "\n";
  for (int i = 0; i < 990; ++i) g += "r" + std::to_string(i) + " ::= r" + std::to_string(i + 1) + " \"x\"\n";
  g += "r990 ::= \"z\"\n";
  const GrammarStats s = check_gbnf(g, kLimits);
  EXPECT_GE(s.left_depth, 1000u);
  expect_fits([&] {
    llama_sampler* smpl = llama_sampler_init_grammar(test::tiny_vocab(), g.c_str(), "root");
    if (!smpl) _exit(5);
    llama_sampler_free(smpl);
  });
}

TEST(StackFit, WorstAcceptedTriggerPatternOnLongText) {
  const std::string unit = "abcdefghijklmnopqrstuvwxyz012345";
  const std::string p = "(?:" + unit + "){30}!";
  const PatternStats s = check_trigger_pattern(p, kLimits);
  EXPECT_GE(s.states, 960u);
  // Text that matches all but the last character from every 32nd position.
  expect_fits(
      [&] {
        const char* patterns[] = {p.c_str()};
        llama_sampler* smpl = llama_sampler_init_grammar_lazy_patterns(test::tiny_vocab(), "root ::= \"z\"", "root",
                                                                       patterns, 1, nullptr, 0);
        const auto ids = common_tokenize(test::tiny_vocab(), unit, false, false);
        for (int i = 0; i < 40; ++i) {
          for (llama_token t : ids) llama_sampler_accept(smpl, t);
        }
        llama_sampler_free(smpl);
      },
      512u << 10);
}

TEST(StackFit, WorstAcceptedJsonSchema) {
  std::string names;
  for (int i = 0; i < 127; ++i)
    names += "\"" + std::to_string(i) + std::string(120, '!') + "\": {\"type\": \"string\"},";
  std::string inner =
      "{\"type\": \"object\", \"properties\": {" + names + "\"last\": {}}, \"additionalProperties\": true}";
  const std::string s = nested(30, "{\"properties\": {\"a\": ", "}}", inner);
  const SchemaStats st = check_json_schema(s, kLimits);
  EXPECT_GE(st.depth, 62u);
  expect_fits([&] { json_schema_to_grammar(common_json::parse(s)); });
}

TEST(StackFit, WorstAcceptedTemplate) {
  std::string expr = nested(15, "(", ")", "1");
  for (int i = 0; i < 32; ++i) expr += " ~ 'a'";
  const std::string t = nested(31, "{% if true %}", "{% endif %}", "{{ " + expr + " }}") +
                        "{% for m in messages %}{{ m.content }}{% endfor %}";
  const TemplateStats st = check_template(t, TemplateTrust::Guest, kLimits);
  EXPECT_GE(st.expression_depth, 56u);
  EXPECT_GE(st.block_depth, 31u);
  expect_fits([&] { test::render_unchecked(t); });
}

}  // namespace
}  // namespace wasi_nn
