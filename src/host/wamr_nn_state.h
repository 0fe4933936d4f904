/*
 * wamr_nn_state: what wasi-nn-run's own natives need of WAMR's wasi-nn library.
 *
 * Why this exists. WAMR's wasi-nn library (core/iwasm/libraries/wasi-nn/src/wasi_nn.c) keeps
 * its state file-static: the per-instance context (a busy flag under a lock, the backend's
 * context, whether it was initialised), the table of backend functions it dlopen()ed, and
 * ensure_backend(). WAMR also owns the instance's lifecycle: a context key whose destructor
 * calls the backend's deinit_backend when the instance is destroyed. wasi-nn-run replaces every
 * wasi_ephemeral_nn native WAMR registers (nn_natives.c; WAMR 2.4.3's have length overflows and
 * unchecked ranges, see src/host/README.md) and adds WasmEdge's (wasi_nn_streaming.c), and
 * they must share that state with WAMR, not keep a second copy.
 *
 * So wamr_nn_state.c compiles wasi_nn.c exactly as WAMR ships it, in its own translation unit
 * with warnings off (third-party code, built into wamr_vmlib), routes its log macros to stderr,
 * and appends the accessor functions below. Everything else in src/host is ours, compiled with
 * -Wall -Wextra -Werror, and reaches WAMR's state only through this header.
 *
 * Thread-safety: as WAMR's own natives. wamr_nn_lock() takes an instance's state (one call per
 * instance at a time; a second concurrent call gets busy); the other functions require it held.
 */
#ifndef WASI_NN_HOST_WAMR_NN_STATE_H_
#define WASI_NN_HOST_WAMR_NN_STATE_H_

#include <stdbool.h>

#include "wasi_nn_private.h" /* api_function: the backend's function table */
#include "wasi_nn_types.h"
#include "wasm_export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* WAMR's per-instance WASINNContext, opaque. */
typedef struct wamr_nn_state wamr_nn_state;

/* Takes `instance`'s wasi-nn state, creating it on first use. Returns NULL with *res = busy
 * when another call of the same instance holds it, or runtime_error when it cannot be
 * created. Release with wamr_nn_unlock(). */
wamr_nn_state* wamr_nn_lock(wasm_module_inst_t instance, wasi_nn_error* res);

/* Releases a state taken by wamr_nn_lock(); NULL is ignored. */
void wamr_nn_unlock(wamr_nn_state* state);

/* WAMR's ensure_backend(): loads the backend library serving `encoding` once per process
 * (autodetect: libwasi_nn_llamacpp.so first) and initialises this instance's backend context
 * once (init_backend). invalid_encoding when no library serves it; unsupported_operation when
 * the instance already uses another backend; else the backend's init_backend code. */
wasi_nn_error wamr_nn_ensure_backend(wasm_module_inst_t instance, wamr_nn_state* state, graph_encoding encoding);

/* The instance's initialised backend: its context, WAMR's table of its functions (entries may
 * be NULL: load_by_name_with_config is optional) and the library's dlopen() handle (for
 * functions WAMR's table lacks). Returns false, leaving the outputs untouched, while no load
 * has initialised a backend in this instance. */
bool wamr_nn_backend(wamr_nn_state* state, void** backend_ctx, const api_function** functions, void** library);

#ifdef __cplusplus
}
#endif

#endif
