// Per-request settings (input index 1) apply to one compute only, for every class of request
// key: sampling, constraints (grammar, json_schema, lazy grammar), stop strings, logit_bias,
// seed, n_probs, ignore_eos, chat mode, template and system prompt, prompt caching. Each case
// runs on one execution context: the baseline request, the same request with the override
// (whose effect must show), then the baseline again, which must equal the first run exactly.
// Outputs are comparable because every run is deterministic: greedy, or sampled at a seed the
// load fixes, and each prompt is decoded afresh (cache_prompt false at load).
#include <gtest/gtest.h>

#include <functional>

#include "support/core_helpers.h"
#include "support/model_vocab.h"

namespace wasi_nn {
namespace {

using nlohmann::json;
using test::Output;

// The load settings a case runs under, and the request keys every one of its three runs sends.
struct Baseline {
  const char* model;
  json load;
  json request;  // sent with all three runs; the override is merged over it for the second
  std::string prompt = "Once upon a time";
};

const json kCommon = {{"ctx_size", 512}, {"threads", 2}, {"n_predict", 12}, {"cache_prompt", false}};

json load_with(json more) {
  json load = kCommon;
  load.update(more);
  return load;
}

// Greedy raw completion.
Baseline greedy() { return {"tiny-llama", load_with({{"mode", "raw"}, {"temperature", 0}}), json::object()}; }
// Seeded random sampling with top_k truncation on, so that every sampler has room to act.
Baseline sampled() {
  return {
      "tiny-llama",
      load_with({{"mode", "raw"}, {"temperature", 1.0}, {"top_k", 40}, {"top_p", 1.0}, {"min_p", 0.0}, {"seed", 1234}}),
      json::object()};
}
// Greedy on a prompt that repeats itself, with the token that would repeat it once more boosted
// to be the greedy choice: what DRY penalises.
Baseline repeating() {
  Baseline b = greedy();
  b.prompt = "one two three one two three one two";
  b.request["logit_bias"] = json::array({json::array({" three", 50})});
  return b;
}
// Greedy chat; each run starts its conversation afresh so that the three are comparable.
Baseline chat() { return {"tiny-qwen2", load_with({{"mode", "chat"}, {"temperature", 0}}), {{"reset", true}}}; }
// Greedy raw completion that ends at once: end-of-sequence is boosted over every other token.
Baseline ends_at_eos() {
  Baseline b = greedy();
  b.request["logit_bias"] = json::array({json::array({test::ModelVocab(test::model_path(b.model)).eos(), 100})});
  return b;
}

struct OverrideCase {
  const char* name;
  std::function<Baseline()> baseline;
  // The override, given the baseline's output (a stop string is cut from its text).
  std::function<json(const Output& base)> override_of;
  // Asserts the override's observable effect.
  std::function<void(const Output& base, const Output& with)> effect;
};

std::function<json(const Output&)> just(json j) {
  return [j](const Output&) { return j; };
}

void changes_text(const Output& base, const Output& with) { EXPECT_NE(with.text, base.text); }
void changes_prompt(const Output& base, const Output& with) {
  EXPECT_NE(with.meta["input_tokens"], base.meta["input_tokens"]) << with.meta.dump();
}

bool only_chars_of(const std::string& text, const std::string& allowed) {
  return !text.empty() && text.find_first_not_of(allowed) == std::string::npos;
}

// A 3-byte piece of the baseline's text whose first occurrence is not at its start.
std::string stop_from(const std::string& text) {
  for (size_t at = text.size() / 2; at + 3 <= text.size(); ++at) {
    const std::string s = text.substr(at, 3);
    const size_t first = text.find(s);
    if (first > 0 && s.find_first_of("\n\r") == std::string::npos) return s;
  }
  return "";
}

// A word of letters in the baseline's text, after its first, that does not occur earlier: a
// trigger the generation reaches at a known place.
std::string trigger_word(const std::string& text) {
  size_t at = text.find(' ', 1);
  while (at != std::string::npos) {
    const size_t end = text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", at + 1);
    const std::string word = text.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    if (word.size() >= 2 && text.find(word) == at + 1) return word;
    at = text.find(' ', at + 1);
  }
  return "";
}

std::vector<OverrideCase> cases() {
  std::vector<OverrideCase> c = {
      // Sampling: each control reshapes the seeded distribution, so the text changes (the
      // penalties too: the prompt's tokens count as seen).
      {"temperature", sampled, just({{"temperature", 0}}), changes_text},
      {"dynatemp_range", sampled, just({{"dynatemp_range", 0.9}}), changes_text},
      {"top_k", sampled, just({{"top_k", 1}}), changes_text},
      {"top_p", sampled, just({{"top_p", 0.05}}), changes_text},
      {"min_p", sampled, just({{"min_p", 0.5}}), changes_text},
      {"typical_p", sampled, just({{"typical_p", 0.2}}), changes_text},
      {"top_n_sigma", sampled, just({{"top_n_sigma", 0.5}}), changes_text},
      {"xtc", sampled, just({{"xtc_probability", 1.0}, {"xtc_threshold", 0.01}}), changes_text},
      {"repeat_penalty", sampled, just({{"repeat_penalty", 3.0}, {"repeat_last_n", -1}}), changes_text},
      {"presence_penalty", sampled, just({{"presence_penalty", 5.0}}), changes_text},
      {"frequency_penalty", sampled, just({{"frequency_penalty", 5.0}}), changes_text},
      {"dry", repeating, just({{"dry_multiplier", 100.0}, {"dry_allowed_length", 1}}),
       [](const Output& base, const Output& with) {
         EXPECT_EQ(base.text.rfind(" three", 0), 0u) << base.text;
         EXPECT_NE(with.text.rfind(" three", 0), 0u) << with.text;
       }},
      {"mirostat", sampled, just({{"mirostat", 1}, {"mirostat_tau", 1.0}}), changes_text},
      {"mirostat2", sampled, just({{"mirostat", 2}, {"mirostat_tau", 1.0}}), changes_text},
      {"samplers", sampled, just({{"samplers", {"temperature"}}}), changes_text},
      {"seed", sampled, just({{"seed", 99}}), changes_text},
      // Constraints.
      {"grammar", greedy, just({{"grammar", "root ::= [a-c]+"}}),
       [](const Output&, const Output& with) { EXPECT_TRUE(only_chars_of(with.text, "abc")) << with.text; }},
      {"json_schema", greedy, just({{"json_schema", {{"type", "boolean"}}}, {"n_predict", 40}}),
       [](const Output&, const Output& with) {
         EXPECT_TRUE(json::parse(with.text, nullptr, false).is_boolean()) << with.text;
       }},
      {"grammar_lazy", greedy,
       [](const Output& base) {
         const std::string word = trigger_word(base.text);
         return json{{"grammar", "root ::= \"" + word + "\" \" yes\""},
                     {"grammar_lazy", true},
                     {"grammar_triggers", {word}},
                     {"n_predict", 40}};
       },
       [](const Output& base, const Output& with) {
         // Free text up to the trigger, then the grammar's.
         const std::string word = trigger_word(base.text);
         ASSERT_FALSE(word.empty()) << base.text;
         EXPECT_EQ(with.text, base.text.substr(0, base.text.find(word) + word.size()) + " yes");
       }},
      // Where generation ends.
      {"stop", greedy,
       [](const Output& base) {
         return json{{"stop", {stop_from(base.text)}}};
       },
       [](const Output& base, const Output& with) {
         const std::string stop = stop_from(base.text);
         ASSERT_FALSE(stop.empty()) << base.text;
         EXPECT_EQ(with.text, base.text.substr(0, base.text.find(stop)));
         EXPECT_EQ(with.meta["stop_reason"], "stop");
       }},
      {"n_predict", greedy, just({{"n_predict", 3}}),
       [](const Output&, const Output& with) { EXPECT_EQ(with.meta["output_tokens"], 3); }},
      {"ignore_eos", ends_at_eos, just({{"ignore_eos", true}}),
       [](const Output& base, const Output& with) {
         EXPECT_EQ(base.meta["stop_reason"], "eos");
         EXPECT_EQ(with.meta["stop_reason"], "length");
         EXPECT_EQ(with.meta["output_tokens"], 12);
       }},
      // Token choice.
      {"logit_bias", greedy, just({{"logit_bias", {{" zebra", 100}}}}),
       [](const Output& base, const Output& with) {
         changes_text(base, with);
         EXPECT_TRUE(only_chars_of(with.text, " zebra")) << with.text;
       }},
      // What the output carries.
      {"n_probs", greedy, just({{"n_probs", 2}}),
       [](const Output& base, const Output& with) {
         EXPECT_EQ(with.text, base.text);
         ASSERT_TRUE(with.meta.contains("probs")) << with.meta.dump();
         EXPECT_EQ(with.meta["probs"].size(), 12u);
       }},
      {"cache_prompt", greedy, just({{"cache_prompt", true}}),
       [](const Output&, const Output& with) {
         EXPECT_GT(with.meta["cached_tokens"].get<int>(), 0) << with.meta.dump();
       }},
      // The prompt's rendering.
      {"mode", chat, just({{"mode", "raw"}}), changes_prompt},
      {"chat_template", chat, just({{"chat_template", "{% for m in messages %}<<{{ m.content }}>>{% endfor %}"}}),
       changes_prompt},
      {"system_prompt", chat, just({{"system_prompt", "You are a pirate who answers in rhymes."}}), changes_prompt},
  };
  return c;
}

void PrintTo(const OverrideCase& c, std::ostream* os) { *os << c.name; }

class OverrideScope : public ::testing::TestWithParam<OverrideCase> {};

json merged(json request, const json& over) {
  request.update(over);
  return request;
}

// What a run shows of its settings: the text and every metadata field a setting can change.
void expect_same_run(const Output& again, const Output& base) {
  EXPECT_EQ(again.text, base.text);
  for (const char* key : {"input_tokens", "cached_tokens", "output_tokens", "stop_reason", "stop_word", "probs"}) {
    EXPECT_EQ(again.meta.value(key, json()), base.meta.value(key, json())) << key << ": " << again.meta.dump();
  }
}

TEST_P(OverrideScope, AppliesToOneComputeOnly) {
  const OverrideCase& oc = GetParam();
  const Baseline base = oc.baseline();
  HostBackend b;
  const uint32_t ctx = b.init_execution_context(b.load_by_name(test::model_path(base.model), base.load.dump()));
  const std::string& prompt = base.prompt;
  const Output first = test::generate(b, ctx, prompt, base.request.dump());
  ASSERT_FALSE(first.text.empty() && first.meta["stop_reason"] != "eos") << first.meta.dump();
  const json over = oc.override_of(first);
  const Output with = test::generate(b, ctx, prompt, merged(base.request, over).dump());
  oc.effect(first, with);
  const Output again = test::generate(b, ctx, prompt, base.request.dump());
  expect_same_run(again, first);
}

INSTANTIATE_TEST_SUITE_P(EveryRequestKeyClass, OverrideScope, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<OverrideCase>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace wasi_nn
