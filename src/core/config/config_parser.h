// Config parsing: JSON text -> Settings, driven by the parameter table (param_table.h).
//
// Lookup rule for a key (see docs/PARAMETERS.md, "How keys are written"):
//   1. Every path component has '-' replaced by '_' (WasmEdge's "ctx-size" is "ctx_size").
//   2. Nested objects form a path: {"sampling": {"dynatemp": {"range": 1}}} is
//      sampling.dynatemp.range.
//   3. The path joined with '_' is looked up among canonical names and aliases
//      ("logging.level" -> "logging_level", an alias of log_level). If that fails, the leading
//      components that are section names (param_sections()) are dropped and the rest is joined
//      and looked up ("sampling.dynatemp.range" -> "dynatemp_range").
//   4. An object is a value, not a nesting level, when its key names a parameter that takes an
//      object (json_schema, logit_bias). Any other object must be a section or the start of a
//      name ("dynatemp", "cache_policy"); otherwise its key is unknown.
// Sections only group keys: any key may sit in any section.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/config/limits.h"
#include "core/config/param_table.h"
#include "core/config/settings.h"

namespace wasi_nn {

constexpr size_t kMaxConfigBytes = 1u << 20;  // 1 MiB of config text
constexpr int kMaxConfigDepth = 32;           // nesting of objects and arrays

// Parses `json` (a JSON object; empty or all-whitespace text = no keys; NULs at the end are
// ignored, anywhere else they are an error) and applies each key to
// `into`, on top of what it already holds. `scope` is one Scope value: the keys it may set.
// All or nothing: on error `into` is left unchanged.
// Throws Error(ErrorKind::InvalidArgument, message) on invalid JSON (InvalidEncoding in the
// WasmEdge profile, as WasmEdge answers it), a non-object, a value of
// the wrong type or out of range, an unknown key, a key given twice, a key not allowed at this
// scope, or a failed cross-parameter check; Error(ErrorKind::Unsupported, message) for a key
// the backend recognises but does not implement. Messages name the key as the user wrote it.
// With `limits`, each key is also checked against the operator's limits (config/limits.h):
// a tenant's value over a cap is refused, unless `clamp` (the host's own config), which lowers it.
// With `profile` WasmEdge, the keys of WasmEdge's GGML plugin are read with its types and
// meanings (wasmedge_profile_table()), and what the strict profile refuses as unknown, not
// supported, or load-only in a request is accepted without effect instead, each with one line
// in `into.warnings` (at most kMaxConfigWarnings; the caller logs them). Host-only keys, the
// operator's limits, wrong types and bad values are refused in every profile.
struct ParseOptions {
  const Limits* limits = nullptr;
  bool clamp = false;
  Profile profile = Profile::Strict;
};
constexpr size_t kMaxConfigWarnings = 32;
void parse_config(std::string_view json, unsigned scope, Settings& into, const ParseOptions& options = {});

// The parameter reference (docs/PARAMETERS.md), generated from the table.
std::string parameters_markdown();

}  // namespace wasi_nn
