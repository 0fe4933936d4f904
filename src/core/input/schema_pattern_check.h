// check_schema_patterns: refuses the "pattern" strings of a JSON schema that llama.cpp's
// json_schema_to_grammar would only warn about.
//
// For a pattern it cannot convert (not anchored with ^ and $, a lookaround, an escape GBNF lacks,
// ...) the converter falls back to "any string" and prints the pattern to the process's stderr
// (fprintf in check_errors, common/json-schema-to-grammar.cpp 80fb11a), past every log sink and
// level: a tenant would write its text into the host's stderr with every request. The scan here
// follows the converter's own (_pattern_to_rule) without building anything, so every pattern it
// lets through converts without a warning; a pattern the converter reports as invalid is left to
// the converter, which refuses it through an exception.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace wasi_nn {

// Why llama.cpp's converter would not support `pattern` (a short reason), or "" when it would.
std::string unsupported_schema_pattern(const std::string& pattern);

// Throws InvalidArgument naming `key` and the first unsupported pattern found anywhere in
// `schema` (every string value of a "pattern" key, walked without recursion).
void check_schema_patterns(const nlohmann::ordered_json& schema, const std::string& key);

}  // namespace wasi_nn
