// huge_memory_guest: a wasm32-wasi guest that grows its linear memory to the full 4 GiB, so that
// every 32-bit (pointer, length) pair lies inside it and passes WAMR's own range checks, and
// then hands wasi-nn lengths whose arithmetic overflows 32 bits in WAMR 2.4.3's wasi_nn.c
// (name_len + 1, count * sizeof(graph_builder)). wasi-nn-run's own natives must answer each
// with an error code, and the same instance must then load and compute normally.
//
//   huge_memory_guest lengths ALIAS      every case below, then a normal load + compute; prints
//                                        "case=code" per call and "huge-memory: all as expected"
//   huge_memory_guest case NAME ALIAS    one case only (for running a case against an unguarded
//                                        host), then the normal load + compute
//   huge_memory_guest dims ALIAS         set_input whose dimensions array runs past the end of
//                                        memory: the host must trap the guest (never returns)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_nn_guest.h"

#define PAGE 65536u
#define MAX_PAGES 65536u  // 4 GiB
#define NAME_CAP 65536u   // wasi-nn-run's limits (src/host/README.md)

enum { kOk = NN_SUCCESS, kInvalidArgument = NN_ERR_INVALID_ARGUMENT, kModelNotFound = NN_ERR_MODEL_NOT_FOUND };

static int failures;
static const char* alias;
static uint8_t* grown;  // the first byte of the memory this guest grew (all zeros)
// 'x' text high in the grown memory (away from the zeroed builders at `grown`): lengths over
// the caps made of text, so that only the cap can refuse them (not a NUL, not a parser).
static char* const text = (char*)(uintptr_t)0xF0000000u;

static void expect(const char* name, int32_t got, int32_t want) {
  printf("%s=%d%s\n", name, (int)got, got == want ? "" : " (unexpected)");
  if (got != want) failures++;
}

// Grows linear memory to 65536 pages; returns 0 when it is now exactly 4 GiB.
static int grow_to_4gib(void) {
  uint32_t pages = (uint32_t)__builtin_wasm_memory_size(0);
  if (__builtin_wasm_memory_grow(0, MAX_PAGES - pages) == (size_t)-1) {
    fprintf(stderr, "huge_memory_guest: memory.grow to 4 GiB (from %u pages) failed\n", pages);
    return 1;
  }
  grown = (uint8_t*)(uintptr_t)(pages * PAGE);
  printf("memory_pages=%u\n", (unsigned)__builtin_wasm_memory_size(0));
  memset(text, 'x', (1u << 20) + 1);
  return (uint32_t)__builtin_wasm_memory_size(0) == MAX_PAGES ? 0 : 1;
}

// Each case: a call whose lengths lie inside the 4 GiB memory but overflow 32-bit arithmetic in
// WAMR's natives, or exceed wasi-nn-run's caps. 0 is a valid guest address here.
static int32_t run_case(const char* name) {
  nn_graph g = 0;
  const char* cfg = "{}";
  if (!strcmp(name, "name_4gib")) return nn_load_by_name((const char*)0, 0xFFFFFFFFu, &g);
  if (!strcmp(name, "name_over_cap")) return nn_load_by_name(text, NAME_CAP + 1, &g);
  if (!strcmp(name, "config_name_4gib")) {
    return nn_load_by_name_with_config((const char*)0, 0xFFFFFFFFu, cfg, 2, &g);
  }
  if (!strcmp(name, "config_4gib")) {
    return nn_load_by_name_with_config(alias, strlen(alias), (const char*)0, 0xFFFFFFFFu, &g);
  }
  if (!strcmp(name, "config_over_cap")) {
    return nn_load_by_name_with_config(alias, strlen(alias), text, (1u << 20) + 1, &g);
  }
  // 2^28 + 1 zeroed builders (2 GiB + 8 bytes, inside memory): WAMR's unsigned int allocation
  // size wraps to 16 bytes and it then writes 2^28 + 1 native builders into it.
  if (!strcmp(name, "load_builders_wrap")) {
    return nn_load((nn_graph_builder*)grown, (1u << 28) + 1, NN_ENCODING_GGML, NN_TARGET_CPU, &g);
  }
  fprintf(stderr, "huge_memory_guest: unknown case %s\n", name);
  exit(2);
}

static const char* const kCases[] = {"name_4gib",   "name_over_cap",   "config_name_4gib",
                                     "config_4gib", "config_over_cap", "load_builders_wrap"};

// A name exactly at the cap passes the host and reaches the backend: an unknown alias (103).
static void name_at_cap(void) {
  nn_graph g = 0;
  char* name = malloc(NAME_CAP);
  memset(name, 'x', NAME_CAP);
  expect("name_at_cap", nn_load_by_name(name, NAME_CAP, &g), kModelNotFound);
  free(name);
}

// The instance still works: a real load, one request, its output.
static void normal_run(void) {
  const char* config = "{\"ctx_size\": 256, \"n_predict\": 4, \"ignore_eos\": true}";
  nn_graph g = 0;
  nn_exec_ctx ctx = 0;
  uint32_t n = 0;
  static uint8_t out[4096];
  expect("load_ok", nn_load_named(alias, config, &g), kOk);
  expect("init_ok", nn_init_execution_context(g, &ctx), kOk);
  expect("input_ok", nn_set_text(ctx, 0, "Hello"), kOk);
  expect("compute_ok", nn_compute(ctx), kOk);
  expect("output_ok", nn_get_output(ctx, 0, out, sizeof out, &n), kOk);
  if (n == 0) {
    printf("output is empty (unexpected)\n");
    failures++;
  }
}

// A dimensions array of 2^30 entries starting 16 bytes before the end of memory: WAMR checked
// only 16 bytes there and then read all of it.
static void dims_past_end(void) {
  nn_graph g = 0;
  nn_exec_ctx ctx = 0;
  expect("load_ok", nn_load_named(alias, NULL, &g), kOk);
  expect("init_ok", nn_init_execution_context(g, &ctx), kOk);
  uint32_t* end = (uint32_t*)(uintptr_t)(0xFFFFFFFFu - 15);
  end[0] = 5;
  nn_tensor t;
  memset(&t, 0, sizeof t);
  t.dimensions.buf = end;
  t.dimensions.size = 1u << 30;
  t.type = NN_TYPE_U8;
  t.data = (uint8_t*)"Hello";
  t.data_size = 5;
  int32_t rc = nn_set_input(ctx, 0, &t);
  printf("dims_past_end=%d (returned: expected a trap)\n", (int)rc);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char* mode = argc > 1 ? argv[1] : "";
  alias = argv[argc - 1];
  if (grow_to_4gib()) return 3;
  if (!strcmp(mode, "dims") && argc == 3) {
    dims_past_end();
    return 1;
  }
  if (!strcmp(mode, "case") && argc == 4) {
    expect(argv[2], run_case(argv[2]), kInvalidArgument);
  } else if (!strcmp(mode, "lengths") && argc == 3) {
    for (size_t i = 0; i < sizeof kCases / sizeof kCases[0]; ++i) {
      expect(kCases[i], run_case(kCases[i]), kInvalidArgument);
    }
    name_at_cap();
  } else {
    fprintf(stderr, "usage: huge_memory_guest lengths|dims ALIAS | case NAME ALIAS\n");
    return 2;
  }
  normal_run();
  printf(failures ? "huge-memory: FAILED\n" : "huge-memory: all as expected\n");
  return failures ? 1 : 0;
}
