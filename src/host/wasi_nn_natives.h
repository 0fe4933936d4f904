/* wasi-nn-run's natives in module wasi_ephemeral_nn: guarded replacements for all seven of
 * WAMR's (nn_natives.c) and WasmEdge's streaming, unload and finalize_execution_context
 * (wasi_nn_streaming.c). Call once after wasm_runtime_full_init() and before loading a module;
 * registered after WAMR's own, they are the ones guests' imports resolve to. */
#ifndef WASI_NN_NATIVES_H_
#define WASI_NN_NATIVES_H_

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

bool wasi_nn_register_natives(void);

#ifdef __cplusplus
}
#endif

#endif
