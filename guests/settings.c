/* settings.wasm: per-request settings through input index 1. Runs one prompt several times on
 * one execution context, each time with other settings, and prints every reply with its
 * metadata. Each request carries "reset": true, so every run starts from an empty conversation.
 *
 *   wasi-nn-run --nn-preload default:GGML:AUTO:/path/model.gguf settings.wasm default [PROMPT
 *               [LOAD_JSON]]
 *
 * Runs: greedy (temperature 0) twice (the same text both times), temperature 1.0 with two
 * seeds, and greedy with a stop string "." (the reply ends before the first full stop, and
 * stop_reason is "stop" when it was met).
 * Exit status: 0; 1 when a WASI-NN call fails; 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_nn_guest.h"

static const char* const kRuns[][2] = {
    {"greedy", "{\"reset\": true, \"temperature\": 0, \"max_tokens\": 48}"},
    {"greedy again", "{\"reset\": true, \"temperature\": 0, \"max_tokens\": 48}"},
    {"temperature 1.0, seed 1", "{\"reset\": true, \"temperature\": 1.0, \"seed\": 1, \"max_tokens\": 48}"},
    {"temperature 1.0, seed 2", "{\"reset\": true, \"temperature\": 1.0, \"seed\": 2, \"max_tokens\": 48}"},
    {"greedy, stop at \".\"", "{\"reset\": true, \"temperature\": 0, \"max_tokens\": 48, \"stop\": [\".\"]}"},
};

static int fail(const char* what, nn_error e) {
  char msg[1024];
  fprintf(stderr, "settings: %s failed: %s (%d): %s\n", what, nn_error_name(e), (int)e, nn_last_error(msg, sizeof msg));
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fputs("usage: settings.wasm MODEL [PROMPT [LOAD_JSON]]\n", stderr);
    return 2;
  }
  const char* prompt = argc >= 3 ? argv[2] : "Write one sentence about the sea.";
  const char* load_config = argc == 4 ? argv[3] : NULL;

  nn_graph g;
  nn_exec_ctx ctx;
  nn_error e;
  if ((e = nn_load_named(argv[1], load_config, &g)) != NN_SUCCESS) return fail("load", e);
  if ((e = nn_init_execution_context(g, &ctx)) != NN_SUCCESS) {
    return fail("init_execution_context", e);
  }
  printf("prompt: %s\n", prompt);
  for (size_t i = 0; i < sizeof kRuns / sizeof kRuns[0]; ++i) {
    if ((e = nn_set_text(ctx, 1, kRuns[i][1])) != NN_SUCCESS) return fail("set_input(1)", e);
    if ((e = nn_set_text(ctx, 0, prompt)) != NN_SUCCESS) return fail("set_input(0)", e);
    if ((e = nn_compute(ctx)) != NN_SUCCESS) return fail("compute", e);
    char *text, *meta;
    const char* failed;
    if ((e = nn_get_text_and_metadata(ctx, &text, &meta, &failed)) != NN_SUCCESS) return fail(failed, e);
    printf("\n--- %s: %s\n%s\n[metadata] %s\n", kRuns[i][0], kRuns[i][1], text, meta);
    free(text);
    free(meta);
  }
  return 0;
}
