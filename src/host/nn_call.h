/*
 * nn_call: what every wasi-nn native of wasi-nn-run does around the backend call. It takes the
 * instance's WAMR state (wamr_nn_state.h), finds its backend, checks guest memory ranges with
 * 64-bit arithmetic before anything is read or copied, copies guest strings under a length cap,
 * and logs refusals to stderr (stdout belongs to the guest).
 *
 * Guest ranges: a range outside the guest's linear memory makes WAMR raise "out of bounds
 * memory access" in the instance; the native then returns invalid_argument and the guest traps
 * as the call returns (WAMR's rule for every bad guest address). A length over a cap is not a
 * bad address: it is answered with invalid_argument and a message, and the guest carries on.
 */
#ifndef WASI_NN_HOST_NN_CALL_H_
#define WASI_NN_HOST_NN_CALL_H_

#include <stdbool.h>
#include <stdint.h>

#include "wamr_nn_state.h"

/* One native call of one instance. */
typedef struct {
  wasm_module_inst_t instance;
  wamr_nn_state* state;          /* locked by nn_call_begin() */
  void* backend_ctx;             /* set when a backend is initialised */
  const api_function* functions; /* ditto */
  void* library;                 /* ditto: the backend's dlopen() handle */
} nn_call;

/* Starts a call of `exec_env`'s instance: takes its WAMR state and, when it has one, its
 * backend. With `need_backend`, a call before the instance's first successful load answers
 * invalid_argument (WAMR 2.4.3 jumped through a NULL function pointer there). On success the
 * caller must end with nn_call_end(); on failure nothing is held. `function` names the call in
 * log lines. */
wasi_nn_error nn_call_begin(wasm_exec_env_t exec_env, const char* function, bool need_backend, nn_call* call);
void nn_call_end(nn_call* call);

/* True when [ptr, ptr + size) lies inside the instance's linear memory. Otherwise false, and
 * WAMR has raised its out-of-bounds exception in the instance. */
bool nn_guest_range(wasm_module_inst_t instance, const void* ptr, uint64_t size);

/* Like nn_guest_range() for a guest address `offset`; on success *native is its host address. */
bool nn_guest_app_range(wasm_module_inst_t instance, uint32_t offset, uint64_t size, void** native);

/* Copies the guest string (ptr, len) into a fresh NUL-terminated buffer (*out, freed by the
 * caller with free()). Checks, in this order: the whole range in guest memory (else
 * invalid_argument and a trap, as for any bad guest address), len <= cap (else
 * invalid_argument, logged as `what` of `function`: a guest with 4 GiB of memory can pass a
 * 4 GiB string), no NUL inside (invalid_argument, as WAMR's own natives answer). runtime_error
 * when out of host memory. */
wasi_nn_error nn_guest_text(wasm_module_inst_t instance, const char* function, const char* what, const char* ptr,
                            uint32_t len, uint32_t cap, char** out);

/* Logs "wasi-nn-run: <function>: <message>" to stderr. */
void nn_log(const char* function, const char* format, ...) __attribute__((format(printf, 2, 3)));

#endif
