/* chat.wasm: a multi-turn chat with a model, on one WASI-NN execution context (the backend keeps
 * the conversation's history per context in chat mode, so each turn sends only the new line).
 *
 *   wasi-nn-run --nn-preload default:GGML:AUTO:/path/model.gguf chat.wasm default [CONFIG]
 *               [--prompt TEXT] [-i] [--system TEXT]
 *
 * MODEL: a preloaded alias or a model path inside a granted --nn-dir. CONFIG: an optional JSON
 * object of load settings (e.g. '{"ctx_size": 2048, "temperature": 0.7}').
 * Without --prompt it reads lines from stdin and prints each reply; at a terminal it shows a
 * "> " prompt, otherwise it answers every line and exits at end of input. --prompt TEXT answers
 * TEXT and exits; with -i it then goes on reading stdin in the same conversation (-i also
 * shows the prompt, for hosts whose WASI does not report the terminal as one).
 * Lines "/reset" (forget the conversation) and "/quit" are commands.
 * Exit status: 0; 1 when the model cannot be loaded or a reply fails; 2 on a usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wasi_nn_guest.h"

static const char kUsage[] = "usage: chat.wasm MODEL [CONFIG_JSON] [--prompt TEXT] [-i] [--system TEXT]\n";

typedef struct {
  nn_exec_ctx ctx;
  const char* system_prompt; /* sent with every request (settings apply to one request) */
  bool pending_reset;        /* /reset was typed: forget the conversation on the next request */
} Chat;

static void report(const char* what, nn_error e) {
  char msg[1024];
  fprintf(stderr, "chat: %s failed: %s (%d): %s\n", what, nn_error_name(e), (int)e, nn_last_error(msg, sizeof msg));
  if (e == NN_ERR_CONTEXT_FULL) fprintf(stderr, "chat: type /reset to start a new conversation\n");
}

/* Appends TEXT to OUT as a JSON string body (quotes and control characters escaped). */
static void json_escape(char* out, size_t cap, const char* text) {
  size_t n = strlen(out);
  for (; *text && n + 7 < cap; ++text) {
    unsigned char c = (unsigned char)*text;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n] = '\0';
}

/* Sends one user line and prints the reply. Returns false when the request failed. The
 * backend keeps the history (chat mode), also where the host's default is WasmEdge's dialect
 * of raw prompts (docs/COMPATIBILITY.md): every request asks for chat mode. */
static bool turn(Chat* chat, const char* line) {
  nn_error e;
  char settings[4096] = "{\"mode\": \"chat\", \"context_shift\": true";
  if (chat->pending_reset) strcat(settings, ", \"reset\": true");
  if (chat->system_prompt) {
    strcat(settings, ", \"system_prompt\": \"");
    json_escape(settings, sizeof settings - 2, chat->system_prompt);
    strcat(settings, "\"");
  }
  strcat(settings, "}");
  if ((e = nn_set_text(chat->ctx, 1, settings)) != NN_SUCCESS) {
    report("set_input(1)", e);
    return false;
  }
  chat->pending_reset = false;
  if ((e = nn_set_text(chat->ctx, 0, line)) != NN_SUCCESS) {
    report("set_input(0)", e);
    return false;
  }
  /* Stream the reply: print each piece as soon as the backend has it. */
  bool started = false;
  char piece[4096];
  for (;;) {
    e = nn_compute_single(chat->ctx);
    if (e == NN_ERR_END_OF_SEQUENCE) break;
    uint32_t n = 0;
    if (e == NN_SUCCESS) e = nn_get_output_single(chat->ctx, 0, (uint8_t*)piece, sizeof piece - 1, &n);
    if (e != NN_SUCCESS) {
      report("compute_single", e);
      nn_fini_single(chat->ctx);
      return false;
    }
    piece[n] = '\0';
    const char* text = piece;
    if (!started) {
      while (*text == ' ' || *text == '\n') ++text; /* many templates leave a space or newline */
      started = *text != '\0';
    }
    fputs(text, stdout);
    fflush(stdout);
  }
  nn_fini_single(chat->ctx);
  printf("\n");
  fflush(stdout);
  return true;
}

/* Reads one line (without its newline) into a malloc'ed buffer; NULL at end of input. */
static char* read_line(void) {
  char* line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (n < 0) {
    free(line);
    return NULL;
  }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
  return line;
}

static int chat_loop(Chat* chat, bool tty) {
  int status = 0;
  for (;;) {
    if (tty) {
      printf("> ");
      fflush(stdout);
    }
    char* line = read_line();
    if (line == NULL) break;
    if (strcmp(line, "/quit") == 0 || strcmp(line, "/exit") == 0) {
      free(line);
      break;
    }
    if (strcmp(line, "/reset") == 0) {
      /* The reset rides on the next request; a reset alone needs no compute. */
      chat->pending_reset = true;
      printf("(conversation reset)\n");
      free(line);
      continue;
    }
    if (line[0] != '\0' && !turn(chat, line)) status = 1;
    free(line);
  }
  if (tty) printf("\n");
  return status;
}

int main(int argc, char** argv) {
  const char *model = NULL, *config = NULL, *prompt = NULL, *system_prompt = NULL;
  bool interactive = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--prompt") == 0 && i + 1 < argc) {
      prompt = argv[++i];
    } else if (strcmp(argv[i], "--system") == 0 && i + 1 < argc) {
      system_prompt = argv[++i];
    } else if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--interactive") == 0) {
      interactive = true;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(kUsage, stdout);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1] == '-') {
      fprintf(stderr, "chat: unknown option %s\n%s", argv[i], kUsage);
      return 2;
    } else if (model == NULL) {
      model = argv[i];
    } else if (config == NULL) {
      config = argv[i];
    } else {
      fprintf(stderr, "chat: unexpected argument %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (model == NULL) {
    fputs(kUsage, stderr);
    return 2;
  }

  nn_graph g;
  nn_error e = nn_load_named(model, config, &g);
  if (e != NN_SUCCESS) {
    report("loading the model", e);
    return 1;
  }
  Chat chat = {0, system_prompt, false};
  if ((e = nn_init_execution_context(g, &chat.ctx)) != NN_SUCCESS) {
    report("init_execution_context", e);
    return 1;
  }

  /* WAMR's WASI does not always report a terminal as one (isatty needs a character device
   * without seek rights), so -i also asks for the interactive look. */
  bool tty = isatty(STDIN_FILENO) != 0 || interactive;
  if (prompt != NULL) {
    if (tty) printf("> %s\n", prompt);
    if (!turn(&chat, prompt)) return 1;
    if (!interactive) return 0;
  }
  if (tty) fprintf(stderr, "(type a message; /reset starts over, /quit or Ctrl-D ends)\n");
  return chat_loop(&chat, tty);
}
