// TriggerWatch agrees with llama.cpp's own lazy grammar, token by token, on whether the grammar
// still waits for its trigger, while searching only a window of the text.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common.h"
#include "core/input/trigger_watch.h"
#include "input_test_support.h"
#include "test_vocab.h"

namespace wasi_nn {
namespace {

const char* kGrammar = "root ::= [a-z<>_ =|!.]*";

// llama.cpp's state, seen from outside: a triggered grammar forbids a token outside it ("9").
bool llama_waits(llama_sampler* s) {
  llama_token_data data[2] = {{test::token_for("a"), 1.0f, 0.0f}, {test::token_for("9"), 1.0f, 0.0f}};
  llama_token_data_array arr{data, 2, -1, false};
  llama_sampler_apply(s, &arr);
  return std::isfinite(data[1].logit);
}

common_params_sampling lazy(const std::vector<common_grammar_trigger>& triggers) {
  common_params_sampling sp;
  sp.grammar = common_grammar(COMMON_GRAMMAR_TYPE_USER, kGrammar);
  sp.grammar_lazy = true;
  sp.grammar_triggers = triggers;
  return sp;
}

// Feeds `text` token by token to llama.cpp's lazy grammar (built as common_sampler_init builds
// it) and to a TriggerWatch; returns the token index where llama.cpp stopped waiting (-1: never).
int compare(const common_params_sampling& sp, const std::string& text) {
  std::vector<std::string> patterns;
  std::vector<llama_token> tokens;
  for (const auto& t : sp.grammar_triggers) {
    if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_WORD) patterns.push_back(regex_escape(t.value));
    if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN) patterns.push_back(t.value);
    if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL) patterns.push_back("^" + t.value + "$");
    if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN) tokens.push_back(t.token);
  }
  std::vector<const char*> c_patterns;
  for (const auto& p : patterns) c_patterns.push_back(p.c_str());
  llama_sampler* s = llama_sampler_init_grammar_lazy_patterns(test::tiny_vocab(), kGrammar, "root", c_patterns.data(),
                                                              c_patterns.size(), tokens.data(), tokens.size());
  TriggerWatch watch(sp, InputLimits{});
  int fired = -1;
  const auto ids = common_tokenize(test::tiny_vocab(), text, false, false);
  for (size_t i = 0; i < ids.size(); ++i) {
    llama_sampler_accept(s, ids[i]);
    watch.accept(ids[i], common_token_to_piece(test::tiny_vocab(), ids[i], true));
    const bool waits = llama_waits(s);
    EXPECT_EQ(watch.waiting(), waits) << "after token " << i << " of \"" << text << "\"";
    if (!waits && fired < 0) fired = static_cast<int>(i);
  }
  llama_sampler_free(s);
  return fired;
}

using T = common_grammar_trigger;

TEST(TriggerWatch, AgreesWithLlamaCppOnRandomText) {
  test::tiny_model();
  const std::vector<std::vector<T>> trigger_sets = {
      {{COMMON_GRAMMAR_TRIGGER_TYPE_WORD, "<tool_call>", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_WORD, "ab", LLAMA_TOKEN_NULL},
       {COMMON_GRAMMAR_TRIGGER_TYPE_WORD, "c=", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN, "a{2,3}b", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN, "\\bab\\b", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN, "b(?=a_)", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN, "(?:<|>)_{0,2}c(?!o)", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN, "^ ?to", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL, ".{0,6}ab", LLAMA_TOKEN_NULL}},
      {{COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN, "!", test::token_for("!")}},
  };
  std::mt19937 rng(7);
  const std::string alphabet = "ab<>_ tolc=|!.";
  int fired = 0, runs = 0;
  for (const auto& triggers : trigger_sets) {
    for (int n = 0; n < 40; ++n) {
      std::string text;
      const size_t len = 5 + rng() % 60;
      for (size_t i = 0; i < len; ++i) text += alphabet[rng() % alphabet.size()];
      if (n % 4 == 0) text.insert(rng() % text.size(), "<tool_call>");
      fired += compare(lazy(triggers), text) >= 0;
      ++runs;
    }
  }
  // Both outcomes were exercised.
  EXPECT_GT(fired, runs / 10);
  EXPECT_LT(fired, runs);
}

TEST(TriggerWatch, LimitsTheWaitByTheTriggersWork) {
  InputLimits l;
  l.max_trigger_scan_work = 1100;
  TriggerWatch w(lazy({{COMMON_GRAMMAR_TRIGGER_TYPE_WORD, "<tool_call>", LLAMA_TOKEN_NULL}}), l);
  EXPECT_EQ(w.scan_limit_bytes(), 100u);  // 1100 / 11
  for (int i = 0; i < 100; ++i) w.accept(1, "x");
  EXPECT_FALSE(w.over_limit());
  w.accept(1, "x");
  EXPECT_TRUE(w.over_limit());
  w.accept(1, "<tool_call>");
  EXPECT_FALSE(w.waiting());
  EXPECT_FALSE(w.over_limit());
  // Token triggers search nothing; a grammar that is not lazy waits for nothing.
  EXPECT_EQ(TriggerWatch(lazy({{COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN, "", 5}}), l).scan_limit_bytes(), 0u);
  common_params_sampling eager = lazy({{COMMON_GRAMMAR_TRIGGER_TYPE_WORD, "x", LLAMA_TOKEN_NULL}});
  eager.grammar_lazy = false;
  EXPECT_FALSE(TriggerWatch(eager, l).waiting());
}

TEST(TriggerWatch, RefusesPatternsOutsideTheSubset) {
  EXPECT_REFUSED(TriggerWatch(lazy({{COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN, ".*x", LLAMA_TOKEN_NULL}}), InputLimits{}),
                 "unbounded repetition");
}

}  // namespace
}  // namespace wasi_nn
