// The compatibility checks both C ABIs share, written once against a Driver that each test
// binary implements over its own header (the two headers define the same names, so a
// translation unit includes one): seed_compat_test.cpp and wamr_compat_test.cpp.
//
// A Driver D provides:
//   static codes: D::kOk, kInvalidArgument, kInvalidEncoding, kUnsupported, kNotFound,
//                 kContextFull, kModelNotFound, kSecurity
//   bool init(const char* host_config)          a backend with the host's config ("" = none)
//   int load(path, config, uint32_t* g)         load_by_name_with_config
//   int load_bytes(bytes, config, target, g)    load() of GGUF bytes
//   int open(uint32_t g, uint32_t* ctx)         init_execution_context
//   int set_text(ctx, index, text)              set_input of UTF-8 text
//   int compute(ctx)
//   int output(ctx, index, std::string* out)    get_output into a large buffer
//   std::string last_error()
//   void finish()                               deinit_backend
//   static int set_log(fn)                      wasi_nn_set_log_callback; kLogInfo, kLogWarn levels
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/test_files.h"

namespace compat_test {

using json = nlohmann::json;

constexpr char kWasmEdge[] = R"({"profile": "wasmedge"})";
constexpr char kStrict[] = R"({"profile": "strict"})";
// WasmEdge's keys, as its examples send them (plus one it ignores), kept small and greedy.
constexpr char kWasmEdgeLoad[] =
    R"({"enable-log": false, "llama3": true, "ctx-size": 256, "n-parallel": 1, "n-predict": 4, "temp": 0, "ignore-eos": true})";
constexpr char kOurLoad[] =
    R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4, "temperature": 0, "ignore_eos": true})";

inline json parsed(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "not JSON: " << text;
  return j;
}

// Every log line the library writes, captured through its log callback (process-wide).
struct LogCapture {
  static std::mutex mu;
  static std::vector<std::pair<int, std::string>> lines;
  static void sink(int level, const char* line, void*) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(level, line);
  }
  // Lines at `level` containing every fragment.
  static size_t count(int level, std::initializer_list<const char*> fragments) {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const auto& [lv, line] : lines) {
      bool all = lv == level;
      for (const char* f : fragments) all = all && line.find(f) != std::string::npos;
      n += all;
    }
    return n;
  }
};
inline std::mutex LogCapture::mu;
inline std::vector<std::pair<int, std::string>> LogCapture::lines;

template <class D>
uint32_t open_model(D& d, const char* config, const char* model = "tiny-phi3") {
  uint32_t g = 0, ctx = 0;
  EXPECT_EQ(d.load(wasi_nn::test::model_path(model), config, &g), D::kOk) << d.last_error();
  EXPECT_EQ(d.open(g, &ctx), D::kOk) << d.last_error();
  return ctx;
}

template <class D>
json metadata(D& d, uint32_t ctx) {
  std::string text;
  EXPECT_EQ(d.output(ctx, 1, &text), D::kOk) << d.last_error();
  return parsed(text.empty() ? "{}" : text);
}

// Output 1 is WasmEdge's from init_execution_context on: input_tokens after set_input(0), and
// after compute its four top-level fields besides ours, plus the warnings of ignored keys.
template <class D>
void metadata_is_wasmedges(D& d) {
  ASSERT_TRUE(d.init(""));  // the library's default profile (the WAMR one: wasmedge)
  const uint32_t ctx = open_model(d, kWasmEdgeLoad);
  json m = metadata(d, ctx);
  EXPECT_EQ(m.value("input_tokens", -1), 0) << m;
  EXPECT_EQ(m.value("output_tokens", -1), 0) << m;
  ASSERT_EQ(d.set_text(ctx, 0, "Once upon a time"), D::kOk);
  m = metadata(d, ctx);
  const int n_in = m.value("input_tokens", -1);
  EXPECT_GT(n_in, 0) << m;
  EXPECT_EQ(m.value("output_tokens", -1), 0) << m;
  ASSERT_EQ(d.compute(ctx), D::kOk) << d.last_error();
  m = metadata(d, ctx);
  EXPECT_EQ(m.value("input_tokens", -1), n_in) << m;
  EXPECT_EQ(m.value("output_tokens", -1), 4) << m;
  ASSERT_TRUE(m["llama_build_number"].is_number_integer()) << m;
  ASSERT_TRUE(m["llama_commit"].is_string()) << m;
#ifdef WASI_NN_LLAMA_BUILD_NUMBER
  EXPECT_EQ(m["llama_build_number"].get<int>(), WASI_NN_LLAMA_BUILD_NUMBER) << m;
  EXPECT_EQ(m["llama_commit"].get<std::string>(), WASI_NN_LLAMA_BUILD_COMMIT) << m;
#endif
  EXPECT_TRUE(m.contains("cached_tokens")) << m;  // ours, besides WasmEdge's
  ASSERT_TRUE(m["warnings"].is_array()) << m;
  EXPECT_NE(m["warnings"].dump().find("llama3"), std::string::npos) << m;
  // set_input(0) again: the count follows the prompt, output_tokens stays (as in WasmEdge).
  ASSERT_EQ(d.set_text(ctx, 0, "Once upon a time"), D::kOk);
  m = metadata(d, ctx);
  EXPECT_EQ(m.value("input_tokens", -1), n_in) << m;
  EXPECT_EQ(m.value("output_tokens", -1), 4) << m;
  d.finish();
}

// The strict profile keeps our metadata and refuses WasmEdge's unknown key.
template <class D>
void strict_is_unchanged(D& d) {
  ASSERT_TRUE(d.init(kStrict));
  uint32_t g = 0;
  EXPECT_EQ(d.load(wasi_nn::test::model_path(), kWasmEdgeLoad, &g), D::kInvalidArgument);
  EXPECT_NE(d.last_error().find("llama3"), std::string::npos) << d.last_error();
  const uint32_t ctx = open_model(d, kOurLoad);
  ASSERT_EQ(d.set_text(ctx, 0, "Once upon a time"), D::kOk);
  std::string before;
  EXPECT_EQ(d.output(ctx, 1, &before), D::kOk);
  EXPECT_TRUE(before.empty()) << before;
  ASSERT_EQ(d.compute(ctx), D::kOk) << d.last_error();
  const json m = metadata(d, ctx);
  EXPECT_FALSE(m.contains("llama_build_number")) << m;
  EXPECT_TRUE(m["llama_cpp"].is_object()) << m;
  d.finish();
}

// Raw prompts by default: the guest resends the whole conversation, and only the new tokens
// are computed (cached_tokens); the count is the one a fresh context reports for the text.
template <class D>
void raw_prompts_reuse_the_prefix(D& d) {
  ASSERT_TRUE(d.init(kWasmEdge));
  uint32_t g = 0, chat = 0, fresh = 0;
  ASSERT_EQ(d.load(wasi_nn::test::model_path(), kWasmEdgeLoad, &g), D::kOk) << d.last_error();
  ASSERT_EQ(d.open(g, &chat), D::kOk);
  std::string conversation = "<|user|>\nHello<|end|>\n<|assistant|>\n";
  ASSERT_EQ(d.set_text(chat, 0, conversation), D::kOk);
  ASSERT_EQ(d.compute(chat), D::kOk) << d.last_error();
  const int first = metadata(d, chat).value("input_tokens", -1);
  std::string reply;
  ASSERT_EQ(d.output(chat, 0, &reply), D::kOk);
  conversation += reply + "<|end|>\n<|user|>\nAnd then?<|end|>\n<|assistant|>\n";
  ASSERT_EQ(d.set_text(chat, 0, conversation), D::kOk);
  ASSERT_EQ(d.compute(chat), D::kOk) << d.last_error();
  const json second = metadata(d, chat);
  ASSERT_EQ(d.open(g, &fresh), D::kOk);
  ASSERT_EQ(d.set_text(fresh, 0, conversation), D::kOk);
  EXPECT_EQ(second.value("input_tokens", -1), metadata(d, fresh).value("input_tokens", -2)) << second;
  EXPECT_GE(second.value("cached_tokens", -1), first) << second;
  EXPECT_LT(second.value("cached_tokens", -1), second.value("input_tokens", -1)) << second;
  d.finish();
}

// Input index 1: WasmEdge's keys (load-only ones too, with a warning), and its settings persist
// for the context's later computes; in the strict profile they apply to one compute.
template <class D>
void input_one_persists_and_takes_wasmedge_keys(D& d, bool wasmedge) {
  ASSERT_TRUE(d.init(wasmedge ? kWasmEdge : kStrict));
  const uint32_t ctx = open_model(d, kOurLoad);
  const char* settings = R"({"ctx-size": 512, "n-gpu-layers": 0, "n-predict": 2})";
  ASSERT_EQ(d.set_text(ctx, 1, settings), wasmedge ? D::kOk : D::kInvalidArgument) << d.last_error();
  ASSERT_EQ(d.set_text(ctx, 1, R"({"n-predict": 2})"), D::kOk);
  for (int turn = 0; turn < 2; ++turn) {
    ASSERT_EQ(d.set_text(ctx, 0, "Once upon a time"), D::kOk);
    ASSERT_EQ(d.compute(ctx), D::kOk) << d.last_error();
    EXPECT_EQ(metadata(d, ctx).value("output_tokens", -1), wasmedge || turn == 0 ? 2 : 4) << "turn " << turn;
  }
  if (wasmedge) {
    EXPECT_NE(metadata(d, ctx)["warnings"].dump().find("ctx-size"), std::string::npos);
  }
  EXPECT_EQ(d.set_text(ctx, 1, "{"), wasmedge ? D::kInvalidEncoding : D::kInvalidArgument);
  d.finish();
}

// ContextFull (101) where WasmEdge answers it, the text so far kept; strict generates to the
// end of the window and succeeds.
template <class D>
void context_full_keeps_the_text(D& d, bool wasmedge) {
  ASSERT_TRUE(d.init(wasmedge ? kWasmEdge : kStrict));
  const uint32_t ctx =
      open_model(d, R"({"ctx-size": 64, "n-parallel": 1, "n-predict": 200, "temp": 0, "ignore-eos": true,
                        "context_shift": false})");
  ASSERT_EQ(d.set_text(ctx, 0, "Once upon a time"), D::kOk);
  EXPECT_EQ(d.compute(ctx), wasmedge ? D::kContextFull : D::kOk) << d.last_error();
  std::string text;
  EXPECT_EQ(d.output(ctx, 0, &text), D::kOk);
  EXPECT_FALSE(text.empty());
  const json m = metadata(d, ctx);
  EXPECT_EQ(m.value("stop_reason", ""), "context_full") << m;
  const int total = m.value("input_tokens", 0) + m.value("output_tokens", 0);
  EXPECT_GE(total, 64) << m;
  EXPECT_LE(total, 65) << m;
  d.finish();
}

// load() takes WasmEdge's target AUTO (3), which the wasmedge-wasi-nn crate sends.
template <class D>
void load_takes_target_auto(D& d) {
  ASSERT_TRUE(d.init(""));
  const std::string bytes = wasi_nn::test::read_file(wasi_nn::test::model_path());
  uint32_t g = 0;
  EXPECT_EQ(d.load_bytes(bytes, kOurLoad, 3, &g), D::kOk) << d.last_error();
  EXPECT_EQ(d.load_bytes(bytes, kOurLoad, 4, &g), D::kInvalidArgument);
  d.finish();
}

inline std::vector<double> floats(const json& a) {
  std::vector<double> v;
  for (const auto& x : a) v.push_back(x.get<double>());
  return v;
}

// A decoder without pooling: one vector per input, its last token's (as WasmEdge), where the
// strict profile returns every token's vector.
template <class D>
void embedding_of_a_decoder_is_its_last_token(D& d) {
  std::vector<std::vector<double>> got;
  for (const char* profile : {kWasmEdge, kStrict}) {
    ASSERT_TRUE(d.init(profile));
    const uint32_t ctx = open_model(d, R"({"embedding": true, "ctx_size": 128})", "tiny-qwen2");
    ASSERT_EQ(d.set_text(ctx, 0, "hello world"), D::kOk);
    ASSERT_EQ(d.compute(ctx), D::kOk) << d.last_error();
    std::string out;
    ASSERT_EQ(d.output(ctx, 0, &out), D::kOk);
    const json e = parsed(out)["embedding"];
    ASSERT_TRUE(e.is_array() && !e.empty()) << out.substr(0, 200);
    got.push_back(e[0].is_array() ? floats(e.back()) : floats(e));
    if (profile == kWasmEdge) {
      EXPECT_TRUE(e[0].is_number()) << "one vector expected";
      EXPECT_EQ(parsed(out)["n_embedding"].get<size_t>(), e.size());
      double norm = 0;
      for (double x : got.back()) norm += x * x;
      EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-3);
    } else {
      EXPECT_TRUE(e[0].is_array()) << "per-token vectors expected";
    }
    d.finish();
  }
  ASSERT_EQ(got[0].size(), got[1].size());
  for (size_t i = 0; i < got[0].size(); ++i) EXPECT_NEAR(got[0][i], got[1][i], 1e-6) << i;
}

// enable-log routes this tenant's info lines, never the process level: another backend
// computing at the same process level logs no info line.
template <class D>
void enable_log_is_the_tenants(D& d) {
  const int info_level = D::kLogInfo;
  ASSERT_EQ(D::set_log(LogCapture::sink), D::kOk);
  D other;
  ASSERT_TRUE(d.init(""));
  ASSERT_TRUE(other.init(""));
  const uint32_t loud = open_model(d, R"({"enable-log": true, "ctx-size": 128, "n-predict": 2, "n-parallel": 1})");
  const uint32_t quiet = open_model(other, R"({"ctx-size": 128, "n-predict": 2, "n-parallel": 1})");
  ASSERT_EQ(d.set_text(loud, 0, "Hello"), D::kOk);
  ASSERT_EQ(other.set_text(quiet, 0, "Hello"), D::kOk);
  ASSERT_EQ(other.compute(quiet), D::kOk);
  EXPECT_EQ(LogCapture::count(info_level, {"compute:"}), 0u);
  ASSERT_EQ(d.compute(loud), D::kOk);
  EXPECT_EQ(LogCapture::count(info_level, {"compute:", "tenant "}), 1u);
  ASSERT_EQ(other.set_text(quiet, 0, "Hello again"), D::kOk);
  ASSERT_EQ(other.compute(quiet), D::kOk);
  EXPECT_EQ(LogCapture::count(info_level, {"compute:"}), 1u);
  other.finish();
  d.finish();
  EXPECT_EQ(D::set_log(nullptr), D::kOk);
}

// A refused call is logged at warn with its reason and the tenant.
template <class D>
void refusals_are_logged_with_the_tenant(D& d) {
  ASSERT_EQ(D::set_log(LogCapture::sink), D::kOk);
  ASSERT_TRUE(d.init(""));
  EXPECT_EQ(d.compute(77), D::kNotFound);
  EXPECT_EQ(LogCapture::count(D::kLogWarn, {"tenant ", "compute refused", "execution context 77"}), 1u);
  d.finish();
  EXPECT_EQ(D::set_log(nullptr), D::kOk);
}

// WasmEdge caches graphs by name; a bare name nothing grants is not_found (8) there. The strict
// profile loads again and answers model_not_found (103).
template <class D>
void names_are_cached(D& d, bool wasmedge) {
  ASSERT_TRUE(d.init(wasmedge ? kWasmEdge : kStrict));
  uint32_t a = 0, b = 0;
  ASSERT_EQ(d.load(wasi_nn::test::model_path(), kOurLoad, &a), D::kOk) << d.last_error();
  ASSERT_EQ(d.load(wasi_nn::test::model_path(), kOurLoad, &b), D::kOk) << d.last_error();
  EXPECT_EQ(a == b, wasmedge);
  d.finish();
}

}  // namespace compat_test
