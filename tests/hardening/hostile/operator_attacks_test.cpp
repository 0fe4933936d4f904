// A tenant trying to outvote the operator: load keys over the host's limits, the machine's own
// limits when there is no policy, host-only keys under every spelling, the process's log level,
// streams left unread on every sequence, and the host facts (paths, memory, disk) a failure's
// message could carry. Each refused attack names the key and the limit, and the same process
// then serves a normal request.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "hostile/hostile_fixture.h"

namespace hostile {
namespace {

// The operator's limits the over-limit loads run into.
constexpr char kLimits[] = R"({"ctx_size": 1024, "n_parallel": 2, "threads": 1, "threads_batch": 1, "batch_size": 256,
  "ubatch_size": 256, "use_mlock": false, "kv_save_budget_mb": 64, "kv_save_disk_budget_mb": 64,
  "n_predict": 16, "n_probs": 4, "max_queue": 8, "max_sessions": 4, "n_gpu_layers": 0})";

TEST_F(Hostile, LoadKeysCannotOverrideTheOperatorsLimits) {
  Tenant t(kLimits);
  const json base = {{"ctx_size", 512}, {"n_parallel", 1}, {"threads", 1}, {"temperature", 0}};
  const std::pair<const char*, json> over[] = {
      {"ctx_size", 4096},
      {"n_parallel", 8},
      {"threads", 1024},
      {"threads_batch", 2},
      {"batch_size", 512},
      {"ubatch_size", 257},
      {"use_mlock", true},
      {"kv_save_budget_mb", 1048576},
      {"kv_save_disk_budget_mb", 65},
      {"n_predict", 17},
      {"n_probs", 100},
      {"max_queue", 9},
      {"max_sessions", 5},
      {"n_gpu_layers", 1},
  };  // (n_gpu_layers -1 means "all", which a cap replaces with the cap: documented, not refused)
  for (const auto& [key, value] : over) {
    SCOPED_TRACE(std::string(key) + " = " + value.dump());
    json config = base;
    config[key] = value;
    if (std::string(key) == "ubatch_size") config["batch_size"] = 256;
    graph g = 7;
    const wasi_nn_error rc = t.Load(config, "tiny-llama", &g);
    ExpectError(invalid_argument, rc, "load_by_name_with_config", key, t.ctx());
    EXPECT_NE(t.LastError().find("over the host's limit"), std::string::npos) << t.LastError();
    EXPECT_EQ(g, kNone);
    ExpectNoHostFacts(t.LastError());
  }
  // The same keys, spelled as aliases, dash-case and nested sections, are the same keys.
  for (const char* spelled : {R"({"n_ctx": 4096})", R"({"context-size": 4096})", R"({"context": {"ctx_size": 4096}})",
                              R"({"n-threads": 64})", R"({"performance": {"threads": 64}})", R"({"mlock": true})",
                              R"({"memory": {"kv_save_budget_mb": 1000}})", R"({"max_tokens": 1000})"}) {
    SCOPED_TRACE(spelled);
    EXPECT_EQ(t.Load(json::parse(spelled)), invalid_argument);
    EXPECT_NE(t.LastError().find("over the host's limit"), std::string::npos) << t.LastError();
  }
  // Within the limits it loads, and "as much as possible" becomes the cap.
  graph g = kNone;
  ASSERT_EQ(t.Load(base, "tiny-llama", &g), success) << t.LastError();
  const Reply r = t.Run(t.Open(g), "Hello", R"({"n_predict": -1, "ignore_eos": true, "mode": "raw"})");
  ASSERT_EQ(r.code, success) << t.LastError();
  EXPECT_EQ(r.meta["output_tokens"], 16);
  StillServes();
}

TEST_F(Hostile, WithoutAPolicyTheMachinesLimitsHold) {
  Tenant t;
  const unsigned cores = std::thread::hardware_concurrency();
  for (const json& attack : {json{{"threads", 1024}}, json{{"threads_batch", 1024}}, json{{"threads", cores + 1}},
                             json{{"kv_save_budget_mb", 1048576}}}) {
    SCOPED_TRACE(attack.dump());
    EXPECT_EQ(t.Load(attack), invalid_argument);
    EXPECT_NE(t.LastError().find(attack.begin().key()), std::string::npos) << t.LastError();
  }
  StillServes();
}

// The machine's limits refuse without telling a tenant the host's memory or, with the host's
// kv_save_dir, how much disk is free there (which other tenants' spilled KV states change: a
// tenant probing it repeatedly watches their activity).
TEST_F(Hostile, TheMachinesLimitsDoNotRevealItsMemoryOrFreeDisk) {
  // Found by this suite (H1): the refusal named the cap, i.e. free_disk_mb(kv_save_dir) and
  // physical_memory_mb(). Limits::undisclosed (src/core/config/limits.h) keeps them out.
  files::ScratchDir spill;
  Tenant t("", json{{"kv_save_dir", spill.dir()}}.dump());
  EXPECT_EQ(t.Load({{"kv_save_disk_budget_mb", 16777216}}), invalid_argument);
  EXPECT_NE(t.LastError().find("kv_save_disk_budget_mb"), std::string::npos) << t.LastError();
  ExpectNoHostFacts(t.LastError(), "", spill.dir());
  EXPECT_EQ(t.Load({{"kv_save_budget_mb", 1048576}}), invalid_argument);
  EXPECT_NE(t.LastError().find("limit kv_save_budget_mb"), std::string::npos) << t.LastError();
  ExpectNoHostFacts(t.LastError());
  // The cores too: the limit is named, the count is not.
  const std::string cores = std::to_string(std::thread::hardware_concurrency());
  EXPECT_EQ(t.Load({{"threads", 1024}}), invalid_argument);
  EXPECT_NE(t.LastError().find("limit threads"), std::string::npos) << t.LastError();
  EXPECT_EQ(t.LastError().find("threads = " + cores), std::string::npos) << t.LastError();
  // An operator's own cap below the machine's is the operator's to show.
  Tenant capped(R"({"threads": 1})");
  EXPECT_EQ(capped.Load({{"threads", 1024}}), invalid_argument);
  EXPECT_NE(capped.LastError().find("threads = 1"), std::string::npos) << capped.LastError();
  StillServes();
}

TEST_F(Hostile, GraphsAndEnginesPerModelAreCappedEvenWithUseMmapFalse) {
  // Each distinct context setting is a KV cache; with use_mmap false each distinct model setting
  // is a full copy of the weights. tiny-qwen2 is used by no other test of this process.
  Tenant t(R"({"max_engines_per_model": 3, "max_graphs": 5})");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(t.Load({{"use_mmap", false}, {"ctx_size", 256 + i}, {"threads", 1}}, "tiny-qwen2"), success)
        << t.LastError();
  }
  EXPECT_EQ(t.Load({{"use_mmap", false}, {"ctx_size", 300}, {"threads", 1}}, "tiny-qwen2"), invalid_argument);
  EXPECT_NE(t.LastError().find("max_engines_per_model"), std::string::npos) << t.LastError();
  // The same settings again share an engine, up to the graph cap.
  ASSERT_EQ(t.Load({{"use_mmap", false}, {"ctx_size", 256}, {"threads", 1}}, "tiny-qwen2"), success);
  ASSERT_EQ(t.Load({{"use_mmap", false}, {"ctx_size", 256}, {"threads", 1}}, "tiny-qwen2"), success);
  EXPECT_EQ(t.Load({{"use_mmap", false}, {"ctx_size", 256}, {"threads", 1}}, "tiny-qwen2"), invalid_argument);
  EXPECT_NE(t.LastError().find("max_graphs"), std::string::npos) << t.LastError();
  StillServes();
}

TEST_F(Hostile, NPredictWithIgnoreEosAndNProbsIsBounded) {
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  // Without a policy: 100 candidates for each of 2^20 tokens would be kept in memory.
  const Reply r = Run(e, "Hello", R"({"n_predict": 1048576, "ignore_eos": true, "n_probs": 100})");
  Refused(invalid_argument, r.code, r.step, "n_probs");
  // Under a cap, -1 becomes the cap.
  Tenant t(R"({"n_predict": 8, "n_probs": 2})");
  graph g = kNone;
  ASSERT_EQ(t.Load(Small(), "tiny-llama", &g), success) << t.LastError();
  const Reply capped = t.Run(t.Open(g), "Hello", R"({"n_predict": -1, "ignore_eos": true, "n_probs": 2})");
  ASSERT_EQ(capped.code, success) << t.LastError();
  EXPECT_EQ(capped.meta["output_tokens"], 8);
  EXPECT_EQ(capped.meta["probs"].size(), 8u);
}

// Tenant A opens a stream on every sequence of a shared engine and never reads it; tenant B's
// request must still run: A's streams pause, and are cancelled once unread for the host's time.
TEST_F(Hostile, UnreadStreamsOnEverySequenceDoNotStarveAnotherTenant) {
  const json config = {{"ctx_size", 512}, {"n_parallel", 2}, {"threads", 2}, {"temperature", 0}, {"mode", "raw"}};
  Tenant a(R"({"stream_idle_timeout_ms": 500, "stream_ahead_tokens": 2})"), b;
  graph ga = kNone, gb = kNone;
  ASSERT_EQ(a.Load(config, "tiny-llama", &ga), success) << a.LastError();
  ASSERT_EQ(b.Load(config, "tiny-llama", &gb), success) << b.LastError();
  std::vector<graph_execution_context> streams;
  for (int i = 0; i < 2; ++i) {
    const graph_execution_context s = a.Open(ga);
    ASSERT_EQ(SetBytes(a.ctx(), s, 0, "Stream " + std::to_string(i)), success);
    ASSERT_EQ(SetBytes(a.ctx(), s, 1, R"({"n_predict": 100000, "ignore_eos": true})"), success);
    ASSERT_EQ(compute_single(a.ctx(), s), success) << a.LastError();
    streams.push_back(s);
  }
  const Reply r = b.Run(b.Open(gb), "B asks", R"({"n_predict": 3, "ignore_eos": true})");
  EXPECT_EQ(r.code, success) << b.LastError();
  EXPECT_EQ(r.meta["output_tokens"], 3);
  for (graph_execution_context s : streams) {
    wasi_nn_error rc = success;
    for (int i = 0; i < 200 && rc == success; ++i) rc = compute_single(a.ctx(), s);
    EXPECT_EQ(rc, runtime_error) << "an unread stream must end (cancelled): " << a.LastError();
    EXPECT_EQ(fini_single(a.ctx(), s), success);
  }
  StillServes();
}

// --- Host-only keys and the process's log level ---

TEST_F(Hostile, HostOnlyKeysUnderEverySpellingAreRefused) {
  const char* const attacks[] = {
      R"({"log_level": "none"})",
      R"({"logging_level": "none"})",
      R"({"log-level": "debug"})",
      R"({"logging": {"level": "none"}})",
      R"({"backend": {"log_level": "debug"}})",
      R"({"log_format": "json"})",
      R"({"log_file": "/tmp/tenant.log"})",
      R"({"logging": {"file": "/tmp/tenant.log"}})",
      R"({"kv_save_dir": "/tmp"})",
      R"({"memory": {"kv_save_dir": "/tmp"}})",
      R"({"rpc_servers": "127.0.0.1:50052"})",
      R"({"rpc": ["127.0.0.1:50052"]})",
      R"({"share_group": "victims"})",
      R"({"fit_device_mb": 1})",
      R"({"limits": {"ctx_size": 1048576}})",
  };
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  for (const char* attack : attacks) {
    SCOPED_TRACE(attack);
    graph g = 7;
    Refused(kSecurity, LoadAt(model_path("tiny-llama"), std::string(attack), &g), "load_by_name_with_config", "host");
    const wasi_nn_error rc = SetBytes(ctx_, e, 1, attack);
    EXPECT_TRUE(rc == kSecurity || rc == invalid_argument) << rc;
    ExpectNoHostFacts(LastError());
  }
  StillServes();
}

struct LogCapture {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> lines;
  static void Take(int level, const char* line, void* self) {
    auto* c = static_cast<LogCapture*>(self);
    std::lock_guard<std::mutex> lock(c->mu);
    c->lines.emplace_back(level, line);
  }
  bool Saw(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& l : lines) {
      if (l.second.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(Hostile, ATenantCannotSilenceOrOpenTheProcesssLog) {
  LogCapture log;
  ASSERT_EQ(wasi_nn_set_log_callback(&LogCapture::Take, &log), success);
  Tenant attacker;
  EXPECT_NE(attacker.Load(json::parse(R"({"log_level": "none"})")), success);
  EXPECT_NE(attacker.Load(json::parse(R"({"logging": {"level": "debug"}})")), success);
  // Another tenant's refusal is still logged for the operator (warn), and a debug line with its
  // prompt is not (the level stayed the operator's).
  Tenant victim;
  graph g = kNone;
  ASSERT_EQ(victim.Load(Small(), "tiny-llama", &g), success);
  EXPECT_EQ(victim.Load(json::parse(R"({"ctx_sise": 1})")), invalid_argument);
  EXPECT_TRUE(log.Saw("ctx_sise")) << "a refusal was not logged: the tenant silenced the process's log";
  ASSERT_EQ(victim.Run(victim.Open(g), "VICTIM-SECRET-PROMPT").code, success);
  EXPECT_FALSE(log.Saw("VICTIM-SECRET-PROMPT")) << "a tenant's prompt reached the process's log";
  ASSERT_EQ(wasi_nn_set_log_callback(nullptr, nullptr), success);
  StillServes();
}

// Everything written to the process's stderr (fd 2) while `body` runs.
std::string CaptureStderr(const std::function<void()>& body) {
  files::ScratchDir dir;
  const std::string path = dir.path("stderr");
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, 2);
  ::close(fd);
  body();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  return files::read_file(path);
}

// With the operator's log going to a callback, nothing a tenant sends may reach the host's
// stderr: llama.cpp's grammar parser prints a grammar it cannot parse there itself (fprintf),
// past the log sink and its level, so a tenant writes up to max_grammar_bytes per request into
// the host's stderr even with logging off.
TEST_F(Hostile, ATenantsTextNeverReachesTheHostsStderr) {
  // Found by this suite (H2): llama.cpp's grammar parser printed a grammar it refused, with
  // fprintf, and so do its JSON schema converter (an unsupported pattern) and common's logger
  // (a grammar with its prompt). src/core/input refuses such text before llama.cpp sees it;
  // common's logger is silent below debug (docs/SECURITY.md, "The host's log").
  LogCapture log;
  ASSERT_EQ(wasi_nn_set_log_callback(&LogCapture::Take, &log), success);
  graph_execution_context e = kNone;
  ASSERT_EQ(init_execution_context(ctx_, normal_, &e), success);
  const char* const requests[] = {
      R"({"grammar": "root ::= tenantsecret42"})",                                  // an undefined rule
      R"({"grammar": "root ::= \"x\" tenantsecret42 ::="})",                        // a syntax error
      R"({"grammar": "root ::= <tenantsecret42-not-a-token>"})",                    // not one token
      R"({"grammar": "root ::= \"x\" | (tenantsecret42"})",                         // unbalanced
      R"({"json_schema": {"type": "string", "pattern": "tenantsecret42"}})",        // not anchored
      R"({"json_schema": {"type": "string", "pattern": "^(?=tenantsecret42)$"}})",  // lookahead
      R"({"json_schema": {"type": "string", "pattern": "^tenantsecret42\\d$"}})",   // \d
      R"({"json_schema": {"properties": {"a": {"pattern": "^a{tenantsecret42}$"}}}})",
      R"({"json_schema": {"type": "tenantsecret42"}})",
  };
  for (const char* request : requests) {
    SCOPED_TRACE(request);
    Reply r;
    const std::string err = CaptureStderr([&] { r = Run(e, "Hello", request); });
    EXPECT_EQ(r.code, invalid_argument) << LastError();
    EXPECT_EQ(err.find("tenantsecret42"), std::string::npos) << "the host's stderr got: " << err;
  }
  ASSERT_EQ(wasi_nn_set_log_callback(nullptr, nullptr), success);
  // Supported patterns still convert, and constrain the output.
  const Reply ok =
      Run(e, "Hello", R"({"json_schema": {"type": "string", "pattern": "^ab(?:c|d)[0-9]{2}$"}, "n_predict": 16})");
  EXPECT_EQ(ok.code, success) << LastError();
  EXPECT_EQ(ok.text.rfind("\"ab", 0), 0u) << ok.text;
  StillServes();
}

}  // namespace
}  // namespace hostile
