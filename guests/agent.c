/* agent.wasm: a two-tool agent loop over WASI-NN (docs/AGENTS.md). It offers the model two
 * functions, get_weather(city, unit) and add(a, b), asks QUESTION, runs each call the model
 * makes, hands the results back as "tool" messages (input_format "messages") and prints the
 * final answer.
 *
 *   wasi-nn-run --nn-preload default:GGML:AUTO:/path/model.gguf agent.wasm default QUESTION
 *               [--config LOAD_JSON] [--request JSON] [--first-choice auto|required]
 *               [--max-steps N]
 *
 * --request: a JSON object of settings added to every request (e.g. '{"temperature": 0}').
 * --first-choice: tool_choice of the first request (default auto; required forces a call).
 * --max-steps: requests at most (default 4); the last one has tool_choice "none", so the loop
 *   always ends with an answer.
 * Output: "[call] NAME ARGUMENTS -> RESULT" per call, "[answer] TEXT", "[metadata] JSON" (output
 * 1 of the last request). Exit status: 0; 1 when a WASI-NN call fails (code and message on
 * stderr); 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_json.h"
#include "wasi_nn_guest.h"

static const char kUsage[] =
    "usage: agent.wasm MODEL QUESTION [--config LOAD_JSON] [--request JSON]\n"
    "                  [--first-choice auto|required] [--max-steps N]\n";

static const char kTools[] =
    "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
    "\"description\": \"The current weather of a city\", \"parameters\": {\"type\": \"object\", "
    "\"properties\": {\"city\": {\"type\": \"string\", \"maxLength\": 32}, "
    "\"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, "
    "\"required\": [\"city\", \"unit\"], \"additionalProperties\": false}}}, "
    "{\"type\": \"function\", \"function\": {\"name\": \"add\", "
    "\"description\": \"The sum of two integers\", \"parameters\": {\"type\": \"object\", "
    "\"properties\": {\"a\": {\"type\": \"integer\"}, \"b\": {\"type\": \"integer\"}}, "
    "\"required\": [\"a\", \"b\"], \"additionalProperties\": false}}}]";

typedef struct {
  const char *model, *question, *load_config, *request, *first_choice;
  int max_steps;
} options;

static int fail(const char* what, nn_error e) {
  char msg[1024];
  fprintf(stderr, "agent: %s failed: %s (%d): %s\n", what, nn_error_name(e), (int)e, nn_last_error(msg, sizeof msg));
  return 1;
}

/* The string member KEY of the object at OBJ (may be NULL), unescaped and malloc'ed, or NULL. */
static char* member_string(const char* obj, const char* key) {
  const char* v = obj ? json_member(obj, key) : NULL;
  return v ? json_string(v) : NULL;
}

/* The functions themselves: a made-up weather service and an adder. RESULT gets JSON text. */
static void run_tool(const char* name, const char* arguments, strbuf* result) {
  if (strcmp(name, "add") == 0) {
    long long a = 0, b = 0;
    const char *pa = json_member(arguments, "a"), *pb = json_member(arguments, "b");
    if (pa == NULL || pb == NULL || !json_int(pa, &a) || !json_int(pb, &b)) {
      sb_add(result, "{\"error\": \"add needs integers a and b\"}");
      return;
    }
    char text[64];
    snprintf(text, sizeof text, "{\"sum\": %lld}", a + b);
    sb_add(result, text);
    return;
  }
  if (strcmp(name, "get_weather") == 0) {
    char* city = member_string(arguments, "city");
    char* unit = member_string(arguments, "unit");
    const int fahrenheit = unit != NULL && strcmp(unit, "fahrenheit") == 0;
    sb_add(result, "{\"city\": ");
    sb_add_json_string(result, city ? city : "unknown");
    sb_add(result, fahrenheit ? ", \"temperature\": 70, \"unit\": \"fahrenheit\""
                              : ", \"temperature\": 21, \"unit\": \"celsius\"");
    sb_add(result, ", \"conditions\": \"sunny\"}");
    free(city);
    free(unit);
    return;
  }
  sb_add(result, "{\"error\": \"no such function\"}");
}

/* Runs every call in the metadata's "tool_calls" and writes the "tool" messages answering them
 * to MESSAGES (a JSON array). Returns the number of calls (0: the reply was an answer). */
static int answer_calls(const char* meta, strbuf* messages) {
  const char* calls = json_member(meta, "tool_calls");
  if (calls == NULL || *calls != '[') return 0;
  int n = 0;
  sb_add(messages, "[");
  for (const char* p = calls + 1; *p && *p != ']';) {
    while (*p == ' ' || *p == ',') ++p;
    if (*p != '{') break;
    const char* fn = json_member(p, "function");
    char* name = member_string(fn, "name");
    char* args = member_string(fn, "arguments");
    char* id = member_string(p, "id");
    strbuf result = {0};
    run_tool(name ? name : "", args ? args : "{}", &result);
    printf("[call] %s %s -> %s\n", name ? name : "?", args ? args : "{}", result.s);
    sb_add(messages, n++ ? ", " : "");
    sb_add(messages, "{\"role\": \"tool\", \"tool_call_id\": ");
    sb_add_json_string(messages, id ? id : "");
    sb_add(messages, ", \"name\": ");
    sb_add_json_string(messages, name ? name : "");
    sb_add(messages, ", \"content\": ");
    sb_add_json_string(messages, result.s);
    sb_add(messages, "}");
    sb_free(&result);
    free(name);
    free(args);
    free(id);
    if ((p = json_skip(p)) == NULL) break;
  }
  sb_add(messages, "]");
  return n;
}

/* Input 1 of one request: chat mode (hosts that speak WasmEdge's dialect default to raw
 * prompts), the tools, the choice, a reply length (that dialect's default is "until the context
 * is full") unless the caller gives one, and the caller's own settings. */
static void request_settings(const options* o, const char* choice, strbuf* out) {
  const int has_length = o->request && (strstr(o->request, "n_predict") || strstr(o->request, "max_tokens"));
  sb_add(out, has_length ? "{" : "{\"n_predict\": 256, ");
  sb_add(out, "\"mode\": \"chat\", \"input_format\": \"messages\", \"tools\": ");
  sb_add(out, kTools);
  sb_add(out, ", \"tool_choice\": \"");
  sb_add(out, choice);
  sb_add(out, "\"");
  const char* extra = o->request ? strchr(o->request, '{') : NULL;
  const char* close = extra ? strrchr(extra, '}') : NULL;
  if (extra && close && close > extra + 1) {
    sb_add(out, ", ");
    sb_addn(out, extra + 1, (size_t)(close - extra - 1));
  }
  sb_add(out, "}");
}

static int run(const options* o) {
  nn_graph g;
  nn_exec_ctx ctx;
  nn_error e;
  if ((e = nn_load_named(o->model, o->load_config, &g)) != NN_SUCCESS) return fail("load", e);
  if ((e = nn_init_execution_context(g, &ctx)) != NN_SUCCESS) return fail("init_execution_context", e);
  strbuf messages = {0};
  sb_add(&messages, "[{\"role\": \"user\", \"content\": ");
  sb_add_json_string(&messages, o->question);
  sb_add(&messages, "}]");
  for (int step = 0;; ++step) {
    const char* choice = step == 0 ? o->first_choice : "auto";
    if (step + 1 >= o->max_steps) choice = "none";
    strbuf settings = {0};
    request_settings(o, choice, &settings);
    e = nn_set_text(ctx, 1, settings.s);
    sb_free(&settings);
    if (e != NN_SUCCESS) return fail("set_input(1)", e);
    if ((e = nn_set_text(ctx, 0, messages.s)) != NN_SUCCESS) return fail("set_input(0)", e);
    sb_free(&messages);
    if ((e = nn_compute(ctx)) != NN_SUCCESS) return fail("compute", e);
    char* text = nn_get_text_alloc(ctx, 0, &e);
    if (text == NULL) return fail("get_output(0)", e);
    char* meta = nn_get_text_alloc(ctx, 1, &e);
    if (meta == NULL) return fail("get_output(1)", e);
    if (answer_calls(meta, &messages) == 0) {
      printf("[answer] %s\n[metadata] %s\n", text, meta);
      free(text);
      free(meta);
      return 0;
    }
    free(text);
    free(meta);
  }
}

int main(int argc, char** argv) {
  options o = {NULL, NULL, NULL, NULL, "auto", 4};
  int npos = 0;
  for (int i = 1; i < argc; ++i) {
    const int has_value = i + 1 < argc;
    if (strcmp(argv[i], "--config") == 0 && has_value)
      o.load_config = argv[++i];
    else if (strcmp(argv[i], "--request") == 0 && has_value)
      o.request = argv[++i];
    else if (strcmp(argv[i], "--first-choice") == 0 && has_value)
      o.first_choice = argv[++i];
    else if (strcmp(argv[i], "--max-steps") == 0 && has_value)
      o.max_steps = atoi(argv[++i]);
    else if (npos == 0 && argv[i][0] != '-')
      o.model = argv[i], ++npos;
    else if (npos == 1)
      o.question = argv[i], ++npos;
    else {
      fprintf(stderr, "agent: unexpected argument %s\n%s", argv[i], kUsage);
      return 2;
    }
  }
  const int choice_ok = strcmp(o.first_choice, "auto") == 0 || strcmp(o.first_choice, "required") == 0;
  if (npos < 2 || o.max_steps < 1 || !choice_ok) {
    fputs(kUsage, stderr);
    return 2;
  }
  return run(&o);
}
