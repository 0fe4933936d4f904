// Converters for the parameter table's structured values: logit_bias (token ids or texts),
// grammar_triggers, chat_template. Each takes a value the parser has type-checked and stores it
// in Settings, or throws Error(InvalidArgument) with a reason the parser prefixes with the key.
// What needs the model (tokenizing texts, checking ids against the vocabulary) is left to
// session/sampler_setup.cpp. Thread-safety: stateless; callable from any thread.
#pragma once

#include "core/config/param_table.h"

namespace wasi_nn {

// [[token, bias], ...] or {"token": bias}; a token is an id or a text, a bias a number or false.
void apply_logit_bias(const ParamValue& v, Settings& s);

// A list of words, or {"type", "value", "token"} objects as llama-server takes them.
void apply_grammar_triggers(const ParamValue& v, Settings& s);

// Empty, a llama.cpp built-in template name, or Jinja text.
void apply_chat_template(const ParamValue& v, Settings& s);

}  // namespace wasi_nn
