// check_json_schema: bounds a JSON schema before llama.cpp's json_schema_to_grammar
// (common/json-schema-to-grammar.cpp) converts it.
//
// The converter recurses along the schema's nesting (and copying the parsed schema recurses the
// same way, so 200,000 nested brackets in the text overflow the stack before any schema logic
// runs), along chains of $ref (an allOf whose $ref leads back to itself never ends), once per
// optional property of an object (with work cubic in their number), once per character of the
// longest property name when additionalProperties is set, and, inside std::regex_replace, once
// per character of a property name or $ref. Each distinct $ref copies the whole schema; each
// entry of a "type" list copies and re-converts the subschema below it, so nested type lists
// multiply. Counts (minLength, maxItems, ...) become GBNF repetitions, which check_gbnf bounds
// on the converted grammar; they are checked here too so the message names the keyword.
//
// check_json_schema scans the text for nesting first (strings skipped, no recursion), then
// parses it and walks it with an explicit stack, counting an upper bound of what the converter
// visits and copies.
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string>

#include "core/input/input_limits.h"

namespace wasi_nn {

struct SchemaStats {
  size_t depth = 0;          // deepest bracket nesting of the text
  size_t visits = 0;         // upper bound of subschemas the converter visits
  size_t copies = 0;         // upper bound of JSON values it copies (plus optional-property work)
  size_t refs = 0;           // distinct $ref strings
  bool parse_error = false;  // not JSON: the caller's parse reports it
};

// Throws InvalidArgument naming `key` when `text` exceeds a limit.
SchemaStats check_json_schema(const std::string& text, const InputLimits& limits,
                              const std::string& key = "json_schema");

// Nesting of `text` read as JSON, counting [ and { outside strings, without parsing it.
size_t json_text_depth(const std::string& text);

}  // namespace wasi_nn
