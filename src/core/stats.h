// Process-wide statistics for operators: what every backend, engine and model of the process
// holds and has done, as one JSON object (the stats call of both C ABIs). Counters are totals
// since the library was loaded; gauges are read at the time of the call.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "llama.h"

namespace wasi_nn {

struct RequestResult;

// Live-object gauges, kept by the objects' constructors and destructors.
void stats_backend_opened();
void stats_backend_closed();
void stats_conversation_opened(bool session);
void stats_conversation_closed(bool session);

// A turn (compute, or a whole stream) finished: counts it and its tokens.
void stats_request_done(const RequestResult& result);
// A compute or stream step failed with `kind` (EndOfSequence is not a failure).
void stats_request_failed(ErrorKind kind);

// Bytes of a KV cache of `n_cells` cells for `model` with these cache types: per layer, one K
// and one V row of (head size x KV heads) elements per cell. Standard attention only: models
// with other caches (recurrent, MLA) are estimated the same way.
uint64_t kv_cache_bytes(const llama_model* model, uint32_t n_cells, ggml_type type_k, ggml_type type_v);

// The JSON document (see process_stats in the public headers for its fields).
std::string process_stats_json();

}  // namespace wasi_nn
