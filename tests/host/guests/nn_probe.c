// nn_probe: a wasm32-wasi test guest for wasi-nn-run. It calls WASI-NN the way guests do and
// also the ways a buggy or hostile guest might. argv[1] picks the mode:
//   generate NAME PROMPT N   raw greedy generation of N tokens; prints only the text
//   load NAME                load_by_name(NAME); prints "load=<code>" and the backend's message
//   load-config NAME JSON    load_by_name_with_config; prints "load=<code>"
//   bad-arg NAME CASE        one out-of-bounds pointer or length (CASE: input-data,
//                            input-length, input-dims, name-length, output-length, output-size,
//                            direct-arg); WAMR must trap the guest, so returning is a failure
//   small-output NAME        output buffers too small (too_large = 7 with the size needed),
//                            exact, and wrong indices/handles; exits 0 when all codes are right
//   unload NAME              finalize_execution_context and unload (wasi-nn-run's extensions):
//                            codes of each, and of the handles afterwards; exits 0 when right
//   before-load NAME         get_output, compute, set_input, init_execution_context and unload
//                            before any load (invalid_argument each), then load NAME
//   load-encoding ENC        load() of a 4-byte builder with graph encoding ENC; prints
//                            "load=<code>"
//   cat PATH                 prints the first line of the file PATH (WASI preopens)
//   trap                     executes `unreachable`
//   exit N                   exits with status N
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// --- wasi_ephemeral_nn, as WAMR 2.4 registers it (wasm32 layouts). ---
typedef struct {
  uint32_t* buf;
  uint32_t size;
} dims_t;  // 8 bytes
typedef struct {
  dims_t dims;
  uint32_t type;
  uint8_t* data;
  uint32_t data_size;
} tensor_t;  // 20
_Static_assert(sizeof(tensor_t) == 20, "wasm32 tensor layout");

#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))
typedef struct {
  uint8_t* buf;
  uint32_t size;
} builder_t;  // 8 bytes
NN_IMPORT("load")
int32_t nn_load(builder_t* builders, uint32_t count, uint32_t encoding, uint32_t target, uint32_t* g);
NN_IMPORT("load_by_name") int32_t nn_load_by_name(const char* name, uint32_t len, uint32_t* g);
NN_IMPORT("load_by_name_with_config")
int32_t nn_load_by_name_with_config(const char* name, uint32_t len, const char* config, uint32_t config_len,
                                    uint32_t* g);
NN_IMPORT("init_execution_context") int32_t nn_init_execution_context(uint32_t g, uint32_t* ctx);
NN_IMPORT("set_input") int32_t nn_set_input(uint32_t ctx, uint32_t index, tensor_t* t);
NN_IMPORT("compute") int32_t nn_compute(uint32_t ctx);
NN_IMPORT("get_output")
int32_t nn_get_output(uint32_t ctx, uint32_t index, uint8_t* buf, uint32_t len, uint32_t* size);

NN_IMPORT("unload") int32_t nn_unload(uint32_t g);
NN_IMPORT("finalize_execution_context") int32_t nn_finalize_execution_context(uint32_t ctx);

enum { kInvalidArgument = 1, kTooLarge = 7, kNotFound = 8 };
#define NO_CONTEXT 0xFFFFFFFFu

static uint32_t dims_buf[4];  // WAMR validates 16 bytes at the dimensions pointer

static tensor_t text_tensor(const char* text, uint32_t len) {
  dims_buf[0] = len;
  tensor_t t = {{dims_buf, 1}, 3 /* u8 */, (uint8_t*)text, len};
  return t;
}

static void print_last_error(void) {
  static uint8_t msg[2048];
  uint32_t n = 0;
  if (nn_get_output(NO_CONTEXT, 0, msg, sizeof msg - 1, &n) == 0 && n < sizeof msg) {
    msg[n] = 0;
    printf("message=%s\n", (char*)msg);
  }
}

static int die(const char* step, int32_t rc) {
  fprintf(stderr, "nn_probe: %s failed with code %d\n", step, (int)rc);
  print_last_error();
  return 1;
}

static int generate(const char* name, const char* prompt, const char* n_predict) {
  char config[256];
  snprintf(config, sizeof config, "{\"mode\": \"raw\", \"temperature\": 0, \"n_predict\": %s, \"ctx_size\": 512}",
           n_predict);
  uint32_t g, ctx, n = 0;
  int32_t rc = nn_load_by_name_with_config(name, strlen(name), config, strlen(config), &g);
  if (rc) return die("load_by_name_with_config", rc);
  if ((rc = nn_init_execution_context(g, &ctx))) return die("init_execution_context", rc);
  tensor_t t = text_tensor(prompt, strlen(prompt));
  if ((rc = nn_set_input(ctx, 0, &t))) return die("set_input", rc);
  if ((rc = nn_compute(ctx))) return die("compute", rc);
  static uint8_t out[65536];
  if ((rc = nn_get_output(ctx, 0, out, sizeof out, &n))) return die("get_output", rc);
  fwrite(out, 1, n, stdout);
  return 0;
}

static int check(const char* name, int32_t got, int32_t want) {
  printf("%s=%d%s\n", name, (int)got, got == want ? "" : " (unexpected)");
  return got == want ? 0 : 1;
}

// One bad pointer or length per run. WAMR validates every guest address and, when one falls
// outside linear memory, raises "out of bounds memory access" in the guest (a trap), so a run
// that returns at all is a failure.
static int bad_arg(const char* name, const char* which) {
  uint32_t g, ctx, n = 0;
  int32_t rc = nn_load_by_name(name, strlen(name), &g);
  if (rc) return die("load_by_name", rc);
  if ((rc = nn_init_execution_context(g, &ctx))) return die("init_execution_context", rc);
  tensor_t t = text_tensor("Hello", 5);
  static uint8_t out[256];
  if (!strcmp(which, "input-data")) {
    t.data = (uint8_t*)0xFFFFFF00u;  // outside linear memory
    rc = nn_set_input(ctx, 0, &t);
  } else if (!strcmp(which, "input-length")) {
    t.data_size = 0x7FFFFFFFu;  // runs past the end of memory
    rc = nn_set_input(ctx, 0, &t);
  } else if (!strcmp(which, "input-dims")) {
    t.dims.buf = (uint32_t*)0xFFFFFFF8u;
    rc = nn_set_input(ctx, 0, &t);
  } else if (!strcmp(which, "name-length")) {
    rc = nn_load_by_name(name, 0xFFFFFFF0u, &g);
  } else if (!strcmp(which, "output-length")) {
    rc = nn_get_output(ctx, 0, out, 0xFFFFFFF0u, &n);
  } else if (!strcmp(which, "output-size")) {
    rc = nn_get_output(ctx, 0, out, sizeof out, (uint32_t*)0xFFFFFFFCu);
  } else if (!strcmp(which, "direct-arg")) {
    rc = nn_load_by_name((const char*)0xFFFFFFF0u, 4, &g);  // the argument itself
  } else {
    fprintf(stderr, "nn_probe: unknown case %s\n", which);
    return 2;
  }
  printf("%s=%d (returned: expected a trap)\n", which, (int)rc);
  return 1;
}

// A real request read back through buffers too small, exact, and through a wrong handle.
static int small_output(const char* name) {
  uint32_t g, ctx, n = 0;
  int bad = 0;
  const char* config = "{\"n_predict\": 16}";
  int32_t rc = nn_load_by_name_with_config(name, strlen(name), config, strlen(config), &g);
  if (rc) return die("load_by_name_with_config", rc);
  if ((rc = nn_init_execution_context(g, &ctx))) return die("init_execution_context", rc);
  tensor_t t = text_tensor("Hello", 5);
  if ((rc = nn_set_input(ctx, 0, &t))) return die("set_input", rc);
  if ((rc = nn_compute(ctx))) return die("compute", rc);
  static uint8_t out[65536];
  bad |= check("output_small_buffer", nn_get_output(ctx, 0, out, 1, &n), kTooLarge);
  uint32_t needed = n;
  printf("needed=%u\n", (unsigned)needed);
  if (needed <= 1 || needed >= sizeof out) bad = 1;
  bad |= check("output_zero_buffer", nn_get_output(ctx, 0, out, 0, &n), kTooLarge);
  if (n != needed) bad = 1;
  bad |= check("output_exact_buffer", nn_get_output(ctx, 0, out, needed, &n), 0);
  if (n != needed) {
    printf("written=%u (unexpected)\n", (unsigned)n);
    bad = 1;
  }
  bad |= check("output_unknown_index", nn_get_output(ctx, 7, out, sizeof out, &n), kNotFound);
  bad |= check("compute_unknown_context", nn_compute(ctx + 1000), kNotFound);
  bad |= check("input_empty", nn_set_input(ctx, 0, &(tensor_t){{dims_buf, 1}, 3, out, 0}), kInvalidArgument);
  printf(bad ? "small-output: FAILED\n" : "small-output: all as expected\n");
  return bad;
}

// WasmEdge's lifetimes: a finalized context and the contexts of an unloaded graph are gone.
static int unload_graph(const char* name) {
  uint32_t g, c1, c2;
  int bad = 0;
  int32_t rc = nn_load_by_name(name, strlen(name), &g);
  if (rc) return die("load_by_name", rc);
  if ((rc = nn_init_execution_context(g, &c1))) return die("init_execution_context", rc);
  if ((rc = nn_init_execution_context(g, &c2))) return die("init_execution_context", rc);
  bad |= check("finalize", nn_finalize_execution_context(c1), 0);
  bad |= check("finalize_again", nn_finalize_execution_context(c1), kNotFound);
  bad |= check("unload", nn_unload(g), 0);
  bad |= check("compute_after_unload", nn_compute(c2), kNotFound);
  bad |= check("unload_again", nn_unload(g), kNotFound);
  bad |= check("init_after_unload", nn_init_execution_context(g, &c1), kNotFound);
  printf(bad ? "unload: FAILED\n" : "unload: all as expected\n");
  return bad;
}

// Every call that needs a loaded model, made before any load (WAMR 2.4.3's own functions
// jumped through a NULL pointer there; wasi-nn-run guards them): invalid_argument each, then a
// normal load and generation in the same instance.
static int before_load(const char* name) {
  static uint8_t out[64];
  uint32_t n = 0, c = 0, g = 0;
  tensor_t t = text_tensor("hi", 2);
  int bad = 0;
  bad |= check("get_output", nn_get_output(0, 0, out, sizeof out, &n), kInvalidArgument);
  bad |= check("get_output_no_context", nn_get_output(NO_CONTEXT, 0, out, sizeof out, &n), kInvalidArgument);
  bad |= check("compute", nn_compute(0), kInvalidArgument);
  bad |= check("set_input", nn_set_input(0, 0, &t), kInvalidArgument);
  bad |= check("init_execution_context", nn_init_execution_context(0, &c), kInvalidArgument);
  bad |= check("unload", nn_unload(0), kInvalidArgument);
  bad |= check("load_after", nn_load_by_name(name, strlen(name), &g), 0);
  bad |= check("init_after", nn_init_execution_context(g, &c), 0);
  printf(bad ? "before-load: FAILED\n" : "before-load: all as expected\n");
  return bad;
}

// load() with a builder that is not a model, through the encoding given (WAMR picks the
// backend library by encoding; one it cannot open is invalid_encoding).
static int load_encoding(const char* encoding) {
  static uint8_t bytes[4] = {'G', 'G', 'U', 'F'};
  builder_t b = {bytes, sizeof bytes};
  uint32_t g = 0;
  printf("load=%d\n", (int)nn_load(&b, 1, (uint32_t)atoi(encoding), 0, &g));
  return 0;
}

static int cat_first_line(const char* path) {
  FILE* f = fopen(path, "r");
  if (!f) {
    printf("cat: cannot open %s\n", path);
    return 1;
  }
  char line[256];
  if (fgets(line, sizeof line, f)) fputs(line, stdout);
  fclose(f);
  return 0;
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);  // lines reach the host even if a later call traps
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "generate") && argc == 5) return generate(argv[2], argv[3], argv[4]);
  if (!strcmp(mode, "load") && argc == 3) {
    uint32_t g = 0;
    int32_t rc = nn_load_by_name(argv[2], strlen(argv[2]), &g);
    printf("load=%d\n", (int)rc);
    if (rc) print_last_error();
    return 0;
  }
  if (!strcmp(mode, "load-config") && argc == 4) {
    uint32_t g = 0;
    int32_t rc = nn_load_by_name_with_config(argv[2], strlen(argv[2]), argv[3], strlen(argv[3]), &g);
    printf("load=%d\n", (int)rc);
    if (rc) print_last_error();
    return 0;
  }
  if (!strcmp(mode, "bad-arg") && argc == 4) return bad_arg(argv[2], argv[3]);
  if (!strcmp(mode, "small-output") && argc == 3) return small_output(argv[2]);
  if (!strcmp(mode, "unload") && argc == 3) return unload_graph(argv[2]);
  if (!strcmp(mode, "before-load") && argc == 3) return before_load(argv[2]);
  if (!strcmp(mode, "load-encoding") && argc == 3) return load_encoding(argv[2]);
  if (!strcmp(mode, "cat") && argc == 3) return cat_first_line(argv[2]);
  if (!strcmp(mode, "trap")) __builtin_trap();
  if (!strcmp(mode, "exit") && argc == 3) return atoi(argv[2]);
  fprintf(stderr, "nn_probe: unknown mode; see the comment at the top of nn_probe.c\n");
  return 2;
}
