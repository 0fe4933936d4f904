#include "core/session/sampler_setup.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common.h"
#include "core/base/error.h"
#include "core/input/gbnf_check.h"
#include "core/model/model_preconditions.h"

namespace wasi_nn {
namespace {

std::string shown(const std::string& text) { return nlohmann::json(text).dump().substr(0, 80); }

void check_token(const llama_vocab* vocab, llama_token token, const char* what) {
  const int32_t n_vocab = llama_vocab_n_tokens(vocab);
  if (token < 0 || token >= n_vocab) {
    fail(ErrorKind::InvalidArgument, std::string(what) + " names token " + std::to_string(token) +
                                         " but the model's vocabulary has tokens 0.." + std::to_string(n_vocab - 1));
  }
}

// Like llama-server: a text bias applies to every token of the text as the model tokenizes it
// (no BOS, special-token text taken literally).
void resolve_logit_bias(const llama_vocab* vocab, RequestSettings& rs) {
  auto& biases = rs.sampling.logit_bias;
  for (const auto& lb : biases) check_token(vocab, lb.token, "logit_bias");
  for (const auto& [text, bias] : rs.logit_bias_text) {
    const auto tokens = common_tokenize(vocab, text, /*add_special=*/false, /*parse_special=*/false);
    if (tokens.empty()) {
      fail(ErrorKind::InvalidArgument, "logit_bias text " + shown(text) + " has no tokens");
    }
    for (llama_token t : tokens) biases.push_back({t, bias});
  }
}

// A token trigger given by text must be exactly one token (special tokens such as
// "<tool_call>" are parsed as such).
void resolve_triggers(const llama_vocab* vocab, common_params_sampling& sp) {
  for (auto& trigger : sp.grammar_triggers) {
    if (trigger.type != COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN) continue;
    if (trigger.token == LLAMA_TOKEN_NULL) {
      const auto ids = common_tokenize(vocab, trigger.value, false, /*parse_special=*/true);
      if (ids.size() != 1) {
        fail(ErrorKind::InvalidArgument, "grammar_triggers token " + shown(trigger.value) + " is " +
                                             std::to_string(ids.size()) +
                                             " tokens for this model, not one; use a \"word\" "
                                             "trigger for text");
      }
      trigger.token = ids[0];
    }
    check_token(vocab, trigger.token, "grammar_triggers");
    if (trigger.value.empty()) trigger.value = common_token_to_piece(vocab, trigger.token, true);
  }
}

// llama.cpp's parser tokenizes each <text> literal of a grammar and refuses (printing the
// grammar) unless it is exactly one token; the same test, so that it never refuses.
void check_token_literals(const llama_vocab* vocab, const std::string& grammar, const GrammarStats& stats) {
  for (const auto& [at, size] : stats.token_texts) {
    llama_token tokens[2];
    const int32_t n = llama_tokenize(vocab, grammar.data() + at, static_cast<int32_t>(size), tokens, 2,
                                     /*add_special=*/false, /*parse_special=*/true);
    if (n != 1) {
      fail(ErrorKind::InvalidArgument, "grammar: token " + shown(grammar.substr(at, size)) +
                                           " is not one token of this model's vocabulary; use <[id]> or a string");
    }
  }
}

// Parses the grammar once before common_sampler_init sees it. common_sampler_init (llama.cpp
// 80fb11a) aborts the process on a "%llguidance" grammar in a build without llguidance, and leaks
// its half-built sampler chain when a grammar does not parse (found by LeakSanitizer): a guest
// could crash the host with the first and grow it without bound with the second.
void check_grammar(const llama_vocab* vocab, const common_params_sampling& sp, const InputLimits& limits) {
  const std::string& grammar = common_grammar_value(sp.grammar);
  if (grammar.empty()) return;
  if (grammar.compare(0, 11, "%llguidance") == 0) {
    fail(ErrorKind::InvalidArgument,
         "grammar: llguidance grammars (\"%llguidance\") are not supported by this build; send "
         "a GBNF grammar or a json_schema");
  }
  // Bounded first: llama.cpp's parser recurses and expands repetitions without limits. Then
  // refused here when llama.cpp's parser would refuse it, since that parser prints a grammar it
  // refuses to the host's stderr (docs/SECURITY.md, "The host's log").
  const GrammarStats stats = check_gbnf(grammar, limits, "grammar");
  refuse_unparsable_gbnf(stats, "grammar");
  check_token_literals(vocab, grammar, stats);
  // Lazy or not, the grammar text parses the same way; its triggers are checked elsewhere.
  llama_sampler* probe = llama_sampler_init_grammar(vocab, grammar.c_str(), "root");
  if (!probe) {
    fail(ErrorKind::InvalidArgument,
         "grammar: llama.cpp could not parse it (an undefined rule, a syntax error or left "
         "recursion; set WASI_NN_LOG_LEVEL=warn to see its reason)");
  }
  llama_sampler_free(probe);
}

}  // namespace

common_sampler* make_sampler(const Engine& engine, RequestSettings& rs, const InputLimits& limits) {
  common_params_sampling& sp = rs.sampling;
  const llama_vocab* vocab = engine.weights().vocab();
  const int32_t n_ctx = static_cast<int32_t>(engine.n_ctx_seq());
  if (sp.penalty_last_n == -1) sp.penalty_last_n = n_ctx;
  if (sp.dry_penalty_last_n == -1) sp.dry_penalty_last_n = n_ctx;
  // The sampler's history must cover the penalty window.
  sp.n_prev = std::max(sp.n_prev, sp.penalty_last_n);
  resolve_logit_bias(vocab, rs);
  resolve_triggers(vocab, sp);
  check_grammar(vocab, sp, limits);
  check_sampling_fits_vocab(vocab, sp);  // what llama.cpp's samplers assert on the vocabulary
  if (sp.ignore_eos) {
    for (llama_token t = 0; t < llama_vocab_n_tokens(vocab); ++t) {
      if (llama_vocab_is_eog(vocab, t)) sp.logit_bias.push_back({t, -INFINITY});
    }
  }
  common_sampler* smpl = nullptr;
  try {
    smpl = common_sampler_init(engine.weights().get(), sp);
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument, std::string("the sampling settings were rejected by llama.cpp: ") + e.what());
  }
  if (!smpl) {
    fail(ErrorKind::InvalidArgument,
         "the sampling settings were rejected by llama.cpp (most often a grammar or json_schema "
         "that does not parse; set WASI_NN_LOG_LEVEL=warn to see its reason)");
  }
  return smpl;
}

}  // namespace wasi_nn
