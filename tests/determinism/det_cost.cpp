// det-cost: what deterministic mode costs, as process CPU time per generated token (a tool, not a
// test: no timing is asserted anywhere). CPU time instead of wall clock because on a shared
// machine wall-clock throughput swings by 2x between runs, CPU time by a few percent.
//
//   det-cost MODEL.gguf normal|det THREADS REPS
//
// Prints, each the median of REPS: single-stream decode (64 tokens) and 8 concurrent
// conversations (48 tokens each, on 8 threads) in ms of CPU per token (and wall clock), and the
// CPU time of one 400-token prompt. Run with OMP_WAIT_POLICY=PASSIVE, so waiting OpenMP workers
// do not count.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.h"
#include "conditions.h"

namespace {

using nlohmann::json;

double cpu_seconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string settings(int n_predict) {
  return json{
      {"mode", "raw"}, {"temperature", 0}, {"ignore_eos", true}, {"n_predict", n_predict}, {"cache_prompt", false}}
      .dump();
}

// CPU and wall seconds per token of `run`, which generates `tokens` tokens.
template <typename F>
std::pair<double, double> per_token(int tokens, F run) {
  const double c0 = cpu_seconds(), w0 = wall_seconds();
  run();
  return {(cpu_seconds() - c0) / tokens, (wall_seconds() - w0) / tokens};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: det-cost MODEL.gguf normal|det THREADS REPS\n");
    return 2;
  }
  try {
    const std::string model = argv[1], mode = argv[2];
    const int threads = std::stoi(argv[3]), reps = std::max(1, std::stoi(argv[4]));
    json load = {{"ctx_size", 2048}, {"n_parallel", 8}, {"threads", threads}, {"threads_batch", threads}};
    if (mode == "det") load["deterministic"] = true;
    bench::BenchClient client(model, det::host_config(), load.dump());
    std::vector<std::unique_ptr<bench::Conversation>> convs;
    for (int i = 0; i < 8; ++i) convs.push_back(std::make_unique<bench::Conversation>(client));
    convs[0]->run("warm-up", settings(4));
    std::string long_prompt;
    for (int i = 0; i < 200; ++i) long_prompt += " river lantern";
    std::vector<double> dec_cpu, dec_wall, conc_cpu, conc_wall, prompt_cpu;
    for (int r = 0; r < reps; ++r) {
      auto d = per_token(64, [&] { convs[0]->run("Story: once upon a time", settings(64)); });
      dec_cpu.push_back(d.first);
      dec_wall.push_back(d.second);
      auto c = per_token(8 * 48, [&] {
        std::vector<std::thread> th;
        for (int i = 0; i < 8; ++i) {
          th.emplace_back([&, i] { convs[i]->run("Story " + std::to_string(i) + ": once upon a time", settings(48)); });
        }
        for (auto& t : th) t.join();
      });
      conc_cpu.push_back(c.first);
      conc_wall.push_back(c.second);
      prompt_cpu.push_back(per_token(1, [&] { convs[1]->run(long_prompt, settings(1)); }).first);
    }
    std::printf(
        "%s %s threads %d: decode %.3f ms cpu/token (wall %.3f) | 8 concurrent %.3f ms cpu/token (wall %.3f) | "
        "400-token prompt %.1f ms cpu\n",
        model.substr(model.rfind('/') + 1).c_str(), mode.c_str(), threads, 1e3 * median(dec_cpu),
        1e3 * median(dec_wall), 1e3 * median(conc_cpu), 1e3 * median(conc_wall), 1e3 * median(prompt_cpu));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "det-cost: %s\n", e.what());
    return 1;
  }
}
