// hostile_guest: a wasm32-wasi guest that passes bad things through WAMR's wasi-nn to our
// backend, each in bounds of its own memory (out-of-bounds pointers are WAMR's to trap; see
// tests/host). Usage: hostile_guest ALIAS FIFO_NAME TRUNCATED_NAME
// Prints "case=code" per call and exits 0 when every code is the documented one.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint32_t* buf;
  uint32_t size;
} dims_t;
typedef struct {
  dims_t dims;
  uint32_t type;
  uint8_t* data;
  uint32_t data_size;
} tensor_t;
_Static_assert(sizeof(tensor_t) == 20, "wasm32 tensor layout");

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
NN_IMPORT("load_by_name") int32_t nn_load_by_name(const char* name, uint32_t len, uint32_t* g);
NN_IMPORT("load_by_name_with_config")
int32_t nn_load_by_name_with_config(const char* name, uint32_t len, const char* config, uint32_t config_len,
                                    uint32_t* g);
NN_IMPORT("init_execution_context") int32_t nn_init_execution_context(uint32_t g, uint32_t* ctx);
NN_IMPORT("set_input") int32_t nn_set_input(uint32_t ctx, uint32_t index, tensor_t* t);
NN_IMPORT("compute") int32_t nn_compute(uint32_t ctx);
NN_IMPORT("get_output")
int32_t nn_get_output(uint32_t ctx, uint32_t index, uint8_t* buf, uint32_t len, uint32_t* size);

enum { kOk = 0, kInvalidArgument = 1, kInvalidEncoding = 2, kRuntimeError = 5, kTooLarge = 7, kNotFound = 8 };

static int failures;
static uint32_t dims_buf[4];

static void expect(const char* name, int32_t got, int32_t want) {
  printf("%s=%d%s\n", name, (int)got, got == want ? "" : " (unexpected)");
  if (got != want) failures++;
}

static tensor_t bytes_tensor(const char* data, uint32_t len) {
  dims_buf[0] = len;
  tensor_t t = {{dims_buf, 1}, 3 /* u8 */, (uint8_t*)data, len};
  return t;
}

// {"a":{"a":...1...}} nested `depth` levels, in a fresh buffer.
static char* nested(int depth) {
  char* s = malloc(depth * 6 + 2);
  char* p = s;
  for (int i = 0; i < depth; ++i) p += sprintf(p, "{\"a\":");
  *p++ = '1';
  for (int i = 0; i < depth; ++i) *p++ = '}';
  *p = 0;
  return s;
}

// open x n + inner + close x n, in a fresh buffer.
static char* nest(int n, const char* open, const char* inner, const char* close) {
  const size_t lo = strlen(open), lc = strlen(close), li = strlen(inner);
  char* s = malloc(n * (lo + lc) + li + 1);
  char* p = s;
  for (int i = 0; i < n; ++i, p += lo) memcpy(p, open, lo);
  memcpy(p, inner, li);
  p += li;
  for (int i = 0; i < n; ++i, p += lc) memcpy(p, close, lc);
  *p = 0;
  return s;
}

// prefix + middle + suffix, in a fresh buffer (frees `middle`).
static char* wrap(const char* prefix, char* middle, const char* suffix) {
  char* s = malloc(strlen(prefix) + strlen(middle) + strlen(suffix) + 1);
  strcpy(s, prefix);
  strcat(s, middle);
  strcat(s, suffix);
  free(middle);
  return s;
}

static uint32_t alias_len;
static const char* alias_name;
static uint32_t graph_id;

// A request on `ctx` with `settings` at input 1: the first code that is not success.
static int32_t request(uint32_t ctx, const char* settings) {
  tensor_t t = bytes_tensor("Hello", 5);
  int32_t rc = nn_set_input(ctx, 0, &t);
  if (rc == kOk && settings) {
    t = bytes_tensor(settings, strlen(settings));
    rc = nn_set_input(ctx, 1, &t);
  }
  return rc == kOk ? nn_compute(ctx) : rc;
}

// A normal request on a fresh context of the graph: the process still serves. (Fresh, because in
// the WasmEdge profile, the default for guests, input 1 persists on its context as under
// WasmEdge, so a refused setting would refuse that context's next computes too.)
static int32_t fresh_request(void) {
  uint32_t ctx = 0;
  const int32_t rc = nn_init_execution_context(graph_id, &ctx);
  return rc == kOk ? request(ctx, NULL) : rc;
}

// The issue's attacks a guest can send, each followed by a normal request on a fresh context.
// The template attacks ask for chat mode: the WasmEdge profile (the default for guests) sends
// raw prompts, where no template is rendered at all.
// (the process still serves): as request settings, then as load configs.
static void issue_attacks(uint32_t ctx) {
  char* attacks[] = {
      wrap("{\"grammar\": \"root ::= ", nest(100000, "(", "\\\"x\\\"", ")"), "\"}"),
      wrap("{\"grammar\": \"root ::= \\\"x\\\"\", \"grammar_lazy\": true, \"grammar_triggers\": "
           "[{\"type\": \"pattern\", \"value\": \"",
           nest(50000, "(", "a", ")"), "\"}]}"),
      strdup("{\"grammar\": \"root ::= \\\"x\\\"\", \"grammar_lazy\": true, \"grammar_triggers\": "
             "[{\"type\": \"pattern\", \"value\": \"(a|a){0,30}b\"}]}"),
      wrap("{\"json_schema\": \"", nest(200000, "[", "", "]"), "\"}"),
      strdup("{\"mode\": \"chat\", \"chat_template\": \"{% macro f(x) %}{{ f(x) }}{% endmacro %}{{ f(1) }}\"}"),
      wrap("{\"mode\": \"chat\", \"chat_template\": \"{{ ", nest(100000, "(", "1", ")"), " }}\"}"),
      strdup("{\"mode\": \"chat\", \"chat_template\": \"{{ 'x' * 100000000000 }}\"}"),
      strdup("{\"mode\": \"chat\", \"chat_template\": \"{% for a in range(100000) %}{% for b in range(100000) %}"
             "{% endfor %}{% endfor %}\"}"),
      strdup("{\"n_predict\": 1048576, \"ignore_eos\": true, \"n_probs\": 100}"),
      strdup("{\"log_level\": \"none\"}"),
  };
  const char* names[] = {"grammar_100000",        "trigger_50000",         "trigger_backtracking",
                         "schema_200000",         "template_self_macro",   "template_100000_parens",
                         "template_x_times_1e11", "template_nested_range", "n_predict_n_probs",
                         "request_log_level"};
  char name[64];
  for (int i = 0; i < (int)(sizeof attacks / sizeof *attacks); ++i) {
    expect(names[i], request(ctx, attacks[i]), kInvalidArgument);
    snprintf(name, sizeof name, "serves_after_%s", names[i]);
    expect(name, fresh_request(), kOk);
    free(attacks[i]);
  }
  // Load configs: the operator's limits (run_hostile.sh) and the machine's.
  const char* loads[] = {"{\"n_batch\": 4, \"n_parallel\": 8}",
                         "{\"threads\": 1024}",
                         "{\"kv_save_budget_mb\": 1073741824}",
                         "{\"use_mlock\": true}",
                         "{\"ctx_size\": 1048576}",
                         "{\"n_parallel\": 64}",
                         "{\"log_level\": \"debug\"}",
                         "{\"kv_save_disk_budget_mb\": 1073741824}"};
  const char* load_names[] = {
      "load_n_batch_4_n_parallel_8", "load_threads_1024", "load_kv_budget_1pib", "load_use_mlock", "load_ctx_size_1m",
      "load_n_parallel_64",          "load_log_level",    "load_disk_budget"};
  for (int i = 0; i < (int)(sizeof loads / sizeof *loads); ++i) {
    uint32_t g = 0;
    expect(load_names[i], nn_load_by_name_with_config(alias_name, alias_len, loads[i], strlen(loads[i]), &g),
           kInvalidArgument);
    snprintf(name, sizeof name, "serves_after_%s", load_names[i]);
    expect(name, fresh_request(), kOk);
  }
}

static char* huge(void) {
  const size_t n = (1u << 20) + 64;
  char* s = malloc(n + 32);
  strcpy(s, "{\"system_prompt\": \"");
  size_t at = strlen(s);
  memset(s + at, 'x', n);
  strcpy(s + at + n, "\"}");
  return s;
}

int main(int argc, char** argv) {
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
  char* deep = nested(5000);
  expect("load_deep_json", nn_load_by_name_with_config(alias, strlen(alias), deep, strlen(deep), &g), kInvalidArgument);
  char* big = huge();
  expect("load_huge_json", nn_load_by_name_with_config(alias, strlen(alias), big, strlen(big), &g), kInvalidArgument);
  /* 1e400 is a number no double holds: a parse error, which the WasmEdge profile (the default
   * for guests) answers as WasmEdge does, InvalidEncoding. */
  const char* bad_range = "{\"ctx_size\": 1e400}";
  expect("load_out_of_range", nn_load_by_name_with_config(alias, strlen(alias), bad_range, strlen(bad_range), &g),
         kInvalidEncoding);
  expect("init_unknown_graph", nn_init_execution_context(12345, &ctx), kNotFound);
  const char* config = "{\"ctx_size\": 256, \"n_predict\": 4, \"ignore_eos\": true}";
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
  alias_name = alias;
  alias_len = strlen(alias);
  graph_id = g;
  issue_attacks(ctx);
  free(deep);
  free(big);
  printf(failures ? "hostile: FAILED\n" : "hostile: all as expected\n");
  return failures ? 1 : 0;
}
