/*
 * WAMR's wasi-nn library as WAMR ships it, plus the accessors of wamr_nn_state.h (read its
 * comment for the design). Third-party code: compiled inside wamr_vmlib with warnings off.
 * Keep our own logic out of this file; it belongs in the -Werror units (nn_natives.c, ...).
 */

/* WAMR's utils/logger.h prints its NN_*_PRINTF messages to stdout, which belongs to the guest.
 * Claim its include guard first and define the same macros, at the same levels (NN_LOG_LEVEL:
 * 0 debug .. 3 errors only, 4 none), printing to stderr. */
#include <stdio.h>
#include <string.h>
#define WASI_NN_LOGGER_H
#ifndef NN_LOG_LEVEL
#define NN_LOG_LEVEL 2
#endif
#define WAMR_NN_LOG(tag, fmt, ...)                                                                                \
  fprintf(stderr, "[wasi-nn %s:%d %s] " fmt "\n", strrchr(__FILE__, '/') ? strrchr(__FILE__, '/') + 1 : __FILE__, \
          __LINE__, tag, ##__VA_ARGS__)
#if NN_LOG_LEVEL <= 3
#define NN_ERR_PRINTF(fmt, ...) WAMR_NN_LOG("ERROR", fmt, ##__VA_ARGS__)
#else
#define NN_ERR_PRINTF(fmt, ...)
#endif
#if NN_LOG_LEVEL <= 2
#define NN_WARN_PRINTF(fmt, ...) WAMR_NN_LOG("WARNING", fmt, ##__VA_ARGS__)
#else
#define NN_WARN_PRINTF(fmt, ...)
#endif
#if NN_LOG_LEVEL <= 1
#define NN_INFO_PRINTF(fmt, ...) WAMR_NN_LOG("INFO", fmt, ##__VA_ARGS__)
#else
#define NN_INFO_PRINTF(fmt, ...)
#endif
#if NN_LOG_LEVEL <= 0
#define NN_DBG_PRINTF(fmt, ...) WAMR_NN_LOG("DEBUG", fmt, ##__VA_ARGS__)
#else
#define NN_DBG_PRINTF(fmt, ...)
#endif

#include "wasi_nn.c"
/* WAMR's guest-to-native conversions, used by its own (replaced but still registered) natives;
 * here so that their messages reach stderr too. */
#include "utils/wasi_nn_app_native.c"

#include "wamr_nn_state.h"

wamr_nn_state* wamr_nn_lock(wasm_module_inst_t instance, wasi_nn_error* res) {
  WASINNContext* ctx = lock_ctx(instance);
  /* lock_ctx() answers NULL for both: a context it could not create, or a busy one. */
  *res = ctx ? success : (wasm_runtime_get_context(instance, wasi_nn_key) ? busy : runtime_error);
  return (wamr_nn_state*)ctx;
}

void wamr_nn_unlock(wamr_nn_state* state) { unlock_ctx((WASINNContext*)state); }

wasi_nn_error wamr_nn_ensure_backend(wasm_module_inst_t instance, wamr_nn_state* state, graph_encoding encoding) {
  return ensure_backend(instance, encoding, (WASINNContext*)state);
}

bool wamr_nn_backend(wamr_nn_state* state, void** backend_ctx, const api_function** functions, void** library) {
  WASINNContext* ctx = (WASINNContext*)state;
  if (!ctx->is_backend_ctx_initialized) return false;
  *backend_ctx = ctx->backend_ctx;
  *functions = &lookup[ctx->backend].functions;
  *library = lookup[ctx->backend].backend_handle;
  return true;
}
