/*
 * The functions WasmEdge guests import from wasi_ephemeral_nn that WAMR's wasi-nn library does
 * not provide: compute_single, get_output_single, fini_single (streaming), unload and
 * finalize_execution_context. They reach the instance's backend through WAMR's own
 * per-instance state (nn_call.h, wamr_nn_state.h), with the same locking and guest-address
 * checks as nn_natives.c, and call the functions of the same libwasi_nn_llamacpp.so WAMR
 * loaded, looked up in it by name (WAMR's function table has no slot for them).
 */
#include "wasi_nn_streaming.h"

#include <dlfcn.h>
#include <errno.h>
#include <unistd.h>

typedef wasi_nn_error (*handle_fn)(void*, uint32_t);
typedef wasi_nn_error (*get_single_fn)(void*, graph_execution_context, uint32_t, tensor_data*, uint32_t*);

/* The backend library's function `name`, or NULL (logged) when it has none. */
static void* backend_symbol(const nn_call* call, const char* name) {
  void* fn = dlsym(call->library, name);
  if (!fn) nn_log(name, "the backend library does not provide it");
  return fn;
}

/* A call taking one handle (a graph or an execution context: both uint32_t, so one signature
 * serves all four) on the instance's backend. */
static wasi_nn_error handle_call(wasm_exec_env_t exec_env, const char* name, uint32_t handle) {
  nn_call call;
  wasi_nn_error res = nn_call_begin(exec_env, name, true, &call);
  if (res != success) return res;
  handle_fn fn = (handle_fn)backend_symbol(&call, name);
  res = fn ? fn(call.backend_ctx, handle) : unsupported_operation;
  nn_call_end(&call);
  return res;
}

static wasi_nn_error wasi_nn_compute_single(wasm_exec_env_t exec_env, graph_execution_context ctx) {
  return handle_call(exec_env, "compute_single", ctx);
}

static wasi_nn_error wasi_nn_fini_single(wasm_exec_env_t exec_env, graph_execution_context ctx) {
  return handle_call(exec_env, "fini_single", ctx);
}

static wasi_nn_error wasi_nn_unload(wasm_exec_env_t exec_env, graph g) { return handle_call(exec_env, "unload", g); }

static wasi_nn_error wasi_nn_finalize_execution_context(wasm_exec_env_t exec_env, graph_execution_context ctx) {
  return handle_call(exec_env, "finalize_execution_context", ctx);
}

static wasi_nn_error wasi_nn_get_output_single(wasm_exec_env_t exec_env, graph_execution_context ctx, uint32_t index,
                                               uint8_t* output, uint32_t output_len, uint32_t* output_size) {
  nn_call call;
  wasi_nn_error res = nn_call_begin(exec_env, "get_output_single", true, &call);
  if (res != success) return res;
  res = invalid_argument;
  if (nn_guest_range(call.instance, output, output_len) &&
      nn_guest_range(call.instance, output_size, sizeof *output_size)) {
    get_single_fn fn = (get_single_fn)backend_symbol(&call, "get_output_single");
    tensor_data data = {.buf = output, .size = output_len};
    res = fn ? fn(call.backend_ctx, ctx, index, &data, output_size) : unsupported_operation;
  }
  nn_call_end(&call);
  return res;
}

/* WasmEdge's stream-stdout: wasi-nn-run gives guests this process's stdio, so the guest's stdout
 * is fd 1; each piece the library hands over is written there whole, in order. */
static void print_piece(const char* piece, uint32_t len, void* user) {
  (void)user;
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, piece, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    piece += n;
    len -= (uint32_t)n;
  }
}

void nn_install_stream_sink(const nn_call* call) {
  typedef wasi_nn_error (*set_sink_fn)(void*, void (*)(const char*, uint32_t, void*), void*);
  set_sink_fn fn = (set_sink_fn)dlsym(call->library, "wasi_nn_set_stream_sink");
  if (fn) fn(call->backend_ctx, print_piece, NULL); /* another backend library: no stream-stdout */
}

static NativeSymbol streaming_symbols[] = {
    {"compute_single", wasi_nn_compute_single, "(i)i", NULL},
    {"get_output_single", wasi_nn_get_output_single, "(ii*i*)i", NULL},
    {"fini_single", wasi_nn_fini_single, "(i)i", NULL},
    {"unload", wasi_nn_unload, "(i)i", NULL},
    {"finalize_execution_context", wasi_nn_finalize_execution_context, "(i)i", NULL},
};

bool wasi_nn_register_streaming(void) {
  return wasm_runtime_register_natives("wasi_ephemeral_nn", streaming_symbols,
                                       sizeof streaming_symbols / sizeof streaming_symbols[0]);
}
