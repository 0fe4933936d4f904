// The generated projectors work with llama.cpp's own multimodal CLI (llama-mtmd-cli, built from
// tools/mtmd): tiny-llama plus tiny-llava-mmproj reads the generated BMP images, tiny-llama plus
// tiny-ultravox-mmproj hears the generated WAV tones. Each run generates text greedily, twice the
// same; and the media really reach the model: two different images (or tones) give different text.

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "support/test_files.h"
#include "support/tool_runner.h"

namespace wasi_nn::test {
namespace {

struct Projector {
  const char* mmproj;
  const char* media_flag;  // how llama-mtmd-cli takes the media file
  const char* media;
  const char* other_media;  // differs from `media` everywhere
  const char* prompt;
};

const Projector kProjectors[] = {
    {"tiny-llava-mmproj.gguf", "--image", "test-gradient.bmp", "test-checker.bmp", "Describe the image."},
    {"tiny-ultravox-mmproj.gguf", "--audio", "test-tone-440.wav", "test-tone-3000.wav", "What do you hear?"},
};

// Names the case in gtest's messages (instead of dumping the struct's bytes).
void PrintTo(const Projector& p, std::ostream* os) { *os << p.mmproj; }

// One greedy single-turn run: llama-mtmd-cli places the media before the prompt.
std::string respond(const Projector& p, const char* media) {
  return run_to_blank_line(mtmd_cli_tool(), {"-m", model_file("tiny-llama.gguf"), "--mmproj", model_file(p.mmproj),
                                             p.media_flag, model_file(media), "-p", p.prompt, "-n", "16", "--temp", "0",
                                             "--seed", "1", "-t", "1", "-c", "1024", "--no-warmup"});
}

class Multimodal : public ::testing::TestWithParam<Projector> {
 protected:
  void SetUp() override {
    if (mtmd_cli_tool().empty()) GTEST_SKIP() << "llama-mtmd-cli is not part of this build";
  }
};

TEST_P(Multimodal, RespondsToMediaDeterministically) {
  const Projector& p = GetParam();
  const std::string first = respond(p, p.media);
  EXPECT_NE(first.find_first_not_of(" \n"), std::string::npos) << "no visible text";
  EXPECT_EQ(first, respond(p, p.media));
  EXPECT_NE(first, respond(p, p.other_media)) << "the media do not reach the model";
}

INSTANTIATE_TEST_SUITE_P(Projectors, Multimodal, ::testing::ValuesIn(kProjectors),
                         [](const ::testing::TestParamInfo<Projector>& info) {
                           return std::string(info.param.media_flag + 2);  // "image", "audio"
                         });

}  // namespace
}  // namespace wasi_nn::test
