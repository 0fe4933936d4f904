/* describe.wasm: describes an image (or audio) file with a multimodal model; prints the text,
 * then the metadata JSON on its own line.
 *
 *   wasi-nn-run --dir /pics --nn-preload llava:GGML:AUTO:/m/model.gguf \
 *               --nn-mmproj llava:/m/mmproj.gguf describe.wasm llava /pics/cat.png \
 *               [PROMPT [LOAD_JSON]]
 *
 * The file is read through WASI (the host grants its directory with --dir) and sent as input 2,
 * a u8 tensor holding the file's bytes; PROMPT (default "Describe the image.") gets mtmd's
 * marker "<__media__>" in front unless it already holds one (docs/MULTIMODAL.md). The model's
 * projector comes with the preloaded alias (--nn-mmproj), or LOAD_JSON names one:
 * '{"mmproj": "llava.mmproj"}'.
 * Exit status: 0; 1 when a WASI-NN call fails (its code and message go to stderr); 2 on a usage
 * error or a file that cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasi_nn_guest.h"

static const char kMarker[] = "<__media__>";
static const long kMaxFile = 64L << 20; /* the host's max_media_bytes bounds it further */

static int fail(const char* what, nn_error e) {
  char msg[1024];
  fprintf(stderr, "describe: %s failed: %s (%d): %s\n", what, nn_error_name(e), (int)e, nn_last_error(msg, sizeof msg));
  return 1;
}

/* The whole file, malloc'ed; NULL (with a message) when it cannot be read. */
static unsigned char* read_file(const char* path, uint32_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "describe: cannot open %s (is its directory granted with --dir?)\n", path);
    return NULL;
  }
  unsigned char* buf = NULL;
  long n = -1;
  if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && n <= kMaxFile && fseek(f, 0, SEEK_SET) == 0) {
    buf = malloc((size_t)n);
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
      free(buf);
      buf = NULL;
    }
  }
  fclose(f);
  if (buf == NULL) fprintf(stderr, "describe: cannot read %s (empty, or over %ld bytes)\n", path, kMaxFile);
  *size = (uint32_t)n;
  return buf;
}

int main(int argc, char** argv) {
  if (argc < 3 || argc > 5) {
    fputs("usage: describe.wasm MODEL FILE [PROMPT [LOAD_JSON]]\n", stderr);
    return 2;
  }
  const char* question = argc > 3 ? argv[3] : "Describe the image.";
  uint32_t size = 0;
  unsigned char* file = read_file(argv[2], &size);
  if (file == NULL) return 2;
  char prompt[4096];
  snprintf(prompt, sizeof prompt, "%s%s", strstr(question, kMarker) ? "" : kMarker, question);

  nn_graph g;
  nn_exec_ctx ctx;
  nn_error e;
  if ((e = nn_load_named(argv[1], argc > 4 ? argv[4] : NULL, &g)) != NN_SUCCESS) return fail("load", e);
  if ((e = nn_init_execution_context(g, &ctx)) != NN_SUCCESS) return fail("init_execution_context", e);
  if ((e = nn_set_text(ctx, 0, prompt)) != NN_SUCCESS) return fail("set_input(0)", e);
  if ((e = nn_set_bytes(ctx, 2, file, size)) != NN_SUCCESS) return fail("set_input(2)", e);
  free(file);
  if ((e = nn_compute(ctx)) != NN_SUCCESS) return fail("compute", e);
  char *text, *meta;
  const char* failed;
  if ((e = nn_get_text_and_metadata(ctx, &text, &meta, &failed)) != NN_SUCCESS) return fail(failed, e);
  printf("%s\n%s\n", text, meta);
  free(text);
  free(meta);
  return 0;
}
