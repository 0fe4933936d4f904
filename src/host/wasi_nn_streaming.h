/* Registers compute_single / get_output_single / fini_single / unload /
 * finalize_execution_context in module wasi_ephemeral_nn, next to WAMR's own wasi-nn natives (see wasi_nn_streaming.c). Call after wasm_runtime_full_init. */
#ifndef WASI_NN_STREAMING_H_
#define WASI_NN_STREAMING_H_

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

bool wasi_nn_register_streaming(void);

#ifdef __cplusplus
}
#endif

#endif
