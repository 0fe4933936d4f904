/* soak_driver: a load test of libwasi_nn_backend.so through its C ABI, as a native host drives
 * it. THREADS threads each own one session (init_execution_context_with_session_id) and send
 * REQUESTS run_inference calls, one after another. Reports every error by code (only `timeout`,
 * the documented "busy" of this ABI, is allowed), latency percentiles, and the process's
 * resident memory after the model load, after each tenth of the requests and at the end.
 *
 *   soak_driver MODEL THREADS REQUESTS [LOAD_CONFIG_JSON]
 * Exit status: 0 when no undocumented error occurred, 1 otherwise, 2 on setup failure. */
#include "wasi_nn_backend.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void* g_ctx;
static int g_requests;
static double* g_latency_ms; /* [thread * requests + i] */
static int g_errors[128];    /* by code (100.. folded into 10..13) */
static long g_done;
static long g_rss_tenth[11]; /* RSS after each tenth of all requests: a leak shows as a slope */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static long g_total;

static long rss_kib(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  }
  if (f) fclose(f);
  return kib;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void* worker(void* arg) {
  long id = (long)arg;
  char session[64], prompt[128], out[8192];
  snprintf(session, sizeof session, "soak-%ld", id);
  graph_execution_context e;
  if (init_execution_context_with_session_id(g_ctx, session, &e) != success) {
    pthread_mutex_lock(&g_mu);
    g_errors[9]++;
    pthread_mutex_unlock(&g_mu);
    return NULL;
  }
  for (int i = 0; i < g_requests; ++i) {
    snprintf(prompt, sizeof prompt, "Session %ld, turn %d: tell me more.", id, i);
    tensor t = {NULL, fp32, (uint8_t*)prompt};
    uint32_t size = sizeof out;
    /* Every 10th turn starts the conversation afresh, so the window never fills. */
    const char* cfg = i % 10 == 9 ? "{\"reset\": true}" : NULL;
    double t0 = now_ms();
    wasi_nn_error rc = run_inference(g_ctx, e, 0, &t, (uint8_t*)out, &size, cfg, 0);
    g_latency_ms[id * g_requests + i] = now_ms() - t0;
    pthread_mutex_lock(&g_mu);
    if (rc != success) g_errors[rc >= 100 ? rc - 90 : rc]++;
    ++g_done;
    if (g_done * 10 % g_total < 10) g_rss_tenth[g_done * 10 / g_total] = rss_kib();
    pthread_mutex_unlock(&g_mu);
  }
  close_execution_context(g_ctx, e);
  return NULL;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: soak_driver MODEL THREADS REQUESTS [LOAD_CONFIG_JSON]\n");
    return 2;
  }
  const char* model = argv[1];
  int threads = atoi(argv[2]);
  g_requests = atoi(argv[3]);
  const char* config = argc > 4 ? argv[4]
                                : "{\"ctx_size\": 512, \"n_parallel\": 16, \"n_predict\": 8, \"temperature\": 0.7, "
                                  "\"max_queue\": 1024, \"max_sessions\": 1000}";
  g_total = (long)threads * g_requests;
  g_latency_ms = calloc(g_total, sizeof(double));
  graph g;
  if (init_backend_with_config(&g_ctx, "{\"max_sessions\": 1000}", 0) != success ||
      load_by_name_with_config(g_ctx, model, 0, config, 0, &g) != success) {
    char msg[1024];
    uint32_t n = sizeof msg - 1;
    get_output(NULL, WASI_NN_NO_HANDLE, 0, (uint8_t*)msg, &n);
    msg[n] = 0;
    fprintf(stderr, "soak_driver: setup failed: %s\n", msg);
    return 2;
  }
  long rss_start = rss_kib();
  double t0 = now_ms();
  pthread_t* tids = calloc(threads, sizeof(pthread_t));
  for (long i = 0; i < threads; ++i) pthread_create(&tids[i], NULL, worker, (void*)i);
  for (int i = 0; i < threads; ++i) pthread_join(tids[i], NULL);
  double wall = (now_ms() - t0) / 1e3;
  long rss_end = rss_kib();
  qsort(g_latency_ms, g_total, sizeof(double), cmp);
  int bad = 0, busy = g_errors[timeout];
  printf("requests: %ld (%d threads x %d) in %.1f s, %.1f req/s\n", g_total, threads, g_requests, wall, g_total / wall);
  printf("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n", g_latency_ms[g_total / 2],
         g_latency_ms[g_total * 9 / 10], g_latency_ms[g_total * 99 / 100], g_latency_ms[g_total - 1]);
  printf("busy (timeout, documented): %d\n", busy);
  for (int c = 0; c < 128; ++c) {
    if (c == timeout || !g_errors[c]) continue;
    printf("ERROR code %d: %d times\n", c >= 10 ? c + 90 : c, g_errors[c]);
    bad = 1;
  }
  printf("rss KiB: after load %ld, end %ld (end - half-way: %+ld)\nrss KiB after each tenth:", rss_start, rss_end,
         rss_end - g_rss_tenth[5]);
  for (int k = 1; k <= 10; ++k) printf(" %ld", g_rss_tenth[k]);
  printf("\n");
  deinit_backend(g_ctx);
  return bad;
}
