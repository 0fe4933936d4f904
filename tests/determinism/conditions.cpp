#include "conditions.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "bench_client.h"
#include "tenants.h"

namespace det {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kFollowUp = "Thank you. Now tell me what the keeper found the next morning.";
constexpr const char* kShort = "The old lighthouse keeper wrote in his log that night:";
constexpr const char* kStory =
    "In the spring of that year the keeper of the northern light began a new logbook, because the "
    "old one had been soaked when the storm broke the lantern room window. He wrote down the wind, "
    "the height of the waves, the ships that passed and the birds that rested on the gallery rail. "
    "His daughter carried the oil up the spiral stairs every evening and counted the steps aloud, "
    "one hundred and twelve of them, and every evening she asked whether the sea would ever be "
    "quiet. The keeper told her that the sea is quiet only in the stories of people who live "
    "inland, and that a light is kept for the nights when it is not. Later that month a schooner "
    "from the south lost her mast off the reef, and the crew rowed for the island in two boats "
    "while the keeper swung the lamp to show them the channel between the rocks. They came ashore "
    "at dawn, cold and silent, and stayed for nine days until the supply boat arrived with flour, "
    "paraffin, letters and a newspaper that was already three weeks old.";

const std::vector<std::pair<Condition, const char*>> kNames = {{Condition::AloneAgain, "alone-again"},
                                                               {Condition::Neighbours1, "neighbours-1"},
                                                               {Condition::Neighbours3, "neighbours-3"},
                                                               {Condition::Neighbours7, "neighbours-7"},
                                                               {Condition::PrefixShared, "prefix-shared"},
                                                               {Condition::TurnTwo, "turn-two"},
                                                               {Condition::EvictMemory, "evict-memory"},
                                                               {Condition::EvictDisk, "evict-disk"},
                                                               {Condition::Batch512, "batch-512"},
                                                               {Condition::Batch64, "batch-64"},
                                                               {Condition::Batch8, "batch-8"},
                                                               {Condition::Threads1, "threads-1"},
                                                               {Condition::Threads2, "threads-2"},
                                                               {Condition::Parallel1, "n_parallel-1"},
                                                               {Condition::Parallel8, "n_parallel-8"}};

// The first `n` words of the story, repeated as often as needed.
std::string story_words(size_t n) {
  std::istringstream in(kStory);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? " " : "") + words[i % words.size()];
  return s;
}

// Chat turns use ChatML, which keeps the reply verbatim (a template that trims it, as Llama 3's
// does, makes the next turn re-tokenize the reply, and its KV would not be reused).
json in_mode(const RequestSpec& r, const char* mode) {
  json s = r.settings;
  s["mode"] = mode;
  if (std::string(mode) == "chat") s["chat_template"] = "chatml";
  return s;
}

TurnRecord run_once(bench::Conversation& c, const std::string& prompt, const json& settings) {
  return parse_turn(c.run(prompt, settings.dump()).meta);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("the condition did not happen: " + what);
}

Outcome compared(const TurnRecord& ref, const TurnRecord& run, std::string note = "") {
  Outcome o;
  o.divergence = compare(ref, run);
  o.note = std::move(note);
  return o;
}

// A scratch directory for spilled KV states, removed (with anything left in it) on scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/wasi_nn_det.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

const std::vector<Condition>& all_conditions() {
  static const std::vector<Condition> all = [] {
    std::vector<Condition> v;
    for (const auto& [c, name] : kNames) v.push_back(c);
    return v;
  }();
  return all;
}

const char* condition_name(Condition c) {
  for (const auto& [k, name] : kNames) {
    if (k == c) return name;
  }
  return "?";
}

Condition condition_from_name(const std::string& name) {
  for (const auto& [k, n] : kNames) {
    if (name == n) return k;
  }
  throw std::runtime_error("unknown condition '" + name + "'");
}

std::string host_config(const json& extra) {
  json j = {{"log_level", "error"}};
  j.update(extra);
  return j.dump();
}

json baseline_settings(bool deterministic) {
  json load = {{"ctx_size", 1024},   {"n_parallel", 8}, {"batch_size", 512},
               {"ubatch_size", 512}, {"threads", 1},    {"threads_batch", 1}};
  if (deterministic) load["deterministic"] = true;
  return load;
}

std::vector<RequestSpec> standard_requests(const std::string& long_prompt) {
  const json greedy = {{"temperature", 0}, {"n_predict", 40}, {"n_probs", 3}, {"ignore_eos", true}};
  json seeded = greedy;
  seeded["temperature"] = 0.8;
  seeded["seed"] = 1234;
  return {{"short/greedy", kShort, greedy},
          {"medium/seeded", story_words(70), seeded},
          {"long/greedy", long_prompt, greedy},
          {"long/seeded", long_prompt, seeded}};
}

Harness::Harness(std::string model_path, json load) : model_(std::move(model_path)), load_(std::move(load)) {}

json Harness::with(const json& patch) const {
  json j = load_;
  j.update(patch);
  return j;
}

std::string Harness::prompt_with_tail_of_one(size_t words) {
  bench::BenchClient client(model_, host_config(), load_.dump());
  bench::Conversation c(client);
  const json probe = {{"mode", "raw"}, {"temperature", 0}, {"n_predict", 1}};
  // A word is one token or more: add three quarters of the tokens still missing as words (never
  // past the target), and the last few one word at a time. A word of 2+ tokens may step over
  // the target; the next one is 64 tokens on.
  for (size_t n = words, probes = 0; probes < 100; ++probes) {
    const std::string text = story_words(n);
    const uint32_t tokens = run_once(c, text, probe).input_tokens;
    if (tokens > 64 && tokens % 64 == 1) return text;
    const uint32_t target = tokens <= 65 ? 65 : (tokens - 1 + 63) / 64 * 64 + 1;
    const uint32_t missing = target - tokens;
    n += missing > 4 ? missing * 3 / 4 : 1;
  }
  throw std::runtime_error("no prompt of " + std::to_string(words) +
                           "+ words with 64k+1 tokens found in 100 probes with this model");
}

TurnRecord Harness::alone(const json& load, const RequestSpec& r) {
  bench::BenchClient client(model_, host_config(), load.dump());
  bench::Conversation c(client);
  return run_once(c, r.prompt, in_mode(r, "raw"));
}

const TurnRecord& Harness::baseline(const RequestSpec& r) {
  auto it = baseline_.find(r.name);
  if (it == baseline_.end()) it = baseline_.emplace(r.name, alone(load_, r)).first;
  return it->second;
}

Outcome Harness::run(Condition c, const RequestSpec& r) {
  switch (c) {
    case Condition::AloneAgain:
      return compared(baseline(r), alone(load_, r), "prompt " + std::to_string(baseline(r).input_tokens) + " tokens");
    case Condition::Neighbours1: return compared(baseline(r), with_neighbours(1, r));
    case Condition::Neighbours3: return compared(baseline(r), with_neighbours(3, r));
    case Condition::Neighbours7: return compared(baseline(r), with_neighbours(7, r));
    case Condition::PrefixShared: return prefix_shared(r);
    case Condition::TurnTwo: {
      const TurnRecord& reused = turn_two_reused(r);
      return compared(turn_two_reference(r), reused, "reused " + std::to_string(reused.cached_tokens));
    }
    case Condition::EvictMemory: return compared(turn_two_reused(r), evicted(r, false));
    case Condition::EvictDisk: return compared(turn_two_reused(r), evicted(r, true));
    case Condition::Batch512: return compared(baseline(r), alone(with({{"batch_size", 512}, {"ubatch_size", 512}}), r));
    case Condition::Batch64: return compared(baseline(r), alone(with({{"batch_size", 64}, {"ubatch_size", 64}}), r));
    case Condition::Batch8: return compared(baseline(r), alone(with({{"batch_size", 8}, {"ubatch_size", 8}}), r));
    case Condition::Threads1: return compared(baseline(r), alone(with({{"threads", 1}, {"threads_batch", 1}}), r));
    case Condition::Threads2: return compared(baseline(r), alone(with({{"threads", 2}, {"threads_batch", 2}}), r));
    case Condition::Parallel1: return compared(baseline(r), alone(with({{"n_parallel", 1}}), r));
    case Condition::Parallel8: return compared(baseline(r), alone(with({{"n_parallel", 8}}), r));
  }
  throw std::logic_error("unhandled condition");
}

// Half the neighbours are generating before the request arrives (and outlast it); the others
// arrive a few milliseconds apart after it, so their prompts are decoded while it generates.
TurnRecord Harness::with_neighbours(int n, const RequestSpec& r) {
  std::vector<std::unique_ptr<bench::BenchClient>> tenants;  // one backend per tenant
  for (int i = 0; i < n; ++i)
    tenants.push_back(std::make_unique<bench::BenchClient>(model_, host_config(), load_.dump()));
  bench::BenchClient mine(model_, host_config(), load_.dump());
  std::vector<Span> spans(n);
  std::vector<std::string> errors(n + 1);
  auto tenant = [&](int i, int n_predict, int delay_ms) {
    try {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      bench::Conversation c(*tenants[i]);
      spans[i].start = Clock::now();
      c.run(tenant_prompt(i, 6 + 9 * i), tenant_settings(i, n_predict).dump());
      spans[i].end = Clock::now();
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  const int early = (n + 1) / 2;
  std::vector<std::thread> threads;
  for (int i = 0; i < early; ++i) threads.emplace_back(tenant, i, 72 + 8 * i, 0);
  wait_for([&](const json& s) { return s.value("active_sequences", 0) >= early; }, "neighbours started");
  Span me;
  TurnRecord rec;
  std::thread request([&] {
    try {
      bench::Conversation c(mine);
      me.start = Clock::now();
      rec = run_once(c, r.prompt, in_mode(r, "raw"));
      me.end = Clock::now();
    } catch (const std::exception& e) {
      errors[n] = e.what();
    }
  });
  for (int i = early; i < n; ++i) threads.emplace_back(tenant, i, 16 + 8 * i, 4 * (i - early + 1));
  request.join();
  for (auto& t : threads) t.join();
  for (const auto& e : errors) {
    if (!e.empty()) throw std::runtime_error("a compute failed: " + e);
  }
  for (int i = 0; i < n; ++i)
    require(spans[i].overlaps(me), "neighbour " + std::to_string(i) + " overlapped the request");
  return rec;
}

Outcome Harness::prefix_shared(const RequestSpec& r) {
  const TurnRecord& ref = baseline(r);
  if (ref.input_tokens < 60) {
    Outcome o;
    o.applicable = false;
    o.note = "prompt of " + std::to_string(ref.input_tokens) + " tokens: too short to share 32+";
    return o;
  }
  // The donor's prompt is the first three quarters of this one, then its own ending.
  const std::string head = r.prompt.substr(0, r.prompt.rfind(' ', r.prompt.size() * 3 / 4));
  // One backend (tenant) for both: another tenant's KV is never copied (docs/SECURITY.md).
  bench::BenchClient mine(model_, host_config(), load_.dump());
  bench::Conversation donor(mine);
  donor.run(head + " But the donor's version of the story turns elsewhere.",
            json{{"mode", "raw"}, {"temperature", 0}, {"n_predict", 2}}.dump());
  bench::Conversation c(mine);
  const TurnRecord rec = run_once(c, r.prompt, in_mode(r, "raw"));
  require(rec.shared_tokens > 0, "the prompt's prefix was copied from the donor (shared_tokens 0)");
  return compared(ref, rec, "shared " + std::to_string(rec.shared_tokens));
}

// Turn one, then turn two; *reply_reused says whether turn two reused KV past turn one's prompt
// (the generated tokens).
TurnRecord Harness::two_turns(const RequestSpec& r, const json& turn_two_extra, bool* reply_reused) {
  bench::BenchClient client(model_, host_config(), load_.dump());
  bench::Conversation c(client);
  const TurnRecord first = run_once(c, r.prompt, in_mode(r, "chat"));
  json second = in_mode(r, "chat");
  second.update(turn_two_extra);
  TurnRecord rec = run_once(c, kFollowUp, second);
  *reply_reused = rec.cached_tokens > first.input_tokens;
  return rec;
}

const TurnRecord& Harness::turn_two_reference(const RequestSpec& r) {
  auto it = turn_two_ref_.find(r.name);
  if (it == turn_two_ref_.end()) {
    bool ignored = false;
    TurnRecord rec = two_turns(r, {{"cache_prompt", false}}, &ignored);
    require(rec.cached_tokens == 0, "turn two recomputed its whole prompt");
    it = turn_two_ref_.emplace(r.name, std::move(rec)).first;
  }
  return it->second;
}

const TurnRecord& Harness::turn_two_reused(const RequestSpec& r) {
  auto it = turn_two_reused_.find(r.name);
  if (it == turn_two_reused_.end()) {
    bool reply_reused = false;
    TurnRecord rec = two_turns(r, json::object(), &reply_reused);
    require(rec.cached_tokens > 0, "turn two reused turn one's KV (cached_tokens 0)");
    // Deterministic mode recomputes the reply by design; otherwise its KV must have been reused.
    require(reply_reused || load_.value("deterministic", false),
            "turn two reused the KV of turn one's reply (cached_tokens " + std::to_string(rec.cached_tokens) + ")");
    it = turn_two_reused_.emplace(r.name, std::move(rec)).first;
  }
  return it->second;
}

// Turn one, then other conversations take every sequence (the request's KV is evicted; with
// `disk`, enough of them that its saved state spills to kv_save_dir), then turn two restores it.
TurnRecord Harness::evicted(const RequestSpec& r, bool disk) {
  ScratchDir dir;
  const json backend = disk ? json{{"kv_save_dir", dir.path()}, {"kv_save_budget_mb", 1}} : json::object();
  bench::BenchClient client(model_, host_config(backend), load_.dump());
  bench::Conversation c(client);
  run_once(c, r.prompt, in_mode(r, "chat"));
  const int slots = load_.value("n_parallel", 4);
  std::vector<std::unique_ptr<bench::Conversation>> others;
  for (int round = 0; round < (disk ? 2 : 1); ++round) {
    for (int i = 0; i < slots; ++i) {
      const int id = round * slots + i;
      others.push_back(std::make_unique<bench::Conversation>(client));
      others.back()->run(tenant_prompt(id, disk ? 300 : 12), tenant_settings(id, 1).dump());
    }
  }
  const char* key = disk ? "saved_kv_disk_bytes" : "saved_kv_bytes";
  wait_for([&](const json& s) { return s.value(key, 0ull) > 0; }, std::string("a KV state was saved (") + key + ")",
           std::chrono::seconds(10));
  const TurnRecord rec = run_once(c, kFollowUp, in_mode(r, "chat"));
  require(rec.restored_tokens > 0, "turn two restored the evicted KV state (restored_tokens 0)");
  return rec;
}

}  // namespace det
