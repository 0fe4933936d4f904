// The rpc_servers value: "host:port,host:port" or a JSON list of "host:port" strings, checked
// entry by entry (the host, the port 1-65535, no repeats, at most GGML_RPC_MAX_SERVERS).
#pragma once

#include <string>
#include <vector>

#include "core/config/param_table.h"

namespace wasi_nn {

// The endpoints in order, trimmed. Throws Error(InvalidArgument) with a short reason (the
// parser adds the key) naming the first bad entry.
std::vector<std::string> rpc_server_list(const ParamValue& value);

}  // namespace wasi_nn
