/* A host as the real ones are: it dlopens each library, dlsyms every function of its ABI, and
 * uses its OWN copy of the types (written from docs/ABI.md, not from our headers), then runs
 * the happy path on a tiny model.
 *
 *   abi_dlopen_host <path/to/libwasi_nn_backend.so> <model.gguf>
 *
 * libwasi_nn_llamacpp.so is opened by bare name through the library search path, as WAMR's
 * wasi-nn library does (the test sets LD_LIBRARY_PATH). Both libraries are loaded in the same
 * process, each with its own static copy of llama.cpp. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- The host's own copy of the types. ---- */
typedef int host_error; /* 0 = success in both ABIs */
typedef struct {
  uint32_t* buf;
  uint32_t size;
} host_dims;

/* Seed ABI (HyperBEAM-style host). */
typedef struct {
  host_dims* dimensions;
  int type; /* fp32 = 1 */
  uint8_t* data;
} seed_tensor;

/* WAMR ABI. */
typedef struct {
  uint8_t* buf;
  uint32_t size;
} wamr_tensor_data;
typedef struct {
  host_dims* dimensions;
  uint8_t type; /* u8 = 3 */
  uint8_t pad[3];
  wamr_tensor_data data;
} wamr_tensor;

#define HOST_NO_HANDLE 0xFFFFFFFFu
#define OUT_CAPACITY 8192

static int failures = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                              \
    }                                                                          \
  } while (0)

static void* must_sym(void* lib, const char* name) {
  void* p = dlsym(lib, name);
  if (!p) {
    fprintf(stderr, "dlsym(%s) failed: %s\n", name, dlerror());
    exit(1);
  }
  return p;
}

/* The seed ABI's functions. */
typedef host_error (*init_backend_with_config_fn)(void**, const char*, uint32_t);
typedef host_error (*init_backend_fn)(void**);
typedef host_error (*deinit_backend_fn)(void*);
typedef host_error (*load_fn)(void*, void*, int, int, uint32_t*);
typedef host_error (*load_by_name_fn)(void*, const char*, uint32_t, uint32_t*);
typedef host_error (*load_by_name_with_config_fn)(void*, const char*, uint32_t, const char*, uint32_t, uint32_t*);
typedef host_error (*init_execution_context_fn)(void*, uint32_t, uint32_t*);
typedef host_error (*init_session_fn)(void*, const char*, uint32_t*);
typedef host_error (*seed_set_input_fn)(void*, uint32_t, uint32_t, seed_tensor*);
typedef host_error (*compute_fn)(void*, uint32_t);
typedef host_error (*seed_get_output_fn)(void*, uint32_t, uint32_t, uint8_t*, uint32_t*);
typedef host_error (*run_inference_fn)(void*, uint32_t, uint32_t, seed_tensor*, uint8_t*, uint32_t*, const char*,
                                       uint32_t);
typedef host_error (*close_fn)(void*, uint32_t);
typedef host_error (*wamr_set_input_fn)(void*, uint32_t, uint32_t, wamr_tensor*);
typedef host_error (*wamr_get_output_fn)(void*, uint32_t, uint32_t, wamr_tensor_data*, uint32_t*);

static const char kConfig[] = "{\"ctx_size\": 512, \"n_predict\": 12, \"ignore_eos\": true}";

/* Checks that `out` holds `size` bytes of text followed by a NUL. */
static void check_text(const char* what, const char* out, uint32_t size) {
  CHECK(size > 0);
  CHECK(size < OUT_CAPACITY);
  CHECK(out[size] == '\0');
  CHECK(strlen(out) == size);
  printf("%s: %u bytes: \"%s\"\n", what, size, out);
}

static void run_seed(const char* lib_path, const char* model) {
  void* lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    fprintf(stderr, "dlopen(%s) failed: %s\n", lib_path, dlerror());
    exit(1);
  }
  init_backend_fn init_backend = (init_backend_fn)must_sym(lib, "init_backend");
  init_backend_with_config_fn init_backend_with_config =
      (init_backend_with_config_fn)must_sym(lib, "init_backend_with_config");
  deinit_backend_fn deinit_backend = (deinit_backend_fn)must_sym(lib, "deinit_backend");
  (void)must_sym(lib, "load");
  (void)must_sym(lib, "load_by_name");
  load_by_name_with_config_fn load_by_name_with_config =
      (load_by_name_with_config_fn)must_sym(lib, "load_by_name_with_config");
  init_execution_context_fn init_execution_context = (init_execution_context_fn)must_sym(lib, "init_execution_context");
  init_session_fn init_session = (init_session_fn)must_sym(lib, "init_execution_context_with_session_id");
  seed_set_input_fn set_input = (seed_set_input_fn)must_sym(lib, "set_input");
  compute_fn compute = (compute_fn)must_sym(lib, "compute");
  seed_get_output_fn get_output = (seed_get_output_fn)must_sym(lib, "get_output");
  run_inference_fn run_inference = (run_inference_fn)must_sym(lib, "run_inference");
  close_fn close_execution_context = (close_fn)must_sym(lib, "close_execution_context");

  /* A second, default backend: created and freed on the side, as independent hosts would. */
  void* other = NULL;
  CHECK(init_backend(&other) == 0 && other != NULL);

  /* HyperBEAM's sequence: one backend, a model by path, one session per conversation. */
  void* ctx = NULL;
  CHECK(init_backend_with_config(&ctx, kConfig, (uint32_t)strlen(kConfig)) == 0);
  uint32_t g = 12345;
  CHECK(load_by_name_with_config(ctx, model, (uint32_t)strlen(model), kConfig, (uint32_t)strlen(kConfig), &g) == 0);
  CHECK(g != HOST_NO_HANDLE);
  uint32_t session = HOST_NO_HANDLE;
  CHECK(init_session(ctx, "conversation-1", &session) == 0);

  char out[OUT_CAPACITY + 1];
  seed_tensor prompt = {NULL, 1 /* fp32, as HyperBEAM sends */, (uint8_t*)"Once upon a time"};
  uint32_t size = OUT_CAPACITY;
  memset(out, 'x', sizeof out);
  CHECK(run_inference(ctx, session, 0, &prompt, (uint8_t*)out, &size, "{\"n_predict\": 8}", 0) == 0);
  check_text("seed run_inference", out, size);

  /* The original WASI-NN sequence: set_input + compute + get_output on a graph's context. */
  uint32_t exec = HOST_NO_HANDLE;
  CHECK(init_execution_context(ctx, g, &exec) == 0);
  uint32_t dim = 5;
  host_dims dims = {&dim, 1};
  seed_tensor hello = {&dims, 2 /* up8 */, (uint8_t*)"Hello, world"}; /* 5 bytes: "Hello" */
  CHECK(set_input(ctx, exec, 0, &hello) == 0);
  CHECK(compute(ctx, exec) == 0);
  size = OUT_CAPACITY;
  memset(out, 'x', sizeof out);
  CHECK(get_output(ctx, exec, 0, (uint8_t*)out, &size) == 0);
  check_text("seed compute", out, size);
  size = OUT_CAPACITY;
  CHECK(get_output(ctx, exec, 1, (uint8_t*)out, &size) == 0);
  CHECK(size > 0 && out[0] == '{');
  printf("seed metadata: %s\n", out);

  CHECK(close_execution_context(ctx, exec) == 0);
  CHECK(close_execution_context(ctx, session) == 0);
  CHECK(deinit_backend(ctx) == 0);
  CHECK(deinit_backend(other) == 0);
  /* The library stays loaded: hosts rarely dlclose, and llama.cpp's threads may linger. */
}

static void run_wamr(const char* model) {
  /* WAMR: dlopen(name, RTLD_LAZY), found through the library search path. */
  void* lib = dlopen("libwasi_nn_llamacpp.so", RTLD_LAZY);
  if (!lib) {
    fprintf(stderr, "dlopen(libwasi_nn_llamacpp.so) failed: %s\n", dlerror());
    exit(1);
  }
  init_backend_fn init_backend = (init_backend_fn)must_sym(lib, "init_backend");
  deinit_backend_fn deinit_backend = (deinit_backend_fn)must_sym(lib, "deinit_backend");
  (void)must_sym(lib, "load");
  (void)must_sym(lib, "load_by_name");
  load_by_name_with_config_fn load_by_name_with_config =
      (load_by_name_with_config_fn)must_sym(lib, "load_by_name_with_config");
  init_execution_context_fn init_execution_context = (init_execution_context_fn)must_sym(lib, "init_execution_context");
  wamr_set_input_fn set_input = (wamr_set_input_fn)must_sym(lib, "set_input");
  compute_fn compute = (compute_fn)must_sym(lib, "compute");
  wamr_get_output_fn get_output = (wamr_get_output_fn)must_sym(lib, "get_output");

  void* ctx = NULL;
  CHECK(init_backend(&ctx) == 0 && ctx != NULL);
  uint32_t g = HOST_NO_HANDLE;
  CHECK(load_by_name_with_config(ctx, model, (uint32_t)strlen(model), kConfig, (uint32_t)strlen(kConfig), &g) == 0);
  uint32_t exec = HOST_NO_HANDLE;
  CHECK(init_execution_context(ctx, g, &exec) == 0);

  /* What WAMR hands over for a guest's u8 tensor: not NUL-terminated, sized by data.size. */
  char text[] = "Once upon a time!!!";
  uint32_t n = 16; /* "Once upon a time" */
  host_dims dims = {&n, 1};
  wamr_tensor prompt = {&dims, 3 /* u8 */, {0, 0, 0}, {(uint8_t*)text, n}};
  CHECK(set_input(ctx, exec, 0, &prompt) == 0);
  CHECK(compute(ctx, exec) == 0);

  char out[OUT_CAPACITY + 1];
  memset(out, 'x', sizeof out);
  wamr_tensor_data buf = {(uint8_t*)out, OUT_CAPACITY};
  uint32_t size = 0;
  CHECK(get_output(ctx, exec, 0, &buf, &size) == 0);
  check_text("wamr compute", out, size);

  /* The last error message, as a guest reads it: context 0xFFFFFFFF. */
  CHECK(compute(ctx, 999) != 0);
  wamr_tensor_data msg = {(uint8_t*)out, OUT_CAPACITY};
  CHECK(get_output(ctx, HOST_NO_HANDLE, 0, &msg, &size) == 0);
  CHECK(size > 0);
  printf("wamr last error: %s\n", out);

  CHECK(deinit_backend(ctx) == 0);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <libwasi_nn_backend.so> <model.gguf>\n", argv[0]);
    return 2;
  }
  run_seed(argv[1], argv[2]);
  run_wamr(argv[2]);
  if (failures) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("ok\n");
  return 0;
}
