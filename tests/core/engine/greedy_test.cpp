// The greedy fast path picks exactly what llama.cpp's sampler chain picks at temperature 0, and
// is used only when nothing in the request could make the chain pick otherwise.
#include "core/engine/greedy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

struct VocabModel {
  VocabModel() {
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    model = llama_model_load_from_file(test::model_path("tiny-llama").c_str(), mp);
  }
  ~VocabModel() { llama_model_free(model); }
  const llama_vocab* vocab() const { return llama_model_get_vocab(model); }
  llama_model* model = nullptr;
};

common_params_sampling greedy_params() {
  common_params_sampling sp;
  sp.temp = 0.0f;
  return sp;
}

TEST(Greedy, PlannedOnlyWhenTheChainCannotChooseOtherwise) {
  VocabModel m;
  ASSERT_NE(m.model, nullptr);
  EXPECT_TRUE(plan_greedy(greedy_params(), m.vocab()).enabled);
  auto with = [&](auto change) {
    common_params_sampling sp = greedy_params();
    change(sp);
    return plan_greedy(sp, m.vocab()).enabled;
  };
  EXPECT_FALSE(with([](auto& sp) { sp.temp = 0.7f; }));
  EXPECT_FALSE(with([](auto& sp) { sp.dynatemp_range = 0.5f; }));
  EXPECT_FALSE(with([](auto& sp) { sp.penalty_repeat = 1.1f; }));
  EXPECT_FALSE(with([](auto& sp) { sp.penalty_present = 0.5f; }));
  EXPECT_FALSE(with([](auto& sp) { sp.dry_multiplier = 0.8f; }));
  EXPECT_FALSE(with([](auto& sp) {
    sp.xtc_probability = 0.5f;
    sp.xtc_threshold = 0.1f;
  }));
  EXPECT_FALSE(with([](auto& sp) { sp.mirostat = 2; }));
  EXPECT_FALSE(with([](auto& sp) { sp.grammar = common_grammar(COMMON_GRAMMAR_TYPE_USER, "root ::= \"a\""); }));
  // Without a temperature stage, temperature 0 does not make the chain greedy.
  EXPECT_FALSE(with([](auto& sp) { sp.samplers = {COMMON_SAMPLER_TYPE_TOP_K}; }));
  // Truncation samplers never remove the largest logit; penalties of 1.0 are no-ops.
  EXPECT_TRUE(with([](auto& sp) {
    sp.top_k = 5;
    sp.top_p = 0.5f;
    sp.min_p = 0.2f;
    sp.penalty_repeat = 1.0f;
  }));
}

TEST(Greedy, PickAppliesBiasesAndBreaksTiesByIndex) {
  const float logits[] = {0.5f, 3.0f, 1.0f, 3.0f, -2.0f};
  EXPECT_EQ(greedy_pick(logits, 5, {}), 1);  // first of the tied maxima
  EXPECT_EQ(greedy_pick(logits, 5, {{1, -INFINITY}}), 3);
  EXPECT_EQ(greedy_pick(logits, 5, {{1, -INFINITY}, {3, -INFINITY}}), 2);
  EXPECT_EQ(greedy_pick(logits, 5, {{4, 10.0f}}), 4);
  EXPECT_EQ(greedy_pick(logits, 5, {{0, 2.75f}}), 0);
}

// Random logits and biases: the fast path and the full chain (as common_sampler builds it for
// the same settings) choose the same token every time.
TEST(Greedy, MatchesTheSamplerChain) {
  VocabModel m;
  ASSERT_NE(m.model, nullptr);
  const int32_t n_vocab = llama_vocab_n_tokens(m.vocab());
  std::mt19937 rng(42);
  std::normal_distribution<float> logit(0.0f, 4.0f);
  std::uniform_int_distribution<llama_token> token(0, n_vocab - 1);
  std::vector<float> logits(n_vocab);
  std::vector<llama_token_data> cand(n_vocab);
  for (int round = 0; round < 50; ++round) {
    for (auto& l : logits) l = logit(rng);
    common_params_sampling sp = greedy_params();
    sp.top_k = round % 3 == 0 ? 0 : 40;
    const llama_token top = static_cast<llama_token>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (round % 2) sp.logit_bias.push_back({top, -INFINITY});          // ban the winner
    if (round % 5 == 0) sp.logit_bias.push_back({token(rng), 30.0f});  // force another
    if (round % 7 == 0) sp.logit_bias.push_back({top, 1.0f});          // two biases, one token
    const GreedyPlan plan = plan_greedy(sp, m.vocab());
    ASSERT_TRUE(plan.enabled);
    std::unique_ptr<common_sampler, decltype(&common_sampler_free)> chain(common_sampler_init(m.model, sp),
                                                                          common_sampler_free);
    ASSERT_NE(chain, nullptr);
    for (int32_t i = 0; i < n_vocab; ++i) cand[i] = {i, logits[i], 0.0f};
    llama_token_data_array arr{cand.data(), cand.size(), -1, false};
    llama_sampler_apply(common_sampler_get(chain.get()), &arr);
    ASSERT_GE(arr.selected, 0);
    EXPECT_EQ(greedy_pick(logits.data(), n_vocab, plan.bias), arr.data[arr.selected].id) << "round " << round;
  }
}

}  // namespace
}  // namespace wasi_nn
