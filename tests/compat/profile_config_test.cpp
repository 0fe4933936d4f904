// The WasmEdge profile at the parser: every key WasmEdge's GGML plugin reads (its metadata
// parser, docs/COMPATIBILITY.md section 2) is accepted with WasmEdge's type and meaning; what we
// cannot honour is a warning there and an error in the strict profile; the host's limits and
// host-only keys hold in both. No model needed.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "core/base/error.h"
#include "core/config/config_parser.h"

namespace wasi_nn {
namespace {

// WasmEdge's keys, each with a value of its type (metadata_parser.cpp, in its order).
// clang-format off
const std::vector<std::pair<const char*, const char*>> kWasmEdgeKeys = {
    {"enable-log", "true"}, {"enable-debug-log", "true"}, {"main-gpu", "0"}, {"n-gpu-layers", "0"},
    {"cpu-moe", "false"}, {"n-cpu-moe", "0"}, {"tensor-split", "\"1\""}, {"embedding", "false"},
    {"split-mode", "\"layer\""}, {"mmproj", "\"\""}, {"tts", "false"}, {"model-vocoder", "\"v.gguf\""},
    {"tts-output-file", "\"out.wav\""}, {"tts-speaker-file", "\"s.json\""}, {"ctx-size", "512"},
    {"batch-size", "512"}, {"ubatch-size", "512"}, {"n-keep", "0"}, {"n-chunks", "-1"}, {"n-parallel", "1"},
    {"n-sequences", "1"}, {"grp-attn-n", "1"}, {"grp-attn-w", "512"}, {"n-print", "-1"},
    {"rope-freq-base", "0"}, {"rope-freq-scale", "0"}, {"yarn-ext-factor", "-1"}, {"yarn-attn-factor", "-1"},
    {"yarn-beta-fast", "-1"}, {"yarn-beta-slow", "-1"}, {"yarn-orig-ctx", "0"}, {"mask-valid", "false"},
    {"priority", "0"}, {"strict-cpu", "false"}, {"poll", "50"}, {"mask-valid-batch", "false"},
    {"priority-batch", "0"}, {"strict-cpu-batch", "false"}, {"poll-batch", "50"}, {"numa", "0"},
    {"rope-scaling-type", "-1"}, {"pooling-type", "-1"}, {"attention-type", "-1"}, {"threads", "2"},
    {"threads-batch", "2"}, {"n-prev", "64"}, {"n-probs", "0"}, {"min-keep", "0"}, {"top-k", "40"},
    {"min-p", "0.05"}, {"xtc-probability", "0"}, {"xtc-threshold", "0.1"}, {"typ-p", "1"},
    {"dynatemp-range", "0"}, {"dynatemp-exponent", "1"}, {"last-n-penalty", "64"}, {"temp", "0.8"},
    {"top-p", "0.95"}, {"repeat-penalty", "1"}, {"presence-penalty", "0"}, {"frequency-penalty", "0"},
    {"dry-multipier", "0"}, {"dry-base", "1.75"}, {"dry-allowed-length", "2"}, {"dry-last-n-penalty", "64"},
    {"mirostat", "0"}, {"mirostat-eta", "0.1"}, {"ignore-eos", "false"}, {"no-perf-sampling", "false"},
    {"timing-per-token", "false"}, {"grammar", "\"root ::= \\\"yes\\\"\""},
    {"json-schema", "\"{\\\"type\\\": \\\"object\\\"}\""}, {"seed", "42"}, {"n-ctx-speculative", "0"},
    {"n-max-speculative", "16"}, {"n-min-speculative", "0"}, {"n-gpu-layers-speculative", "-1"},
    {"p-split-speculative", "0.1"}, {"p-min-speculative", "0.75"}, {"hf-repo-vocoder", "\"\""},
    {"hf-file-vocoder", "\"\""}, {"model-url-vocoder", "\"\""}, {"stream-stdout", "false"}, {"n-predict", "8"},
    {"reverse-prompt", "\"User:\""}, {"image", "\"\""}, {"always-regenerate-image-embd", "false"},
    {"model-alias", "\"m\""}, {"model-url", "\"\""}, {"hf-token", "\"\""}, {"hf-repo", "\"\""}, {"hf-file", "\"\""},
    {"prompt-file", "\"\""}, {"path-prompt-cache", "\"\""}, {"input-prefix", "\"\""}, {"input-suffix", "\"\""},
    {"lookup-cache-static", "\"\""}, {"lookup-cache-dynamic", "\"\""}, {"logits-file", "\"\""},
    {"lora-init-without-apply", "false"}, {"verbosity", "0"}, {"control-vector-layer-start", "-1"},
    {"control-vector-layer-end", "-1"}, {"ppl-stride", "0"}, {"ppl-output-type", "0"}, {"hellaswag", "false"},
    {"hellaswag-tasks", "400"}, {"winogrande", "false"}, {"winogrande-tasks", "0"}, {"multiple-choice", "false"},
    {"multiple-choice-tasks", "0"}, {"kl-divergence", "false"}, {"usage", "false"}, {"use-color", "false"},
    {"special", "false"}, {"interactive", "false"}, {"interactive-first", "false"}, {"prompt-cache-all", "false"},
    {"prompt-cache-ro", "false"}, {"escape", "true"}, {"multiline-input", "false"}, {"simple-io", "false"},
    {"cont-batching", "true"}, {"flash-attn", "\"auto\""}, {"no-perf", "false"}, {"ctx-shift", "false"},
    {"input-prefix-bos", "false"}, {"use-mlock", "false"}, {"use-mmap", "true"}, {"load-mode", "\"mmap\""},
    {"verbose-prompt", "false"}, {"display-prompt", "true"}, {"no-kv-offload", "false"}, {"warmup", "true"},
    {"check-tensors", "false"}, {"cache-type-k", "1"}, {"cache-type-v", "1"}, {"embd-normalize", "2"},
    {"embd-out", "\"\""}, {"embd-sep", "\"\\n\""}, {"reranking", "false"}, {"port", "8080"},
    {"timeout-read", "600"}, {"timeout-write", "600"}, {"n-threads-http", "-1"}, {"n-cache-reuse", "0"},
    {"hostname", "\"127.0.0.1\""}, {"public-path", "\"\""}, {"chat-template", "\"\""},
    {"enable-chat-template", "true"}, {"ssl-file-key", "\"\""}, {"ssl-file-cert", "\"\""}, {"webui", "true"},
    {"endpoint-slots", "false"}, {"endpoint-props", "false"}, {"endpoint-metrics", "false"}, {"log-json", "false"},
    {"slot-save-path", "\"\""}, {"slot-prompt-similarity", "0.5"}, {"is-pp-shared", "false"}, {"n-pp", "1"},
    {"n-tg", "1"}, {"n-pl", "1"}, {"context-files", "\"a.txt\""}, {"chunk-size", "64"},
    {"chunk-separator", "\"\\n\""}, {"n-junk", "250"}, {"i-pos", "-1"}, {"out-file", "\"\""}, {"n-out-freq", "10"},
    {"n-save-freq", "0"}, {"i-chunk", "0"}, {"process-output", "false"}, {"compute-ppl", "true"},
    {"n-pca-batch", "100"}, {"n-pca-iterations", "1000"}, {"cvector-dimre-method", "\"DIMRE_METHOD_PCA\""},
    {"cvector-positive-file", "\"\""}, {"cvector-negative-file", "\"\""}, {"spm-infill", "false"},
    {"batched-bench-output-jsonl", "false"}};
// clang-format on

Settings parse_in(Profile profile, unsigned scope, const std::string& json, const Limits* limits = nullptr) {
  Settings s;
  apply_defaults(s);
  apply_profile_defaults(profile, s);
  s.backend.profile = profile;
  parse_config(json, scope, s, ParseOptions{limits, false, profile});
  return s;
}

Settings wasmedge(const std::string& json, unsigned scope = kScopeLoad) {
  return parse_in(Profile::WasmEdge, scope, json);
}

ErrorKind error_of(Profile profile, unsigned scope, const std::string& json, std::string* message = nullptr) {
  try {
    parse_in(profile, scope, json);
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.kind();
  }
  ADD_FAILURE() << "accepted: " << json;
  return ErrorKind::Runtime;
}

bool warned_about(const Settings& s, const std::string& key) {
  for (const auto& w : s.warnings) {
    if (w.find("'" + key + "'") != std::string::npos) return true;
  }
  return false;
}

TEST(WasmEdgeProfileConfig, EveryKeyOfWasmEdgesParserLoadsWithoutAWarning) {
  for (const auto& [key, value] : kWasmEdgeKeys) {
    const std::string doc = std::string("{\"") + key + "\": " + value + "}";
    Settings s;
    ASSERT_NO_THROW(s = wasmedge(doc)) << doc;
    // Each value is the neutral or an honoured one: nothing to warn about.
    EXPECT_TRUE(s.warnings.empty()) << doc << ": " << (s.warnings.empty() ? "" : s.warnings[0]);
  }
}

TEST(WasmEdgeProfileConfig, EveryKeyIsAcceptedAtInputIndexOne) {
  for (const auto& [key, value] : kWasmEdgeKeys) {
    const std::string doc = std::string("{\"") + key + "\": " + value + "}";
    EXPECT_NO_THROW(wasmedge(doc, kScopeRequest)) << doc;
  }
}

TEST(WasmEdgeProfileConfig, WhatWeCannotHonourIsAWarningThereAndAnErrorInStrict) {
  const Settings s = wasmedge(R"({"llama3": true, "rope-freq-base": 10000, "numa": 1,
                                  "load-mode": "dio", "stream": true})");
  for (const char* key : {"llama3", "rope-freq-base", "numa", "load-mode", "stream"}) {
    EXPECT_TRUE(warned_about(s, key)) << key;
  }
  EXPECT_EQ(s.warnings.size(), 5u);
  EXPECT_EQ(error_of(Profile::Strict, kScopeLoad, R"({"llama3": true})"), ErrorKind::InvalidArgument);
  EXPECT_EQ(error_of(Profile::Strict, kScopeLoad, R"({"rope-freq-base": 10000})"), ErrorKind::InvalidArgument);
  EXPECT_EQ(error_of(Profile::Strict, kScopeLoad, R"({"stream": true})"), ErrorKind::Unsupported);
  // The neutral value changes nothing: no warning.
  EXPECT_TRUE(wasmedge(R"({"rope-freq-base": 0, "numa": 0, "mmproj": ""})").warnings.empty());
}

// Multimodal keys are honoured in both profiles (docs/MULTIMODAL.md): the projector, and in
// WasmEdge's the image path of the next prompt.
TEST(WasmEdgeProfileConfig, MmprojAndImageAreHonoured) {
  const Settings s = wasmedge(R"({"mmproj": "v.gguf"})");
  EXPECT_TRUE(s.warnings.empty());
  EXPECT_EQ(s.request.media.mmproj, "v.gguf");
  EXPECT_EQ(wasmedge(R"({"image": "cat.png"})", kScopeRequest).request.media.image, "cat.png");
  EXPECT_EQ(error_of(Profile::Strict, kScopeRequest, R"({"image": "cat.png"})"), ErrorKind::InvalidArgument);
}

TEST(WasmEdgeProfileConfig, WasmEdgesTypesAndMeanings) {
  const Settings a = wasmedge(R"({"tensor-split": "3,2", "cache-type-k": 8, "cache-type-v": 0, "pooling-type": 1,
                                  "flash-attn": "enabled", "load-mode": "none"})");
  EXPECT_EQ(a.model.tensor_split, (std::vector<float>{3, 2}));
  EXPECT_EQ(a.context.cache_type_k, KvCacheType::Q8_0);
  EXPECT_EQ(a.context.cache_type_v, KvCacheType::F32);
  EXPECT_EQ(a.context.pooling, Pooling::Mean);
  EXPECT_EQ(a.context.flash_attn, FlashAttn::On);
  EXPECT_FALSE(a.model.use_mmap);
  EXPECT_FALSE(a.model.use_mlock);
  // Our own types still work in the profile: the row whose type fits the value is taken.
  const Settings b =
      wasmedge(R"({"tensor_split": [1, 1], "cache_type_k": "q4_0", "pooling": "cls", "flash_attn": false})");
  EXPECT_EQ(b.model.tensor_split, (std::vector<float>{1, 1}));
  EXPECT_EQ(b.context.cache_type_k, KvCacheType::Q4_0);
  EXPECT_EQ(b.context.pooling, Pooling::Cls);
  EXPECT_EQ(b.context.flash_attn, FlashAttn::Off);
  // Clamped as WasmEdge clamps, not refused.
  const Settings c = wasmedge(R"({"temp": -1, "top-p": 1.5, "presence-penalty": -2, "frequency-penalty": -1,
                                  "repeat-penalty": 0})");
  EXPECT_EQ(c.request.sampling.temp, 0.0f);
  EXPECT_EQ(c.request.sampling.top_p, 1.0f);
  EXPECT_EQ(c.request.sampling.penalty_present, 0.0f);
  EXPECT_EQ(c.request.sampling.penalty_freq, 0.0f);
  EXPECT_FLOAT_EQ(c.request.sampling.penalty_repeat, 0.01f);
  EXPECT_EQ(error_of(Profile::Strict, kScopeLoad, R"({"temp": -1})"), ErrorKind::InvalidArgument);
  // WasmEdge's own spellings, and its dry-last-n-penalty writing the penalties' window.
  const Settings d =
      wasmedge(R"({"last-n-penalty": 32, "dry-multipier": 0.5, "n-prev": 16, "reverse-prompt": "User:"})");
  EXPECT_EQ(d.request.sampling.penalty_last_n, 32);
  EXPECT_FLOAT_EQ(d.request.sampling.dry_multiplier, 0.5f);
  EXPECT_EQ(d.request.sampling.n_prev, 16);
  EXPECT_EQ(d.request.stop, (std::vector<std::string>{"User:"}));
  EXPECT_EQ(wasmedge(R"({"dry-last-n-penalty": 16})").request.sampling.penalty_last_n, 16);
  EXPECT_TRUE(wasmedge(R"({"reverse-prompt": ""})").request.stop.empty());
  const Settings e = wasmedge(R"({"reranking": true})");
  EXPECT_TRUE(e.context.embedding);
  EXPECT_EQ(e.context.pooling, Pooling::Rank);
}

TEST(WasmEdgeProfileConfig, WrongTypesAndBadValuesAreStillErrors) {
  for (const char* doc :
       {R"({"n-predict": "many"})", R"({"cache-type-k": 99})", R"({"tensor-split": "a,b"})", R"({"pooling-type": 7})",
        R"({"flash-attn": "maybe"})", R"({"enable-log": 1})", R"({"cvector-dimre-method": "x"})"}) {
    EXPECT_EQ(error_of(Profile::WasmEdge, kScopeLoad, doc), ErrorKind::InvalidArgument) << doc;
  }
  // A load-only key in a request: a warning in the profile, but never with a wrong type.
  EXPECT_EQ(error_of(Profile::WasmEdge, kScopeRequest, R"({"ctx-size": "big"})"), ErrorKind::InvalidArgument);
  EXPECT_TRUE(warned_about(wasmedge(R"({"ctx-size": 512})", kScopeRequest), "ctx-size"));
  EXPECT_EQ(error_of(Profile::Strict, kScopeRequest, R"({"ctx-size": 512})"), ErrorKind::InvalidArgument);
}

TEST(WasmEdgeProfileConfig, TextThatIsNotJsonIsInvalidEncoding) {
  EXPECT_EQ(error_of(Profile::WasmEdge, kScopeRequest, "{"), ErrorKind::InvalidEncoding);
  EXPECT_EQ(error_of(Profile::Strict, kScopeRequest, "{"), ErrorKind::InvalidArgument);
}

TEST(WasmEdgeProfileConfig, HostOnlyKeysAndTheProfileStayTheHosts) {
  for (const char* doc : {R"({"log_file": "/tmp/x"})", R"({"profile": "strict"})", R"({"kv_save_dir": "/tmp"})"}) {
    EXPECT_EQ(error_of(Profile::WasmEdge, kScopeLoad, doc), ErrorKind::Security) << doc;
    EXPECT_EQ(error_of(Profile::WasmEdge, kScopeRequest, doc), ErrorKind::Security) << doc;
  }
  EXPECT_EQ(parse_in(Profile::Strict, kScopeBackend, R"({"profile": "wasmedge"})").backend.profile, Profile::WasmEdge);
}

TEST(WasmEdgeProfileConfig, TheHostsLimitsHoldForWasmEdgeSpellings) {
  const Limits limits =
      parse_limits(R"({"temperature": 1.0, "denied_keys": ["repeat_last_n"], "enable_log": false})", "test");
  for (const char* doc :
       {R"({"temp": 1.5})", R"({"last-n-penalty": 8})", R"({"dry-last-n-penalty": 8})", R"({"enable-log": true})"}) {
    try {
      parse_in(Profile::WasmEdge, kScopeRequest, doc, &limits);
      ADD_FAILURE() << "accepted: " << doc;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << doc;
    }
  }
  EXPECT_NO_THROW(parse_in(Profile::WasmEdge, kScopeRequest, R"({"temp": -3})", &limits));
}

TEST(WasmEdgeProfileConfig, WarningsAreBounded) {
  std::string doc = "{";
  for (int i = 0; i < 100; ++i) doc += (i ? ", \"unknown" : "\"unknown") + std::to_string(i) + "\": 1";
  const Settings s = wasmedge(doc + "}");
  EXPECT_EQ(s.warnings.size(), kMaxConfigWarnings + 1);
}

TEST(WasmEdgeProfileConfig, ProfileDefaultsAreWasmEdges) {
  Settings w, s;
  apply_defaults(w);
  apply_defaults(s);
  apply_profile_defaults(Profile::WasmEdge, w);
  apply_profile_defaults(Profile::Strict, s);
  EXPECT_EQ(w.request.chat.mode, ChatMode::Raw);
  EXPECT_EQ(w.request.n_predict, -1);
  EXPECT_FALSE(w.request.context_shift);
  EXPECT_EQ(s.request.chat.mode, ChatMode::Chat);
  EXPECT_EQ(s.request.n_predict, 512);
  EXPECT_TRUE(s.request.context_shift);
  EXPECT_TRUE(w.present.empty());  // defaults, not the caller's choice
  // "mode" stays selectable.
  EXPECT_EQ(wasmedge(R"({"mode": "chat"})").request.chat.mode, ChatMode::Chat);
}

// Keys with a meaning in every profile: the tenant's log lines, stream_stdout, and HyperBEAM's
// lora_adapters (an alias of "lora": adapters the host granted, docs/ADAPTERS.md).
TEST(CompatKeys, EveryProfile) {
  const Settings s = parse_in(Profile::Strict, kScopeLoad, R"({"enable-log": true, "enable_debug": true,
                                                              "stream-stdout": true, "lora_adapters": []})");
  EXPECT_TRUE(s.request.enable_log);
  EXPECT_TRUE(s.request.enable_debug_log);
  EXPECT_TRUE(s.request.stream_stdout);
  for (Profile p : {Profile::Strict, Profile::WasmEdge}) {
    const Settings l = parse_in(p, kScopeLoad, R"({"lora_adapters": [{"path": "a.gguf", "scale": 0.5}]})");
    ASSERT_EQ(l.lora.size(), 1u);
    EXPECT_EQ(l.lora[0].name, "a.gguf");
    EXPECT_EQ(l.lora[0].scale, 0.5f);
  }
  std::string message;
  EXPECT_EQ(error_of(Profile::Strict, kScopeLoad, R"({"lora_adapters": ["a.gguf"]})", &message),
            ErrorKind::InvalidArgument);
  EXPECT_NE(message.find("'lora_adapters'"), std::string::npos) << message;
}

}  // namespace
}  // namespace wasi_nn
