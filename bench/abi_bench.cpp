// wasi-nn-bench: speed of libwasi_nn_backend.so through its C ABI, as a native host sees it.
//
//   wasi-nn-bench --model M.gguf [--threads T] [--reps R] [--n-gen 128] [--n-prompt 512]
//                 [--parallel 8] [--conc-predict 64] [--history 1000] [--ctx N]
//                 [--only decode,prompt,concurrent,ttft,tenants,repetitive] [--load-config JSON] [--json OUT.json]
//
// Figures (each the median of R repetitions, after one warm-up request):
//   decode      single stream, raw mode, greedy, ignore_eos, n-gen tokens:
//               metadata timings.generate_tokens_per_second (tokens after the first / time
//               from the first token to the last; the prompt is excluded)
//   prompt      an n-prompt-token prompt, n_predict 1, cache_prompt false:
//               metadata timings.prompt_tokens_per_second (prompt tokens / time from admission
//               to the first sampled token)
//   concurrent  N conversations on N threads at once (raw, n_predict conc-predict, ignore_eos,
//               cache_prompt false): all generated tokens / wall clock from the common start to
//               the last reply; sequential: the same N requests one after another, same formula;
//               per concurrent request (all repetitions pooled): latency p50/p95 (compute() wall
//               clock) and time to first token p50/p95 (metadata timings queue_ms + prompt_ms)
//   tenants     (only when asked for) N conversations as one tenant, as N tenants, and as N
//               tenants in one share group: serving throughput and a shared-prefix workload
//               (tenants_bench.cpp), i.e. what per-tenant prefix isolation costs
//   repetitive  (only when asked for) greedy decoding after a prompt of one passage four times:
//               metadata generate_tokens_per_second, and the drafted / accepted tokens of an
//               engine loaded with speculative decoding (the speculative rows of bench/run.sh)
//   ttft        turn two of a conversation whose turn one sent a ~history-token message:
//               wall clock of compute() with n_predict 1, reusing the KV cache (cache_prompt
//               true) vs re-processing the whole history (cache_prompt false)
// A human-readable report goes to stdout; --json writes the figures to a file. Exit status 0,
// 1 when a call fails, 2 on a usage error.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.h"
#include "tenants_bench.h"

namespace {

using bench::BenchClient;
using bench::Conversation;
using bench::median;
using bench::now_ms;
using bench::Reply;
using nlohmann::json;

struct Options {
  std::string model, load_config = "{}", json_out;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int reps = 3, n_gen = 128, n_prompt = 512, parallel = 8, conc_predict = 64, history = 1000, ctx = 0;
  std::set<std::string> only;
  bool wants(const char* test) const { return only.empty() || only.count(test) > 0; }
};

const char kUsage[] =
    "usage: wasi-nn-bench --model M.gguf [--threads T] [--reps R] [--n-gen N] [--n-prompt N]\n"
    "                     [--parallel N] [--conc-predict N] [--history N] [--ctx N]\n"
    "                     [--only decode,prompt,concurrent,ttft,tenants,repetitive] [--load-config JSON] [--json "
    "OUT]\n";

// Words that are one token each in common BPE vocabularies (with their leading space), so a
// prompt of n words is close to n tokens; calibrate() corrects the rest.
std::string words(int n, const std::string& salt) {
  static const char* kWords[] = {"the",   "quick",  "brown", "fox",   "jumps", "over",  "a",     "lazy",
                                 "dog",   "and",    "then",  "runs",  "into",  "the",   "old",   "forest",
                                 "where", "many",   "tall",  "trees", "grow",  "near",  "river", "banks",
                                 "in",    "spring", "when",  "birds", "sing",  "their", "songs", "again"};
  std::string s = salt;
  for (int i = 0; i < n; ++i) {
    s += ' ';
    s += kWords[i % (sizeof kWords / sizeof *kWords)];
  }
  return s;
}

std::string raw_settings(int n_predict, bool cache_prompt) {
  return json{{"mode", "raw"},
              {"temperature", 0},
              {"ignore_eos", true},
              {"n_predict", n_predict},
              {"cache_prompt", cache_prompt}}
      .dump();
}

struct Results {
  json j = json::object();
  void put(const std::string& key, const json& v) { j[key] = v; }
};

// Finds a word count whose raw prompt is `target` tokens (the tokenizer is only reachable
// through a request: each try is one prompt pass with n_predict 1). Also the warm-up.
std::string calibrate(Conversation& conv, int target, const std::string& salt) {
  int n = target - 1;
  std::string prompt;
  for (int tries = 0; tries < 4; ++tries) {
    prompt = words(n, salt);
    const int got = static_cast<int>(conv.run(prompt, raw_settings(1, false)).count("input_tokens"));
    if (got == target) break;
    n = std::max(1, n + (target - got));
  }
  return prompt;
}

void bench_decode(BenchClient& client, const Options& o, Results& out) {
  Conversation conv(client);
  conv.run("Once upon a time", raw_settings(8, false));  // warm-up
  std::vector<double> tps;
  for (int i = 0; i < o.reps; ++i) {
    const Reply r = conv.run("Once upon a time", raw_settings(o.n_gen, false));
    if (static_cast<int>(r.count("output_tokens")) != o.n_gen) throw std::runtime_error("decode: short reply");
    tps.push_back(r.timing("generate_tokens_per_second"));
  }
  const double m = median(tps);
  std::printf("decode      tg%-5d %10.2f tokens/s  (median of %d; metadata timings.generate_tokens_per_second)\n",
              o.n_gen, m, o.reps);
  out.put("decode", {{"tokens_per_second", m},
                     {"runs", tps},
                     {"n_gen", o.n_gen},
                     {"source", "metadata timings.generate_tokens_per_second"}});
}

void bench_prompt(BenchClient& client, const Options& o, Results& out) {
  Conversation conv(client);
  const std::string prompt = calibrate(conv, o.n_prompt, "Prompt:");
  std::vector<double> tps;
  uint32_t n_tokens = 0;
  for (int i = 0; i < o.reps; ++i) {
    const Reply r = conv.run(prompt, raw_settings(1, false));
    n_tokens = r.count("input_tokens");
    if (r.count("cached_tokens") != 0) throw std::runtime_error("prompt: KV cache was reused");
    tps.push_back(r.timing("prompt_tokens_per_second"));
  }
  const double m = median(tps);
  std::printf("prompt      pp%-5u %10.2f tokens/s  (median of %d; metadata timings.prompt_tokens_per_second)\n",
              n_tokens, m, o.reps);
  out.put("prompt", {{"tokens_per_second", m},
                     {"runs", tps},
                     {"n_prompt", n_tokens},
                     {"source", "metadata timings.prompt_tokens_per_second"}});
}

// One batch's figures: generated tokens per second of wall clock, and per request its latency
// (wall clock of compute()) and time to first token (metadata queue_ms + prompt_ms).
struct BatchResult {
  double tokens_per_second = 0;
  std::vector<double> latency_ms, ttft_ms;
};

// Runs one request per conversation, all at once (one thread each) or one after another.
BatchResult run_batch(std::vector<std::unique_ptr<Conversation>>& convs, const Options& o, bool concurrent) {
  const size_t n = convs.size();
  std::vector<Reply> replies(n);
  std::vector<std::string> errors(n);
  auto one = [&](size_t i) {
    try {
      replies[i] =
          convs[i]->run("Story " + std::to_string(i) + ": once upon a time", raw_settings(o.conc_predict, false));
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  double t0 = 0;
  if (concurrent) {
    std::mutex mu;
    std::condition_variable cv;
    bool go = false;
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return go; });
        }
        one(i);
      });
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      go = true;
      t0 = now_ms();
    }
    cv.notify_all();
    for (auto& t : threads) t.join();
  } else {
    t0 = now_ms();
    for (size_t i = 0; i < n; ++i) one(i);
  }
  const double wall = now_ms() - t0;
  BatchResult out;
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!errors[i].empty()) throw std::runtime_error("request " + std::to_string(i) + ": " + errors[i]);
    total += replies[i].count("output_tokens");
    out.latency_ms.push_back(replies[i].wall_ms);
    out.ttft_ms.push_back(replies[i].timing("queue_ms") + replies[i].timing("prompt_ms"));
  }
  out.tokens_per_second = total * 1000.0 / wall;
  return out;
}

// The p-th percentile (nearest rank) of `v`; 0 when empty.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  return v[std::min(v.size() - 1, rank > 0 ? rank - 1 : 0)];
}

void bench_concurrent(BenchClient& client, const Options& o, Results& out) {
  std::vector<std::unique_ptr<Conversation>> convs;
  for (int i = 0; i < o.parallel; ++i) convs.push_back(std::make_unique<Conversation>(client));
  convs[0]->run("warm-up", raw_settings(4, false));
  std::vector<double> conc, seq, latency, ttft;
  for (int i = 0; i < o.reps; ++i) {
    const BatchResult c = run_batch(convs, o, true);
    conc.push_back(c.tokens_per_second);
    latency.insert(latency.end(), c.latency_ms.begin(), c.latency_ms.end());
    ttft.insert(ttft.end(), c.ttft_ms.begin(), c.ttft_ms.end());
    seq.push_back(run_batch(convs, o, false).tokens_per_second);
  }
  const double c = median(conc), s = median(seq);
  const double lat50 = percentile(latency, 50), lat95 = percentile(latency, 95);
  const double ttft50 = percentile(ttft, 50), ttft95 = percentile(ttft, 95);
  std::printf("concurrent  %dx%-4d %9.2f tokens/s  aggregate, %d at once (median of %d; wall clock)\n", o.parallel,
              o.conc_predict, c, o.parallel, o.reps);
  std::printf("            request latency p50 %.1f ms, p95 %.1f ms; time to first token p50 %.1f ms, p95 %.1f ms\n",
              lat50, lat95, ttft50, ttft95);
  std::printf("sequential  %dx%-4d %9.2f tokens/s  the same requests one after another (wall clock)\n", o.parallel,
              o.conc_predict, s);
  std::printf("            concurrent / sequential = %.2fx\n", s > 0 ? c / s : 0);
  out.put("concurrent", {{"tokens_per_second", c},
                         {"runs", conc},
                         {"sequential_tokens_per_second", s},
                         {"sequential_runs", seq},
                         {"ratio", s > 0 ? c / s : 0},
                         {"sessions", o.parallel},
                         {"n_predict", o.conc_predict},
                         {"latency_ms_p50", lat50},
                         {"latency_ms_p95", lat95},
                         {"ttft_ms_p50", ttft50},
                         {"ttft_ms_p95", ttft95},
                         {"source",
                          "wall clock, all generated tokens; latency: compute() per request; "
                          "ttft: metadata timings queue_ms + prompt_ms"}});
}

// Decoding that repeats what came before (the case n-gram lookup and draft models speed up):
// a prompt of one passage four times, greedy, n-gen tokens; metadata generate_tokens_per_second
// and, when the engine speculates, its drafted and accepted tokens.
void bench_repetitive(BenchClient& client, const Options& o, Results& out) {
  Conversation conv(client);
  std::string prompt;
  for (int i = 0; i < 4; ++i) prompt += words(48, i == 0 ? "Copy this:" : "\n");
  conv.run(prompt, raw_settings(8, false));  // warm-up
  std::vector<double> tps;
  uint32_t drafted = 0, accepted = 0;
  for (int i = 0; i < o.reps; ++i) {
    const Reply r = conv.run(prompt, raw_settings(o.n_gen, false));
    tps.push_back(r.timing("generate_tokens_per_second"));
    drafted += r.meta.value("drafted_tokens", 0u);
    accepted += r.meta.value("accepted_tokens", 0u);
  }
  const double m = median(tps);
  std::printf("repetitive  tg%-5d %10.2f tokens/s  (median of %d; drafted %u, accepted %u in all)\n", o.n_gen, m,
              o.reps, drafted, accepted);
  out.put("repetitive", {{"tokens_per_second", m},
                         {"runs", tps},
                         {"n_gen", o.n_gen},
                         {"drafted_tokens", drafted},
                         {"accepted_tokens", accepted},
                         {"source", "metadata timings.generate_tokens_per_second"}});
}

// Turn two of a long conversation: chat mode (the backend keeps the history) when the model
// has a chat template, else raw mode with the history resent by the client.
void bench_ttft(BenchClient& client, const Options& o, Results& out) {
  Conversation conv(client);
  const std::string first = words(o.history, "Read this and remember it:");
  bool chat = true;
  auto settings = [&](int n_predict, bool cache) {
    json s = json::parse(raw_settings(n_predict, cache));
    if (chat) s["mode"] = "chat";
    return s.dump();
  };
  Reply r1;
  try {
    r1 = conv.run(first, settings(16, true));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wasi-nn-bench: chat mode failed (%s); using raw mode\n", e.what());
    chat = false;
    r1 = conv.run(first, settings(16, true));
  }
  std::vector<double> reuse, full, reuse_prompt_ms;
  uint32_t n_history = 0, n_cached = 0;
  auto turn = [&](int i, bool cache) {
    const std::string msg = "Question " + std::to_string(i) + ": what did the fox do next?";
    return conv.run(chat ? msg : first + "\n" + msg, settings(1, cache));
  };
  for (int i = 0; i < o.reps; ++i) {
    const Reply r = turn(i, true);
    reuse.push_back(r.wall_ms);
    reuse_prompt_ms.push_back(r.timing("prompt_ms"));
    n_history = r.count("input_tokens");
    n_cached = r.count("cached_tokens");
  }
  for (int i = 0; i < o.reps; ++i) full.push_back(turn(o.reps + i, false).wall_ms);
  const double a = median(reuse), b = median(full);
  std::printf(
      "ttft reuse  %5u tok %8.1f ms  turn two, %u of %u tokens from the KV cache (%s mode; median of %d; wall clock of "
      "compute)\n",
      n_history, a, n_cached, n_history, chat ? "chat" : "raw", o.reps);
  std::printf("ttft full   %5u tok %8.1f ms  the same turn re-processing the whole history (cache_prompt false)\n",
              n_history, b);
  std::printf("            reuse / full = %.3fx\n", b > 0 ? a / b : 0);
  out.put("ttft", {{"reuse_ms", a},
                   {"full_ms", b},
                   {"ratio", b > 0 ? a / b : 0},
                   {"reuse_runs", reuse},
                   {"full_runs", full},
                   {"reuse_prompt_ms", median(reuse_prompt_ms)},
                   {"history_tokens", n_history},
                   {"cached_tokens", n_cached},
                   {"turn_one_tokens", r1.count("input_tokens") + r1.count("output_tokens")},
                   {"mode", chat ? "chat" : "raw"},
                   {"source", "wall clock of compute() with n_predict 1"}});
}

int parse_int(const char* flag, const char* v) {
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (!*v || *end || n < 1 || n > 1000000)
    throw std::invalid_argument(std::string(flag) + ": not a positive integer: " + v);
  return static_cast<int>(n);
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("missing value after " + a);
    const char* v = argv[++i];
    if (a == "--model")
      o.model = v;
    else if (a == "--threads")
      o.threads = parse_int("--threads", v);
    else if (a == "--reps")
      o.reps = parse_int("--reps", v);
    else if (a == "--n-gen")
      o.n_gen = parse_int("--n-gen", v);
    else if (a == "--n-prompt")
      o.n_prompt = parse_int("--n-prompt", v);
    else if (a == "--parallel")
      o.parallel = parse_int("--parallel", v);
    else if (a == "--conc-predict")
      o.conc_predict = parse_int("--conc-predict", v);
    else if (a == "--history")
      o.history = parse_int("--history", v);
    else if (a == "--ctx")
      o.ctx = parse_int("--ctx", v);
    else if (a == "--load-config")
      o.load_config = v;
    else if (a == "--json")
      o.json_out = v;
    else if (a == "--only") {
      std::stringstream ss(v);
      for (std::string t; std::getline(ss, t, ',');) {
        if (t != "decode" && t != "prompt" && t != "concurrent" && t != "ttft" && t != "tenants" && t != "repetitive")
          throw std::invalid_argument("--only: unknown test " + t);
        o.only.insert(t);
      }
    } else {
      throw std::invalid_argument("unknown option " + a);
    }
  }
  if (o.model.empty()) throw std::invalid_argument("--model is required");
  if (o.ctx == 0) o.ctx = std::max({2048, o.history + 256, o.n_prompt + o.n_gen + 64});
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one line per figure, as it is measured
  Options o;
  try {
    o = parse_args(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wasi-nn-bench: %s\n%s", e.what(), kUsage);
    return 2;
  }
  try {
    json load = json::parse(o.load_config);
    load["ctx_size"] = o.ctx;
    load["n_parallel"] = o.parallel;
    load["threads"] = o.threads;
    load["threads_batch"] = o.threads;
    const double t0 = now_ms();
    BenchClient client(o.model, json{{"log_level", "error"}}.dump(), load.dump());
    std::printf("wasi-nn-bench: %s, threads %d, reps %d, load %s (loaded in %.0f ms)\n", o.model.c_str(), o.threads,
                o.reps, load.dump().c_str(), now_ms() - t0);
    std::fflush(stdout);
    Results out;
    out.put("model", o.model);
    out.put("threads", o.threads);
    out.put("reps", o.reps);
    out.put("load_config", load);
    if (o.wants("decode")) bench_decode(client, o, out);
    if (o.wants("prompt")) bench_prompt(client, o, out);
    std::fflush(stdout);
    if (o.wants("concurrent")) bench_concurrent(client, o, out);
    std::fflush(stdout);
    if (o.wants("ttft")) bench_ttft(client, o, out);
    if (o.only.count("repetitive")) bench_repetitive(client, o, out);
    if (o.only.count("tenants")) {
      bench::TenantsOptions t;
      t.model = o.model;
      t.load_json = load.dump();
      t.sessions = o.parallel;
      t.n_predict = o.conc_predict;
      t.history = o.history;
      t.reps = o.reps;
      out.put("tenants", bench::bench_tenants(t));
    }
    if (!o.json_out.empty()) {
      std::ofstream f(o.json_out);
      f << out.j.dump(2) << "\n";
      if (!f) throw std::runtime_error("cannot write " + o.json_out);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wasi-nn-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
