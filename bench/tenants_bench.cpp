// What per-tenant prefix isolation costs (the tenant-isolation issue): the same N conversations
// on one model, laid out as
//   one_tenant   one backend (one tenant) holding all N conversations
//   isolated     N backends, one conversation each: N tenants on the same shared engine, none
//                able to reuse another's KV (the default)
//   share_group  N backends that the operator put in one share group ("share_group", host-only)
// and two workloads:
//   serving      N distinct prompts at once, cache_prompt false (bench.py's serving rows):
//                generated tokens per second of wall clock. Isolation should cost nothing here:
//                nothing is shared anyway.
//   prefix       one conversation primes a ~history-token system text, then the other N-1 send
//                the same text plus a question of their own at once (cache_prompt true):
//                wall clock until the last reply, and how many prompt tokens came from another
//                conversation's sequence (shared_tokens). This is where isolation costs: each
//                tenant recomputes the prefix.
#include "tenants_bench.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_client.h"

namespace bench {
namespace {

using nlohmann::json;

std::string text_of(int words, const std::string& head) {
  static const char* kWords[] = {"every", "answer",    "must",  "be", "short", "and", "polite", "while",
                                 "the",   "assistant", "keeps", "to", "facts", "it",  "was",    "given"};
  std::string s = head;
  for (int i = 0; i < words; ++i) s += std::string(" ") + kWords[i % 16];
  return s;
}

std::string settings(int n_predict, bool cache_prompt) {
  return json{{"mode", "raw"},
              {"temperature", 0},
              {"ignore_eos", true},
              {"n_predict", n_predict},
              {"cache_prompt", cache_prompt}}
      .dump();
}

enum class Layout { OneTenant, Isolated, ShareGroup };
const char* name_of(Layout l) {
  return l == Layout::OneTenant ? "one_tenant" : l == Layout::Isolated ? "isolated" : "share_group";
}

// The N conversations of one layout, with the backends that hold them.
struct Fleet {
  std::vector<std::unique_ptr<BenchClient>> clients;
  std::vector<std::unique_ptr<Conversation>> convs;

  Fleet(const TenantsOptions& o, Layout layout) {
    const json backend = layout == Layout::ShareGroup ? json{{"log_level", "error"}, {"share_group", "bench"}}
                                                      : json{{"log_level", "error"}};
    const int n_clients = layout == Layout::OneTenant ? 1 : o.sessions;
    for (int i = 0; i < n_clients; ++i) {
      clients.push_back(std::make_unique<BenchClient>(o.model, backend.dump(), o.load_json));
    }
    for (int i = 0; i < o.sessions; ++i) {
      convs.push_back(std::make_unique<Conversation>(*clients[i % n_clients]));
    }
  }
};

// Runs conversations [first, N) at once; returns the wall clock and fills replies.
double run_at_once(Fleet& f, size_t first, const std::vector<std::string>& prompts, const std::string& s,
                   std::vector<Reply>& replies) {
  std::vector<std::string> errors(f.convs.size());
  std::vector<std::thread> threads;
  const double t0 = now_ms();
  for (size_t i = first; i < f.convs.size(); ++i) {
    threads.emplace_back([&, i] {
      try {
        replies[i] = f.convs[i]->run(prompts[i], s);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double wall = now_ms() - t0;
  for (size_t i = first; i < errors.size(); ++i) {
    if (!errors[i].empty()) throw std::runtime_error("conversation " + std::to_string(i) + ": " + errors[i]);
  }
  return wall;
}

// The serving workload in the three layouts, interleaved repetition by repetition (all fleets
// alive at once, on the one engine), so drift in the machine's load falls on every layout alike.
json serving_all(const TenantsOptions& o, const std::vector<Layout>& layouts) {
  std::vector<std::unique_ptr<Fleet>> fleets;
  for (Layout l : layouts) fleets.push_back(std::make_unique<Fleet>(o, l));
  std::vector<std::string> prompts;
  for (int i = 0; i < o.sessions; ++i) prompts.push_back("Story " + std::to_string(i) + ": once upon a time");
  for (auto& f : fleets) f->convs[0]->run("warm-up", settings(4, false));
  std::vector<std::vector<double>> tps(fleets.size());
  for (int r = 0; r < o.reps; ++r) {
    for (size_t k = 0; k < fleets.size(); ++k) {
      std::vector<Reply> replies(fleets[k]->convs.size());
      const double wall = run_at_once(*fleets[k], 0, prompts, settings(o.n_predict, false), replies);
      uint64_t tokens = 0;
      for (const auto& reply : replies) tokens += reply.count("output_tokens");
      tps[k].push_back(tokens * 1000.0 / wall);
    }
  }
  json out = json::object();
  for (size_t k = 0; k < fleets.size(); ++k) {
    out[name_of(layouts[k])] = {{"tokens_per_second", median(tps[k])}, {"runs", tps[k]}};
  }
  return out;
}

json prefix(const TenantsOptions& o, Layout layout) {
  const std::string system = text_of(o.history, "System:");
  std::vector<double> walls;
  uint64_t shared = 0, input = 0;
  for (int r = 0; r < o.reps + 1; ++r) {  // the first round warms up and is not counted
    Fleet f(o, layout);
    std::vector<std::string> prompts;
    for (int i = 0; i < o.sessions; ++i) prompts.push_back(system + "\nQuestion " + std::to_string(i) + ":");
    std::vector<Reply> replies(f.convs.size());
    replies[0] = f.convs[0]->run(prompts[0], settings(o.n_predict, true));
    const double wall = run_at_once(f, 1, prompts, settings(o.n_predict, true), replies);
    if (r == 0) continue;
    walls.push_back(wall);
    shared = input = 0;
    for (size_t i = 1; i < replies.size(); ++i) {
      shared += replies[i].count("shared_tokens");
      input += replies[i].count("input_tokens");
    }
  }
  return {{"wall_ms", median(walls)}, {"runs_ms", walls}, {"shared_tokens", shared}, {"input_tokens", input}};
}

}  // namespace

json bench_tenants(const TenantsOptions& o) {
  json out = json::object();
  const std::vector<Layout> layouts = {Layout::OneTenant, Layout::Isolated, Layout::ShareGroup};
  const json served = serving_all(o, layouts);
  for (Layout l : layouts) {
    const json& s = served[name_of(l)];
    const json p = prefix(o, l);
    std::printf(
        "tenants     %-11s serving %dx%d: %9.2f tokens/s; prefix of ~%d words, %d more at once: "
        "%8.1f ms, %llu of %llu prompt tokens shared\n",
        name_of(l), o.sessions, o.n_predict, s["tokens_per_second"].get<double>(), o.history, o.sessions - 1,
        p["wall_ms"].get<double>(), static_cast<unsigned long long>(p["shared_tokens"].get<uint64_t>()),
        static_cast<unsigned long long>(p["input_tokens"].get<uint64_t>()));
    out[name_of(l)] = {{"serving", s}, {"prefix", p}};
  }
  const double one = out["one_tenant"]["serving"]["tokens_per_second"];
  const double iso = out["isolated"]["serving"]["tokens_per_second"];
  std::printf(
      "            serving: isolated / one tenant = %.2fx; prefix: isolated / one tenant = %.2fx "
      "(wall clock, lower is better)\n",
      one > 0 ? iso / one : 0,
      out["isolated"]["prefix"]["wall_ms"].get<double>() / out["one_tenant"]["prefix"]["wall_ms"].get<double>());
  out["sessions"] = o.sessions;
  out["n_predict"] = o.n_predict;
  out["history_words"] = o.history;
  return out;
}

}  // namespace bench
