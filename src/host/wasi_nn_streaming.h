/* Registers compute_single / get_output_single / fini_single / unload /
 * finalize_execution_context in module wasi_ephemeral_nn (see wasi_nn_streaming.c). Called by
 * wasi_nn_register_natives() (wasi_nn_natives.h). */
#ifndef WASI_NN_STREAMING_H_
#define WASI_NN_STREAMING_H_

#include <stdbool.h>

#include "nn_call.h"

#ifdef __cplusplus
extern "C" {
#endif

bool wasi_nn_register_streaming(void);

/* Makes the instance's backend hand stream-stdout pieces to this host, which prints them to the
 * guest's stdout (wasi_nn_set_stream_sink of libwasi_nn_llamacpp.so; nothing when the backend
 * library lacks it). `call` holds a backend. */
void nn_install_stream_sink(const nn_call* call);

#ifdef __cplusplus
}
#endif

#endif
