// Embeddings (a model loaded with "embedding": true) through the Backend facade, on tiny-llama:
// deterministic, normalised, f32 output equal to the JSON, a batch equal to single calls, and
// equal to llama.cpp's own llama-embedding for the same text and pooling.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "core/base/error.h"
#include "support/core_helpers.h"

namespace wasi_nn::test {
namespace {

using json = nlohmann::json;

const std::vector<std::string> kTexts = {"The quick brown fox jumps over the lazy dog.",
                                         "Embeddings turn text into vectors.", "hello"};

struct Raw {
  std::string bytes;
  json meta;
};

class Embedding : public ::testing::Test {
 protected:
  uint32_t Load(const std::string& pooling, int n_parallel = 4) {
    const std::string cfg = R"({"embedding": true, "pooling": ")" + pooling + R"(", "ctx_size": 256, "n_parallel": )" +
                            std::to_string(n_parallel) + R"(, "threads": 2})";
    return b.init_execution_context(b.load_by_name(model_path("tiny-llama"), cfg));
  }
  Raw Run(uint32_t ctx, const std::string& input, const std::string& request = "") {
    Output o = generate(b, ctx, input, request);
    return {o.text, o.meta};
  }
  static std::vector<float> Vec(const json& j) { return j.get<std::vector<float>>(); }
  static std::vector<float> Floats(const std::string& bytes) {
    std::vector<float> v(bytes.size() / sizeof(float));
    std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
    return v;
  }
  static void ExpectNear(const std::vector<float>& a, const std::vector<float>& b, float tol) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], tol) << "element " << i;
  }
  HostBackend b;
};

TEST_F(Embedding, JsonHasWasmEdgeShapeAndMetadataCountsTokens) {
  uint32_t ctx = Load("mean");
  Raw r = Run(ctx, kTexts[0]);
  json out = json::parse(r.bytes);
  ASSERT_TRUE(out.contains("n_embedding")) << r.bytes.substr(0, 200);
  EXPECT_EQ(out["n_embedding"], 64);  // the tiny model's width
  EXPECT_EQ(out["embedding"].size(), 64u);
  EXPECT_GT(r.meta["input_tokens"].get<int>(), 5);
  EXPECT_EQ(r.meta["inputs"], 1);
  EXPECT_EQ(r.meta["n_vectors"], 1);
  EXPECT_EQ(r.meta["pooling"], "mean");
  EXPECT_EQ(r.meta["stop_reason"], "embedding");
  EXPECT_EQ(r.meta["output_tokens"], 0);
}

TEST_F(Embedding, DeterministicAndL2Normalised) {
  uint32_t ctx = Load("mean");
  Raw a = Run(ctx, kTexts[1]);
  Raw again = Run(ctx, kTexts[1]);
  EXPECT_EQ(a.bytes, again.bytes);
  uint32_t other = b.init_execution_context(
      b.load_by_name(model_path("tiny-llama"),
                     R"({"embedding": true, "pooling": "mean", "ctx_size": 256, "n_parallel": 4, "threads": 2})"));
  EXPECT_EQ(Run(other, kTexts[1]).bytes, a.bytes);  // another context on the shared engine
  double sum = 0;
  for (float x : Vec(json::parse(a.bytes)["embedding"])) sum += double(x) * x;
  EXPECT_NEAR(std::sqrt(sum), 1.0, 1e-5);
}

TEST_F(Embedding, OtherNormalisations) {
  uint32_t ctx = Load("mean");
  auto none = Vec(json::parse(Run(ctx, kTexts[0], R"({"embd_normalize": -1})").bytes)["embedding"]);
  auto taxicab = Vec(json::parse(Run(ctx, kTexts[0], R"({"embd_normalize": 1})").bytes)["embedding"]);
  double l1 = 0, none_l1 = 0;
  for (size_t i = 0; i < taxicab.size(); ++i) {
    l1 += std::fabs(taxicab[i]);
    none_l1 += std::fabs(none[i]);
  }
  EXPECT_NEAR(l1, 1.0, 1e-5);
  for (size_t i = 0; i < none.size(); ++i) EXPECT_NEAR(none[i] / none_l1, taxicab[i], 1e-5);
}

TEST_F(Embedding, F32OutputEqualsJsonValues) {
  uint32_t ctx = Load("mean");
  auto from_json = Vec(json::parse(Run(ctx, kTexts[0]).bytes)["embedding"]);
  Raw f32 = Run(ctx, kTexts[0], R"({"embd_output": "f32"})");
  EXPECT_EQ(f32.bytes.size(), 64 * sizeof(float));
  EXPECT_EQ(Floats(f32.bytes), from_json);  // exact: the JSON numbers round-trip to the floats
}

TEST_F(Embedding, BatchEqualsSingleCalls) {
  uint32_t ctx = Load("mean");
  Raw batch = Run(ctx, json(kTexts).dump(), R"({"embd_input": "json"})");
  json out = json::parse(batch.bytes);
  ASSERT_EQ(out["embeddings"].size(), kTexts.size());
  EXPECT_EQ(batch.meta["inputs"], 3);
  size_t total = 0;
  for (size_t i = 0; i < kTexts.size(); ++i) {
    Raw one = Run(ctx, kTexts[i]);
    total += one.meta["input_tokens"].get<size_t>();
    ExpectNear(Vec(out["embeddings"][i]), Vec(json::parse(one.bytes)["embedding"]), 1e-5f);
  }
  EXPECT_EQ(batch.meta["input_tokens"].get<size_t>(), total);
  Raw f32 = Run(ctx, json(kTexts).dump(), R"({"embd_input": "json", "embd_output": "f32"})");
  std::vector<float> flat;
  for (const auto& v : out["embeddings"])
    for (float x : Vec(v)) flat.push_back(x);
  EXPECT_EQ(Floats(f32.bytes), flat);
}

TEST_F(Embedding, MoreInputsThanSequencesStillEqualSingleCalls) {
  uint32_t ctx = Load("last", 2);
  std::vector<std::string> many = {"a", "b c", "d e f", "g", "h i"};
  json out = json::parse(Run(ctx, json(many).dump(), R"({"embd_input": "json"})").bytes);
  ASSERT_EQ(out["embeddings"].size(), many.size());
  for (size_t i = 0; i < many.size(); ++i) {
    ExpectNear(Vec(out["embeddings"][i]), Vec(json::parse(Run(ctx, many[i]).bytes)["embedding"]), 1e-5f);
  }
}

// Contexts on one engine computing at once: the worker serves them in turn, each gets its own.
TEST_F(Embedding, ConcurrentContextsGetTheirOwnVectors) {
  uint32_t first = Load("mean");
  std::vector<std::string> want;
  for (const auto& t : kTexts) want.push_back(Run(first, t).bytes);
  std::vector<uint32_t> ctxs;
  for (size_t i = 0; i < 6; ++i)
    ctxs.push_back(b.init_execution_context(
        b.load_by_name(model_path("tiny-llama"),
                       R"({"embedding": true, "pooling": "mean", "ctx_size": 256, "n_parallel": 4, "threads": 2})")));
  std::vector<std::string> got(ctxs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ctxs.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = Run(ctxs[i], kTexts[i % kTexts.size()]).bytes; });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < ctxs.size(); ++i) EXPECT_EQ(got[i], want[i % kTexts.size()]) << i;
}

TEST_F(Embedding, PoolingNoneGivesOneVectorPerToken) {
  uint32_t ctx = Load("none");
  Raw r = Run(ctx, kTexts[2]);
  json out = json::parse(r.bytes);
  const size_t n_tokens = r.meta["input_tokens"].get<size_t>();
  EXPECT_EQ(out["embedding"].size(), n_tokens);
  EXPECT_EQ(r.meta["n_vectors"].get<size_t>(), n_tokens);
  EXPECT_EQ(out["embedding"][0].size(), 64u);
}

TEST_F(Embedding, ModelPoolingFollowsTheGguf) {
  // tiny-llama declares no pooling type: llama.cpp then pools nothing (one vector per token).
  Raw r = Run(Load("model"), kTexts[2]);
  EXPECT_EQ(r.meta["pooling"], "none");
  EXPECT_EQ(r.meta["n_vectors"], r.meta["input_tokens"]);
}

TEST_F(Embedding, RankPoolingGivesUnnormalisedScores) {
  Raw r = Run(Load("rank"), json(kTexts).dump(), R"({"embd_input": "json", "embd_output": "f32"})");
  EXPECT_EQ(r.meta["pooling"], "rank");
  EXPECT_EQ(r.meta["embd_normalize"], -1);
  EXPECT_EQ(r.bytes.size(), kTexts.size() * r.meta["n_embedding"].get<size_t>() * sizeof(float));
}

TEST_F(Embedding, EqualsLlamaEmbeddingTool) {
  if (test::embedding_tool().empty()) GTEST_SKIP() << "llama-embedding not built";
  for (const char* pooling : {"mean", "last"}) {
    SCOPED_TRACE(pooling);
    HostBackend fresh;
    const std::string cfg =
        std::string(R"({"embedding": true, "pooling": ")") + pooling + R"(", "ctx_size": 256, "threads": 2})";
    uint32_t ctx = fresh.init_execution_context(fresh.load_by_name(model_path("tiny-llama"), cfg));
    Output o = generate(fresh, ctx, json(kTexts).dump(), R"({"embd_input": "json"})");
    json ours = json::parse(o.text)["embeddings"];
    auto ref = llama_embedding_reference(model_path("tiny-llama"), kTexts, pooling, 2);
    ASSERT_EQ(ref.size(), kTexts.size());
    for (size_t i = 0; i < kTexts.size(); ++i) ExpectNear(Vec(ours[i]), ref[i], 1e-4f);
  }
}

// tiny-bert: an encoder (non-causal attention, its own mean pooling), as real embedding models.
TEST_F(Embedding, EncoderModelEqualsLlamaEmbeddingTool) {
  uint32_t ctx = b.init_execution_context(
      b.load_by_name(model_path("tiny-bert"), R"({"embedding": true, "ctx_size": 256, "threads": 2})"));
  Output o = generate(b, ctx, json(kTexts).dump(), R"({"embd_input": "json"})");
  EXPECT_EQ(o.meta["pooling"], "mean");  // from the GGUF
  json ours = json::parse(o.text)["embeddings"];
  ASSERT_EQ(ours.size(), kTexts.size());
  for (size_t i = 0; i < kTexts.size(); ++i) {
    ExpectNear(Vec(ours[i]), Vec(json::parse(generate(b, ctx, kTexts[i]).text)["embedding"]), 1e-5f);
  }
  if (test::embedding_tool().empty()) GTEST_SKIP() << "llama-embedding not built";
  auto ref = llama_embedding_reference(model_path("tiny-bert"), kTexts, "mean", 2);
  ASSERT_EQ(ref.size(), kTexts.size());
  for (size_t i = 0; i < kTexts.size(); ++i) ExpectNear(Vec(ours[i]), ref[i], 1e-4f);
  // CLS pooling, not normalised: the first token's raw vector.
  HostBackend other;
  uint32_t cls = other.init_execution_context(other.load_by_name(
      model_path("tiny-bert"),
      R"({"embedding": true, "pooling": "cls", "embd_normalize": -1, "ctx_size": 256, "threads": 2})"));
  json ours_cls =
      json::parse(generate(other, cls, json(kTexts).dump(), R"({"embd_input": "json"})").text)["embeddings"];
  auto ref_cls = llama_embedding_reference(model_path("tiny-bert"), kTexts, "cls", -1);
  ASSERT_EQ(ref_cls.size(), kTexts.size());
  for (size_t i = 0; i < kTexts.size(); ++i) ExpectNear(Vec(ours_cls[i]), ref_cls[i], 1e-4f);
}

TEST_F(Embedding, BadRequestsAreRefusedPrecisely) {
  uint32_t ctx = Load("mean");
  auto expect_error = [&](const std::string& input, const std::string& request, ErrorKind kind, const char* words) {
    try {
      Run(ctx, input, request);
      ADD_FAILURE() << "no error for " << input.substr(0, 40) << " " << request;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), kind) << e.what();
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error("[1, 2]", R"({"embd_input": "json"})", ErrorKind::InvalidArgument, "element 0 is not a string");
  expect_error("not json", R"({"embd_input": "json"})", ErrorKind::InvalidArgument, "JSON array");
  expect_error("x", R"({"embedding": false})", ErrorKind::InvalidArgument, "loaded for embeddings");
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "word ";
  expect_error(long_text, "", ErrorKind::PromptTooLong, "fit one batch of 256 tokens");
  // The context still works after the failures.
  EXPECT_EQ(json::parse(Run(ctx, "fine").bytes)["embedding"].size(), 64u);
  // No streaming on an embedding model.
  b.set_input(ctx, 0, "hello");
  try {
    b.compute_single(ctx);
    ADD_FAILURE() << "compute_single on an embedding model succeeded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not available"), std::string::npos) << e.what();
  }
}

TEST_F(Embedding, EmbeddingRequestToTextModelIsRefused) {
  uint32_t ctx = b.init_execution_context(b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 256})"));
  try {
    generate(b, ctx, "hello", R"({"embedding": true})");
    ADD_FAILURE() << "an embedding request to a text model succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("loaded for text generation"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wasi_nn::test
