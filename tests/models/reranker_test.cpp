// tiny-bert-reranker declares rank pooling and carries a classification head: llama.cpp's
// llama-embedding, left to the model's own pooling, prints one relevance score per
// (query, document) pair, the scores differ between documents, and two runs agree.

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "support/test_files.h"
#include "support/tool_runner.h"

namespace wasi_nn::test {
namespace {

const char* kPairs =
    "what is a cat?\ta cat is a small animal\n"
    "what is a cat?\tthe stock market fell today\n"
    "what is a cat?\tcats purr";

std::vector<std::string> scores(const std::string& model) {
  const std::regex line("rerank score ([0-9]+): +(-?[0-9]+\\.[0-9]+)");
  auto parse = [&](const std::string& out) {
    std::vector<std::string> s;
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) s.push_back((*it)[2]);
    return s;
  };
  // No --pooling: the model's own pooling type decides. Scores are not normalised (as llama.cpp's
  // CI runs rerankers).
  const ToolRun run = run_complete(
      embedding_tool(),
      {"-m", model_file(model), "-p", kPairs, "--embd-normalize", "-1", "--no-warmup", "-t", "1", "-c", "512"},
      [&](const ToolRun& r) { return parse(r.out).size() == 3 || r.out.find("embedding 2:") != std::string::npos; });
  return parse(run.out);
}

TEST(Reranker, ScoresEachPairDeterministically) {
  if (embedding_tool().empty()) GTEST_SKIP() << "llama-embedding is not part of this build";
  const std::vector<std::string> first = scores("tiny-bert-reranker.gguf");
  ASSERT_EQ(first.size(), 3u) << "the model does not declare rank pooling";
  EXPECT_NE(first[0], first[1]);
  EXPECT_NE(first[1], first[2]);
  EXPECT_EQ(first, scores("tiny-bert-reranker.gguf"));
}

TEST(Reranker, TheEmbedderIsNotAReranker) {
  if (embedding_tool().empty()) GTEST_SKIP() << "llama-embedding is not part of this build";
  EXPECT_TRUE(scores("tiny-bert.gguf").empty()) << "tiny-bert should pool by mean, not rank";
}

}  // namespace
}  // namespace wasi_nn::test
