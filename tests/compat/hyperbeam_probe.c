/*
 * hyperbeam-probe: drives libwasi_nn_backend.so exactly as HyperBEAM's Erlang NIF
 * (dev_wasi_nn_nif, docs/COMPATIBILITY.md section 6) does: dlopen, the functions it resolves,
 * the same calls with the same strings and buffer sizes, including
 *   - init_execution_context_with_session_id resolved into a pointer the NIF calls with the
 *     session id string (its later versions), and the upstream call that passes that string's
 *     address where this ABI expects a graph id;
 *   - run_inference called through a pointer typed with seven parameters (no config_len), with
 *     an 8192-byte output buffer and output_size 8192 (later versions) or 0 (upstream);
 *   - max_sessions 2 with three live sessions, whose contexts stay open until "GC".
 * Prints "ok NAME" / "FAIL NAME: ..." per check and a summary; exit status 0 when all passed.
 *
 *   hyperbeam-probe LIBRARY MODEL
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_nn_backend.h"

#define MAX_INPUT_SIZE 4096
#define MAX_CONFIG_SIZE 4096
#define MAX_OUTPUT_SIZE 8192

/* The NIF's own function pointer types. */
typedef wasi_nn_error (*init_backend_fn)(void** ctx);
typedef wasi_nn_error (*init_backend_with_config_fn)(void** ctx, const char* config, uint32_t config_len);
typedef wasi_nn_error (*deinit_backend_fn)(void* ctx);
typedef wasi_nn_error (*load_by_name_with_config_fn)(void* ctx, const char* filename, uint32_t filename_len,
                                                     const char* config, uint32_t config_len, graph* g);
typedef wasi_nn_error (*init_session_fn)(void* ctx, const char* session_id, graph_execution_context* exec_ctx);
typedef wasi_nn_error (*close_execution_context_fn)(void* ctx, graph_execution_context exec_ctx);
typedef wasi_nn_error (*run_inference_fn)(void* ctx, graph_execution_context exec_ctx, uint32_t index,
                                          tensor* input_tensor, tensor_data output, uint32_t* output_size,
                                          const char* options);
typedef wasi_nn_error (*get_output_fn)(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor_data output,
                                       uint32_t* output_size);
typedef wasi_nn_error (*stats_fn)(char* buf, uint32_t* size);

static struct {
  void* handle;
  init_backend_fn init_backend;
  init_backend_with_config_fn init_backend_with_config;
  deinit_backend_fn deinit_backend;
  load_by_name_with_config_fn load_by_name_with_config;
  init_session_fn init_execution_context; /* the NIF's name for it */
  init_session_fn upstream_init_execution_context;
  close_execution_context_fn close_execution_context;
  run_inference_fn run_inference;
  get_output_fn get_output;
  stats_fn stats;
} nif;

static int g_total, g_failed;

static int check(const char* name, int ok, const char* detail) {
  ++g_total;
  if (ok) {
    printf("ok %s\n", name);
  } else {
    ++g_failed;
    printf("FAIL %s: %s\n", name, detail);
  }
  return ok;
}

static int resolve(const char* library) {
  nif.handle = dlopen(library, RTLD_LAZY);
  if (!check("dlopen", nif.handle != NULL, dlerror())) return 0;
  /* Upstream also requires set_input, compute and get_output to resolve. */
  const char* required[] = {"init_backend",
                            "deinit_backend",
                            "load_by_name_with_config",
                            "init_execution_context",
                            "close_execution_context",
                            "run_inference",
                            "set_input",
                            "compute",
                            "get_output",
                            "init_backend_with_config",
                            "init_execution_context_with_session_id"};
  for (size_t i = 0; i < sizeof required / sizeof required[0]; ++i) {
    char name[128];
    snprintf(name, sizeof name, "dlsym %s", required[i]);
    check(name, dlsym(nif.handle, required[i]) != NULL, "missing");
  }
  nif.init_backend = (init_backend_fn)dlsym(nif.handle, "init_backend");
  nif.init_backend_with_config = (init_backend_with_config_fn)dlsym(nif.handle, "init_backend_with_config");
  nif.deinit_backend = (deinit_backend_fn)dlsym(nif.handle, "deinit_backend");
  nif.load_by_name_with_config = (load_by_name_with_config_fn)dlsym(nif.handle, "load_by_name_with_config");
  nif.init_execution_context = (init_session_fn)dlsym(nif.handle, "init_execution_context_with_session_id");
  nif.upstream_init_execution_context = (init_session_fn)dlsym(nif.handle, "init_execution_context");
  nif.close_execution_context = (close_execution_context_fn)dlsym(nif.handle, "close_execution_context");
  nif.run_inference = (run_inference_fn)dlsym(nif.handle, "run_inference");
  nif.get_output = (get_output_fn)dlsym(nif.handle, "get_output");
  nif.stats = (stats_fn)dlsym(nif.handle, "wasi_nn_stats");
  return g_failed == 0;
}

/* The requests the library has finished, from its stats JSON. */
static long requests_done(void) {
  static char buf[1 << 16];
  uint32_t size = sizeof buf - 1;
  if (nif.stats(buf, &size) != success) return -1;
  buf[size] = '\0';
  const char* at = strstr(buf, "\"requests_done\":");
  return at ? strtol(at + strlen("\"requests_done\":"), NULL, 10) : -1;
}

/* nif_run_inference: the prompt copied as enif_get_string does (NUL-terminated, at most 4095
 * bytes), an fp32 tensor without dimensions, the 7-argument call. Returns the code. */
static wasi_nn_error nif_run_inference(void* ctx, graph_execution_context exec_ctx, const char* prompt,
                                       const char* options, uint32_t* output_size, char* output) {
  char input[MAX_INPUT_SIZE];
  snprintf(input, sizeof input, "%s", prompt);
  tensor input_tensor = {.dimensions = NULL, .type = fp32, .data = (tensor_data)input};
  return nif.run_inference(ctx, exec_ctx, 0, &input_tensor, (tensor_data)output, output_size, options);
}

static void sessions(void* ctx) {
  const char* ids[] = {"session-1", "session-2", "session-3"};
  graph_execution_context exec[3] = {0, 0, 0};
  char* output = malloc(MAX_OUTPUT_SIZE);
  for (int i = 0; i < 3; ++i) {
    char name[64], detail[64];
    snprintf(name, sizeof name, "init_execution_context_with_session_id %s (max_sessions 2)", ids[i]);
    wasi_nn_error e = nif.init_execution_context(ctx, ids[i], &exec[i]);
    snprintf(detail, sizeof detail, "code %d", (int)e);
    check(name, e == success, detail);
  }
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      uint32_t output_size = MAX_OUTPUT_SIZE;
      char name[96], detail[64];
      wasi_nn_error e = nif_run_inference(ctx, exec[i], "Hello, who are you?", round ? "{\"n_predict\": 8}" : "",
                                          &output_size, output);
      snprintf(name, sizeof name, "run_inference (7 arguments) %s round %d", ids[i], round);
      snprintf(detail, sizeof detail, "code %d, %u bytes", (int)e, output_size);
      check(name, e == success && output_size > 0 && output_size <= MAX_OUTPUT_SIZE, detail);
    }
  }
  for (int i = 0; i < 3; ++i) nif.close_execution_context(ctx, exec[i]); /* the resources' GC */
  free(output);
}

/* The upstream NIF passes output_size 0: too_large with the size needed, the reply kept
 * readable, and the same call retried returns it without a second turn. */
static void too_small_buffer(void* ctx) {
  graph_execution_context exec = 0;
  nif.init_execution_context(ctx, "session-small", &exec);
  char* output = malloc(MAX_OUTPUT_SIZE);
  const long before = requests_done();
  uint32_t output_size = 0;
  wasi_nn_error e = nif_run_inference(ctx, exec, "Tell me a story.", "", &output_size, output);
  const uint32_t needed = output_size;
  check("run_inference with output_size 0: too_large and the size needed", e == too_large && needed > 0, "no");
  uint32_t size = MAX_OUTPUT_SIZE;
  e = nif.get_output(ctx, exec, 0, (tensor_data)output, &size);
  check("the reply stays readable with get_output", e == success && size == needed, "not readable");
  char first[MAX_OUTPUT_SIZE];
  memcpy(first, output, size);
  output_size = MAX_OUTPUT_SIZE;
  e = nif_run_inference(ctx, exec, "Tell me a story.", "", &output_size, output);
  check("the retried call returns the same reply",
        e == success && output_size == needed && memcmp(first, output, needed) == 0, "differs");
  check("the turn is counted once", requests_done() == before + 1, "counted twice");
  nif.close_execution_context(ctx, exec);
  free(output);
}

/* Upstream HyperBEAM calls init_execution_context with the session id's address as the graph:
 * it must fail cleanly (this ABI cannot serve that call). */
static void upstream_graph_pointer(void* ctx) {
  graph_execution_context exec = 0;
  wasi_nn_error e = nif.upstream_init_execution_context(ctx, "session-upstream", &exec);
  check("upstream init_execution_context(session string): refused, no crash", e != success, "accepted");
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hyperbeam-probe LIBRARY MODEL\n");
    return 2;
  }
  if (!resolve(argv[1])) return 1;
  /* Earlier versions' load config (enable_log / enable_debug_log true), with the sessions
   * bound the device config asks for and the lora_adapters key of its device config. */
  char config[MAX_CONFIG_SIZE];
  snprintf(config, sizeof config, "%s",
           "{\"enable_log\": true, \"enable_debug_log\": true, \"n_gpu_layers\": 20, \"ctx_size\": 1024, "
           "\"max_sessions\": 2, \"n_predict\": 16, \"lora_adapters\": []}");
  char model_path[256];
  snprintf(model_path, sizeof model_path, "%s", argv[2]);
  void* ctx = NULL;
  wasi_nn_error e = nif.init_backend_with_config(&ctx, config, strlen(config));
  if (!check("init_backend_with_config (the device config)", e == success, "failed")) return 1;
  graph g = 0;
  e = nif.load_by_name_with_config(ctx, model_path, strlen(model_path), config, strlen(config), &g);
  if (!check("load_by_name_with_config (path, config)", e == success, "failed")) return 1;
  sessions(ctx);
  too_small_buffer(ctx);
  upstream_graph_pointer(ctx);
  check("deinit_backend", nif.deinit_backend(ctx) == success, "failed");
  printf("hyperbeam-probe: %d checks, %d failed\n", g_total, g_failed);
  return g_failed ? 1 : 0;
}
