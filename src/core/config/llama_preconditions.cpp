#include "core/config/llama_preconditions.h"

#include <algorithm>

#include "core/base/error.h"

namespace wasi_nn {
namespace {

// llama_context's constructor reserves its output buffer for n_seq_max outputs (one logit row
// per sequence, llama-context.cpp:375) and asserts that this fits cparams.n_outputs_max, which
// is n_batch (or n_ctx when smaller, never smaller than n_parallel here since ctx_size >= 16).
// An assert, not an error: the whole process would abort.
void check_batch_holds_every_sequence(const ContextSettings& c, const KeyName& key_of) {
  if (c.n_batch >= c.n_parallel) return;
  fail(ErrorKind::InvalidArgument, "config key '" + key_of("batch_size") + "' = " + std::to_string(c.n_batch) +
                                       " is smaller than '" + key_of("n_parallel") +
                                       "' = " + std::to_string(c.n_parallel) +
                                       ": one decode step must hold a token of every sequence, so llama.cpp needs "
                                       "batch_size >= n_parallel. Raise batch_size to at least " +
                                       std::to_string(c.n_parallel) + ", or lower n_parallel.");
}

// llama_init_from_model refuses a quantised V cache without flash attention ("auto" turns it on).
void check_quantized_v_has_flash_attn(const ContextSettings& c, const KeyName& key_of) {
  if (c.flash_attn != FlashAttn::Off || !is_quantized(c.cache_type_v)) return;
  fail(ErrorKind::InvalidArgument, "config key '" + key_of("cache_type_v") + "' = \"" + enum_name(c.cache_type_v) +
                                       "\" is a quantised type, which needs flash attention, but '" +
                                       key_of("flash_attn") +
                                       "' is off; set flash_attn to \"auto\" or \"on\", or cache_type_v to f16.");
}

}  // namespace

void check_sampling_preconditions(const common_params_sampling& sampling, const KeyName& key_of) {
  const auto& chain = sampling.samplers;
  const bool infill = std::find(chain.begin(), chain.end(), COMMON_SAMPLER_TYPE_INFILL) != chain.end();
  if (!infill || sampling.mirostat != 0 || common_grammar_value(sampling.grammar).empty()) return;
  fail(ErrorKind::InvalidArgument,
       "config key '" + key_of("samplers") +
           "' lists infill, which can end the output where the "
           "grammar (from '" +
           key_of("grammar") + "' or '" + key_of("json_schema") +
           "') does not "
           "allow it yet; llama.cpp would abort. Drop infill from samplers, or the grammar.");
}

void check_llama_preconditions(const ContextSettings& context, const KeyName& key_of) {
  check_batch_holds_every_sequence(context, key_of);
  check_quantized_v_has_flash_attn(context, key_of);
}

}  // namespace wasi_nn
