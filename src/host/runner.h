// Runs a wasm module under WAMR with WASI and WASI-NN, as Options say. WAMR's own wasi-nn
// library (built into wamr_vmlib) serves the guest's wasi_ephemeral_nn imports and dlopen()s
// libwasi_nn_llamacpp.so by name; wasi-nn-run is built with RPATH $ORIGIN next to that library,
// so the stock lookup finds ours. Grants and host settings travel to the library through the
// environment (library_env.h), set here before any instance exists.
#pragma once

#include "host/options.h"

namespace wasi_nn::host {

// Runs the module (opts.instances copies at once) and returns wasi-nn-run's exit status
// (ExitCode, or the guest's own). Diagnostics go to stderr; stdout belongs to the guest.
int run(const Options& opts);

}  // namespace wasi_nn::host
