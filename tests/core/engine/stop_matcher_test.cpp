#include "core/engine/stop_matcher.h"

#include <gtest/gtest.h>

namespace wasi_nn {
namespace {

TEST(StopMatcher, CutsStopSplitAcrossPieces) {
  StopMatcher m({"</end>"});
  EXPECT_FALSE(m.append("hello </"));
  EXPECT_FALSE(m.append("en"));
  EXPECT_TRUE(m.append("d> trailing"));
  EXPECT_EQ(m.text(), "hello ");
  EXPECT_EQ(m.matched(), "</end>");
}

TEST(StopMatcher, EarliestOfSeveralStopsWins) {
  StopMatcher m({"world", "lo w"});
  EXPECT_TRUE(m.append("hello world"));
  EXPECT_EQ(m.text(), "hel");
}

TEST(StopMatcher, HoldsBackPossibleStopPrefix) {
  StopMatcher m({"STOP"});
  m.append("abc ST");
  EXPECT_EQ(m.safe_length(), 4u);  // "abc " is safe, "ST" may start STOP
  m.append("x");
  EXPECT_EQ(m.safe_length(), m.text().size());
}

TEST(StopMatcher, HoldsBackIncompleteUtf8) {
  StopMatcher m;
  m.append("caf\xC3");
  EXPECT_EQ(m.safe_length(), 3u);
  m.append("\xA9");
  EXPECT_EQ(m.safe_length(), 5u);
}

TEST(StopMatcher, EmptyStopStringsAreIgnored) {
  StopMatcher m({""});
  EXPECT_FALSE(m.append("anything"));
  EXPECT_EQ(m.text(), "anything");
}

TEST(Utf8, CompletePrefix) {
  EXPECT_EQ(utf8_complete_prefix("\xE2\x82"), 0u);
  EXPECT_EQ(utf8_complete_prefix("a\xE2\x82\xAC"), 4u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);
}

}  // namespace
}  // namespace wasi_nn
