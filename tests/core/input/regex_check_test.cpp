// check_trigger_pattern: the subset keeps every search bounded in depth and backtracking;
// patterns of the kind tool-call triggers use pass, each attack is refused by name.
#include <gtest/gtest.h>

#include <regex>

#include "core/input/regex_check.h"
#include "input_test_support.h"

namespace wasi_nn {
namespace {

const InputLimits kLimits;

TEST(RegexCheck, TriggerPatternsOfRealUsePass) {
  for (const char* p :
       {"<tool_call>", "(<tool_call>)", "\\{\\s{0,8}\"name\"", "```json",
        "<\\|channel\\|>(?:commentary|analysis)\\s{1,4}to=functions",
        "<\\|start\\|>assistant( to=(?!self<\\|message\\|>)[a-z_.]{1,32}<\\|message\\|>)", "^\\s?\\[TOOL_CALLS\\]",
        "\\[(yes|no)", ">>>(?!all)", "[Aa]nswer:\\s?", "<function=[a-zA-Z_]{1,16}>", "\\bcall\\b", "a??b", "x{3}"}) {
    PatternStats s;
    EXPECT_NO_THROW(s = check_trigger_pattern(p, kLimits)) << p;
    EXPECT_FALSE(s.syntax_error) << p;
    EXPECT_NO_THROW(std::regex{p}) << p;  // and std::regex reads it too
  }
}

TEST(RegexCheck, DeepGroupsAreRefused) {
  EXPECT_REFUSED(check_trigger_pattern(test::nested(50000, "(", ")", "a"), kLimits),
                 "grammar_triggers pattern is 100001 bytes", "max_regex_bytes");
  EXPECT_REFUSED(check_trigger_pattern(test::nested(9, "(", ")", "a"), kLimits), "nests groups more than 8 deep",
                 "max_regex_depth");
  EXPECT_NO_THROW(check_trigger_pattern(test::nested(8, "(?:", ")", "a"), kLimits));
}

TEST(RegexCheck, UnboundedRepetitionsAreRefused) {
  EXPECT_REFUSED(check_trigger_pattern("[\\s\\S]*<tool_call>", kLimits), "unbounded repetition '*'", "at byte 6",
                 "a leading .* is never needed");
  EXPECT_REFUSED(check_trigger_pattern("\\s+to", kLimits), "unbounded repetition '+'");
  EXPECT_REFUSED(check_trigger_pattern("a{2,}", kLimits), "unbounded repetition {2,}");
  EXPECT_REFUSED(check_trigger_pattern("[^<]*?x", kLimits), "unbounded repetition '*'");
  EXPECT_REFUSED(check_trigger_pattern("a?*", kLimits), "unbounded repetition '*'");
}

TEST(RegexCheck, CatastrophicBacktrackingIsRefused) {
  EXPECT_REFUSED(check_trigger_pattern("(a{0,9}){0,9}b", kLimits), "repeats a group that holds a repetition");
  EXPECT_REFUSED(check_trigger_pattern("(a|aa){0,30}b", kLimits), "repeats a group that holds alternatives");
  EXPECT_REFUSED(check_trigger_pattern("a{2}{3}", kLimits), "repeats a repetition");
  EXPECT_REFUSED(check_trigger_pattern("(a)\\1", kLimits), "backreference \\1");
  EXPECT_REFUSED(check_trigger_pattern("(?=a){2}", kLimits), "repeats an assertion");
  EXPECT_REFUSED(check_trigger_pattern("a{0,33}", kLimits), "up to 33 times", "max_regex_repetition");
  // Sequences of optional parts multiply the paths from one position.
  std::string many;
  for (int i = 0; i < 8; ++i) many += "(?:a|b|c|d)";
  EXPECT_REFUSED(check_trigger_pattern(many, kLimits), "backtracking paths", "max_regex_work");
  EXPECT_REFUSED(check_trigger_pattern("(?:abcdefgh){32}(?:abcdefgh){32}(?:abcdefgh){32}(?:abcdefgh){32}x", kLimits),
                 "matcher states", "max_regex_states");
}

TEST(RegexCheck, StatsBoundTheMatch) {
  const PatternStats s = check_trigger_pattern("ab{1,3}(?=cd)", kLimits);
  EXPECT_EQ(s.paths, 3u);
  EXPECT_EQ(s.max_reach, 6u);  // a, bbb, then the lookahead reads cd
  const PatternStats w = check_trigger_word("<tool_call>", kLimits);
  EXPECT_EQ(w.work, 11u);
  EXPECT_REFUSED(check_trigger_word(std::string(300, 'w'), kLimits), "word is 300 bytes", "max_regex_bytes");
}

TEST(RegexCheck, MalformedPatternsAreLeftToStdRegex) {
  for (const char* p : {"(unclosed", "a)", "[abc", "x{2", "(?<name>a)", "\\"}) {
    PatternStats s;
    EXPECT_NO_THROW(s = check_trigger_pattern(p, kLimits)) << p;
    EXPECT_TRUE(s.syntax_error) << p;
    EXPECT_THROW(std::regex{p}, std::regex_error) << p;
  }
}

}  // namespace
}  // namespace wasi_nn
