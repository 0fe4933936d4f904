/* stock-wamr: runs a wasm32-wasi module under an unmodified WAMR 2.4 runtime with WASI-NN, the
 * way WAMR's iwasm does, so guests can be tested against libwasi_nn_llamacpp.so as WAMR users
 * run it. The command line is a subset of iwasm's:
 *
 *   stock-wamr [--dir=PATH]... [--map-dir=GUEST::HOST]... [--env=NAME=VALUE]...
 *              [--stack-size=N] [--heap-size=N] module.wasm [args...]
 *
 * WASI-NN is WAMR's own (wasi_nn.c, built by WAMR's scripts): it dlopen()s
 * libwasi_nn_llamacpp.so through the library search path (LD_LIBRARY_PATH). Model grants come
 * from the library's environment variables (WASI_NN_PRELOAD, WASI_NN_MODEL_DIRS).
 * Exit status: the guest's; 1 when the host fails or the guest traps (the reason on stderr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_export.h"

#define MAX_LIST 32

struct options {
  const char *dirs[MAX_LIST], *map_dirs[MAX_LIST], *env[MAX_LIST];
  uint32_t n_dirs, n_map_dirs, n_env;
  uint32_t stack_size, heap_size;
  int first_arg; /* index of the module in argv */
};

static int add(const char** list, uint32_t* n, const char* value) {
  if (*n == MAX_LIST) return 0;
  list[(*n)++] = value;
  return 1;
}

static int starts(const char* s, const char* prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* Returns 1 when argv is well formed. */
static int parse(int argc, char** argv, struct options* o) {
  memset(o, 0, sizeof *o);
  o->stack_size = 128 * 1024;
  o->heap_size = 16 * 1024;
  int i = 1;
  for (; i < argc && starts(argv[i], "--"); ++i) {
    const char* a = argv[i];
    int ok = 1;
    if (starts(a, "--dir="))
      ok = add(o->dirs, &o->n_dirs, a + 6);
    else if (starts(a, "--map-dir="))
      ok = add(o->map_dirs, &o->n_map_dirs, a + 10);
    else if (starts(a, "--env="))
      ok = add(o->env, &o->n_env, a + 6);
    else if (starts(a, "--stack-size="))
      o->stack_size = (uint32_t)strtoul(a + 13, NULL, 10);
    else if (starts(a, "--heap-size="))
      o->heap_size = (uint32_t)strtoul(a + 12, NULL, 10);
    else
      ok = 0;
    if (!ok) {
      fprintf(stderr, "stock-wamr: unknown or too many of option %s\n", a);
      return 0;
    }
  }
  o->first_arg = i;
  return i < argc;
}

static char* read_file(const char* path, uint32_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char* buf = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
    buf = malloc((size_t)n);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    }
  }
  fclose(f);
  *size = (uint32_t)n;
  return buf;
}

/* Loads, instantiates and runs the module; returns the exit status. */
static int run(struct options* o, int argc, char** argv) {
  uint32_t size = 0;
  char* bytes = read_file(argv[o->first_arg], &size);
  if (bytes == NULL) {
    fprintf(stderr, "stock-wamr: cannot read %s\n", argv[o->first_arg]);
    return 1;
  }
  char err[256];
  int status = 1;
  wasm_module_inst_t inst = NULL;
  wasm_module_t module = wasm_runtime_load((uint8_t*)bytes, size, err, sizeof err);
  if (module == NULL) {
    fprintf(stderr, "stock-wamr: cannot load the module: %s\n", err);
    goto done;
  }
  wasm_runtime_set_wasi_args(module, o->dirs, o->n_dirs, o->map_dirs, o->n_map_dirs, o->env, o->n_env,
                             argv + o->first_arg, argc - o->first_arg);
  inst = wasm_runtime_instantiate(module, o->stack_size, o->heap_size, err, sizeof err);
  if (inst == NULL) {
    fprintf(stderr, "stock-wamr: cannot instantiate the module: %s\n", err);
    goto done;
  }
  if (wasm_application_execute_main(inst, 0, NULL)) {
    status = (int)wasm_runtime_get_wasi_exit_code(inst);
  } else {
    fprintf(stderr, "stock-wamr: the guest trapped: %s\n", wasm_runtime_get_exception(inst));
  }
done:
  if (inst != NULL) wasm_runtime_deinstantiate(inst);
  if (module != NULL) wasm_runtime_unload(module);
  free(bytes);
  return status;
}

int main(int argc, char** argv) {
  struct options o;
  if (!parse(argc, argv, &o)) {
    fprintf(stderr,
            "usage: stock-wamr [--dir=PATH]... [--map-dir=GUEST::HOST]... [--env=NAME=VALUE]...\n"
            "                  [--stack-size=N] [--heap-size=N] module.wasm [args...]\n");
    return 1;
  }
  RuntimeInitArgs init;
  memset(&init, 0, sizeof init);
  init.mem_alloc_type = Alloc_With_System_Allocator;
  if (!wasm_runtime_full_init(&init)) {
    fprintf(stderr, "stock-wamr: WAMR failed to start\n");
    return 1;
  }
  int status = run(&o, argc, argv);
  wasm_runtime_destroy();
  return status;
}
