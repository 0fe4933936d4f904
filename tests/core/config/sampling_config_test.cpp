// The sampling and constraint keys added for llama-server parity: logit_bias by text, lazy
// grammars and their triggers, adaptive-p, chat_template names, and the rules that tie keys
// together (penalty windows vs ctx_size, lazy grammar vs triggers, mirostat vs samplers).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/base/error.h"
#include "core/config/config_parser.h"

namespace wasi_nn {
namespace {

Settings parsed(const std::string& json, unsigned scope = kScopeLoad) {
  Settings s;
  apply_defaults(s);
  parse_config(json, scope, s);
  return s;
}

// Asserts an InvalidArgument whose message contains every fragment.
void expect_invalid(const std::string& json, std::vector<std::string> fragments) {
  Settings s;
  apply_defaults(s);
  try {
    parse_config(json, kScopeLoad, s);
    ADD_FAILURE() << "accepted: " << json;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << json << ": " << e.what();
    for (const auto& f : fragments) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << "'" << f << "' missing from: " << e.what();
    }
  }
}

TEST(SamplingConfig, LogitBiasTakesIdsAndTexts) {
  Settings s = parsed(R"({"logit_bias": [[15, 1.5], ["Hello", false], [" world", -2]]})");
  ASSERT_EQ(s.request.sampling.logit_bias.size(), 1u);
  EXPECT_EQ(s.request.sampling.logit_bias[0].token, 15);
  ASSERT_EQ(s.request.logit_bias_text.size(), 2u);
  EXPECT_EQ(s.request.logit_bias_text[0].first, "Hello");
  EXPECT_TRUE(std::isinf(s.request.logit_bias_text[0].second));
  EXPECT_EQ(s.request.logit_bias_text[1].first, " world");
  EXPECT_FLOAT_EQ(s.request.logit_bias_text[1].second, -2.0f);
  // Object form: integer keys are ids, any other key is text.
  s = parsed(R"({"logit_bias": {"42": 1, "Hello": false}})");
  ASSERT_EQ(s.request.sampling.logit_bias.size(), 1u);
  EXPECT_EQ(s.request.sampling.logit_bias[0].token, 42);
  ASSERT_EQ(s.request.logit_bias_text.size(), 1u);
  // A request's logit_bias replaces the load's, ids and texts together.
  parse_config(R"({"logit_bias": [[7, 1]]})", kScopeRequest, s);
  EXPECT_EQ(s.request.sampling.logit_bias.size(), 1u);
  EXPECT_TRUE(s.request.logit_bias_text.empty());
  expect_invalid(R"({"logit_bias": [[1.5, 1]]})", {"'logit_bias'", "1.5"});
  expect_invalid(R"({"logit_bias": [["x", true]]})", {"'logit_bias'", "false to forbid"});
}

TEST(SamplingConfig, GrammarTriggersInEveryForm) {
  const Settings s = parsed(R"j({"grammar": "root ::= \"yes\"", "grammar_lazy": true,
      "grammar_triggers": ["Answer:", {"type": "pattern", "value": "\\[(yes|no)"},
                           {"type": 3, "value": "^.{0,8}x$"}, {"type": "token", "value": "<tool>"},
                           {"type": "token", "token": 12}]})j");
  const auto& t = s.request.sampling.grammar_triggers;
  ASSERT_EQ(t.size(), 5u);
  EXPECT_TRUE(s.request.sampling.grammar_lazy);
  EXPECT_EQ(t[0].type, COMMON_GRAMMAR_TRIGGER_TYPE_WORD);
  EXPECT_EQ(t[0].value, "Answer:");
  EXPECT_EQ(t[1].type, COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN);
  EXPECT_EQ(t[2].type, COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL);
  EXPECT_EQ(t[3].type, COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN);
  EXPECT_EQ(t[3].token, LLAMA_TOKEN_NULL);  // named by text: compute resolves it
  EXPECT_EQ(t[4].token, 12);
  // The same works with json_schema, and per request over a load's grammar.
  Settings load = parsed(R"({"grammar": "root ::= \"a\""})");
  parse_config(R"({"grammar_lazy": true, "grammar_triggers": ["go"]})", kScopeRequest, load);
  EXPECT_TRUE(load.request.sampling.grammar_lazy);
  EXPECT_NO_THROW(parsed(R"({"json_schema": {"type": "string"}, "grammar_lazy": true,
                             "grammar_triggers": ["{"]})"));
}

TEST(SamplingConfig, GrammarTriggerErrors) {
  const std::string g = R"("grammar": "root ::= \"a\"", "grammar_lazy": true, )";
  expect_invalid("{" + g + R"("grammar_triggers": [{"type": "regex", "value": "a"}]})",
                 {"'grammar_triggers'", "\"pattern\""});
  expect_invalid("{" + g + R"("grammar_triggers": [{"type": "pattern", "value": "(unclosed"}]})",
                 {"'grammar_triggers'", "regular expression"});
  expect_invalid("{" + g + R"("grammar_triggers": [""]})", {"'grammar_triggers'", "no text"});
  expect_invalid("{" + g + R"("grammar_triggers": [42]})", {"'grammar_triggers'", "a word"});
  expect_invalid("{" + g + R"("grammar_triggers": "word"})", {"'grammar_triggers'", "list"});
  expect_invalid(R"({"grammar": "root ::= \"a\"", "grammar_lazy": true})", {"'grammar_lazy'", "grammar_triggers"});
  expect_invalid(R"({"grammar_lazy": true, "grammar_triggers": ["a"]})", {"'grammar_lazy'", "grammar or json_schema"});
  expect_invalid(R"({"grammar": "root ::= \"a\"", "grammar_triggers": ["a"]})", {"'grammar_triggers'", "grammar_lazy"});
}

TEST(SamplingConfig, PenaltyWindowsMustFitTheContext) {
  expect_invalid(R"({"ctx_size": 1024, "repeat_last_n": 2048})", {"'repeat_last_n'", "2048", "ctx_size = 1024"});
  expect_invalid(R"({"penalty_last_n": 5000})", {"'penalty_last_n'", "ctx_size = 4096"});
  expect_invalid(R"({"ctx_size": 512, "dry_penalty_last_n": 513})", {"'dry_penalty_last_n'"});
  EXPECT_NO_THROW(parsed(R"({"ctx_size": 1024, "repeat_last_n": 1024, "dry_penalty_last_n": -1})"));
  // The default window (64) follows a smaller ctx_size that the user did set.
  const Settings small = parsed(R"({"ctx_size": 32})");
  EXPECT_EQ(small.request.sampling.penalty_last_n, 32);
  EXPECT_EQ(small.request.sampling.dry_penalty_last_n, 32);
  // A request is checked against the load's ctx_size.
  Settings load = parsed(R"({"ctx_size": 256})");
  EXPECT_THROW(parse_config(R"({"repeat_last_n": 300})", kScopeRequest, load), Error);
  EXPECT_NO_THROW(parse_config(R"({"repeat_last_n": 256})", kScopeRequest, load));
}

TEST(SamplingConfig, SamplerChainContradictions) {
  expect_invalid(R"({"mirostat": 2, "samplers": ["top_k", "temperature"]})", {"'mirostat'", "'samplers'", "no effect"});
  EXPECT_NO_THROW(parsed(R"({"mirostat": 0, "samplers": "kt"})"));
  expect_invalid(R"({"adaptive_target": 0.5})", {"'adaptive_target'", "adaptive_p"});
  const Settings s = parsed(R"({"adaptive_target": 0.3, "adaptive_decay": 0.5,
                                "samplers": ["top_k", "adaptive_p"]})");
  EXPECT_FLOAT_EQ(s.request.sampling.adaptive_target, 0.3f);
  EXPECT_FLOAT_EQ(s.request.sampling.adaptive_decay, 0.5f);
  expect_invalid(R"({"adaptive_decay": 1.0})", {"'adaptive_decay'", "0 to 0.99"});
}

TEST(SamplingConfig, ChatTemplateIsANameOrJinja) {
  EXPECT_EQ(parsed(R"({"chat_template": "llama3"})").request.chat.chat_template, "llama3");
  EXPECT_EQ(parsed(R"({"chat_template": "chatml"})").request.chat.chat_template, "chatml");
  EXPECT_NO_THROW(parsed(R"({"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"})"));
  expect_invalid(R"({"chat_template": "llama-3"})", {"'chat_template'", "built-in", "chatml"});
}

TEST(SamplingConfig, LogprobsIsAnAliasOfNProbs) {
  EXPECT_EQ(parsed(R"({"logprobs": 5})", kScopeRequest).request.sampling.n_probs, 5);
}

}  // namespace
}  // namespace wasi_nn
