// Process-wide statistics for operators: what every backend, engine and model of the process
// holds and has done, as one JSON object (the stats call of both C ABIs). The observer sits on
// top of every layer and only reads: counters from base (process and per tenant), engines from
// the registry, tenants from the tenant list. Counters are totals since the library was loaded;
// gauges are read at the time of the call.
// Thread-safety: may be called from any thread.
#pragma once

#include <string>

namespace wasi_nn {

// The JSON document (see wasi_nn_stats in the public headers and docs/ABI.md for its fields).
std::string process_stats_json();

}  // namespace wasi_nn
