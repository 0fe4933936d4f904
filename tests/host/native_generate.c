/* native_generate: the same raw greedy request as nn_probe's "generate" mode, made by a native
 * host through the seed C ABI (libwasi_nn_backend.so). Prints only the generated text, so the
 * host tests can compare it byte for byte with the guest's output under WAMR.
 * usage: native_generate MODEL PROMPT N_PREDICT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_nn_backend.h"

static int die(const char* step, wasi_nn_error rc) {
  fprintf(stderr, "native_generate: %s failed with code %d\n", step, (int)rc);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: native_generate MODEL PROMPT N_PREDICT\n");
    return 2;
  }
  char config[256];
  snprintf(config, sizeof config, "{\"mode\": \"raw\", \"temperature\": 0, \"n_predict\": %s, \"ctx_size\": 512}",
           argv[3]);
  void* nn = NULL;
  graph g = 0;
  graph_execution_context ctx = 0;
  wasi_nn_error rc;
  if ((rc = init_backend(&nn))) return die("init_backend", rc);
  if ((rc = load_by_name_with_config(nn, argv[1], (uint32_t)strlen(argv[1]), config, (uint32_t)strlen(config), &g)))
    return die("load_by_name_with_config", rc);
  if ((rc = init_execution_context(nn, g, &ctx))) return die("init_execution_context", rc);
  tensor in = {NULL, fp32, (uint8_t*)argv[2]};
  if ((rc = set_input(nn, ctx, 0, &in))) return die("set_input", rc);
  if ((rc = compute(nn, ctx))) return die("compute", rc);
  static uint8_t out[65536];
  uint32_t n = sizeof out;
  if ((rc = get_output(nn, ctx, 0, out, &n))) return die("get_output", rc);
  fwrite(out, 1, n, stdout);
  close_execution_context(nn, ctx);
  deinit_backend(nn);
  return 0;
}
