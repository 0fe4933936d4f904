// Tenants through the seed ABI, as a native host serving several of them uses it: every
// init_backend is one tenant. Data isolation (no tenant learns a token of another's prompt from
// the metadata), host-declared share groups, the operator's limits (every cap and policy key),
// host-only settings, per-tenant fairness and counters.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/seed_fixture.h"

namespace {

using namespace seed_test;
using json = nlohmann::json;

// A load config small and deterministic enough for every test here.
constexpr char kModel[] = R"({"ctx_size": 1024, "n_parallel": 4, "threads": 2, "temperature": 0, "mode": "raw"})";

// One tenant: a backend context with its own model load.
class Tenant {
 public:
  explicit Tenant(const std::string& config = "") {
    EXPECT_EQ(init_backend_with_config(&ctx_, config.c_str(), 0), success) << orphan_error();
  }
  ~Tenant() {
    if (ctx_) deinit_backend(ctx_);
  }
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  void* ctx() const { return ctx_; }

  wasi_nn_error load(const std::string& config = kModel, const char* model = "tiny-llama") {
    const std::string path = model_path(model);
    return load_by_name_with_config(ctx_, path.c_str(), path.size(), config.c_str(), 0, &graph_);
  }
  graph_execution_context open() {
    graph_execution_context e = kNone;
    EXPECT_EQ(init_execution_context(ctx_, graph_, &e), success) << last_error();
    return e;
  }
  // One request; returns its code. `text` and `meta` receive outputs 0 and 1.
  wasi_nn_error run(graph_execution_context e, const std::string& prompt, const std::string& request,
                    std::string* text = nullptr, json* meta = nullptr) {
    tensor t = Text(prompt.c_str());
    std::string out(1 << 16, '\0');
    uint32_t size = out.size();
    const wasi_nn_error rc =
        run_inference(ctx_, e, 0, &t, reinterpret_cast<uint8_t*>(out.data()), &size, request.c_str(), 0);
    if (text) *text = out.substr(0, rc == success ? size : 0);
    if (meta) {
      std::string m(1 << 16, '\0');
      uint32_t msize = m.size();
      EXPECT_EQ(get_output(ctx_, e, 1, reinterpret_cast<uint8_t*>(m.data()), &msize), success);
      *meta = json::parse(m.substr(0, msize));
    }
    return rc;
  }
  std::string last_error() const { return LastError(ctx_); }
  // This thread's message of the last call that named no live backend context.
  static std::string orphan_error() { return LastError(nullptr); }
  graph graph_id() const { return graph_; }

 private:
  void* ctx_ = nullptr;
  graph graph_ = kNone;
};

json stats() {
  std::string buf(1 << 20, '\0');
  uint32_t size = buf.size();
  EXPECT_EQ(wasi_nn_stats(buf.data(), &size), success);
  return json::parse(buf.substr(0, size));
}

// A prompt of ~200 tokens no other test sends.
std::string secret_memo() {
  std::string s = "CONFIDENTIAL MEMO. The merger codename is Bluefinch. ";
  for (int i = 0; i < 20; ++i)
    s += "Clause " + std::to_string(i) + ": payment terms are net " + std::to_string(30 + i) + " days. ";
  return s;
}

// --- Data isolation ---

// Guest B sends growing prefixes of guest A's memo, as an attacker extending a guess would:
// nothing it reads (cached_tokens, shared_tokens) may depend on A having sent it.
TEST(Isolation, NoTenantLearnsATokenOfAnothersPromptFromTheMetadata) {
  Tenant a;
  ASSERT_EQ(a.load(), success) << a.last_error();
  const std::string memo = secret_memo();
  json meta;
  ASSERT_EQ(a.run(a.open(), memo, R"({"n_predict": 2})", nullptr, &meta), success) << a.last_error();
  ASSERT_GT(meta["input_tokens"].get<int>(), 100);
  for (size_t len : {memo.size() / 4, memo.size() / 2, memo.size() * 4 / 5, memo.size()}) {
    // A fresh attacker per guess, so its own earlier guesses cannot be what it finds.
    Tenant b;
    ASSERT_EQ(b.load(), success) << b.last_error();
    json seen;
    ASSERT_EQ(b.run(b.open(), memo.substr(0, len), R"({"n_predict": 1})", nullptr, &seen), success) << b.last_error();
    EXPECT_EQ(seen["cached_tokens"], 0) << "guess of " << len << " bytes: " << seen.dump();
    EXPECT_EQ(seen["shared_tokens"], 0) << "guess of " << len << " bytes: " << seen.dump();
    EXPECT_EQ(seen["restored_tokens"], 0) << "guess of " << len << " bytes: " << seen.dump();
  }
}

// The same prefix within one tenant is still reused (isolation is between tenants only).
TEST(Isolation, OneTenantStillSharesItsOwnPrefixes) {
  Tenant a;
  ASSERT_EQ(a.load(), success) << a.last_error();
  const std::string memo = secret_memo();
  ASSERT_EQ(a.run(a.open(), memo, R"({"n_predict": 1})"), success);
  json meta;
  ASSERT_EQ(a.run(a.open(), memo + " Reply briefly.", R"({"n_predict": 1})", nullptr, &meta), success);
  EXPECT_GT(meta["shared_tokens"].get<int>(), 100) << meta.dump();
}

// The host may put tenants in one share group (a common system prompt computed once).
TEST(Isolation, AHostDeclaredShareGroupShares) {
  Tenant a(R"({"share_group": "org-42"})"), b(R"({"share_group": "org-42"})"), other(R"({"share_group": "org-7"})");
  ASSERT_EQ(a.load(), success) << a.last_error();
  ASSERT_EQ(b.load(), success) << b.last_error();
  ASSERT_EQ(other.load(), success) << other.last_error();
  const std::string system = secret_memo();
  ASSERT_EQ(a.run(a.open(), system, R"({"n_predict": 1})"), success);
  json in_group, outside;
  ASSERT_EQ(b.run(b.open(), system + " Question one.", R"({"n_predict": 1})", nullptr, &in_group), success);
  EXPECT_GT(in_group["shared_tokens"].get<int>(), 100) << in_group.dump();
  ASSERT_EQ(other.run(other.open(), system + " Question two.", R"({"n_predict": 1})", nullptr, &outside), success);
  EXPECT_EQ(outside["shared_tokens"], 0) << outside.dump();
}

// A share group is the host's to declare: a load or request naming one is refused.
TEST(Isolation, AShareGroupCannotBeJoinedFromALoadOrRequest) {
  Tenant a;
  EXPECT_EQ(a.load(R"({"share_group": "org-42"})"), security);
  EXPECT_NE(a.last_error().find("host setting"), std::string::npos) << a.last_error();
}

// Errors are per backend context: another tenant never reads them, not even from the same thread.
TEST(Isolation, OneTenantsErrorIsNeverAnothersLastError) {
  Tenant a, b;
  const std::string secret = "/srv/tenant-a/private-model-name.gguf";
  graph g = kNone;
  EXPECT_NE(load_by_name(a.ctx(), secret.c_str(), secret.size(), &g), success);
  EXPECT_NE(a.last_error().find("private-model-name"), std::string::npos);
  EXPECT_EQ(b.last_error(), "");
  EXPECT_EQ(Tenant::orphan_error().find("private-model-name"), std::string::npos);
  std::string from_thread;
  std::thread t([&] { from_thread = a.last_error(); });  // per backend, not per thread
  t.join();
  EXPECT_NE(from_thread.find("private-model-name"), std::string::npos);
}

// --- Operator limits ---

TEST(Limits, EveryCapRefusesMoreAndNamesTheLimitAndTheValue) {
  Tenant t(R"({"limits": {"ctx_size": 1024, "n_parallel": 4, "batch_size": 256, "ubatch_size": 256,
                          "threads": 1, "n_predict": 8, "n_probs": 2, "priority": 0,
                          "timeout_ms": 60000, "t_max_predict_ms": 60000}})");
  const struct {
    const char* load;
    const char* key;
  } loads[] = {{R"({"ctx_size": 2048})", "ctx_size"},
               {R"({"n_parallel": 8})", "n_parallel"},
               {R"({"batch_size": 512})", "batch_size"},
               {R"({"ubatch_size": 512, "batch_size": 256})", "ubatch_size"},
               {R"({"threads": 2})", "threads"}};
  for (const auto& l : loads) {
    EXPECT_EQ(t.load(l.load), invalid_argument) << l.load;
    const std::string msg = t.last_error();
    EXPECT_NE(msg.find(std::string("limit ") + l.key), std::string::npos) << msg;
  }
  ASSERT_EQ(t.load(R"({"ctx_size": 1024, "n_parallel": 4, "threads": 1, "temperature": 0, "mode": "raw"})"), success)
      << t.last_error();
  const graph_execution_context e = t.open();
  const struct {
    const char* request;
    const char* key;
  } requests[] = {{R"({"n_predict": 9})", "n_predict"},
                  {R"({"n_probs": 3})", "n_probs"},
                  {R"({"priority": 5})", "priority"},
                  {R"({"timeout_ms": 60001})", "timeout_ms"},
                  {R"({"t_max_predict_ms": 90000})", "t_max_predict_ms"}};
  for (const auto& r : requests) {
    EXPECT_EQ(t.run(e, "Hello", r.request), invalid_argument) << r.request;
    const std::string msg = t.last_error();
    EXPECT_NE(msg.find(std::string("limit ") + r.key), std::string::npos) << msg;
  }
  // Within the caps it runs, and "as many as possible" becomes the cap.
  json meta;
  ASSERT_EQ(t.run(e, "Hello", R"({"n_predict": -1, "ignore_eos": true})", nullptr, &meta), success) << t.last_error();
  EXPECT_EQ(meta["output_tokens"], 8);
  // The default (512) is lowered to the cap too.
  ASSERT_EQ(t.run(e, "Hello", R"({"ignore_eos": true})", nullptr, &meta), success) << t.last_error();
  EXPECT_EQ(meta["output_tokens"], 8);
}

TEST(Limits, ABooleanCapForbidsTrueAndDeniedKeysCannotBeSet) {
  Tenant t(R"({"limits": {"use_mlock": false, "denied_keys": ["chat_template", "n_gpu_layers"]}})");
  EXPECT_EQ(t.load(R"({"use_mlock": true})"), invalid_argument);
  EXPECT_NE(t.last_error().find("use_mlock"), std::string::npos) << t.last_error();
  EXPECT_EQ(t.load(R"({"n_gpu_layers": 0})"), invalid_argument);
  EXPECT_NE(t.last_error().find("denied_keys"), std::string::npos) << t.last_error();
  ASSERT_EQ(t.load(), success) << t.last_error();
  EXPECT_EQ(t.run(t.open(), "Hi", R"({"chat_template": "chatml"})"), invalid_argument);
  EXPECT_NE(t.last_error().find("denied_keys"), std::string::npos) << t.last_error();
}

TEST(Limits, GraphsContextsAndEnginesAreCounted) {
  Tenant t(R"({"limits": {"max_graphs": 2, "max_contexts": 3, "max_engines_per_model": 2}})");
  ASSERT_EQ(t.load(), success) << t.last_error();
  const graph first = t.graph_id();
  ASSERT_EQ(t.load(), success) << t.last_error();  // the same settings: the same engine
  EXPECT_EQ(t.load(), invalid_argument);
  EXPECT_NE(t.last_error().find("max_graphs"), std::string::npos) << t.last_error();
  graph_execution_context e = kNone;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(init_execution_context(t.ctx(), first, &e), success) << t.last_error();
  EXPECT_EQ(init_execution_context(t.ctx(), first, &e), invalid_argument);
  EXPECT_NE(t.last_error().find("max_contexts"), std::string::npos) << t.last_error();

  Tenant u(R"({"limits": {"max_engines_per_model": 2}})");
  ASSERT_EQ(u.load(R"({"ctx_size": 256, "threads": 1})", "tiny-phi3"), success) << u.last_error();
  ASSERT_EQ(u.load(R"({"ctx_size": 512, "threads": 1})", "tiny-phi3"), success) << u.last_error();
  EXPECT_EQ(u.load(R"({"ctx_size": 768, "threads": 1})", "tiny-phi3"), invalid_argument);
  EXPECT_NE(u.last_error().find("max_engines_per_model"), std::string::npos) << u.last_error();
}

TEST(Limits, LoadingModelBytesCanBeForbidden) {
  Tenant t(R"({"limits": {"allow_load": false}})");
  std::string bytes = "GGUF";
  graph_builder part{reinterpret_cast<uint8_t*>(bytes.data()), static_cast<uint32_t>(bytes.size())};
  graph_builder_array builders{&part, 1};
  graph g = kNone;
  EXPECT_EQ(load(t.ctx(), &builders, ggml, cpu, &g), invalid_argument);
  EXPECT_NE(t.last_error().find("allow_load"), std::string::npos) << t.last_error();
}

TEST(Limits, TheEnvironmentsLimitsApplyToEveryBackendAndConfigOnlyTightens) {
  ::setenv("WASI_NN_LIMITS", R"({"n_predict": 4})", 1);
  Tenant loose(R"({"limits": {"n_predict": 100}})"), tight(R"({"limits": {"n_predict": 2}})");
  ::unsetenv("WASI_NN_LIMITS");
  ASSERT_EQ(loose.load(), success) << loose.last_error();
  ASSERT_EQ(tight.load(), success) << tight.last_error();
  EXPECT_EQ(loose.run(loose.open(), "Hi", R"({"n_predict": 5})"), invalid_argument);
  EXPECT_EQ(tight.run(tight.open(), "Hi", R"({"n_predict": 3})"), invalid_argument);
}

TEST(Limits, MalformedLimitsFailInitBackend) {
  void* ctx = nullptr;
  for (const char* bad : {R"({"limits": {"no_such_key": 1}})", R"({"limits": {"ctx_size": "big"}})",
                          R"({"limits": {"grammar": 3}})", R"({"limits": {"denied_keys": ["nope"]}})"}) {
    EXPECT_EQ(init_backend_with_config(&ctx, bad, 0), invalid_argument) << bad;
    EXPECT_EQ(ctx, nullptr);
  }
  ::setenv("WASI_NN_LIMITS", "{not json", 1);
  EXPECT_EQ(init_backend(&ctx), invalid_argument);
  EXPECT_NE(Tenant::orphan_error().find("WASI_NN_LIMITS"), std::string::npos);
  ::unsetenv("WASI_NN_LIMITS");
}

// Without any policy the machine's own limits hold.
TEST(Limits, WithoutAPolicyTheMachineStillRefusesWhatItCannotGrant) {
  Tenant t;
  const unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ(t.load(R"({"threads": )" + std::to_string(cores + 1) + "}"), invalid_argument);
  EXPECT_NE(t.last_error().find("threads"), std::string::npos) << t.last_error();
  EXPECT_EQ(t.load(R"({"kv_save_budget_mb": 1048576})"), invalid_argument);
  EXPECT_NE(t.last_error().find("kv_save_budget_mb"), std::string::npos) << t.last_error();
}

// --- Host-only settings ---

TEST(HostOnly, ATenantCannotChangeTheProcesssLogging) {
  Tenant t;
  for (const char* key : {R"({"log_level": "none"})", R"({"log_level": "debug"})", R"({"log_format": "json"})",
                          R"({"log_file": "/tmp/x.log"})", R"({"kv_save_dir": "/tmp"})", R"({"limits": {}})",
                          R"({"rpc_servers": "127.0.0.1:1"})"}) {
    EXPECT_EQ(t.load(key), security) << key;
  }
  ASSERT_EQ(t.load(), success);
  EXPECT_EQ(t.run(t.open(), "Hi", R"({"log_level": "none"})"), security);
}

// --- Fairness and counters ---

TEST(Fairness, ATenantHoldsAtMostItsShareOfSequencesAndQueue) {
  // Tenant A may run one sequence and queue one request; B is unaffected.
  Tenant a(R"({"limits": {"max_sequences_per_tenant": 1, "max_queued_per_tenant": 1}})"), b;
  ASSERT_EQ(a.load(), success) << a.last_error();
  ASSERT_EQ(b.load(), success) << b.last_error();
  const char* endless = R"({"n_predict": 100000, "ignore_eos": true})";
  std::atomic<int> a_rc{-1};
  const graph_execution_context a1 = a.open(), a2 = a.open(), a3 = a.open();
  std::thread long_a([&] { a_rc = a.run(a1, "A runs", endless); });
  auto wait_until = [](const std::function<bool(const json&)>& ok) {
    for (int i = 0; i < 6000 && !ok(stats()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return ok(stats());
  };
  ASSERT_TRUE(wait_until([](const json& s) { return s["active_sequences"].get<int>() >= 1; }));
  std::atomic<int> queued_rc{-1};
  std::thread queued_a([&] { queued_rc = a.run(a2, "A waits", R"({"n_predict": 2})"); });
  ASSERT_TRUE(wait_until([](const json& s) { return s["queue_depth"].get<int>() >= 1; }));
  // A third request of A: over its queue share.
  EXPECT_EQ(a.run(a3, "A once more", R"({"n_predict": 2})"), timeout);
  EXPECT_NE(a.last_error().find("max_queued_per_tenant"), std::string::npos) << a.last_error();
  // B runs although A's request waits: A may not take a second sequence.
  json meta;
  EXPECT_EQ(b.run(b.open(), "B runs", R"({"n_predict": 2})", nullptr, &meta), success) << b.last_error();
  EXPECT_EQ(meta["output_tokens"], 2);
  EXPECT_EQ(close_execution_context(a.ctx(), a1), success);  // ends A's endless request
  long_a.join();
  queued_a.join();
  EXPECT_EQ(queued_rc, success);
  // Per-tenant counters.
  bool found = false;
  const json tenants = stats()["tenants"];
  for (const auto& t : tenants) {
    if (t["busy"].get<int>() >= 1 && t["requests_done"].get<int>() >= 1) found = true;
  }
  EXPECT_TRUE(found) << tenants.dump();
}

TEST(Fairness, AnUnreadStreamIsCancelledAndFreesItsSequence) {
  Tenant t(R"({"limits": {"stream_idle_timeout_ms": 300, "stream_ahead_tokens": 4}})");
  ASSERT_EQ(t.load(R"({"ctx_size": 1024, "n_parallel": 1, "threads": 2, "temperature": 0, "mode": "raw"})"), success);
  const graph_execution_context s = t.open(), other = t.open();
  tensor in{nullptr, fp32, (uint8_t*)"Once"};
  ASSERT_EQ(set_input(t.ctx(), s, 0, &in), success);
  const char* req = R"({"n_predict": 100000, "ignore_eos": true})";
  tensor cfg{nullptr, fp32, (uint8_t*)req};
  ASSERT_EQ(set_input(t.ctx(), s, 1, &cfg), success);
  ASSERT_EQ(compute_single(t.ctx(), s), success) << t.last_error();
  // Never read again: the stream pauses 4 tokens ahead, then is cancelled; the only sequence is
  // free for the next request.
  json meta;
  EXPECT_EQ(t.run(other, "Next", R"({"n_predict": 2})", nullptr, &meta), success) << t.last_error();
  EXPECT_EQ(meta["output_tokens"], 2);
  // The text released before the cancellation is still handed out, then the stream ends with it.
  wasi_nn_error rc = success;
  for (int i = 0; i < 100 && rc == success; ++i) rc = compute_single(t.ctx(), s);
  EXPECT_EQ(rc, runtime_error);
  EXPECT_NE(t.last_error().find("not read"), std::string::npos) << t.last_error();
  EXPECT_EQ(fini_single(t.ctx(), s), success);
}

}  // namespace
