#include "nn_call.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nn_log(const char* function, const char* format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  /* One fprintf: the line is written whole even when instances run on several threads. */
  fprintf(stderr, "wasi-nn-run: %s: %s\n", function, message);
}

wasi_nn_error nn_call_begin(wasm_exec_env_t exec_env, const char* function, bool need_backend, nn_call* call) {
  memset(call, 0, sizeof *call);
  call->instance = wasm_runtime_get_module_inst(exec_env);
  if (!call->instance) return runtime_error;
  wasi_nn_error res;
  call->state = wamr_nn_lock(call->instance, &res);
  if (!call->state) return res;
  bool loaded = wamr_nn_backend(call->state, &call->backend_ctx, &call->functions, &call->library);
  if (need_backend && !loaded) {
    nn_log(function, "called before any model was loaded in this instance");
    nn_call_end(call);
    return invalid_argument;
  }
  return success;
}

void nn_call_end(nn_call* call) {
  wamr_nn_unlock(call->state);
  call->state = NULL;
}

bool nn_guest_range(wasm_module_inst_t instance, const void* ptr, uint64_t size) {
  /* WAMR's check is overflow-safe (it compares in 64 bits and refuses sizes over 4 GiB). */
  return wasm_runtime_validate_native_addr(instance, (void*)ptr, size);
}

bool nn_guest_app_range(wasm_module_inst_t instance, uint32_t offset, uint64_t size, void** native) {
  if (!wasm_runtime_validate_app_addr(instance, offset, size)) return false;
  *native = wasm_runtime_addr_app_to_native(instance, offset);
  return true;
}

wasi_nn_error nn_guest_text(wasm_module_inst_t instance, const char* function, const char* what, const char* ptr,
                            uint32_t len, uint32_t cap, char** out) {
  *out = NULL;
  if (!nn_guest_range(instance, ptr, len)) return invalid_argument;
  if (len > cap) {
    nn_log(function, "the %s is %u bytes long; this host accepts at most %u", what, (unsigned)len, (unsigned)cap);
    return invalid_argument;
  }
  if (memchr(ptr, '\0', len)) {
    nn_log(function, "the %s holds a NUL byte; pass text without NULs", what);
    return invalid_argument;
  }
  char* copy = malloc((size_t)len + 1);
  if (!copy) return runtime_error;
  memcpy(copy, ptr, len);
  copy[len] = '\0';
  *out = copy;
  return success;
}
