// check_gbnf: llama.cpp's own grammars pass with the same parse llama.cpp makes; each attack is
// refused with a message naming the key, the limit and what was found.
#include <gtest/gtest.h>

#include "core/input/gbnf_check.h"
#include "input_test_support.h"
#include "llama.h"
#include "test_vocab.h"

namespace wasi_nn {
namespace {

using test::nested;

const InputLimits kLimits;

// llama.cpp's parser, through the public API (parse, undefined rules, left recursion).
bool llama_accepts(const std::string& grammar) {
  llama_sampler* s = llama_sampler_init_grammar(test::tiny_vocab(), grammar.c_str(), "root");
  if (s) llama_sampler_free(s);
  return s != nullptr;
}

std::string chain(size_t n, const std::string& alternatives) {
  std::string g = "root ::= r0\n";
  for (size_t i = 0; i < n; ++i) {
    g += "r" + std::to_string(i) + " ::= " + alternatives;
    size_t at;
    while ((at = g.find("NEXT")) != std::string::npos) g.replace(at, 4, "r" + std::to_string(i + 1));
    g += "\n";
  }
  return g + "r" + std::to_string(n) + " ::= \"z\"\n";
}

TEST(GbnfCheck, LlamaCppsOwnGrammarsPassAndParseTheSame) {
  const auto files = test::files_in(test::llama_dir() + "/grammars", ".gbnf");
  ASSERT_GE(files.size(), 5u);
  for (const auto& f : files) {
    const std::string g = test::read_file(f);
    GrammarStats s;
    EXPECT_NO_THROW(s = check_gbnf(g, kLimits)) << f;
    EXPECT_FALSE(s.syntax_error) << f << " at byte " << s.error_offset;
    EXPECT_TRUE(llama_accepts(g)) << f;
    EXPECT_GT(s.elements, 0u) << f;
  }
}

// Where the replay says llama.cpp stops, llama.cpp does refuse the grammar; and what llama.cpp
// accepts, the replay parsed to the end.
TEST(GbnfCheck, ReplayStopsWhereLlamaCppRefuses) {
  const std::vector<std::string> grammars = {
      "root ::= (",
      "root ::= yes",
      "root ::= \"a\"{2,",
      "root ::= [a-",
      "root ::= \"\\q\"",
      "root ::= <",
      "root ::= \"a\" )",
      "root ::= *",
      "root ::= \"a\"{3001}",
      "root ::= x\nx ::= x \"a\"",
      "root ::= \"a\"{2,3}",
      "root ::= (\"a\" | \"b\")* [c-e]+ .? <[12]>",
      "root ::= \"\\x41\\u00e9\" [^\\]]",
      "root ::= a\na ::= \"x\" a | ",
      "root ::= \"a\"\n\n# comment\nb ::= \"c\"{0,5}",
      "root ::= (\"a\"{2}){3}",
      "root ::= \"\\U0001F600\"",
      "root::=\"a\"",
      "root ::= \"a\" | \n  \"b\"",
  };
  for (const auto& g : grammars) {
    GrammarStats s;
    try {
      s = check_gbnf(g, kLimits);
    } catch (const Error&) {
      continue;  // refused by a limit: llama.cpp never sees it
    }
    if (s.syntax_error) EXPECT_FALSE(llama_accepts(g)) << g;
    if (llama_accepts(g)) EXPECT_FALSE(s.syntax_error) << g;
  }
}

TEST(GbnfCheck, DeepParenthesesAreRefused) {
  const std::string g = "root ::= " + nested(100000, "(", ")", "\"x\"");
  EXPECT_REFUSED(check_gbnf(g, kLimits), "grammar nests parentheses more than 32 deep",
                 "the limit is 32 (max_grammar_depth)");
  EXPECT_NO_THROW(check_gbnf("root ::= " + nested(32, "(", ")", "\"x\""), kLimits));
  EXPECT_REFUSED(check_gbnf("root ::= " + nested(33, "(", ")", "\"x\""), kLimits), "max_grammar_depth");
}

TEST(GbnfCheck, RepetitionCountsAreBounded) {
  EXPECT_REFUSED(check_gbnf("root ::= \"x\"{0,3000}", kLimits), "repeats an item 3000 times", "max_grammar_repetition",
                 "silently makes a larger maximum unbounded");
  EXPECT_REFUSED(check_gbnf("root ::= \"x\"{5000}", kLimits), "repeats an item 5000 times");
  EXPECT_REFUSED(check_gbnf("root ::= \"x\"{5,3}", kLimits), "{5,3}", "minimum exceeds its maximum");
  EXPECT_NO_THROW(check_gbnf("root ::= \"x\"{0,1999}", kLimits));
}

TEST(GbnfCheck, ExpansionIsBounded) {
  // 1000 characters copied 1999 times: two million elements from a 1 KB grammar.
  const std::string g = "root ::= \"" + std::string(1000, 'x') + "\"{1999}";
  EXPECT_REFUSED(check_gbnf(g, kLimits), "grammar elements", "max_grammar_elements");
  // A repetition of a repetition multiplies (llama.cpp allows products below 2000).
  InputLimits small = kLimits;
  small.max_grammar_elements = 10000;
  EXPECT_REFUSED(check_gbnf("root ::= \"" + std::string(100, 'y') + "\"{40}{40}", small), "max_grammar_elements");
  // Many optional repetitions make many rules.
  small = kLimits;
  small.max_grammar_rules = 1000;
  EXPECT_REFUSED(check_gbnf("root ::= \"a\"{0,1999}", small), "max_grammar_rules");
}

TEST(GbnfCheck, LongLeftChainsAreRefused) {
  EXPECT_REFUSED(check_gbnf(chain(2000, "NEXT \"x\""), kLimits), "chains rules more than 1024 deep",
                 "max_grammar_left_depth");
  EXPECT_NO_THROW(check_gbnf(chain(500, "NEXT \"x\""), kLimits));
  // The check revisits shared rules: 2^40 visits for 40 two-way links.
  EXPECT_REFUSED(check_gbnf(chain(40, "NEXT \"x\" | NEXT \"y\""), kLimits), "left-recursion check visit rules");
  EXPECT_NO_THROW(check_gbnf(chain(12, "NEXT \"x\" | NEXT \"y\""), kLimits));
}

TEST(GbnfCheck, SizeCountsUpToTheFirstNul) {
  InputLimits small = kLimits;
  small.max_grammar_bytes = 20;
  EXPECT_REFUSED(check_gbnf("root ::= \"aaaaaaaaaaaaaaaaaaaaaa\"", small), "is 33 bytes", "max_grammar_bytes");
  EXPECT_NO_THROW(check_gbnf(std::string("root ::= \"a\"\0", 13) + std::string(100, 'x'), small));
}

TEST(GbnfCheck, TheKeyIsNamed) {
  EXPECT_REFUSED(check_gbnf("root ::= \"x\"{5,3}", kLimits, "json_schema"), "json_schema has a repetition");
}

}  // namespace
}  // namespace wasi_nn
