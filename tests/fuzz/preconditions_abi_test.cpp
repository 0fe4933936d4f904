// llama.cpp's preconditions end to end through the seed ABI (libwasi_nn_backend.so): every
// value below made llama.cpp abort the host process before the checks in
// core/config/llama_preconditions.cpp, core/input (grammar and pattern bounds),
// core/model/model_preconditions.cpp and context_params_of(). Each case now returns
// invalid_argument (or works, where the value is derived), and the process then serves a
// normal request. docs/HARDENING.md, "llama.cpp preconditions", lists them.
#include "wasi_nn_backend.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nested_text.h"

namespace {

using fuzz_test::nested;

using json = nlohmann::json;
constexpr uint32_t kNone = WASI_NN_NO_HANDLE;

std::string model(const char* name) { return std::string(WASI_NN_TEST_MODEL_DIR) + "/" + name; }
// Models with wider attention heads, generated for these tests (tests/fuzz/CMakeLists.txt).
std::string wide_model(const char* name) { return std::string(WASI_NN_FUZZ_MODEL_DIR) + "/" + name; }

class PreconditionsSeed : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(init_backend(&ctx_), success); }
  void TearDown() override { EXPECT_EQ(deinit_backend(ctx_), success); }

  // The last error message of `nn` (this test's backend by default).
  std::string LastError(void* nn = nullptr) {
    char buf[4096];
    uint32_t size = sizeof buf;
    EXPECT_EQ(get_output(nn ? nn : ctx_, kNone, 0, reinterpret_cast<uint8_t*>(buf), &size), success);
    return std::string(buf, size);
  }
  // The last call on `nn` returned invalid_argument with a message holding every fragment.
  void ExpectInvalid(wasi_nn_error rc, const std::vector<std::string>& fragments, void* nn = nullptr) {
    EXPECT_EQ(rc, invalid_argument);
    const std::string msg = LastError(nn);
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  }

  wasi_nn_error Load(const std::string& path, const std::string& config, graph* g) {
    *g = kNone;
    return load_by_name_with_config(ctx_, path.c_str(), 0, config.c_str(), 0, g);
  }
  graph_execution_context Open(const std::string& path, const std::string& config) {
    graph g = kNone;
    EXPECT_EQ(Load(path, config, &g), success) << LastError();
    graph_execution_context e = kNone;
    EXPECT_EQ(init_execution_context(ctx_, g, &e), success) << LastError();
    return e;
  }
  wasi_nn_error SetSettings(graph_execution_context e, const std::string& settings) {
    tensor t{nullptr, fp32, reinterpret_cast<uint8_t*>(const_cast<char*>(settings.c_str()))};
    return set_input(ctx_, e, 1, &t);
  }
  // compute on `prompt`; returns the code and fills *out with output `index`.
  wasi_nn_error Compute(graph_execution_context e, const std::string& prompt, std::string* out = nullptr,
                        uint32_t index = 0) {
    tensor t{nullptr, fp32, reinterpret_cast<uint8_t*>(const_cast<char*>(prompt.c_str()))};
    EXPECT_EQ(set_input(ctx_, e, 0, &t), success) << LastError();
    const wasi_nn_error rc = compute(ctx_, e);
    if (rc != success || !out) return rc;
    std::vector<char> buf(1 << 20);
    uint32_t size = buf.size();
    EXPECT_EQ(get_output(ctx_, e, index, reinterpret_cast<uint8_t*>(buf.data()), &size), success);
    out->assign(buf.data(), size);
    return rc;
  }
  json Metadata(graph_execution_context e) {
    std::string meta;
    char buf[65536];
    uint32_t size = sizeof buf;
    EXPECT_EQ(get_output(ctx_, e, 1, reinterpret_cast<uint8_t*>(buf), &size), success);
    meta.assign(buf, size);
    return json::parse(meta);
  }
  // The same backend still loads the real model and generates.
  void ExpectStillServes() {
    const graph_execution_context e =
        Open(model("tiny-phi3.gguf"), R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4, "ignore_eos": true})");
    std::string text;
    EXPECT_EQ(Compute(e, "Hello", &text), success) << LastError();
    EXPECT_FALSE(text.empty());
    EXPECT_EQ(close_execution_context(ctx_, e), success);
  }

  void* ctx_ = nullptr;
};

TEST_F(PreconditionsSeed, BatchSmallerThanParallelIsInvalidArgument) {
  graph g = 7;
  ExpectInvalid(Load(model("tiny-phi3.gguf"), R"({"n_batch": 4, "n_parallel": 8})", &g),
                {"load_by_name_with_config", "'n_batch' = 4", "'n_parallel' = 8"});
  EXPECT_EQ(g, kNone);
  ExpectStillServes();
}

TEST_F(PreconditionsSeed, BatchSmallerThanTheBackendsParallelIsInvalidArgument) {
  void* other = nullptr;
  ASSERT_EQ(init_backend_with_config(&other, R"({"n_parallel": 8})", 0), success);
  graph g = 7;
  const std::string path = model("tiny-phi3.gguf");
  ExpectInvalid(load_by_name_with_config(other, path.c_str(), 0, R"({"batch_size": 4})", 0, &g),
                {"'batch_size' = 4", "'n_parallel' = 8"}, other);
  EXPECT_EQ(deinit_backend(other), success);
  ExpectStillServes();
}

TEST_F(PreconditionsSeed, EncoderGeneratingTextDecodesEachBatchInOneUbatch) {
  // llama.cpp encodes a model without KV memory in one ubatch (GGML_ASSERT n_ubatch >= n_tokens).
  const graph_execution_context e =
      Open(model("tiny-bert.gguf"),
           R"({"ctx_size": 256, "n_parallel": 1, "batch_size": 64, "ubatch_size": 4, "n_predict": 2, "mode": "raw"})");
  EXPECT_EQ(Compute(e, "the quick brown fox jumps over the lazy dog, again and again and again"), success)
      << LastError();
  ExpectStillServes();
}

TEST_F(PreconditionsSeed, MeanPooledEmbeddingsWithAParallelCountThatDoesNotDivideTheBatch) {
  // n_parallel 3 and the default batch of 512: llama.cpp's reserve asserted in build_pooling.
  std::string three, four;
  const std::string text = "embeddings of one text do not depend on n_parallel";
  const auto e3 = Open(model("tiny-bert.gguf"), R"({"embedding": true, "ctx_size": 1000, "n_parallel": 3})");
  ASSERT_EQ(Compute(e3, text, &three), success) << LastError();
  const auto e4 = Open(model("tiny-bert.gguf"), R"({"embedding": true, "ctx_size": 1000, "n_parallel": 4})");
  ASSERT_EQ(Compute(e4, text, &four), success) << LastError();
  const auto v3 = json::parse(three)["embedding"].get<std::vector<float>>();
  const auto v4 = json::parse(four)["embedding"].get<std::vector<float>>();
  ASSERT_EQ(v3.size(), v4.size());
  ASSERT_FALSE(v3.empty());
  for (size_t i = 0; i < v3.size(); ++i) EXPECT_NEAR(v3[i], v4[i], 1e-5) << i;
  ExpectStillServes();
}

TEST_F(PreconditionsSeed, QuantisedCacheWhoseBlockDoesNotDivideTheHeadIsInvalidArgument) {
  graph g = 7;
  // tiny-phi3's heads hold 16 values; q4_0 packs 32.
  ExpectInvalid(Load(model("tiny-phi3.gguf"), R"({"cache_type_k": "q4_0"})", &g),
                {"'cache_type_k' = \"q4_0\"", "32", "head size of 16"});
  ExpectInvalid(Load(model("tiny-phi3.gguf"), R"({"cache_type_v": "q8_0", "flash_attn": "on"})", &g),
                {"'cache_type_v' = \"q8_0\"", "head size of 16"});
  // 64-value heads take them.
  const auto e =
      Open(wide_model("tiny-llama-h64.gguf"),
           R"({"ctx_size": 64, "n_parallel": 1, "cache_type_k": "q4_0", "cache_type_v": "q8_0", "n_predict": 4})");
  EXPECT_EQ(Compute(e, "Hello"), success) << LastError();
  ExpectStillServes();
}

class KShift : public PreconditionsSeed {
 protected:
  // Generates past a 32-token window with context_shift on; returns the metadata.
  json Generate(const std::string& path, const std::string& cache_type_k) {
    const auto e =
        Open(path, R"({"ctx_size": 32, "n_parallel": 1, "n_predict": 48, "ignore_eos": true, "mode": "raw", )"
                   R"("temperature": 0, "cache_type_k": ")" +
                       cache_type_k + "\"}");
    EXPECT_EQ(Compute(e, "Once upon a time"), success) << LastError();
    return Metadata(e);
  }
};

TEST_F(KShift, CacheTypesLlamaCppCannotShiftEndAtContextFull) {
  // bf16: no CPU RoPE kernel (ops.cpp "fatal error"). q8_0 with 96-value heads (Phi-3 mini's):
  // no Hadamard rotation for them, a NULL dereference in build_rope_shift.
  for (const auto& [path, type] :
       {std::make_pair(model("tiny-phi3.gguf"), "bf16"), std::make_pair(wide_model("tiny-llama-h96.gguf"), "q8_0")}) {
    SCOPED_TRACE(path + " " + type);
    const json meta = Generate(path, type);
    EXPECT_EQ(meta["stop_reason"], "context_full") << meta.dump();
    EXPECT_FALSE(meta.contains("shifted_tokens")) << meta.dump();
  }
  ExpectStillServes();
}

TEST_F(KShift, CacheTypesLlamaCppCanShiftKeepGenerating) {
  for (const auto& [path, type] :
       {std::make_pair(model("tiny-phi3.gguf"), "f16"), std::make_pair(wide_model("tiny-llama-h64.gguf"), "q8_0")}) {
    SCOPED_TRACE(path + " " + type);
    const json meta = Generate(path, type);
    EXPECT_EQ(meta["stop_reason"], "length") << meta.dump();
    EXPECT_GT(meta.value("shifted_tokens", 0), 0) << meta.dump();
  }
}

TEST_F(PreconditionsSeed, DeeplyNestedGrammarIsInvalidArgumentAtSetInput) {
  const auto e = Open(model("tiny-phi3.gguf"), R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4})");
  const json deep = {{"grammar", "root ::= " + nested("(", "\"a\"", ")", 20000)}};
  ExpectInvalid(SetSettings(e, deep.dump()), {"'grammar'", "nest"});
  const json pattern = {{"grammar", "root ::= [a-z]+"},
                        {"grammar_lazy", true},
                        {"grammar_triggers", {{{"type", "pattern"}, {"value", nested("(", "x", ")", 50000)}}}}};
  ExpectInvalid(SetSettings(e, pattern.dump()), {"'grammar_triggers'"});
  // The same context still takes a grammar that fits.
  ASSERT_EQ(SetSettings(e, R"({"grammar": "root ::= (\"a\" | \"b\")+"})"), success) << LastError();
  std::string text;
  EXPECT_EQ(Compute(e, "Hello", &text), success) << LastError();
  EXPECT_EQ(text.find_first_not_of("ab"), std::string::npos) << text;
}

TEST_F(PreconditionsSeed, InfillSamplerWithAGrammarIsInvalidArgument) {
  const auto e = Open(model("tiny-llama.gguf"), R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4})");
  ExpectInvalid(SetSettings(e, R"({"samplers": ["infill"], "json_schema": {"type": "string"}})"),
                {"'samplers'", "infill"});
  ExpectStillServes();
}

TEST_F(PreconditionsSeed, InfillSamplerOnAVocabularyWithoutEndOfTextIsInvalidArgument) {
  // Found by the long fuzz run (fuzz/corpus/context_fuzz/infill-without-eot.json, as is): when no
  // candidate reaches p = 0.2, llama.cpp's infill sampler ends the output with the EOT or EOS
  // token and asserts that one exists; BERT's vocabulary has neither.
  const std::string settings =
      R"({"temperature": 0.5, "xtc_threshold": 0, "presence_penalty": -100, "n_predict": 1, )"
      R"("samplers": ["penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc", )"
      R"("temperature", "infill", "adaptive_p"], "stop": ["the", " "], "cache_prompt": false, "context_shift": false})";
  const auto bert = Open(model("tiny-bert.gguf"),
                         R"({"ctx_size": 256, "batch_size": 16, "ubatch_size": 16, "n_parallel": 16, "threads": 2, )"
                         R"("threads_batch": 2, "flash_attn": "off", "cache_type_v": "bf16", "n_predict": 4})");
  ASSERT_EQ(SetSettings(bert, settings), success) << LastError();
  ExpectInvalid(Compute(bert, "日本語のテキスト 🙂 émigré"), {"'samplers'", "infill", "no EOT or EOS"});
  // A vocabulary with an end-of-sequence token takes the same chain.
  const auto llama = Open(model("tiny-llama.gguf"), R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4})");
  ASSERT_EQ(SetSettings(llama, settings), success) << LastError();
  EXPECT_EQ(Compute(llama, "Hello"), success) << LastError();
  ExpectStillServes();
}

TEST_F(PreconditionsSeed, ThreadsBeyondTheCpusAreRefusedNotFatal) {
  // In a child limited to 2 GiB of address space: 1024 threads of 8 MiB stacks cannot all be
  // created, and libgomp ends the process (exit 1) when one is not. The machine's limit refuses
  // them (invalid_argument naming the key; llama_params also clamps to the CPUs whatever comes
  // through), and the same backend then loads and computes with threads the machine has.
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit as{2048ull << 20, 2048ull << 20};
    setrlimit(RLIMIT_AS, &as);
    void* nn = nullptr;
    graph g = kNone;
    graph_execution_context e = kNone;
    const std::string path = model("tiny-phi3.gguf");
    const char* config = R"({"ctx_size": 64, "n_parallel": 1, "n_predict": 2, "threads": 1024, "threads_batch": 1024})";
    const char* fits = R"({"ctx_size": 64, "n_parallel": 1, "n_predict": 2})";
    tensor t{nullptr, fp32, reinterpret_cast<uint8_t*>(const_cast<char*>("Hello"))};
    const bool ok = init_backend(&nn) == success &&
                    load_by_name_with_config(nn, path.c_str(), 0, config, 0, &g) == invalid_argument &&
                    load_by_name_with_config(nn, path.c_str(), 0, fits, 0, &g) == success &&
                    init_execution_context(nn, g, &e) == success && set_input(nn, e, 0, &t) == success &&
                    compute(nn, e) == success && deinit_backend(nn) == success;
    _exit(ok ? 0 : 3);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status)) << "child died by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  EXPECT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  ExpectStillServes();
}

}  // namespace
