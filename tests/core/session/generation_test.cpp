// Generation through the core facade: parity with llama.cpp's own greedy decode, seeded
// sampling, per-request overrides, stop strings, and output buffer bounds.
#include <gtest/gtest.h>

#include <cstring>

#include "core/base/error.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::generate;
using test::model_path;

const char* kRaw = R"({"mode": "raw", "temperature": 0})";

class Generation : public ::testing::TestWithParam<std::string> {};

TEST_P(Generation, GreedyEqualsLlamaCompletion) {
  if (test::completion_tool().empty()) GTEST_SKIP() << "llama-completion not built (WASI_NN_BUILD_LLAMA_TOOLS=OFF)";
  const std::string model = model_path(GetParam());
  HostBackend b;
  uint32_t g = b.load_by_name(model, R"({"ctx_size": 512, "threads": 2, "n_predict": 24})");
  uint32_t ctx = b.init_execution_context(g);
  const std::string prompt = "The capital of France is";
  test::Output out = generate(b, ctx, prompt, kRaw);
  const std::string ref = test::llama_completion_greedy(model, prompt, 24);
  EXPECT_EQ(out.meta["output_tokens"], 24) << out.meta.dump();
  EXPECT_FALSE(out.text.empty());
  EXPECT_EQ(out.text, ref);
}

INSTANTIATE_TEST_SUITE_P(TinyModels, Generation, ::testing::Values("tiny-llama", "tiny-qwen2", "tiny-phi3"));

class GenerationLlama : public ::testing::Test {
 protected:
  void SetUp() override {
    g = b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 512, "threads": 2, "n_predict": 16})");
    ctx = b.init_execution_context(g);
  }
  HostBackend b;
  uint32_t g = 0, ctx = 0;
};

// cache_prompt false: a second run would otherwise reuse the first one's KV and decode the last
// prompt token alone, which can change its logits in the last bits (as in llama-server).
TEST_F(GenerationLlama, SeededSamplingIsReproducible) {
  const char* req =
      R"({"mode": "raw", "temperature": 1.0, "top_k": 0, "top_p": 1.0, "min_p": 0, "seed": 1234, "cache_prompt": false})";
  auto a = generate(b, ctx, "Once upon a time", req);
  auto c = generate(b, ctx, "Once upon a time", req);
  EXPECT_EQ(a.text, c.text);
  auto d = generate(
      b, ctx, "Once upon a time",
      R"({"mode": "raw", "temperature": 1.0, "top_k": 0, "top_p": 1.0, "min_p": 0, "seed": 99, "cache_prompt": false})");
  EXPECT_NE(a.text, d.text);
}

TEST_F(GenerationLlama, PerRequestOverrideDoesNotLeak) {
  auto shortr = generate(b, ctx, "Hello", R"({"mode": "raw", "n_predict": 3})");
  EXPECT_EQ(shortr.meta["output_tokens"], 3);
  EXPECT_EQ(shortr.meta["stop_reason"], "length");
  auto next = generate(b, ctx, "Hello", R"({"mode": "raw"})");
  EXPECT_EQ(next.meta["output_tokens"], 16);  // the load's n_predict again
}

TEST_F(GenerationLlama, RuntimeConfigOverridesThisComputeOnly) {
  b.set_input(ctx, 0, "Hello");
  b.compute(ctx, R"({"mode": "raw", "max_tokens": 2})");
  char buf[4096];
  size_t n = b.get_output(ctx, 1, buf, sizeof buf);
  auto meta = nlohmann::json::parse(std::string(buf, n));
  EXPECT_EQ(meta["output_tokens"], 2);
  b.compute(ctx, R"({"mode": "raw"})");
  n = b.get_output(ctx, 1, buf, sizeof buf);
  EXPECT_EQ(nlohmann::json::parse(std::string(buf, n))["output_tokens"], 16);
}

TEST_F(GenerationLlama, StopStringSplitAcrossTokensIsCut) {
  // Token boundaries come from generating 1..N tokens: greedy prefixes are stable.
  std::vector<std::string> prefix;
  for (int k = 1; k <= 12; ++k) {
    prefix.push_back(generate(b, ctx, "Once upon a time",
                              R"({"mode": "raw", "temperature": 0, "n_predict": )" + std::to_string(k) + "}")
                         .text);
  }
  const std::string full = prefix.back();
  // Find a boundary with at least 2 bytes on each side and build a stop across it.
  size_t cut = std::string::npos;
  for (size_t k = 2; k + 1 < prefix.size(); ++k) {
    size_t at = prefix[k].size();
    if (at >= 2 && full.size() >= at + 2 && prefix[k + 1].size() >= at + 2) {
      cut = at;
      break;
    }
  }
  ASSERT_NE(cut, std::string::npos) << "no usable token boundary in: " << full;
  const std::string stop = full.substr(cut - 2, 4);
  const size_t first = full.find(stop);
  nlohmann::json req = {{"mode", "raw"}, {"temperature", 0}, {"n_predict", 12}, {"stop", {"never-appears", stop}}};
  auto out = generate(b, ctx, "Once upon a time", req.dump());
  EXPECT_EQ(out.text, full.substr(0, first)) << "stop=" << stop;
  EXPECT_EQ(out.meta["stop_reason"], "stop");
  EXPECT_EQ(out.text.find(stop), std::string::npos);
}

TEST_F(GenerationLlama, OutputTooLargeReportsSizeAndWritesNothing) {
  auto out = generate(b, ctx, "Hello", R"({"mode": "raw", "n_predict": 8})");
  ASSERT_GT(out.text.size(), 2u);
  std::vector<char> buf(out.text.size() + 16, '#');
  try {
    b.get_output(ctx, 0, buf.data(), 2);
    FAIL() << "expected TooLarge";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::TooLarge);
    EXPECT_EQ(e.needed(), out.text.size());
  }
  for (char c : buf) EXPECT_EQ(c, '#');
  // Exactly the text's size: no room for the NUL, which is then not written.
  size_t n = b.get_output(ctx, 0, buf.data(), out.text.size());
  EXPECT_EQ(n, out.text.size());
  EXPECT_EQ(buf[n], '#');
}

TEST_F(GenerationLlama, PromptLongerThanContextIs102) {
  std::string prompt;
  for (int i = 0; i < 400; ++i) prompt += "word number " + std::to_string(i) + " ";
  try {
    generate(b, ctx, prompt, R"({"mode": "raw"})");
    FAIL() << "expected PromptTooLong";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::PromptTooLong);
    EXPECT_NE(std::string(e.what()).find("512"), std::string::npos) << e.what();
  }
}

TEST_F(GenerationLlama, MetadataReportsCountsAndTimings) {
  auto out = generate(b, ctx, "Hello there", R"({"mode": "raw", "n_predict": 5})");
  EXPECT_GT(out.meta["input_tokens"].get<int>(), 1);
  EXPECT_EQ(out.meta["output_tokens"], 5);
  EXPECT_TRUE(out.meta.contains("cached_tokens"));
  EXPECT_TRUE(out.meta["timings"].contains("prompt_ms"));
  EXPECT_TRUE(out.meta["timings"].contains("generate_tokens_per_second"));
}

TEST_F(GenerationLlama, NProbsReturnsTopCandidates) {
  auto out = generate(b, ctx, "Hello", R"({"mode": "raw", "temperature": 0, "n_predict": 4, "n_probs": 3})");
  ASSERT_TRUE(out.meta.contains("probs")) << out.meta.dump();
  ASSERT_EQ(out.meta["probs"].size(), 4u);
  for (const auto& step : out.meta["probs"]) {
    ASSERT_EQ(step["top"].size(), 3u);
    float prev = 1.0f;
    for (const auto& c : step["top"]) {
      EXPECT_LE(c["prob"].get<float>(), prev);
      prev = c["prob"].get<float>();
    }
    EXPECT_EQ(step["top"][0]["token"], step["token"]);  // greedy picks the most likely token
  }
  auto none = generate(b, ctx, "Hello", R"({"mode": "raw", "n_predict": 2})");
  EXPECT_FALSE(none.meta.contains("probs"));
}

TEST_F(GenerationLlama, TimeLimitStopsGeneration) {
  auto out =
      generate(b, ctx, "Hello", R"({"mode": "raw", "n_predict": 400, "ignore_eos": true, "t_max_predict_ms": 1})");
  EXPECT_EQ(out.meta["stop_reason"], "time_limit") << out.meta.dump();
  EXPECT_LT(out.meta["output_tokens"].get<int>(), 400);
}

}  // namespace
}  // namespace wasi_nn
