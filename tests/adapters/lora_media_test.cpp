// LoRA adapters with images (docs/ADAPTERS.md, docs/MULTIMODAL.md): an image's embeddings are
// decoded into the KV cache with the request's own adapter set, like its text. The engine
// decodes each adapter set in calls of its own and evaluates media after a step's text calls,
// so the context's adapters must be switched to the media request's set first: otherwise the
// image is decoded with whichever set the step decoded last (another tenant's adapters).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "adapters/adapter_support.h"

namespace wasi_nn::test {
namespace {

using json = nlohmann::json;

const std::string kDescribe = "<__media__>Describe the image.";
constexpr char kOn[] = R"({"temperature": 0, "lora": [{"id": 0, "scale": 1}]})";
constexpr char kOff[] = R"({"temperature": 0, "lora": [{"id": 0, "scale": 0}]})";

std::string config(const std::string& more = "") {
  return lora_config(lora_entry("tiny-llama-lora.gguf"), R"("mmproj": ")" + model_file("tiny-llava-mmproj.gguf") +
                                                             "\"" + (more.empty() ? "" : ", " + more));
}

Output ask(Backend& b, uint32_t ctx, const std::string& image, const char* request) {
  b.set_input(ctx, 2, read_file(model_file(image)));
  return generate(b, ctx, kDescribe, request);
}

// llama-mtmd-cli on the same files and prompt (one chat turn, greedy), with the engine's
// threads, context and attention.
std::string mtmd_cli(const std::vector<std::string>& lora) {
  std::vector<std::string> args = {"-m",         model_file("tiny-llama.gguf"),
                                   "--mmproj",   model_file("tiny-llava-mmproj.gguf"),
                                   "--image",    model_file("test-gradient.bmp"),
                                   "-p",         kDescribe,
                                   "-n",         std::to_string(kTokens),
                                   "--temp",     "0",
                                   "--seed",     "1",
                                   "-t",         "2",
                                   "-c",         "512",
                                   "-fa",        "off",
                                   "--no-warmup"};
  args.insert(args.end(), lora.begin(), lora.end());
  std::string text = run_to_blank_line(mtmd_cli_tool(), args);
  if (!text.empty() && text[0] == '\n') text.erase(0, 1);  // printed after the prompt is evaluated
  return text;
}

TEST(LoraMedia, ImageTextWithAnAdapterEqualsLlamaMtmdCli) {
  if (mtmd_cli_tool().empty()) GTEST_SKIP() << "llama-mtmd-cli is not part of this build";
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), config());
  const std::string on = ask(b, b.init_execution_context(g), "test-gradient.bmp", kOn).text;
  const std::string off = ask(b, b.init_execution_context(g), "test-gradient.bmp", kOff).text;
  EXPECT_NE(on, off) << "the adapter changes nothing here: the test would prove nothing";
  EXPECT_EQ(on, mtmd_cli({"--lora", model_file("tiny-llama-lora.gguf")}));
  EXPECT_EQ(off, mtmd_cli({}));
}

// Turn two of a conversation brings a new image while another conversation, with the other
// adapter set, generates: the image request's text is the one it gets alone. Its conversation
// holds its sequence from turn one, so in the step that reaches its image its set may come
// first and the other set's call last.
TEST(LoraMedia, AnImageBesideAnotherAdapterSetIsDecodedWithItsOwn) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_file("tiny-llama.gguf"), config(R"("n_parallel": 2)"));
  for (const char* mine : {kOff, kOn}) {
    const char* other = mine == kOn ? kOff : kOn;
    const uint32_t solo = b.init_execution_context(g);
    ask(b, solo, "test-gradient.bmp", mine);
    const std::string expected = ask(b, solo, "test-checker.bmp", mine).text;
    bool overlapped = false;
    for (int attempt = 0; attempt < 5 && !overlapped; ++attempt) {
      const uint32_t ctx = b.init_execution_context(g), busy = b.init_execution_context(g);
      ask(b, ctx, "test-gradient.bmp", mine);
      const uint64_t split_before =
          process_stats()["models"][0]["engines"][0]["steps_split_by_adapters"].get<uint64_t>();
      std::atomic<bool> started{false};
      std::thread t([&] {
        started = true;
        std::string req = other;
        req.insert(req.size() - 1, R"(, "mode": "raw", "ignore_eos": true, "n_predict": 1500)");
        generate(b, busy, "Once upon a time", req);
      });
      while (!started) std::this_thread::yield();
      ASSERT_TRUE(wait_for_stats([](const json& s) { return s["models"][0]["engines"][0]["active_sequences"] == 1; }));
      EXPECT_EQ(ask(b, ctx, "test-checker.bmp", mine).text, expected) << "own set: " << mine;
      const uint64_t split_after =
          process_stats()["models"][0]["engines"][0]["steps_split_by_adapters"].get<uint64_t>();
      t.join();
      overlapped = split_after > split_before;
    }
    EXPECT_TRUE(overlapped) << "the two conversations never shared a step";
  }
}

}  // namespace
}  // namespace wasi_nn::test
