// tiny-llama-draft serves as a draft model for tiny-llama in llama.cpp's speculative decoding
// (llama-speculative-simple, draft-simple): the vocabularies are accepted as compatible, drafts
// are made and some are accepted, and the text is the target's own greedy text, as greedy
// speculative decoding promises.

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "support/test_files.h"
#include "support/tool_runner.h"

namespace wasi_nn::test {
namespace {

const char* kPrompt = "Once upon a time";

struct Speculation {
  std::string text;  // generated text, after the echoed prompt
  int drafted = -1, accepted = -1;
};

Speculation speculate() {
  const ToolRun run = run_complete(speculative_tool(),
                                   {"-m",
                                    model_file("tiny-llama.gguf"),
                                    "-md",
                                    model_file("tiny-llama-draft.gguf"),
                                    "-p",
                                    kPrompt,
                                    "-n",
                                    "32",
                                    "--temp",
                                    "0",
                                    "--top-k",
                                    "1",
                                    "--seed",
                                    "1",
                                    "--spec-type",
                                    "draft-simple",
                                    "--spec-draft-n-max",
                                    "4",
                                    "-t",
                                    "1",
                                    "-td",
                                    "1",
                                    "-c",
                                    "256"},
                                   [](const ToolRun& r) {
                                     return r.err.find("n_accept  =") != std::string::npos && r.out.size() >= 2 &&
                                            r.out.compare(r.out.size() - 2, 2, "\n\n") == 0;
                                   });
  Speculation s;
  std::smatch m;
  if (std::regex_search(run.err, m, std::regex("n_drafted = ([0-9]+)"))) s.drafted = std::stoi(m[1]);
  if (std::regex_search(run.err, m, std::regex("n_accept  = ([0-9]+)"))) s.accepted = std::stoi(m[1]);
  const size_t at = run.out.find(kPrompt);
  if (at != std::string::npos) s.text = run.out.substr(at + std::string(kPrompt).size());
  return s;
}

TEST(Draft, SpeculativeDecodingAcceptsTheDraftModel) {
  if (speculative_tool().empty()) GTEST_SKIP() << "llama-speculative-simple is not part of this build";
  const Speculation s = speculate();
  EXPECT_GT(s.drafted, 0) << "no draft was made";
  EXPECT_GT(s.accepted, 0) << "no drafted token was accepted";
  const Speculation again = speculate();
  EXPECT_EQ(again.text, s.text);
  EXPECT_EQ(again.accepted, s.accepted);
  if (completion_tool().empty()) return;
  // The target alone, greedily: speculation may run a few tokens past -n, so compare its start.
  const std::string target = greedy_completion(model_file("tiny-llama.gguf"), kPrompt, 32);
  ASSERT_FALSE(target.empty());
  EXPECT_EQ(s.text.substr(0, target.size()), target);
}

}  // namespace
}  // namespace wasi_nn::test
