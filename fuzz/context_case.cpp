#include "context_case.h"

#include <array>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

namespace context_fuzz {
namespace {

using json = nlohmann::ordered_json;

// One config key and the values the fuzzer draws for it; `p` is the chance that a config
// gives the key at all (so most cases keep most defaults, as real configs do).
struct KeyValues {
  const char* key;
  double p;
  std::vector<json> values;    // in range
  std::vector<json> bad = {};  // out of range: drawn rarely (kBadValue), they end at the parser
};

constexpr double kBadValue = 0.05;  // chance that a key given gets an out-of-range value

json arr(std::initializer_list<json> items) { return json::array_t(items); }

// Sizes: small values and their neighbours, powers of two, the table's limits, and a few just
// outside them (which must be invalid_argument, never a crash).
const std::vector<KeyValues>& load_keys() {
  static const std::vector<KeyValues> keys = {
      {"ctx_size",
       0.7,
       {16, 17, 31, 32, 33, 48, 64, 100, 128, 255, 256, 257, 512, 1000, 1024, 2048, 4096, 65536},
       {15, 0, 1048577}},
      {"batch_size",
       0.6,
       {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 64, 100, 128, 255, 256, 512, 2048, 65536, 1048576},
       {0}},
      {"ubatch_size", 0.5, {1, 2, 3, 4, 5, 7, 8, 15, 16, 31, 32, 64, 128, 255, 256, 512, 2048, 1048576}, {0}},
      {"n_parallel", 0.6, {1, 1, 2, 2, 3, 4, 5, 7, 8, 9, 16, 31, 32, 64, 255, 256}, {257, 0}},
      {"threads", 0.3, {0, 1, 1, 1, 2, 2, 3, 4, 16, 512, 1024}, {1025, -1}},
      {"threads_batch", 0.2, {0, 1, 1, 2, 3, 16, 1024}},
      {"flash_attn", 0.4, {"auto", "on", "off", true, false}},
      {"cache_type_k", 0.3, {"f32", "f16", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}, {"q2_k"}},
      {"cache_type_v", 0.2, {"f32", "f16", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1"}, {"q2_k"}},
      {"embedding", 0.2, {true, false}},
      {"pooling", 0.2, {"model", "none", "mean", "cls", "last", "rank"}},
      {"use_mmap", 0.2, {true, false}},
      {"n_gpu_layers", 0.15, {0, -1, "auto", 1, 1000}},
      {"split_mode", 0.05, {"none", "layer", "row"}},
      {"main_gpu", 0.05, {0}, {1}},
      {"tensor_split", 0.05, {arr({})}, {arr({1}), arr({1, 1})}},
      {"max_queue", 0.1, {1, 2, 256}},
      {"priority_aging_ms", 0.05, {1, 1000}},
      {"kv_save_budget_mb", 0.2, {0, 1, 1024}},
      {"prefix_sharing", 0.2, {true, false}},
  };
  return keys;
}

// Per-request keys (also valid as a load's defaults).
const std::vector<KeyValues>& request_keys() {
  static const json kAllSamplers = arr({"penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc",
                                        "temperature", "infill", "adaptive_p"});
  static const std::vector<KeyValues> keys = {
      {"temperature", 0.4, {0, 0, 0.5, 0.8, 1, 2, 100}, {-1, "hot"}},
      {"dynatemp_range", 0.05, {0, 0.5, 5}},
      {"dynatemp_exponent", 0.05, {0, 1, 10}},
      {"top_k", 0.15, {0, 1, 2, 40, 2147483647}},
      {"top_p", 0.15, {0, 0.5, 0.95, 1}, {1.5}},
      {"min_p", 0.1, {0, 0.05, 1}},
      {"typical_p", 0.1, {0, 0.5, 1}},
      {"top_n_sigma", 0.1, {-1, 0, 1, 100}},
      {"xtc_probability", 0.1, {0, 0.5, 1}},
      {"xtc_threshold", 0.1, {0, 0.1, 0.5, 0.6, 1}},
      {"repeat_penalty", 0.1, {0.01, 1, 1.1, 100}},
      {"repeat_last_n", 0.1, {-1, 0, 1, 64, 2147483647}},
      {"presence_penalty", 0.05, {-100, 0, 1}},
      {"frequency_penalty", 0.05, {-100, 0, 1}},
      {"dry_multiplier", 0.1, {0, 0.8, 100}},
      {"dry_base", 0.05, {1, 1.75, 100}},
      {"dry_allowed_length", 0.05, {0, 2, 100}},
      {"dry_penalty_last_n", 0.05, {-1, 0, 1, 64}},
      {"dry_sequence_breakers", 0.05, {arr({"\n"}), arr({"a", "b"})}},
      {"mirostat", 0.1, {0, 1, 2}, {3}},
      {"mirostat_tau", 0.05, {0, 5, 100}},
      {"mirostat_eta", 0.05, {0, 0.1, 1}},
      {"adaptive_target", 0.05, {-1, 0, 0.5, 1}},
      {"adaptive_decay", 0.05, {0, 0.9, 0.99}},
      {"seed", 0.2, {-1, 0, 42, 4294967295u}, {-2, 4294967296u}},
      {"min_keep", 0.05, {0, 1, 100, 2147483647}},
      {"samplers",
       0.1,
       {"", "kt", "dkypmxt", arr({"top_k", "temperature"}), arr({"adaptive_p"}), arr({"infill"}), kAllSamplers}},
      {"grammar",
       0.08,
       {"", "root ::= \"a\"", "root ::= [a-z]+", "root ::= \"a\" root | \"b\"", "root ::= x\nx ::= \"y\"*"}},
      {"json_schema",
       0.05,
       {json{{"type", "string"}}, json{{"type", "integer"}},
        json::parse(R"({"type":"object","properties":{"a":{"type":"boolean"}}})")}},
      {"logit_bias",
       0.08,
       {arr({arr({1, -5})}), json{{"a", 2}}, arr({arr({0, false})}), arr({arr({99999999, 1})}), json{{"hello", -100}}}},
      {"grammar_lazy", 0.03, {true, false}},
      {"grammar_triggers",
       0.03,
       {arr({"a"}), arr({json{{"type", "pattern"}, {"value", "x(.*)"}}}),
        arr({json{{"type", "token"}, {"value", "<s>"}}})}},
      {"n_predict", 0.6, {-1, 0, 1, 2, 4, 8, 16, 40}, {-2, 4.5}},
      {"stop", 0.1, {"a", arr({"the", " "}), arr({})}},
      {"n_probs", 0.1, {0, 1, 5, 100}, {101}},
      {"ignore_eos", 0.4, {true, false}},
      {"mode", 0.3, {"chat", "raw"}},
      {"chat_template",
       0.1,
       {"", "chatml", "llama3", "phi3", "{{ messages[0].content }}",
        "{% for m in messages %}{{ m.content }}{% endfor %}"}},
      {"system_prompt", 0.05, {"", "be brief"}},
      {"cache_prompt", 0.1, {true, false}},
      {"context_shift", 0.3, {true, false}},
      {"n_keep", 0.2, {0, 1, 4, 16, 1000000}},
      {"n_discard", 0.2, {0, 1, 4, 1000000}},
      {"embd_normalize", 0.05, {-1, 0, 1, 2, 3}},
      {"embd_output", 0.05, {"json", "f32"}},
      {"embd_input", 0.05, {"text", "json"}},
      {"priority", 0.05, {-100, 0, 100}},
      {"timeout_ms", 0.03, {0, 1, 10000}},
      {"t_max_predict_ms", 0.03, {0, 1, 1000}},
  };
  return keys;
}

// Prompts: short, long enough to overflow a small context (shifts, prompt too long), special
// token text, multi-byte text, and JSON arrays (embd_input "json").
std::string pick_prompt(std::mt19937_64& rng) {
  static const char* const kPrompts[] = {"Hello",
                                         "a",
                                         "Tell me a story about a dragon.",
                                         " \t\n",
                                         "<s>[INST] hi [/INST]",
                                         "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
                                         "日本語のテキスト 🙂 émigré",
                                         R"(["first text", "second text"])",
                                         R"(["one"])",
                                         "[]"};
  const size_t n = sizeof kPrompts / sizeof kPrompts[0];
  if (rng() % 8 != 0) return kPrompts[rng() % n];
  std::string s;
  const int repeats = std::array<int, 3>{10, 60, 120}[rng() % 3];  // up to ~1200 tokens
  for (int i = 0; i < repeats; ++i) s += "the quick brown fox jumps over the lazy dog ";
  return s;
}

json draw_keys(std::mt19937_64& rng, const std::vector<KeyValues>& keys, double scale) {
  json out = json::object();
  std::uniform_real_distribution<double> u(0, 1);
  for (const auto& k : keys) {
    if (u(rng) >= k.p * scale) continue;
    const bool bad = !k.bad.empty() && u(rng) < kBadValue;
    out[k.key] = bad ? k.bad[rng() % k.bad.size()] : k.values[rng() % k.values.size()];
  }
  return out;
}

// Keeps a case's generation short, so the run spends its time on many contexts rather than on
// long replies: a load gives a small n_predict by default, and "until the context is full" (-1)
// stays only with contexts of at most 256 tokens (where it exercises the context shift).
void bound_generation(json& settings, uint32_t ctx_size, std::mt19937_64& rng, bool set_default) {
  static const int kSmall[] = {1, 2, 4, 8, 16};
  const bool unbounded = settings.contains("n_predict") && settings["n_predict"] == -1;
  if ((unbounded && ctx_size > 256) || (set_default && !settings.contains("n_predict"))) {
    settings["n_predict"] = kSmall[rng() % 5];
  }
}

// Quantised KV types fit only models whose attention heads hold a multiple of their block size:
// of the tiny models, only the one with 64-value heads (tiny-llama-h64). On the others such a
// type is one check (met often enough in a quarter of the draws), so most draws fall back.
void keep_caches_usable(json& load, const std::string& model, std::mt19937_64& rng) {
  if (model.find("h64") != std::string::npos) return;
  static const char* const kPlain[] = {"f16", "f32", "bf16"};
  for (const char* key : {"cache_type_k", "cache_type_v"}) {
    if (!load.contains(key) || rng() % 4 == 0) continue;
    const std::string type = load[key].get<std::string>();
    if (type != "f16" && type != "f32" && type != "bf16") load[key] = kPlain[rng() % 3];
  }
}

uint32_t ctx_size_of(const json& load, const json& backend) {
  for (const json* j : {&load, &backend}) {
    if (j->contains("ctx_size") && (*j)["ctx_size"].is_number_unsigned()) return (*j)["ctx_size"].get<uint32_t>();
  }
  return 4096;
}

uint64_t mix(uint64_t x) {  // splitmix64: decorrelates neighbouring case numbers
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

Request draw_request(std::mt19937_64& rng, uint32_t* n_open, uint32_t ctx_size) {
  Request r;
  r.context = static_cast<uint32_t>(rng() % (*n_open + 1));
  if (r.context == *n_open) {
    ++*n_open;
    if (rng() % 4 == 0) r.session = "s" + std::to_string(rng() % 2);
  }
  r.prompt = pick_prompt(rng);
  if (rng() % 3 != 0) {
    json settings = draw_keys(rng, request_keys(), 0.7);
    bound_generation(settings, ctx_size, rng, false);
    r.settings = settings.dump();
  }
  const uint64_t call = rng() % 10;
  r.call = call < 6 ? Call::Compute : (call < 8 ? Call::RunInference : Call::Stream);
  return r;
}

}  // namespace

Case generate_case(uint64_t seed, uint64_t id, const std::vector<std::string>& models) {
  std::mt19937_64 rng(mix(seed ^ mix(id)));
  Case c;
  c.id = id;
  c.model = models[rng() % models.size()];
  json backend = json::object();
  if (rng() % 8 == 0) {
    backend = draw_keys(rng, load_keys(), 0.5);
    backend["max_sessions"] = json::array({1, 2, 100})[rng() % 3];
    c.backend = backend.dump();
  }
  json load = draw_keys(rng, load_keys(), 1.0);
  const json defaults = draw_keys(rng, request_keys(), 0.3);  // request keys as load defaults
  for (const auto& [k, v] : defaults.items()) load[k] = v;
  // Mostly ubatch_size <= batch_size, as configs that mean something have it (the other order
  // is one check, met often enough in the rest).
  // Mostly batch_size >= n_parallel too: the other order is the issue's abort, now one check.
  const json n_par = load.value("n_parallel", backend.value("n_parallel", json(4)));
  if (load.contains("batch_size") && rng() % 6 != 0 && load["batch_size"].get<int64_t>() < n_par.get<int64_t>()) {
    load["batch_size"] = n_par;
  }
  const int64_t batch = load.value("batch_size", backend.value("batch_size", json(512))).get<int64_t>();
  if (load.contains("ubatch_size") && load["ubatch_size"].get<int64_t>() > batch && rng() % 5 != 0) {
    load["ubatch_size"] = batch;
  }
  keep_caches_usable(load, c.model, rng);
  const uint32_t ctx_size = ctx_size_of(load, backend);
  bound_generation(load, ctx_size, rng, true);
  c.load = load.dump();
  uint32_t n_open = 0;
  const int n_requests = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n_requests; ++i) c.requests.push_back(draw_request(rng, &n_open, ctx_size));
  return c;
}

const char* call_name(Call call) {
  switch (call) {
    case Call::RunInference: return "run_inference";
    case Call::Stream: return "stream";
    case Call::Compute: break;
  }
  return "compute";
}

std::string case_to_json(const Case& c, const std::string& extra) {
  json j;
  j["case"] = c.id;
  j["model"] = c.model;
  j["backend_config"] = c.backend;
  j["load_config"] = c.load;
  j["requests"] = json::array();
  for (const auto& r : c.requests) {
    j["requests"].push_back({{"context", r.context},
                             {"session", r.session},
                             {"prompt", r.prompt},
                             {"settings", r.settings},
                             {"call", call_name(r.call)}});
  }
  if (!extra.empty()) {
    const json more = json::parse(extra);
    for (const auto& [k, v] : more.items()) j[k] = v;
  }
  return j.dump(2) + "\n";
}

Case case_from_json(const std::string& text) {
  const json j = json::parse(text);
  Case c;
  c.id = j.value("case", uint64_t{0});
  c.model = j.at("model").get<std::string>();
  c.backend = j.value("backend_config", std::string());
  c.load = j.value("load_config", std::string());
  for (const auto& r : j.value("requests", json::array())) {
    Request q;
    q.context = r.value("context", 0u);
    q.session = r.value("session", std::string());
    q.prompt = r.value("prompt", std::string("Hello"));
    q.settings = r.value("settings", std::string());
    const std::string call = r.value("call", std::string("compute"));
    q.call = call == "run_inference" ? Call::RunInference : call == "stream" ? Call::Stream : Call::Compute;
    c.requests.push_back(std::move(q));
  }
  return c;
}

}  // namespace context_fuzz
