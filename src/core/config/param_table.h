// The parameter table: the one place that names every config key, its aliases, type, default,
// allowed range, scopes and help text. The parser (config_parser.h), apply_defaults() and the
// generated reference (docs/PARAMETERS.md) are all driven by it, so a key cannot be parsed
// without being documented, or documented without being applied.
//
// Thread-safety: the table is built once, on first use, and is read-only afterwards; every
// function here may be called from any thread.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/settings.h"

namespace wasi_nn {

// Where a config document comes from. A key lists the scopes that accept it.
enum Scope : unsigned {
  kScopeBackend = 1,  // init_backend_with_config: backend keys and defaults for every load
  kScopeLoad = 2,     // load_by_name_with_config
  kScopeRequest = 4,  // per-request JSON (input index 1, run_inference's runtime config)
};
constexpr unsigned kScopeLoadTime = kScopeBackend | kScopeLoad;
constexpr unsigned kScopeAll = kScopeBackend | kScopeLoad | kScopeRequest;

enum class ParamType {
  Bool,
  Int,         // a JSON integer (an integral float such as 2048.0 is accepted too)
  IntOrAuto,   // an Int, or a string from `choices` (e.g. "auto")
  Float,       // any finite JSON number
  Enum,        // a string from `choices`
  EnumOrBool,  // a string from `choices`, or true/false meaning "on"/"off"
  String,
  FloatList,        // a list of numbers, each within [min, max]
  StringList,       // a non-empty list of non-empty strings
  StringOrList,     // one non-empty string, or a list of them (possibly empty)
  Samplers,         // a list of sampler names, or a string of sampler chars
  Schema,           // a JSON schema: an object, or a string holding one
  LogitBias,        // [[token, bias], ...] or {"token": bias}; token = id or text; false = never
  GrammarTriggers,  // a list of words, or {"type", "value", "token"} objects
  Object,           // a JSON object with its own keys (the operator's limits)
  ObjectList,       // a list of JSON objects (tools, LoRA adapters), checked by the key's converter
  StringOrObject,   // a string, or a JSON object (tool_choice)
  StringOrInteger,  // a non-empty string, or an integer >= 0 (fork_from)
  Unsupported,      // a key the original project documented that this backend does not do
};

using ParamValue = nlohmann::ordered_json;

struct ParamSpec {
  const char* name;                  // canonical snake_case
  const char* section;               // where the reference lists it (and a section name the parser accepts)
  std::vector<std::string> aliases;  // other snake_case spellings; dash-case is always accepted
  ParamType type;
  unsigned scopes;                   // Scope bits that accept this key
  double min;                        // Int(OrAuto), Float, FloatList elements: inclusive bounds
  double max;                        //   (+-infinity = unbounded)
  std::vector<std::string> choices;  // Enum, EnumOrBool, IntOrAuto
  std::string default_json;          // JSON text apply_defaults() applies; "" = none
  std::string help;                  // what it does, special values, why unsupported
  // Stores an already type- and range-checked value; throws Error(InvalidArgument) with a short
  // reason (the parser adds the key) for checks only the type's converter can do.
  void (*apply)(const ParamValue& value, Settings& into);
  // JSON text of the value meaning "as much as possible" (n_predict -1, timeout_ms 0), which an
  // operator's cap on this key replaces with the cap (config/limits.h); empty = none.
  std::string unbounded_json = "";
};

// The spec of the key `name` (canonical, alias, or dash-case), or null.
const ParamSpec* find_param(std::string_view name);

// Every parameter, in reference order (grouped by section).
const std::vector<ParamSpec>& param_table();

// Resets `s` and fills every field the table covers with the table's default. Fields the table
// does not cover keep their type's default (llama.cpp's, for common_params_sampling).
void apply_defaults(Settings& s);

// The WasmEdge profile's own rows (param_wasmedge_rows.cpp): WasmEdge's spellings, types and
// meanings, consulted before param_table() when a config is parsed in that profile; keys there
// that this backend does not honour refuse (Unsupported) any value but the neutral one, which the
// profile turns into a warning. A row may share its canonical name with a main-table row.
const std::vector<ParamSpec>& wasmedge_profile_table();
// The defaults a profile changes (WasmEdge: raw prompts, n_predict -1, no context shift), applied
// after apply_defaults() and before any config; they do not count as given (`present`).
void apply_profile_defaults(Profile profile, Settings& s);

// Section names the parser strips from the front of a nested key ("sampling", "memory", ...).
const std::vector<std::string>& param_sections();

// Text for docs and error messages: "integer", "-1 to 2147483647", "backend, load, request".
std::string param_type_name(const ParamSpec& spec);
std::string param_range_text(const ParamSpec& spec);
std::string param_scope_text(unsigned scopes);

}  // namespace wasi_nn
