// Limits: the operator's policy for tenants. One backend context is one tenant (a wasm instance,
// or one native init_backend); what it sends at load and per request is checked against these
// ceilings before anything uses it. Operators set limits; tenants ask within them.
//
// Sources, all the host's: WASI_NN_LIMITS (a JSON object in the environment; wasi-nn-run sets it
// from --nn-limits) for every backend of the process, and the "limits" key of a native host's
// init_backend_with_config for that backend (it can only tighten the environment's). Without
// either, the machine's own limits still apply: no more threads than cores, no KV budget beyond
// physical memory, no disk budget beyond the free space of kv_save_dir.
//
// A limit key is either
//   - a parameter of the table (docs/PARAMETERS.md; canonical name, alias or dash-case) that
//     takes a number or a bool: a number caps the value (a tenant asking for more gets
//     invalid_argument naming the limit and the value; a value meaning "as many as possible",
//     such as n_predict -1, becomes the cap); false forbids true. Defaults above a cap are
//     lowered to it.
//   - one of the policy keys of limit_table() (max_graphs, max_contexts, allow_load, denied_keys,
//     max_sequences_per_tenant, ...), documented in docs/PARAMETERS.md, "Operator limits".
// Thread-safety: a Limits is immutable once built; every function here is safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/input/input_limits.h"

namespace wasi_nn {

struct ParamSpec;
struct Settings;

struct Limits {
  std::map<std::string, double> ceilings;  // canonical parameter name -> cap (bool: 0 = false)
  // Caps that only refuse: the machine's, which an "automatic" value already stays within
  // (threads 0 picks llama.cpp's own count), so it is not replaced by them.
  std::set<std::string> refuse_only;
  // Caps whose figure is the machine's (its cores, physical memory, free disk): a refusal names
  // the limit, never the figure, since a tenant must not read the host's resources (and the free
  // disk of kv_save_dir moves with other tenants' spilled KV states).
  std::set<std::string> undisclosed;
  std::set<std::string> denied_keys;        // canonical names a tenant may not set at all
  bool allow_load = true;                   // load() of model bytes the tenant sends
  uint32_t max_graphs = 16;                 // graphs one backend context holds at once
  uint32_t max_contexts = 256;              // execution contexts one backend context holds
  uint32_t max_engines_per_model = 4;       // distinct context settings served for one model file
  uint32_t max_sequences_per_tenant = 0;    // KV sequences one tenant holds on a shared engine; 0 = n_parallel
  uint32_t max_queued_per_tenant = 0;       // requests one tenant has waiting on an engine; 0 = max_queue
  uint64_t stream_idle_timeout_ms = 60000;  // an unread stream is cancelled after this long
  uint32_t stream_ahead_tokens = 64;        // a stream generates at most this far ahead of its reader
  InputLimits input;                        // bounds on grammars, trigger patterns, schemas, templates

  // The value of `spec` to apply for `v` (already type- and range-checked): `v` itself, or the
  // cap when `v` means "as much as possible". Throws InvalidArgument (naming the key, the value
  // and the limit) when `v` is over the cap or the key is denied, unless `clamp` (the host's own
  // defaults), which lowers it to the cap instead.
  nlohmann::ordered_json check(const ParamSpec& spec, const std::string& key, const nlohmann::ordered_json& v,
                               bool clamp) const;
  // Lowers the defaults in `s` that the host did not set (not in s.present) to the caps.
  void clamp_defaults(Settings& s) const;
  // This policy tightened by `other` (the smaller cap, the union of denied keys, ...).
  Limits tightened(const Limits& other) const;
};

// Parses a limits document (see above). Throws InvalidArgument naming the bad key.
Limits parse_limits(std::string_view json, const char* source);

// This machine's physical memory in MiB (0 when unknown).
uint64_t physical_memory_mb();

// The machine's own limits: threads within its cores, the KV save budget within its physical
// memory, the disk budget within the free space of `kv_save_dir` (when set).
Limits machine_limits(const std::string& kv_save_dir);

// WASI_NN_LIMITS, tightened into the machine's. Throws InvalidArgument when it is malformed.
Limits environment_limits(const std::string& kv_save_dir);

// The policy keys, for the parameter reference: name, type, default, range, help.
struct LimitKeyDoc {
  const char* name;
  const char* type;
  std::string default_text;
  const char* help;
};
const std::vector<LimitKeyDoc>& limit_table();

}  // namespace wasi_nn
