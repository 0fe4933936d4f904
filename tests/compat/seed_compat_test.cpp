// Compatibility through the seed ABI (libwasi_nn_backend.so), strict by default with the
// WasmEdge profile selected by the host's config, and what HyperBEAM's NIF relies on: named
// sessions beyond max_sessions, a reply larger than its buffer, run_inference's config read
// without trusting config_len, lora_adapters.
#include "wasi_nn_backend.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "compat_cases.h"

namespace {

using compat_test::json;

struct SeedDriver {
  static constexpr int kOk = success, kInvalidArgument = invalid_argument, kInvalidEncoding = invalid_encoding,
                       kUnsupported = unsupported_operation, kNotFound = not_found, kContextFull = context_full,
                       kModelNotFound = model_not_found, kSecurity = security;
  void* nn = nullptr;

  bool init(const char* host_config) {
    return (host_config[0] ? init_backend_with_config(&nn, host_config, 0) : init_backend(&nn)) == success;
  }
  int load(const std::string& path, const char* config, uint32_t* g) {
    return load_by_name_with_config(nn, path.c_str(), path.size(), config, 0, g);
  }
  int load_bytes(const std::string& bytes, const char* config, int target, uint32_t* g) {
    graph_builder parts[2] = {{(uint8_t*)bytes.data(), (uint32_t)bytes.size()},
                              {(uint8_t*)config, (uint32_t)std::strlen(config)}};
    graph_builder_array array{parts, 2};
    execution_target t;
    std::memcpy(&t, &target, sizeof t);
    return ::load(nn, &array, ggml, t, g);
  }
  int open(uint32_t g, uint32_t* ctx) { return init_execution_context(nn, g, ctx); }
  int set_text(uint32_t ctx, uint32_t index, const std::string& text) {
    uint32_t dim = text.size();
    tensor_dimensions dims{&dim, 1};
    tensor t{&dims, up8, (uint8_t*)text.data()};
    return set_input(nn, ctx, index, &t);
  }
  int compute(uint32_t ctx) { return ::compute(nn, ctx); }
  int output(uint32_t ctx, uint32_t index, std::string* out) {
    std::string buf(1 << 20, '\0');
    uint32_t size = buf.size();
    const int rc = get_output(nn, ctx, index, (uint8_t*)buf.data(), &size);
    out->assign(buf.data(), rc == success ? size : 0);
    return rc;
  }
  std::string last_error() {
    char buf[4096];
    uint32_t size = sizeof buf;
    return get_output(nn, WASI_NN_NO_HANDLE, 0, (uint8_t*)buf, &size) == success ? std::string(buf, size) : "";
  }
  static int set_log(wasi_nn_log_callback fn) { return wasi_nn_set_log_callback(fn, nullptr); }
  static constexpr int kLogInfo = WASI_NN_LOG_INFO, kLogWarn = WASI_NN_LOG_WARN;
  void finish() {
    EXPECT_EQ(deinit_backend(nn), success);
    nn = nullptr;
  }
};

TEST(SeedCompat, StrictByDefault) {
  SeedDriver d;
  ASSERT_TRUE(d.init(""));
  uint32_t g = 0;
  EXPECT_EQ(d.load(wasi_nn::test::model_path(), compat_test::kWasmEdgeLoad, &g), invalid_argument);
  // The profile is the host's: a load cannot choose it.
  EXPECT_EQ(d.load(wasi_nn::test::model_path(), compat_test::kWasmEdge, &g), security);
  d.finish();
}

// One line per case: each runs the shared check on this ABI's driver.
// clang-format off
TEST(SeedCompat, StrictMetadataIsUnchanged) { SeedDriver d; compat_test::strict_is_unchanged(d); }
TEST(SeedCompat, RawPromptsReuseThePrefix) { SeedDriver d; compat_test::raw_prompts_reuse_the_prefix(d); }
TEST(SeedCompat, InputOnePersistsInTheProfile) { SeedDriver d; compat_test::input_one_persists_and_takes_wasmedge_keys(d, true); }
TEST(SeedCompat, InputOneIsOneComputeInStrict) { SeedDriver d; compat_test::input_one_persists_and_takes_wasmedge_keys(d, false); }
TEST(SeedCompat, ContextFullInTheProfile) { SeedDriver d; compat_test::context_full_keeps_the_text(d, true); }
TEST(SeedCompat, ContextEndsWithoutErrorInStrict) { SeedDriver d; compat_test::context_full_keeps_the_text(d, false); }
TEST(SeedCompat, LoadTakesTargetAuto) { SeedDriver d; compat_test::load_takes_target_auto(d); }
TEST(SeedCompat, DecoderEmbeddingIsTheLastToken) { SeedDriver d; compat_test::embedding_of_a_decoder_is_its_last_token(d); }
TEST(SeedCompat, NamesAreCachedInTheProfile) { SeedDriver d; compat_test::names_are_cached(d, true); }
TEST(SeedCompat, NamesLoadAgainInStrict) { SeedDriver d; compat_test::names_are_cached(d, false); }
// clang-format on

TEST(SeedCompat, MetadataIsWasmEdgesInTheProfile) {
  struct Profiled : SeedDriver {
    bool init(const char* config) { return SeedDriver::init(config[0] ? config : compat_test::kWasmEdge); }
  } d;
  compat_test::metadata_is_wasmedges(d);
}

// One line per case: each runs the shared check on this ABI's driver.
// clang-format off
TEST(SeedCompat, EnableLogIsTheTenants) { SeedDriver d; compat_test::enable_log_is_the_tenants(d); }
TEST(SeedCompat, RefusalsAreLoggedWithTheTenant) { SeedDriver d; compat_test::refusals_are_logged_with_the_tenant(d); }
// clang-format on

// No host here installs a stream sink: strict refuses stream-stdout, the profile warns.
TEST(SeedCompat, StreamStdoutNeedsAHostSink) {
  for (const char* profile : {compat_test::kStrict, compat_test::kWasmEdge}) {
    SeedDriver d;
    ASSERT_TRUE(d.init(profile));
    const uint32_t ctx = compat_test::open_model(d, compat_test::kOurLoad);
    const bool strict = profile == compat_test::kStrict;
    EXPECT_EQ(d.set_text(ctx, 1, R"({"stream-stdout": true})"), strict ? unsupported_operation : success);
    if (!strict) {
      ASSERT_EQ(d.set_text(ctx, 0, "Hello"), success);
      ASSERT_EQ(d.compute(ctx), success);
      EXPECT_NE(compat_test::metadata(d, ctx)["warnings"].dump().find("stream-stdout"), std::string::npos);
    }
    d.finish();
  }
}

// lora_adapters is an alias of "lora" (docs/ADAPTERS.md): an adapter file loads with the model;
// one that does not exist is refused naming the entry.
TEST(SeedCompat, LoraAdaptersLoadWithTheModel) {
  SeedDriver d;
  ASSERT_TRUE(d.init(""));
  uint32_t g = 0;
  const std::string adapter = wasi_nn::test::model_file("tiny-phi3-lora.gguf");
  const std::string with_adapter = R"({"lora_adapters": [{"path": ")" + adapter + R"(", "scale": 1.0}]})";
  EXPECT_EQ(d.load(wasi_nn::test::model_path(), with_adapter.c_str(), &g), success) << d.last_error();
  EXPECT_NE(
      d.load(wasi_nn::test::model_path(), R"({"lora_adapters": [{"path": "no-such-adapter.gguf", "scale": 1.0}]})", &g),
      success);
  EXPECT_NE(d.last_error().find("LoRA adapter 0"), std::string::npos) << d.last_error();
  EXPECT_EQ(d.load(wasi_nn::test::model_path(), R"({"lora_adapters": [], "ctx_size": 128})", &g), success);
  d.finish();
}

// --- Sessions (init_execution_context_with_session_id), as HyperBEAM keeps them. ---

class SeedSessions : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend_with_config(&nn, R"({"max_sessions": 2})", 0), success);
    const std::string path = wasi_nn::test::model_path("tiny-llama");
    const char* config = R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4, "temperature": 0, "ignore_eos": true})";
    ASSERT_EQ(load_by_name_with_config(nn, path.c_str(), 0, config, 0, &g), success);
  }
  void TearDown() override { EXPECT_EQ(deinit_backend(nn), success); }

  json turn(graph_execution_context ctx, const char* text, const char* options = "") {
    char prompt[256];
    std::snprintf(prompt, sizeof prompt, "%s", text);
    tensor in{nullptr, fp32, (uint8_t*)prompt};
    char out[8192];
    uint32_t size = sizeof out;
    EXPECT_EQ(run_inference(nn, ctx, 0, &in, (uint8_t*)out, &size, options, 0), success);
    size = sizeof out;
    EXPECT_EQ(get_output(nn, ctx, 1, (uint8_t*)out, &size), success);
    return compat_test::parsed(std::string(out, size));
  }

  void* nn = nullptr;
  graph g = 0;
};

// Three live sessions with max_sessions 2, every context kept open (HyperBEAM closes them only
// when Erlang collects the resource): the third opens, the first is parked with its history
// and KV state, and resumes intact.
TEST_F(SeedSessions, SessionsBeyondMaxSessionsAreParkedNotDropped) {
  graph_execution_context a, b, c, a_again;
  ASSERT_EQ(init_execution_context_with_session_id(nn, "alice", &a), success);
  const json first = turn(a, "My name is Alice.");
  ASSERT_EQ(init_execution_context_with_session_id(nn, "bob", &b), success);
  turn(b, "My name is Bob.");
  ASSERT_EQ(init_execution_context_with_session_id(nn, "carol", &c), success);  // was busy before
  turn(c, "My name is Carol.");
  ASSERT_EQ(close_execution_context(nn, a), success);
  ASSERT_EQ(init_execution_context_with_session_id(nn, "alice", &a_again), success);
  const json resumed = turn(a_again, "What is my name?");
  // The history is there (the prompt renders both turns), and its KV state was kept: the one
  // sequence served bob and carol meanwhile, so alice's prefix comes back restored.
  EXPECT_GT(resumed.value("input_tokens", 0), first.value("input_tokens", 0) + 4) << resumed;
  EXPECT_GT(resumed.value("restored_tokens", 0), 0) << resumed;
  EXPECT_EQ(resumed.value("session_id", ""), "alice");
}

json stats() {
  std::string buf(1 << 16, '\0');
  uint32_t size = buf.size();
  EXPECT_EQ(wasi_nn_stats(buf.data(), &size), success);
  return compat_test::parsed(buf.substr(0, size));
}

// Only when every open session is computing does a new one answer busy (timeout in this ABI).
TEST_F(SeedSessions, BusyOnlyWhenEverySessionComputes) {
  graph_execution_context a, b, c;
  ASSERT_EQ(init_execution_context_with_session_id(nn, "a", &a), success);
  ASSERT_EQ(init_execution_context_with_session_id(nn, "b", &b), success);
  auto long_turn = [&](graph_execution_context ctx) {
    char prompt[] = "Count forever";
    tensor in{nullptr, fp32, (uint8_t*)prompt};
    std::string out(1 << 20, '\0');
    uint32_t size = out.size();
    EXPECT_EQ(run_inference(nn, ctx, 0, &in, (uint8_t*)out.data(), &size, R"({"n_predict": 400})", 0), success);
  };
  std::thread ta(long_turn, a), tb(long_turn, b);
  // Both turns are claimed once one generates and the other waits for the one sequence.
  bool both = false;
  for (int i = 0; i < 20000 && !both; ++i) {
    const json s = stats();
    both = s.value("active_sequences", 0) + s.value("queue_depth", 0) == 2;
    if (!both) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_TRUE(both);
  const wasi_nn_error rc = init_execution_context_with_session_id(nn, "c", &c);
  std::string msg(1024, '\0');
  uint32_t size = msg.size();
  EXPECT_EQ(get_output(nn, WASI_NN_NO_HANDLE, 0, (uint8_t*)msg.data(), &size), success);
  ta.join();
  tb.join();
  EXPECT_EQ(rc, timeout) << "a third session opened while both others were computing";
  EXPECT_NE(msg.substr(0, size).find("max_sessions (2) sessions are open and all computing"), std::string::npos)
      << msg.substr(0, size);
  EXPECT_EQ(init_execution_context_with_session_id(nn, "c", &c), success);  // once they finished
}

uint64_t requests_done() {
  std::string buf(1 << 16, '\0');
  uint32_t size = buf.size();
  EXPECT_EQ(wasi_nn_stats(buf.data(), &size), success);
  return compat_test::parsed(buf.substr(0, size))["counters"]["requests_done"].get<uint64_t>();
}

// A reply larger than the host's buffer stays readable, the turn counted once: a retry of the
// same call returns it without computing again (HyperBEAM retries with a larger buffer).
TEST_F(SeedSessions, AReplyThatDoesNotFitIsKeptAndCountedOnce) {
  graph_execution_context s;
  ASSERT_EQ(init_execution_context_with_session_id(nn, "big", &s), success);
  char prompt[] = "Tell me a long story";
  tensor in{nullptr, fp32, (uint8_t*)prompt};
  const uint64_t before = requests_done();
  char small[4];
  uint32_t size = sizeof small;
  ASSERT_EQ(run_inference(nn, s, 0, &in, (uint8_t*)small, &size, "", 0), too_large);
  const uint32_t needed = size;
  ASSERT_GT(needed, sizeof small);
  char msg[1024];
  uint32_t msg_size = sizeof msg;
  ASSERT_EQ(get_output(nn, WASI_NN_NO_HANDLE, 0, (uint8_t*)msg, &msg_size), success);
  EXPECT_NE(std::string(msg, msg_size).find("kept"), std::string::npos) << std::string(msg, msg_size);
  std::string read(needed + 1, '\0');
  size = read.size();
  ASSERT_EQ(get_output(nn, s, 0, (uint8_t*)read.data(), &size), success);
  EXPECT_EQ(size, needed);
  std::string retried(needed + 1, '\0');
  size = retried.size();
  ASSERT_EQ(run_inference(nn, s, 0, &in, (uint8_t*)retried.data(), &size, "", 0), success);
  EXPECT_EQ(std::string(retried.data(), size), read.substr(0, needed));
  EXPECT_EQ(requests_done(), before + 1);
  // Another call is a new turn.
  std::string big(1 << 16, '\0');
  size = big.size();
  ASSERT_EQ(run_inference(nn, s, 0, &in, (uint8_t*)big.data(), &size, "", 0), success);
  EXPECT_EQ(requests_done(), before + 2);
}

// run_inference reads its config up to the NUL: config_len is not trusted (HyperBEAM passes
// none, so the value is whatever its stack held).
TEST_F(SeedSessions, RunInferenceIgnoresConfigLen) {
  graph_execution_context s;
  ASSERT_EQ(init_execution_context_with_session_id(nn, "cfg", &s), success);
  char prompt[] = "Hello";
  tensor in{nullptr, fp32, (uint8_t*)prompt};
  char out[8192];
  for (uint32_t garbage : {1u, 7u, 0x7fffffffu}) {
    uint32_t size = sizeof out;
    ASSERT_EQ(run_inference(nn, s, 0, &in, (uint8_t*)out, &size, R"({"n_predict": 2})", garbage), success) << garbage;
    size = sizeof out;
    ASSERT_EQ(get_output(nn, s, 1, (uint8_t*)out, &size), success);
    EXPECT_EQ(compat_test::parsed(std::string(out, size)).value("output_tokens", -1), 2) << garbage;
  }
}

}  // namespace
