/*
 * wasi-nn-run's own natives for the seven functions WAMR's wasi-nn library registers in module
 * wasi_ephemeral_nn (load, load_by_name, load_by_name_with_config, init_execution_context,
 * set_input, compute, get_output). Registered after WAMR's, so guests' imports resolve to these.
 * They keep WAMR's signatures and semantics (the same backend calls, the same codes, a bad
 * guest address traps the guest) and close what WAMR 2.4.3 got wrong (src/host/README.md):
 *   - load_by_name*: name_len + 1 computed in 32 bits. A guest with 4 GiB of memory passing
 *     (0, 0xFFFFFFFF) got a 1-byte buffer and a NUL written 4 GiB past it (host SIGSEGV).
 *     Here: the whole range checked in 64 bits, then the length capped (64 KiB name, 1 MiB
 *     config), before anything is copied.
 *   - load: count * sizeof(graph_builder) computed in 32 bits. 2^28 + 1 builders (2 GiB of
 *     guest memory) got a 16-byte buffer that WAMR then filled with 4 GiB (heap overflow).
 *     Here: the array checked in 64 bits, at most 16 builders, converted into a stack array.
 *   - set_input: the dimensions array was checked for 16 bytes, not for its `size` entries,
 *     and handed to the backend. Here: the whole array is checked.
 *   - every call needing a backend jumped through a NULL pointer before the instance's first
 *     load. Here: invalid_argument (nn_call_begin).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nn_call.h"
#include "utils/wasi_nn_app_native.h" /* graph_builder_wasm, tensor_wasm: guest layouts */
#include "wasi_nn_natives.h"
#include "wasi_nn_streaming.h"

/* Caps on what a guest passes by length, checked before its memory is touched. The config cap
 * is the library's own (kMaxConfigBytes in src/core/config/config_parser.h). */
#define NN_NAME_CAP (64u << 10)
#define NN_CONFIG_CAP (1u << 20)
#define NN_BUILDER_CAP 16u

_Static_assert(sizeof(graph_builder_wasm) == 8, "wasm32 graph_builder layout");
_Static_assert(sizeof(tensor_wasm) == 20 && offsetof(tensor_wasm, data_size) == 16, "wasm32 tensor layout");

/* Output handles are written by the backend through these pointers: check all 4 bytes. */
static bool handle_out_ok(wasm_module_inst_t instance, uint32_t* out) {
  return nn_guest_range(instance, out, sizeof *out);
}

/* Both by-name loads: `config` NULL for load_by_name. */
static wasi_nn_error load_named(wasm_exec_env_t exec_env, const char* function, const char* name, uint32_t name_len,
                                const char* config, uint32_t config_len, graph* g) {
  wasm_module_inst_t instance = wasm_runtime_get_module_inst(exec_env);
  if (!instance) return runtime_error;
  char *name_copy = NULL, *config_copy = NULL;
  wasi_nn_error res = nn_guest_text(instance, function, "model name", name, name_len, NN_NAME_CAP, &name_copy);
  if (res == success && config)
    res = nn_guest_text(instance, function, "config", config, config_len, NN_CONFIG_CAP, &config_copy);
  if (res == success && !handle_out_ok(instance, g)) res = invalid_argument;
  nn_call call;
  if (res == success && (res = nn_call_begin(exec_env, function, false, &call)) == success) {
    res = wamr_nn_ensure_backend(instance, call.state, autodetect);
    if (res == success && !wamr_nn_backend(call.state, &call.backend_ctx, &call.functions, &call.library))
      res = runtime_error;
    if (res == success && config) {
      if (call.functions->load_by_name_with_config)
        res =
            call.functions->load_by_name_with_config(call.backend_ctx, name_copy, name_len, config_copy, config_len, g);
      else {
        nn_log(function, "the backend library does not provide it");
        res = unsupported_operation;
      }
    } else if (res == success)
      res = call.functions->load_by_name(call.backend_ctx, name_copy, name_len, g);
    nn_call_end(&call);
  }
  free(name_copy);
  free(config_copy);
  return res;
}

static wasi_nn_error nn_load_by_name(wasm_exec_env_t exec_env, const char* name, uint32_t name_len, graph* g) {
  return load_named(exec_env, "load_by_name", name, name_len, NULL, 0, g);
}

/* WAMR declares both lengths int32_t; a negative one is a length over 2 GiB, hence uint32_t. */
static wasi_nn_error nn_load_by_name_with_config(wasm_exec_env_t exec_env, const char* name, uint32_t name_len,
                                                 const char* config, uint32_t config_len, graph* g) {
  return load_named(exec_env, "load_by_name_with_config", name, name_len, config, config_len, g);
}

/* The guest's builder array as native builders (pointers into guest memory, not copies). */
static wasi_nn_error builders_native(wasm_module_inst_t instance, const graph_builder_wasm* guest, uint32_t count,
                                     graph_builder* out) {
  if (!nn_guest_range(instance, guest, (uint64_t)count * sizeof *guest)) return invalid_argument;
  if (count > NN_BUILDER_CAP) {
    nn_log("load", "the builder array has %u entries; this host accepts at most %u", (unsigned)count, NN_BUILDER_CAP);
    return invalid_argument;
  }
  for (uint32_t i = 0; i < count; ++i) {
    graph_builder_wasm entry;
    memcpy(&entry, &guest[i], sizeof entry); /* read once */
    void* buf;
    if (!nn_guest_app_range(instance, entry.buf_offset, entry.size, &buf)) return invalid_argument;
    out[i].buf = buf;
    out[i].size = entry.size;
  }
  return success;
}

static wasi_nn_error nn_load(wasm_exec_env_t exec_env, graph_builder_wasm* builder, uint32_t builder_count,
                             uint32_t encoding, uint32_t target, graph* g) {
  wasm_module_inst_t instance = wasm_runtime_get_module_inst(exec_env);
  if (!instance) return runtime_error;
  graph_builder parts[NN_BUILDER_CAP];
  wasi_nn_error res = builders_native(instance, builder, builder_count, parts);
  if (res != success) return res;
  if (!handle_out_ok(instance, g)) return invalid_argument;
  nn_call call;
  if ((res = nn_call_begin(exec_env, "load", false, &call)) != success) return res;
  res = wamr_nn_ensure_backend(instance, call.state, (graph_encoding)encoding);
  if (res == success && !wamr_nn_backend(call.state, &call.backend_ctx, &call.functions, &call.library))
    res = runtime_error;
  if (res == success) {
    graph_builder_array array = {.buf = parts, .size = builder_count};
    res = call.functions->load(call.backend_ctx, &array, (graph_encoding)encoding, (execution_target)target, g);
  }
  nn_call_end(&call);
  return res;
}

static wasi_nn_error nn_init_execution_context(wasm_exec_env_t exec_env, graph g, graph_execution_context* ctx) {
  nn_call call;
  wasi_nn_error res = nn_call_begin(exec_env, "init_execution_context", true, &call);
  if (res != success) return res;
  res = handle_out_ok(call.instance, ctx) ? call.functions->init_execution_context(call.backend_ctx, g, ctx)
                                          : invalid_argument;
  nn_call_end(&call);
  return res;
}

/* The guest's tensor as a native one: every range checked, the dimensions included. */
static wasi_nn_error tensor_native(wasm_module_inst_t instance, const tensor_wasm* guest, tensor_dimensions* dims,
                                   tensor* out) {
  if (!nn_guest_range(instance, guest, sizeof *guest)) return invalid_argument;
  tensor_wasm t;
  memcpy(&t, guest, sizeof t); /* read once */
  void *dims_buf, *data;
  if (!nn_guest_app_range(instance, t.dimensions.buf_offset, (uint64_t)t.dimensions.size * sizeof(uint32_t),
                          &dims_buf) ||
      !nn_guest_app_range(instance, t.data_offset, t.data_size, &data))
    return invalid_argument;
  dims->buf = dims_buf;
  dims->size = t.dimensions.size;
  memset(out, 0, sizeof *out);
  out->dimensions = dims;
  out->type = (uint8_t)t.type;
  out->data.buf = data;
  out->data.size = t.data_size;
  return success;
}

static wasi_nn_error nn_set_input(wasm_exec_env_t exec_env, graph_execution_context ctx, uint32_t index,
                                  tensor_wasm* input) {
  nn_call call;
  wasi_nn_error res = nn_call_begin(exec_env, "set_input", true, &call);
  if (res != success) return res;
  tensor_dimensions dims;
  tensor native;
  nn_install_stream_sink(&call); /* input 1 may ask for stream-stdout */
  res = tensor_native(call.instance, input, &dims, &native);
  if (res == success) res = call.functions->set_input(call.backend_ctx, ctx, index, &native);
  nn_call_end(&call);
  return res;
}

static wasi_nn_error nn_compute(wasm_exec_env_t exec_env, graph_execution_context ctx) {
  nn_call call;
  wasi_nn_error res = nn_call_begin(exec_env, "compute", true, &call);
  if (res != success) return res;
  nn_install_stream_sink(&call);
  res = call.functions->compute(call.backend_ctx, ctx);
  nn_call_end(&call);
  return res;
}

static wasi_nn_error nn_get_output(wasm_exec_env_t exec_env, graph_execution_context ctx, uint32_t index,
                                   uint8_t* output, uint32_t output_len, uint32_t* output_size) {
  nn_call call;
  wasi_nn_error res = nn_call_begin(exec_env, "get_output", true, &call);
  if (res != success) return res;
  res = invalid_argument;
  if (nn_guest_range(call.instance, output, output_len) && handle_out_ok(call.instance, output_size)) {
    tensor_data data = {.buf = output, .size = output_len};
    res = call.functions->get_output(call.backend_ctx, ctx, index, &data, output_size);
  }
  nn_call_end(&call);
  return res;
}

static NativeSymbol nn_symbols[] = {
    /* WAMR's names and signatures (wasi_nn.c, native_symbols_wasi_nn). */
    {"load", nn_load, "(*iii*)i", NULL},
    {"load_by_name", nn_load_by_name, "(*i*)i", NULL},
    {"load_by_name_with_config", nn_load_by_name_with_config, "(*i*i*)i", NULL},
    {"init_execution_context", nn_init_execution_context, "(i*)i", NULL},
    {"set_input", nn_set_input, "(ii*)i", NULL},
    {"compute", nn_compute, "(i)i", NULL},
    {"get_output", nn_get_output, "(ii*i*)i", NULL},
};

bool wasi_nn_register_natives(void) {
  return wasm_runtime_register_natives("wasi_ephemeral_nn", nn_symbols, sizeof nn_symbols / sizeof nn_symbols[0]) &&
         wasi_nn_register_streaming();
}
