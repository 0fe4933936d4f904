// Images through the core with the two vision-language families whose media placement differs
// from LLaVA's (docs/TEST_MODELS.md):
//   - Qwen2-VL (tiny-qwen2vl + tiny-qwen2vl-mmproj): M-RoPE, the image's 16 tokens take 2-D
//     positions and advance the text position by max(width, height) = 4, not by 16;
//   - Gemma 3 (tiny-gemma3 + tiny-gemma3-mmproj): the image's tokens are decoded without a causal
//     mask (each sees all the others), on a model with a sliding-window layer.
// For each: mtmd sees the pair as that family; the greedy text for an image equals llama.cpp's own
// llama-mtmd-cli; different images give different text; chat turn two reuses the image's KV and
// answers as a cold run does; streaming gives the non-streamed text.

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "llama.h"
#include "media/media_support.h"
#include "mtmd-helper.h"
#include "mtmd.h"

namespace wasi_nn {
namespace {

using test::ask;
using test::media;
using test::model_file;
using test::Output;

struct Family {
  const char* model;
  const char* mmproj;
  bool mrope;       // mtmd_decode_use_mrope
  bool non_causal;  // mtmd_decode_use_non_causal for its images
};

const Family kFamilies[] = {
    {"tiny-qwen2vl.gguf", "tiny-qwen2vl-mmproj.gguf", true, false},
    {"tiny-gemma3.gguf", "tiny-gemma3-mmproj.gguf", false, true},
};

void PrintTo(const Family& f, std::ostream* os) { *os << f.model; }

const std::string kDescribe = "<__media__>Describe the image.";

// Silences llama.cpp's log (its model loader prints hundreds of lines) while it lives; restores the
// callback it found, which may be the backend's sink.
class QuietLlamaLog {
 public:
  QuietLlamaLog() {
    llama_log_get(&saved_, &saved_data_);
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  }
  ~QuietLlamaLog() { llama_log_set(saved_, saved_data_); }

 private:
  ggml_log_callback saved_ = nullptr;
  void* saved_data_ = nullptr;
};

// The pair as llama.cpp's mtmd opens it (no backend): the flags that make these families differ,
// and the image's tokens and positions.
TEST(MediaFamilies, MtmdSeesEachPairAsItsFamily) {
  llama_backend_init();
  const QuietLlamaLog quiet;
  for (const Family& f : kFamilies) {
    SCOPED_TRACE(f.model);
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    std::unique_ptr<llama_model, decltype(&llama_model_free)> model(
        llama_model_load_from_file(model_file(f.model).c_str(), mp), llama_model_free);
    ASSERT_NE(model, nullptr);
    mtmd_context_params cp = mtmd_context_params_default();
    cp.use_gpu = false;
    cp.warmup = false;
    cp.print_timings = false;
    mtmd::context_ptr ctx(mtmd_init_from_file(model_file(f.mmproj).c_str(), model.get(), cp));
    ASSERT_NE(ctx, nullptr);
    EXPECT_EQ(mtmd_decode_use_mrope(ctx.get()), f.mrope);
    EXPECT_EQ(mtmd_decode_use_non_causal(ctx.get(), nullptr), f.non_causal);
    mtmd::bitmap image(mtmd_helper_bitmap_init_from_file(ctx.get(), model_file("test-gradient.bmp").c_str(),
                                                         /*placeholder=*/false, mtmd_helper_init_opt_default())
                           .bitmap);
    ASSERT_NE(image.ptr, nullptr);
    mtmd::input_chunks chunks(mtmd_input_chunks_init());
    const std::string marker = mtmd_default_marker();
    const mtmd_input_text text{marker.c_str(), marker.size(), /*add_special=*/false, /*parse_special=*/true};
    const mtmd_bitmap* bitmaps[] = {image.ptr.get()};
    ASSERT_EQ(mtmd_tokenize(ctx.get(), chunks.ptr.get(), &text, bitmaps, 1), 0);
    const mtmd_input_chunk* chunk = nullptr;
    for (size_t i = 0; i < chunks.size(); ++i) {
      if (mtmd_input_chunk_get_type(chunks[i]) == MTMD_INPUT_CHUNK_TYPE_IMAGE) chunk = chunks[i];
    }
    ASSERT_NE(chunk, nullptr);
    EXPECT_EQ(mtmd_input_chunk_get_n_tokens(chunk), 16u) << "a 32x32 image makes 4x4 merged tokens";
    EXPECT_EQ(mtmd_input_chunk_get_n_pos(chunk), f.mrope ? 4 : 16) << "M-RoPE advances by the longer side";
  }
}

class MediaFamily : public ::testing::TestWithParam<Family> {
 protected:
  void SetUp() override {
    g = b.load_by_name(model_file(GetParam().model), test::media_load_config(GetParam().mmproj));
    ctx = b.init_execution_context(g);
  }
  uint32_t fresh() { return b.init_execution_context(g); }
  HostBackend b;
  uint32_t g = 0, ctx = 0;
};

TEST_P(MediaFamily, ImageTextEqualsLlamaMtmdCli) {
  if (test::mtmd_cli_tool().empty()) GTEST_SKIP() << "llama-mtmd-cli is not part of this build";
  const Family& f = GetParam();
  const Output out = ask(b, ctx, kDescribe, {media("test-gradient.bmp")});
  EXPECT_FALSE(out.text.empty());
  EXPECT_EQ(out.text, test::mtmd_cli(f.model, f.mmproj, "--image", "test-gradient.bmp", kDescribe)) << out.meta.dump();
}

TEST_P(MediaFamily, DifferentImagesGiveDifferentText) {
  const std::string a = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}).text;
  const std::string c = ask(b, fresh(), kDescribe, {media("test-checker.bmp")}).text;
  EXPECT_NE(a, c) << "the image does not reach the model";
}

// The conversation keeps the image; turn two (text only) reuses turn one's KV, image included,
// and answers as a run that recomputes everything (cache_prompt false) does: for Qwen2-VL the
// text after the image must continue at the M-RoPE position, not at the token count.
TEST_P(MediaFamily, ChatTurnTwoReusesTheImageKv) {
  test::expect_turn_two_reuses_image_kv(b, g, kDescribe, media("test-gradient.bmp"));
}

TEST_P(MediaFamily, StreamedEqualsNonStreamed) {
  const std::string whole = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}).text;
  EXPECT_EQ(test::streamed_turn(b, g, kDescribe, media("test-gradient.bmp")), whole);
}

// The image's KV leaves its sequence and comes back: saved when another conversation takes the
// only sequence, restored for turn two; copied into a second conversation that starts with the
// same text and image. Each continues as the resident conversation does (for Qwen2-VL: the
// restored and copied cells keep their M-RoPE positions, and what follows goes after them).
TEST_P(MediaFamily, RestoredAndCopiedImageKvContinuesAsResident) {
  std::string cfg = test::media_load_config(GetParam().mmproj);
  cfg.replace(cfg.find(R"("n_parallel": 2)"), 15, R"("n_parallel": 1)");
  const uint32_t one = b.load_by_name(model_file(GetParam().model), cfg);
  const std::string
      image = media("test-gradient.bmp"),
      prompt = "<__media__>Describe the image in detail: its shapes, its colours, its light and its mood, please.";
  const uint32_t resident = b.init_execution_context(one);
  ask(b, resident, prompt, {image});
  const std::string expected = ask(b, resident, "And its colours?", {}).text;

  const uint32_t evicted = b.init_execution_context(one), other = b.init_execution_context(one);
  ask(b, evicted, prompt, {image});
  ask(b, other, "<__media__>What is this?", {media("test-checker.bmp")});  // takes the only sequence
  const Output back = ask(b, evicted, "And its colours?", {});
  EXPECT_GT(back.meta["restored_tokens"].get<uint32_t>(), 16u) << back.meta.dump();
  EXPECT_EQ(back.text, expected);

  // Two sequences: a second conversation whose prompt departs from the first one's after the
  // image copies the first one's KV up to there, and answers as it does alone.
  const std::string departs =
      "<__media__>Describe the image in detail: its shapes, its colours, its light and its mood, thanks.";
  const std::string alone = ask(b, b.init_execution_context(one), departs, {image}).text;
  ask(b, fresh(), prompt, {image});
  const Output c = ask(b, fresh(), departs, {image});
  EXPECT_GT(c.meta["shared_tokens"].get<uint32_t>(), 16u) << c.meta.dump();
  EXPECT_EQ(c.text, alone);
}

// Deterministic mode (docs/DETERMINISM.md) covers media: an image request decoded while another
// conversation generates gives the bytes it gives alone (its prompt, image included, is decoded
// in calls of its own; for Qwen2-VL its M-RoPE positions are its own whatever shares the step).
TEST_P(MediaFamily, DeterministicImageRequestBesideANeighbourEqualsAlone) {
  std::string cfg = test::media_load_config(GetParam().mmproj);
  cfg.insert(cfg.rfind('}'), R"(, "deterministic": true, "n_probs": 3)");
  const uint32_t det = b.load_by_name(model_file(GetParam().model), cfg);
  const Output alone = ask(b, b.init_execution_context(det), kDescribe, {media("test-checker.bmp")});
  const uint32_t busy = b.init_execution_context(det), ctx2 = b.init_execution_context(det);
  std::thread neighbour(
      [&] { test::generate(b, busy, "Once upon a time", R"({"mode": "raw", "ignore_eos": true, "n_predict": 600})"); });
  ASSERT_TRUE(test::wait_for_stats([&](const nlohmann::json& s) {
    for (const auto& m : s["models"]) {
      for (const auto& e : m["engines"]) {
        if (e["deterministic"] == true && e["active_sequences"] == 1) return true;
      }
    }
    return false;
  }));
  const Output beside = ask(b, ctx2, kDescribe, {media("test-checker.bmp")});
  neighbour.join();
  EXPECT_EQ(beside.text, alone.text);
  ASSERT_TRUE(alone.meta.contains("probs")) << alone.meta.dump();
  EXPECT_EQ(beside.meta["probs"], alone.meta["probs"]) << "probabilities, to the bit";
}

INSTANTIATE_TEST_SUITE_P(Pairs, MediaFamily, ::testing::ValuesIn(kFamilies),
                         [](const ::testing::TestParamInfo<Family>& info) {
                           return std::string(info.param.mrope ? "qwen2vl" : "gemma3");
                         });

}  // namespace
}  // namespace wasi_nn
