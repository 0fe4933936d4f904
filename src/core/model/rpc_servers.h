// Devices on other machines: llama.cpp rpc-server processes reached through ggml's RPC backend
// (the rpc_servers config key). ggml aborts the process when a server cannot be reached or does
// not speak its protocol, so every server is probed here first, with a bounded wait.
// Thread-safety: rpc_devices() may be called from any thread (calls are serialised inside).
#pragma once

#include <string>
#include <vector>

#include "ggml-backend.h"

namespace wasi_nn {

// The devices the servers offer, in the order given (a server may offer several). The devices
// are not registered globally, so models loaded without rpc_servers never use them. Throws
// Error(Unsupported) when this build has no RPC backend, Error(Runtime) naming the first server
// that cannot be resolved, refuses the connection, does not answer within kRpcProbeTimeoutMs,
// or is not a compatible rpc-server.
std::vector<ggml_backend_dev_t> rpc_devices(const std::vector<std::string>& servers);

constexpr int kRpcProbeTimeoutMs = 5000;

}  // namespace wasi_nn
