// The parameter reference (docs/PARAMETERS.md), generated from the parameter table so the
// documentation cannot drift from what the parser accepts.
#include <string>
#include <vector>

#include "core/config/config_parser.h"
#include "core/config/limits.h"
#include "core/config/param_table.h"

namespace wasi_nn {
namespace {

// Cells of a Markdown table: '|' would end the cell, a newline the row.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else
      out += c == '\n' ? ' ' : c;
  }
  return out;
}

std::string code_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "`" : ", `") + n + "`";
  return out.empty() ? "-" : out;
}

const char* kIntro = R"(# Configuration parameters

<!-- Generated from src/core/config/param_table.cpp by wasi-nn-params-doc; do not edit.
     Regenerate: <build>/src/core/config/wasi-nn-params-doc > docs/PARAMETERS.md -->

Every setting is a key in a JSON object. Three places take one:

| Scope | Where | Keys accepted |
|---|---|---|
| backend | `init_backend_with_config` | every key except request-only ones; model, context and request keys become defaults for every load |
| load | `load_by_name_with_config` | every key except request-only ones; request keys become the model's defaults |
| request | input index 1, `run_inference`'s config | request keys only (sampling, stopping, session); they apply to the next compute only |

## How keys are written

- **Flat**: `{"ctx_size": 4096, "temp": 0.7}`.
- **Nested in sections**: `{"model": {"n_gpu_layers": 99}, "sampling": {"top_p": 0.9}}`. Sections only
  group keys: any key may sit in any section. Section names: %SECTIONS%.
- **Nested names**: an object may spell out the parts of a name:
  `{"sampling": {"dynatemp": {"range": 0.1, "exponent": 1.2}}}` sets `dynatemp_range` and
  `dynatemp_exponent`; `{"memory_management": {"cache_policy": {"enable_prompt_cache": true, "retention_ms": 300000}}}`
  sets `cache_prompt` and `idle_timeout_ms`.
- **WasmEdge's spellings**: `n-gpu-layers`, `ctx-size`, `n-predict`, `batch-size`, `threads`, `temp`, `top-p`,
  `repeat-penalty`, ... Every `-` in a key is read as `_` (dash-case works for every key).
- **Aliases**: each key's other names are listed below (`n_ctx` for `ctx_size`, `max_tokens` for `n_predict`, ...).

Lookup: each path component has `-` replaced by `_`; the whole path joined with `_` is looked up among
names and aliases (`logging.level` -> `logging_level`); if that fails, leading section names are dropped
and the rest is joined and looked up (`sampling.dynatemp.range` -> `dynatemp_range`). An object is taken
as a value, not a section, when its key names a parameter that takes one (`json_schema`, `logit_bias`).

## Errors

In the strict profile nothing is ignored (the WasmEdge profile, below, accepts more). A config is rejected as a whole (invalid argument), with a message naming the key as
written, the value and what is allowed, when: the text is not a JSON object; a key is unknown (the
message suggests the closest name); a key is given twice (also under two aliases); a value has the wrong
type or is out of range; a key is not allowed at that scope; the text exceeds %BYTES% bytes or nests
deeper than %DEPTH% levels. Keys the original project documented but this backend does not implement
fail with unsupported operation, unless given the one value that describes what the backend does anyway
(see the last table).

Cross-parameter rules:
- `ubatch_size` <= `batch_size`. When `ubatch_size` is not given it follows `batch_size` (512 or less).
- `batch_size` >= `n_parallel`: a decode step holds a token of every sequence (llama.cpp aborted
  the process otherwise).
- A quantised `cache_type_v` (anything but f32, f16, bf16) needs `flash_attn` "auto" or "on".
- Checked at load, against the model: a quantised `cache_type_k` / `cache_type_v` needs the
  model's attention head size to be a multiple of its block size (32).
- Derived at load (llama.cpp's preconditions, docs/HARDENING.md): models that attend
  non-causally (encoders such as BERT) decode each batch in one ubatch (`ubatch_size` =
  `batch_size`, at most `ctx_size` x `n_parallel`); with `embedding`, `batch_size` is rounded
  down to a multiple of `n_parallel`; `threads` and `threads_batch` are at most the machine's
  CPUs (and 512); `context_shift` does not shift a bf16 key cache, nor a quantised one unless
  the head size is a multiple of 64 (generation then ends with `context_full`).
- `samplers` with `infill` is not given with a `grammar` or `json_schema`.
- A `grammar` nests groups at most 64 deep; a trigger pattern is bounded as its row says.
- Checked at load, against the devices present: `main_gpu` below the device count (0 without any),
  `tensor_split` no longer than the device list, every `rpc_servers` entry answering.
- `xtc_threshold` > 0.5 disables XTC, so it is rejected while `xtc_probability` > 0.
- `grammar` and `json_schema` are not given together.
- `-1` for `repeat_last_n` and `dry_penalty_last_n` means the context size (`ctx_size`); a larger
  window than `ctx_size` is rejected (checked per request against the model's `ctx_size`); the
  default window follows a smaller `ctx_size` down.
- `grammar_lazy` = true needs `grammar_triggers` and a `grammar` or `json_schema`; `grammar_triggers`
  need `grammar_lazy`.
- `mirostat` (other than 0) and `samplers` are not given together: mirostat replaces the chain.
- `adaptive_target` >= 0 needs `adaptive_p` in `samplers`.
- `logit_bias` token ids must exist in the model's vocabulary, and a token trigger's text must be
  one token of it (checked per request).
)";

const std::vector<std::pair<std::string, std::string>> kSectionTitles = {
    {"backend", "Backend: sessions and logging"},
    {"model", "Model: loading the weights"},
    {"context", "Context: the KV cache and its compute"},
    {"sampling", "Sampling: choosing each token (defaults are llama.cpp's, as llama-server uses them)"},
    {"stopping", "Stopping"},
    {"session", "Session: prompts and conversation"},
    {"memory", "Memory: KV reuse across conversations, saved states, context shift"},
    {"runtime", "Runtime: queueing"},
    {"embeddings", "Embeddings: vectors instead of text"},
    {"media", "Media: images and audio through a multimodal projector (docs/MULTIMODAL.md)"},
    {"agents", "Agents: tools, reasoning, message input, tokens and probabilities, forks (docs/AGENTS.md)"},
    {"adapters", "Adapters and reranking (docs/ADAPTERS.md)"},
    {"speculation", "Speculative decoding: drafts verified in the engine's batch"},
    {"compat", "Compatibility: profiles, a tenant's own log lines, streaming to the guest's stdout"},
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos)) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

std::string section_markdown(const std::string& section, const std::string& title) {
  std::string md = "\n## " + title +
                   "\n\n| Key | Aliases | Type | Default | Allowed | Scopes | "
                   "Description |\n|---|---|---|---|---|---|---|\n";
  for (const auto& spec : param_table()) {
    if (spec.section != section || spec.type == ParamType::Unsupported) continue;
    const std::string def = spec.default_json.empty() ? "none" : "`" + spec.default_json + "`";
    md += "| `" + std::string(spec.name) + "` | " + code_list(spec.aliases) + " | " + param_type_name(spec) + " | " +
          cell(def) + " | " + cell(param_range_text(spec)) + " | " + param_scope_text(spec.scopes) + " | " +
          cell(spec.help) + " |\n";
  }
  return md;
}

const char* kWasmEdgeIntro = R"(
## WasmEdge profile

With `"profile": "wasmedge"` (the default of `libwasi_nn_llamacpp.so`, i.e. for wasm guests; a host
setting) a tenant's load and request configs are read as WasmEdge's GGML plugin reads its metadata
(docs/COMPATIBILITY.md): every key of that plugin is accepted with its type and meaning, and the defaults
change to the plugin's: `mode` raw, `n_predict` -1, `context_shift` false (compute answers context full,
with the text so far readable). What this profile accepts without honouring it adds a line to the
`warnings` list of output 1 and to the log (warn level, naming the tenant): unknown keys, the keys of
"Recognised but not supported" below (any value but the accepted one), keys that apply only at load when
given in a request, and the keys of the second table below (any value but the neutral one). A value of the
wrong type, out of range or denied by the host's limits is still refused, and host-only keys stay host-only.

Where a key below has the same name as a key above, the row whose type fits the value is used:
`"tensor_split": "3,2"` is WasmEdge's, `"tensor_split": [3, 2]` ours; both answer to the host's caps on
that name.

| Key | Aliases | Type | Allowed | Scopes | Meaning in this profile |
|---|---|---|---|---|---|
)";

// The WasmEdge profile's rows: `section` "wasmedge" (honoured), "wasmedge_ignored" (warned about
// unless neutral), "wasmedge_noop" (no effect, in WasmEdge's plugin too).
std::string wasmedge_markdown() {
  std::string md = kWasmEdgeIntro;
  std::string ignored =
      "\nNot implemented here (a warning unless the value is the neutral one):\n\n"
      "| Key | Type | Neutral value | What WasmEdge does with it |\n|---|---|---|---|\n";
  std::string noop;
  for (const auto& spec : wasmedge_profile_table()) {
    const std::string section = spec.section;
    if (section == "wasmedge") {
      md += "| `" + std::string(spec.name) + "` | " + code_list(spec.aliases) + " | " + param_type_name(spec) + " | " +
            cell(param_range_text(spec)) + " | " + param_scope_text(spec.scopes) + " | " + cell(spec.help) + " |\n";
    } else if (section == "wasmedge_ignored") {
      ignored += "| `" + std::string(spec.name) + "` | " + param_type_name(spec) + " | `" + spec.default_json + "` | " +
                 cell(spec.help) + " |\n";
    } else {
      noop += std::string(noop.empty() ? "" : ", ") + "`" + spec.name + "` (" + param_type_name(spec) + ")";
    }
  }
  return md + ignored +
         "\nAccepted with no effect (llama.cpp tool options that WasmEdge's plugin ignores too; `priority` "
         "is WasmEdge's CPU priority here): " +
         noop + ".\n";
}

std::string unsupported_markdown() {
  std::string md =
      "\n## Recognised but not supported\n\nThese keys fail with unsupported "
      "operation. A key with an accepted value may be given that value, which is "
      "what the backend does anyway.\n\n| Key | Aliases | Accepted value | Why |"
      "\n|---|---|---|---|\n";
  for (const auto& spec : param_table()) {
    if (spec.type != ParamType::Unsupported) continue;
    const std::string ok = spec.default_json.empty() ? "-" : "`" + spec.default_json + "`";
    md += "| `" + std::string(spec.name) + "` | " + code_list(spec.aliases) + " | " + ok + " | " + cell(spec.help) +
          " |\n";
  }
  return md;
}

const char* kLimitsIntro = R"(
## Operator limits

The host's policy for tenants (one backend context is one tenant: a wasm instance, or one native
`init_backend`). Set it with `WASI_NN_LIMITS` (a JSON object in the environment; `wasi-nn-run
--nn-limits`), and, for one native backend, with the host-only `limits` key of
`init_backend_with_config` (it can only tighten the environment's). A tenant cannot change limits.

- **Caps on parameters.** Any numeric parameter above, by its name, alias or dash-case
  spelling, takes a cap: `{"ctx_size": 4096, "n_predict": 512, "threads": 2}`. A tenant asking
  for more gets invalid argument naming the limit and the value. A value that means "as much as
  possible" (`n_predict` -1, `n_gpu_layers` -1 or "auto", `timeout_ms` 0, `t_max_predict_ms` 0)
  becomes the cap. A boolean parameter capped at `false` (`{"use_mlock": false}`) may not be
  set true. Defaults above a cap (the table's, or the host's own config) are lowered to it.
- **Always, without any policy**, the machine's own limits: `threads` and `threads_batch` at most
  the number of CPU cores, `kv_save_budget_mb` at most the physical memory, and
  `kv_save_disk_budget_mb` at most the free space of `kv_save_dir`.
- **Host-only keys** (backend scope: `log_*`, `rpc_servers`, `kv_save_dir`, `limits`,
  `share_group`) can never be set by a tenant's load or request.
- **Policy keys**:

| Key | Type | Default | Description |
|---|---|---|---|
)";

std::string limits_markdown() {
  std::string md = kLimitsIntro;
  for (const auto& k : limit_table()) {
    md +=
        "| `" + std::string(k.name) + "` | " + k.type + " | `" + cell(k.default_text) + "` | " + cell(k.help) + " |\n";
  }
  return md;
}

}  // namespace

std::string parameters_markdown() {
  std::string sections;
  for (const auto& s : param_sections()) sections += (sections.empty() ? "`" : ", `") + s + "`";
  std::string md = replace_all(kIntro, "%SECTIONS%", sections);
  md = replace_all(md, "%BYTES%", std::to_string(kMaxConfigBytes));
  md = replace_all(md, "%DEPTH%", std::to_string(kMaxConfigDepth));
  for (const auto& [section, title] : kSectionTitles) md += section_markdown(section, title);
  return md + limits_markdown() + unsupported_markdown() + wasmedge_markdown();
}

}  // namespace wasi_nn
