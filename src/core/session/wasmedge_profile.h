// What the WasmEdge profile changes at the session layer (docs/COMPATIBILITY.md): output 1 as
// WasmEdge's plugin writes it (readable from init_execution_context on, input_tokens set by
// set_input(0), the four top-level fields after compute besides ours, and the config warnings),
// the prompt's token count at set_input, and the log lines a tenant gets for its own calls.
// Thread-safety: pure functions (the counting reads an immutable graph).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "core/config/settings.h"
#include "core/engine/request.h"

namespace wasi_nn {

class Conversation;
class Tenant;

inline bool is_wasmedge(const Settings& s) { return s.backend.profile == Profile::WasmEdge; }

// The verbosity a tenant asked for with enable_log / enable_debug_log (None: the host's level).
LogLevel tenant_verbosity(const RequestSettings& r);

// Logs, at warn and naming the tenant, the config warnings from index `from` on.
void log_config_warnings(const Tenant& tenant, const std::vector<std::string>& warnings, size_t from,
                         const char* where);

// Output 1 of a context that has computed nothing yet: WasmEdge's four fields, counts zero.
std::string initial_metadata();

// Output 1 after set_input(0): `previous` (the last compute's metadata, or initial_metadata())
// with input_tokens replaced; output_tokens stays, as in WasmEdge.
std::string metadata_after_input(const std::string& previous, uint64_t input_tokens);

// Output 1 after a compute: our metadata plus llama_build_number and llama_commit at top level
// and, when there are any, the config "warnings".
std::string metadata_after_compute(const std::string& ours, const std::vector<std::string>& warnings);

// Output 1 after a failed compute: `previous` (input_tokens, ...) with the error's "error" field.
std::string metadata_after_error(const std::string& previous, const std::string& error_json);

// n_predict of a stream: WasmEdge applies none, so -1 unless the host capped n_predict.
int32_t streaming_n_predict(const Limits& limits);

// How much of a finished stream's text WasmEdge hands out as pieces: all of it, except that the
// token sampled when the context was already full (in output 0 and output_tokens, never
// decoded) is answered with ContextFull instead of a piece.
size_t streamed_length(const RequestResult& r, const llama_vocab* vocab);

// The tokens compute would send for `prompt` (raw: the text as it is; chat: rendered with the
// conversation's history; embeddings: every input), as WasmEdge reports them after set_input.
uint64_t count_input_tokens(const Conversation& conv, const Settings& s, const std::string& prompt);

}  // namespace wasi_nn
