/* Registers compute_single / get_output_single / fini_single / unload /
 * finalize_execution_context in module wasi_ephemeral_nn (see wasi_nn_streaming.c). Called by
 * wasi_nn_register_natives() (wasi_nn_natives.h). */
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
