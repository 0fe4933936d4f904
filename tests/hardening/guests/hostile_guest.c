// hostile_guest: a wasm32-wasi guest that passes bad things through WAMR's wasi-nn to our
// backend, each in bounds of its own memory (out-of-bounds pointers are WAMR's to trap; see
// tests/host). Usage: hostile_guest ALIAS FIFO_NAME TRUNCATED_NAME
// Prints "case=code" per call and exits 0 when every code is the documented one.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { uint32_t *buf; uint32_t size; } dims_t;
typedef struct { dims_t dims; uint32_t type; uint8_t *data; uint32_t data_size; } tensor_t;
_Static_assert(sizeof(tensor_t) == 20, "wasm32 tensor layout");

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
NN_IMPORT("load_by_name") int32_t nn_load_by_name(const char *name, uint32_t len, uint32_t *g);
NN_IMPORT("load_by_name_with_config")
int32_t nn_load_by_name_with_config(const char *name, uint32_t len, const char *config,
                                    uint32_t config_len, uint32_t *g);
NN_IMPORT("init_execution_context") int32_t nn_init_execution_context(uint32_t g, uint32_t *ctx);
NN_IMPORT("set_input") int32_t nn_set_input(uint32_t ctx, uint32_t index, tensor_t *t);
NN_IMPORT("compute") int32_t nn_compute(uint32_t ctx);
NN_IMPORT("get_output")
int32_t nn_get_output(uint32_t ctx, uint32_t index, uint8_t *buf, uint32_t len, uint32_t *size);

enum { kOk = 0, kInvalidArgument = 1, kInvalidEncoding = 2, kRuntimeError = 5, kTooLarge = 7, kNotFound = 8 };

static int failures;
static uint32_t dims_buf[4];

static void expect(const char *name, int32_t got, int32_t want) {
  printf("%s=%d%s\n", name, (int)got, got == want ? "" : " (unexpected)");
  if (got != want) failures++;
}

static tensor_t bytes_tensor(const char *data, uint32_t len) {
  dims_buf[0] = len;
  tensor_t t = {{dims_buf, 1}, 3 /* u8 */, (uint8_t *)data, len};
  return t;
}

// {"a":{"a":...1...}} nested `depth` levels, in a fresh buffer.
static char *nested(int depth) {
  char *s = malloc(depth * 6 + 2);
  char *p = s;
  for (int i = 0; i < depth; ++i) p += sprintf(p, "{\"a\":");
  *p++ = '1';
  for (int i = 0; i < depth; ++i) *p++ = '}';
  *p = 0;
  return s;
}

static char *huge(void) {
  const size_t n = (1u << 20) + 64;
  char *s = malloc(n + 32);
  strcpy(s, "{\"system_prompt\": \"");
  size_t at = strlen(s);
  memset(s + at, 'x', n);
  strcpy(s + at + n, "\"}");
  return s;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 4) {
    fprintf(stderr, "usage: hostile_guest ALIAS FIFO_NAME TRUNCATED_NAME\n");
    return 2;
  }
  const char *alias = argv[1], *fifo = argv[2], *cut = argv[3];
  uint32_t g = 0, ctx = 0, n = 0;
  expect("load_fifo", nn_load_by_name(fifo, strlen(fifo), &g), kInvalidArgument);
  expect("load_truncated", nn_load_by_name(cut, strlen(cut), &g), kRuntimeError);
  expect("load_escape", nn_load_by_name("../../etc/passwd", 16, &g), kInvalidArgument);
  expect("load_empty_name", nn_load_by_name("", 0, &g), kInvalidArgument);
  char *deep = nested(5000);
  expect("load_deep_json", nn_load_by_name_with_config(alias, strlen(alias), deep, strlen(deep), &g),
         kInvalidArgument);
  char *big = huge();
  expect("load_huge_json", nn_load_by_name_with_config(alias, strlen(alias), big, strlen(big), &g),
         kInvalidArgument);
  /* 1e400 is a number no double holds: a parse error, which the WasmEdge profile (the default
   * for guests) answers as WasmEdge does, InvalidEncoding. */
  const char *bad_range = "{\"ctx_size\": 1e400}";
  expect("load_out_of_range", nn_load_by_name_with_config(alias, strlen(alias), bad_range,
                                                          strlen(bad_range), &g), kInvalidEncoding);
  expect("init_unknown_graph", nn_init_execution_context(12345, &ctx), kNotFound);
  const char *config = "{\"ctx_size\": 256, \"n_predict\": 4, \"ignore_eos\": true}";
  int32_t rc = nn_load_by_name_with_config(alias, strlen(alias), config, strlen(config), &g);
  expect("load_ok", rc, kOk);
  if (rc != kOk) return 1;
  expect("init_ok", nn_init_execution_context(g, &ctx), kOk);
  expect("compute_before_input", nn_compute(ctx), kInvalidArgument);
  tensor_t t = bytes_tensor("Hello\0world", 11);
  expect("prompt_embedded_nul", nn_set_input(ctx, 0, &t), kInvalidArgument);
  t = bytes_tensor("\xc3\x28\xff", 3);
  expect("prompt_not_utf8", nn_set_input(ctx, 0, &t), kInvalidArgument);
  t = bytes_tensor(deep, strlen(deep));
  expect("request_deep_json", nn_set_input(ctx, 1, &t), kInvalidArgument);
  t = bytes_tensor(big, strlen(big));
  expect("request_huge_json", nn_set_input(ctx, 1, &t), kInvalidArgument);
  t = bytes_tensor("{\"n_predict\": \"four\"}", 21);
  expect("request_wrong_type", nn_set_input(ctx, 1, &t), kInvalidArgument);
  t = bytes_tensor("Hello", 5);
  expect("input_index_5", nn_set_input(ctx, 5, &t), kNotFound);
  expect("compute_unknown_ctx", nn_compute(ctx + 77), kNotFound);
  expect("prompt_ok", nn_set_input(ctx, 0, &t), kOk);
  expect("compute_ok", nn_compute(ctx), kOk);
  static uint8_t out[4096];
  expect("output_zero_buffer", nn_get_output(ctx, 0, out, 0, &n), kTooLarge);
  expect("output_index_9", nn_get_output(ctx, 9, out, sizeof out, &n), kNotFound);
  expect("output_ok", nn_get_output(ctx, 0, out, sizeof out, &n), kOk);
  free(deep);
  free(big);
  printf(failures ? "hostile: FAILED\n" : "hostile: all as expected\n");
  return failures ? 1 : 0;
}
