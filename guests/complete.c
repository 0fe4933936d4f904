/* complete.wasm: one request; prints the generated text, then the metadata JSON on its own line.
 *
 *   wasi-nn-run --nn-preload default:GGML:AUTO:/path/model.gguf complete.wasm default PROMPT
 *               [REQUEST_JSON] [--config LOAD_JSON]
 *
 * REQUEST_JSON: per-request settings (input index 1), e.g. '{"max_tokens": 32, "mode": "raw"}'.
 * LOAD_JSON: load settings, e.g. '{"ctx_size": 1024}'.
 * Output: the text (output 0), a newline, the metadata (output 1), a newline.
 * Exit status: 0; 1 when a WASI-NN call fails (its code and message go to stderr); 2 on a usage
 * error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_nn_guest.h"

static const char kUsage[] = "usage: complete.wasm MODEL PROMPT [REQUEST_JSON] [--config LOAD_JSON]\n";

static int fail(const char* what, nn_error e) {
  char msg[1024];
  fprintf(stderr, "complete: %s failed: %s (%d): %s\n", what, nn_error_name(e), (int)e, nn_last_error(msg, sizeof msg));
  return 1;
}

int main(int argc, char** argv) {
  const char* positional[3] = {NULL, NULL, NULL};
  const char* load_config = NULL;
  int npos = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      load_config = argv[++i];
    } else if (npos < 3 && (argv[i][0] != '-' || argv[i][1] != '-')) {
      positional[npos++] = argv[i];
    } else {
      fprintf(stderr, "complete: unexpected argument %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (npos < 2) {
    fputs(kUsage, stderr);
    return 2;
  }
  const char *model = positional[0], *prompt = positional[1], *request = positional[2];

  nn_graph g;
  nn_exec_ctx ctx;
  nn_error e;
  if ((e = nn_load_named(model, load_config, &g)) != NN_SUCCESS) return fail("load", e);
  if ((e = nn_init_execution_context(g, &ctx)) != NN_SUCCESS) {
    return fail("init_execution_context", e);
  }
  if (request != NULL && (e = nn_set_text(ctx, 1, request)) != NN_SUCCESS) {
    return fail("set_input(1)", e);
  }
  if ((e = nn_set_text(ctx, 0, prompt)) != NN_SUCCESS) return fail("set_input(0)", e);
  if ((e = nn_compute(ctx)) != NN_SUCCESS) return fail("compute", e);

  char *text, *meta;
  const char* failed;
  if ((e = nn_get_text_and_metadata(ctx, &text, &meta, &failed)) != NN_SUCCESS) return fail(failed, e);
  printf("%s\n%s\n", text, meta);
  free(text);
  free(meta);
  return 0;
}
