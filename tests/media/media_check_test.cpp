// Media checks before any decoder (core/input/media_check.h): formats by their magic, sizes and
// durations from the header alone, bounded base64; and a smoke fuzz: damaged BMP and WAV files
// sent through a real projector, each in a forked child, never crash it and never pass as
// something they are not.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>

#include "core/input/media_check.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

std::string le32(uint32_t v) { return std::string{char(v), char(v >> 8), char(v >> 16), char(v >> 24)}; }
std::string le16(uint16_t v) { return std::string{char(v), char(v >> 8)}; }

std::string message_of(std::string_view bytes, const InputLimits& l = InputLimits{}) {
  try {
    check_media(bytes, l, "input 2");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A WAV header stating `data_bytes` of 16 kHz mono 16-bit samples (the samples themselves absent
// beyond what `present` gives).
std::string wav(uint32_t data_bytes, size_t present) {
  std::string w = "RIFF" + le32(36 + data_bytes) + "WAVE" + "fmt " + le32(16) + le16(1) + le16(1) + le32(16000) +
                  le32(32000) + le16(2) + le16(16) + "data" + le32(data_bytes);
  return w + std::string(present, '\0');
}

TEST(MediaCheck, ReadsTheGeneratedFiles) {
  const MediaInfo bmp = check_media(test::read_file(test::model_file("test-checker.bmp")), InputLimits{}, "input 2");
  EXPECT_EQ(bmp.format, MediaFormat::Bmp);
  EXPECT_EQ(bmp.width, 48u);
  EXPECT_EQ(bmp.height, 32u);
  const MediaInfo tone = check_media(test::read_file(test::model_file("test-tone-440.wav")), InputLimits{}, "input 2");
  EXPECT_TRUE(tone.audio);
  EXPECT_DOUBLE_EQ(tone.seconds, 1.0);
}

TEST(MediaCheck, RefusesWhatNoDecoderShouldSee) {
  InputLimits l;
  l.max_image_pixels = 100 * 100;
  l.max_audio_seconds = 10;
  EXPECT_NE(message_of("").find("is empty"), std::string::npos);
  EXPECT_NE(message_of("P6\n1 1\n255\n...").find("is not an image or audio file"), std::string::npos);  // PNM
  const std::string png_huge("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\xEA\x60\0\0\xEA\x60", 24);            // 60000 x 60000
  EXPECT_NE(message_of(png_huge, l).find("60000 x 60000 image"), std::string::npos);
  EXPECT_NE(message_of(std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16)).find("header cannot be read"),
            std::string::npos);
  const std::string bmp_tall = "BM" + std::string(12, '\0') + le32(40) + le32(10) + le32(uint32_t(-50000));
  EXPECT_NE(message_of(bmp_tall, l).find("10 x 50000"), std::string::npos) << "top-down rows count by size too";
  const std::string jpeg =
      std::string("\xFF\xD8\xFF\xE0\0\x04..\xFF\xC0\0\x11\x08\x10\x00\x10\x00", 19);  // 4096 x 4096
  EXPECT_NE(message_of(jpeg, l).find("4096 x 4096"), std::string::npos);
  EXPECT_NE(message_of(wav(16000 * 2 * 20, 16000 * 2 * 20), l).find("audio of 20 seconds"), std::string::npos);
  EXPECT_EQ(message_of(wav(16000 * 2 * 20, 64), l), "") << "only the samples present count";
  EXPECT_NE(message_of(std::string("ID3") + std::string(20000, 'x'), l).find("MP3 that may last"), std::string::npos);
  EXPECT_NE(message_of(std::string("RIFF\0\0\0\0WAVEdata\0\0\0\0", 20), l).find("no format chunk"), std::string::npos);
}

TEST(MediaCheck, Base64IsBoundedBeforeDecoding) {
  EXPECT_EQ(decode_base64("aGVsbG8=", 100, "x"), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8", 100, "x"), "hello");
  try {
    decode_base64(std::string(4000, 'A'), 2000, "the prompt's inline image 1");
    ADD_FAILURE() << "over the bound";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("decodes to 3000 bytes; the limit is 2000"), std::string::npos) << e.what();
  }
  EXPECT_THROW(decode_base64("aGV$bG8=", 100, "x"), Error);
}

// Damaged copies of the generated BMP and WAV, each through check + decode + a whole turn in a
// forked child (which loads its own backend: a fork has no engine threads): a child that dies of
// a signal is a crash in a decoder we fed.
void run_damaged(const std::string& file, bool audio) {
  HostBackend b;
  const std::string cfg = std::string(R"({"ctx_size": 512, "n_predict": 2, "threads": 1, "mmproj": ")") +
                          test::model_file(audio ? "tiny-ultravox-mmproj.gguf" : "tiny-llava-mmproj.gguf") + "\"}";
  const uint32_t ctx = b.init_execution_context(b.load_by_name(test::model_path("tiny-llama"), cfg));
  b.set_input(ctx, 2, file);
  test::generate(b, ctx, "<__media__>Go.", R"({"mode": "raw"})");
}

TEST(MediaFuzz, DamagedHeadersNeverCrash) {
  const std::string bmp = test::read_file(test::model_file("test-gradient.bmp"));
  const std::string tone = test::read_file(test::model_file("test-tone-440.wav"));
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) {
    const bool audio = i % 2 == 1;
    std::string f = audio ? tone : bmp;
    const size_t header = audio ? 44 : 54;
    for (int k = 0; k < 1 + i % 4; ++k) f[rng() % header] = static_cast<char>(rng());
    if (i % 5 == 0) f.resize(rng() % f.size());
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      try {
        run_damaged(f, audio);
      } catch (const Error&) {
      }
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status)) << "case " << i << " killed by signal "
                                   << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  }
}

}  // namespace
}  // namespace wasi_nn
