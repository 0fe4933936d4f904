// Rows of the parameter table: speculative decoding (docs/SPECULATIVE.md). Every key is a load
// key: the drafts come from the engine (its draft model or its n-gram lookup), shared by every
// conversation it serves.
#include "core/config/param_rows.h"
#include "core/config/param_values.h"

namespace wasi_nn::param_rows {

std::vector<ParamSpec> speculative_rows() {
  const auto I = ParamType::Int;
  const auto F = ParamType::Float;
  const auto E = ParamType::Enum;
  const auto S = ParamType::String;
  const unsigned LT = kScopeLoadTime;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      {"speculative", "speculation", {"spec_type"}, E, LT, 0, 0, enum_names<Speculative>(), "\"none\"",
       "Speculative decoding: none; ngram = drafts from the conversation's own tokens (the tokens "
       "that followed the last ngram_size_n tokens where they occurred before: llama.cpp's "
       "ngram-simple), no second model; draft = drafts from draft_model (llama.cpp's "
       "draft-simple). Each step, a sequence's draft is decoded with its sampled token in the "
       "engine's batch and kept as far as the target model samples the same tokens, so the text "
       "is the target's own. Output 1 then reports drafted_tokens and accepted_tokens. Not with "
       "deterministic or embedding.",
       APPLY_ENUM(context.speculative)},
      {"draft_model", "speculation", {"model_draft", "draft"}, S, LT, 0, 0, {}, "\"\"",
       "The draft model, named as a model is (an alias or a file in a directory the host "
       "granted); it must share the target's vocabulary. Setting it implies speculative "
       "\"draft\". Loaded once and shared like models.",
       APPLY(s.context.draft_model = v.get<std::string>())},
      {"draft_max", "speculation", {"n_max_draft", "spec_draft_n_max"}, I, LT, 1, 64, {}, "16",
       "Most tokens drafted per step and sequence (fewer near the end of the context window).",
       APPLY(s.context.draft_max = v.get<uint32_t>())},
      {"draft_min", "speculation", {"n_min_draft", "spec_draft_n_min"}, I, LT, 0, 64, {}, "0",
       "A draft shorter than this is not verified (draft model only).",
       APPLY(s.context.draft_min = v.get<uint32_t>())},
      {"draft_p_min", "speculation", {"p_min_draft", "spec_draft_p_min"}, F, LT, 0, 1, {}, "0.75",
       "The draft model drafts a token only while its probability is at least this (greedy "
       "drafting); 0 drafts draft_max tokens every step.",
       APPLY(s.context.draft_p_min = v.get<float>())},
      {"ngram_size_n", "speculation", {"spec_ngram_size_n"}, I, LT, 1, 64, {}, "12",
       "N-gram lookup: how many of the latest tokens are searched for in the conversation's "
       "history.",
       APPLY(s.context.ngram_size_n = v.get<uint32_t>())},
      {"ngram_size_m", "speculation", {"spec_ngram_size_m"}, I, LT, 1, 256, {}, "48",
       "N-gram lookup: how many tokens that followed the match are drafted (then cut to "
       "draft_max).",
       APPLY(s.context.ngram_size_m = v.get<uint32_t>())},
  };
  // clang-format on
}

}  // namespace wasi_nn::param_rows
