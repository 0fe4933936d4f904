// make_sampler: a request's sampling settings -> llama.cpp's common_sampler, with the parts
// that need the model resolved first: -1 penalty windows become the context size, logit_bias
// texts become token ids, token triggers named by text become ids, ignore_eos bans every
// end-of-generation token. Runs on the caller's thread (tokenizing is the heavy part).
#pragma once

#include "core/config/settings.h"
#include "core/engine/engine.h"
#include "core/input/input_limits.h"
#include "sampling.h"

namespace wasi_nn {

// Completes `rs.sampling` for `engine`'s model (see above) and builds the sampler; the caller
// owns the result (common_sampler_free, or hand it to a Request). Throws
// Error(InvalidArgument) naming the setting when a token id is outside the vocabulary, a text
// tokenizes to nothing, a token trigger's text is not one token, or llama.cpp rejects the
// setup (a grammar or json_schema that does not parse is the usual cause).
common_sampler* make_sampler(const Engine& engine, RequestSettings& rs, const InputLimits& limits);

}  // namespace wasi_nn
