// Images and audio through the core (docs/MULTIMODAL.md): tiny-llama with the generated LLaVA
// (mlp) and Ultravox projectors. Greedy text for a medium equals llama.cpp's own llama-mtmd-cli
// on the same files and prompt; different media give different text; a later turn with the same
// image reuses its KV (cached_tokens) and answers as a fresh run does; a different image at the
// same place is not mistaken for the cached one; every malformed request gets a precise error
// and the backend goes on serving; streaming gives the non-streamed text.

#include <gtest/gtest.h>

#include <string>

#include "media/media_support.h"

namespace wasi_nn {
namespace {

using test::ask;
using test::media;
using test::model_file;
using test::model_path;
using test::Output;
using test::read_file;

constexpr char kRaw[] = R"({"mode": "raw"})";
constexpr char kVision[] = "tiny-llava-mmproj.gguf";
constexpr char kAudio[] = "tiny-ultravox-mmproj.gguf";

std::string load_config(const char* mmproj) { return test::media_load_config(mmproj); }

std::string mtmd_cli(const char* mmproj, const char* flag, const char* file, const std::string& prompt) {
  return test::mtmd_cli("tiny-llama.gguf", mmproj, flag, file, prompt);
}

class Media : public ::testing::Test {
 protected:
  void load(const char* mmproj) {
    g = b.load_by_name(model_path("tiny-llama"), load_config(mmproj));
    ctx = b.init_execution_context(g);
  }
  uint32_t fresh() { return b.init_execution_context(g); }
  HostBackend b;
  uint32_t g = 0, ctx = 0;
};

const std::string kDescribe = "<__media__>Describe the image.";

TEST_F(Media, ImageTextEqualsLlamaMtmdCli) {
  if (test::mtmd_cli_tool().empty()) GTEST_SKIP() << "llama-mtmd-cli is not part of this build";
  load(kVision);
  const Output out = ask(b, ctx, kDescribe, {media("test-gradient.bmp")});
  EXPECT_FALSE(out.text.empty());
  EXPECT_EQ(out.text, mtmd_cli(kVision, "--image", "test-gradient.bmp", kDescribe)) << out.meta.dump();
}

TEST_F(Media, AudioTextEqualsLlamaMtmdCli) {
  if (test::mtmd_cli_tool().empty()) GTEST_SKIP() << "llama-mtmd-cli is not part of this build";
  load(kAudio);
  const std::string prompt = "<__media__>What do you hear?";
  const Output out = ask(b, ctx, prompt, {media("test-tone-440.wav")});
  EXPECT_FALSE(out.text.empty());
  EXPECT_EQ(out.text, mtmd_cli(kAudio, "--audio", "test-tone-440.wav", prompt)) << out.meta.dump();
}

// Real files rather than generated ones: the 640x488 JPEG photo (with an Exif block) and the
// MP3 recording (ID3 tag, 44.1 kHz mono) that llama.cpp's source carries for its mtmd tests.
TEST_F(Media, RealJpegAndMp3EqualLlamaMtmdCli) {
  if (test::mtmd_cli_tool().empty()) GTEST_SKIP() << "llama-mtmd-cli is not part of this build";
  const std::string dir = std::string(WASI_NN_LLAMA_DIR) + "/tools/mtmd/";
  load(kVision);
  const std::string jpeg = dir + "test-1.jpeg", mp3 = dir + "test-2.mp3";
  const Output image = ask(b, ctx, kDescribe, {read_file(jpeg)});
  EXPECT_EQ(image.text, mtmd_cli(kVision, "--image", jpeg.c_str(), kDescribe)) << image.meta.dump();
  load(kAudio);
  const std::string prompt = "<__media__>What is said?";
  const Output audio = ask(b, ctx, prompt, {read_file(mp3)});
  EXPECT_GT(audio.meta["input_tokens"].get<uint32_t>(), 150u) << "an MP3 of some seconds is 150+ audio tokens";
  EXPECT_EQ(audio.text, mtmd_cli(kAudio, "--audio", mp3.c_str(), prompt)) << audio.meta.dump();
}

TEST_F(Media, DifferentImagesGiveDifferentText) {
  load(kVision);
  const std::string a = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}, kRaw).text;
  const std::string c = ask(b, fresh(), kDescribe, {media("test-checker.bmp")}, kRaw).text;
  EXPECT_NE(a, c) << "the image does not reach the model";
}

// Raw mode: the same prompt and image again reuses the whole prefix, image included; a different
// image at the same place must not (its stand-in tokens come from its content hash).
TEST_F(Media, SameImageReusesKvAndDifferentImageDoesNot) {
  load(kVision);
  const Output first = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}, kRaw);
  const uint32_t n_prompt = first.meta["input_tokens"];
  ASSERT_GT(n_prompt, 16u) << "the prompt should hold the image's 16 tokens";
  const Output again = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}, kRaw);
  EXPECT_EQ(again.meta["cached_tokens"], n_prompt - 1) << again.meta.dump();
  EXPECT_EQ(again.text, first.text);
  const Output other = ask(b, ctx, kDescribe, {media("test-checker.bmp")}, kRaw);
  EXPECT_LT(other.meta["cached_tokens"].get<uint32_t>(), 2u) << "the cached image was taken for another";
  EXPECT_EQ(other.text, ask(b, fresh(), kDescribe, {media("test-checker.bmp")}, kRaw).text);
}

// Chat mode: the conversation keeps the image; turn two (text only) reuses turn one's KV and
// answers as a run that recomputes everything (cache_prompt false) does.
TEST_F(Media, ChatTurnTwoReusesTheImageKv) {
  load(kVision);
  test::expect_turn_two_reuses_image_kv(b, g, kDescribe, media("test-gradient.bmp"));
}

TEST_F(Media, CustomMarkerAndSeveralMedia) {
  load(kVision);
  const std::string two = "[a] and [a]: which is brighter?";
  const Output out = ask(b, ctx, two, {media("test-gradient.bmp"), media("test-checker.bmp")},
                         R"({"mode": "raw", "media_marker": "[a]"})");
  EXPECT_GT(out.meta["input_tokens"].get<uint32_t>(), 32u) << out.meta.dump();
  const Output swapped = ask(b, fresh(), two, {media("test-checker.bmp"), media("test-gradient.bmp")},
                             R"({"mode": "raw", "media_marker": "[a]"})");
  EXPECT_NE(out.text, swapped.text) << "media must go in input order";
}

TEST_F(Media, StreamedEqualsNonStreamed) {
  load(kVision);
  const std::string whole = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}).text;
  EXPECT_EQ(test::streamed_turn(b, g, kDescribe, media("test-gradient.bmp")), whole);
}

// An engine loaded with n-gram speculation serves media requests (without drafts: their
// stand-in tokens are nothing to draft from) with the plain engine's text.
TEST_F(Media, SpeculativeEngineGivesThePlainText) {
  load(kVision);
  const std::string plain = ask(b, ctx, kDescribe, {media("test-gradient.bmp")}, kRaw).text;
  std::string cfg = load_config(kVision);
  cfg.insert(cfg.rfind('}'), R"(, "speculative": "ngram")");
  const uint32_t sg = b.load_by_name(model_path("tiny-llama"), cfg);
  const uint32_t sc = b.init_execution_context(sg);
  EXPECT_EQ(ask(b, sc, kDescribe, {media("test-gradient.bmp")}, kRaw).text, plain);
  EXPECT_EQ(ask(b, sc, kDescribe, {media("test-gradient.bmp")}, kRaw).text, plain) << "turn two, KV reused";
}

// Each refusal names what was wrong; the same context then serves a good request.
TEST_F(Media, BadRequestsAreRefusedPreciselyAndServingGoesOn) {
  load(kVision);
  const std::string good = media("test-gradient.bmp");
  auto refused = [&](const std::string& prompt, const std::vector<std::string>& files, const char* expect) {
    const Error e = test::error_of([&] { ask(b, ctx, prompt, files, kRaw); });
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument) << e.what();
    EXPECT_NE(std::string(e.what()).find(expect), std::string::npos) << e.what();
  };
  refused(kDescribe, {}, "holds 1 media marker");
  refused("Describe the image.", {good}, "holds 0 media markers");
  refused("<__media__> and <__media__>", {good}, "holds 2 media markers");
  refused(kDescribe, {"plain text, not an image"}, "is not an image or audio file");
  refused(kDescribe, {media("test-tone-440.wav")}, "takes images only");
  std::string broken = good;
  broken.resize(20);  // the BMP header ends before its size fields
  refused(kDescribe, {broken}, "header cannot be read");
  refused("Describe <__media__>", {good}, "ends with a media marker");
  const Error gap = test::error_of([&] {
    b.set_input(ctx, 3, good);
    test::generate(b, ctx, kDescribe, kRaw);
  });
  EXPECT_NE(std::string(gap.what()).find("input 3 was set but input 2 was not"), std::string::npos) << gap.what();
  EXPECT_FALSE(ask(b, ctx, kDescribe, {good}, kRaw).text.empty());
}

TEST(MediaLimits, OperatorBoundsComeFirst) {
  HostBackend b(R"({"limits": {"max_media_bytes": 4000, "max_image_pixels": 1024, "max_media_count": 1}})");
  const uint32_t g = b.load_by_name(model_path("tiny-llama"), load_config(kVision));
  const uint32_t ctx = b.init_execution_context(g);
  auto message = [&](uint32_t index, const std::string& bytes) {
    return std::string(test::error_of([&] { b.set_input(ctx, index, bytes); }).what());
  };
  EXPECT_NE(message(2, media("test-checker.bmp")).find("max_media_bytes"), std::string::npos);  // 4.7 KB
  EXPECT_NE(message(3, media("test-gradient.bmp")).find("max_media_count"), std::string::npos);
  // A PNG header claiming 40 x 40 pixels (1,600 > 1,024): refused before any decoder runs.
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x28\0\0\0\x28", 24);
  EXPECT_NE(message(2, png).find("max_image_pixels"), std::string::npos);
  EXPECT_FALSE(ask(b, ctx, kDescribe, {media("test-gradient.bmp")}, kRaw).text.empty());
}

TEST(MediaLoad, MediaNeedAProjector) {
  HostBackend b;
  const uint32_t g = b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 256, "n_predict": 4})");
  const uint32_t ctx = b.init_execution_context(g);
  const Error e = test::error_of([&] { b.set_input(ctx, 2, media("test-gradient.bmp")); });
  EXPECT_EQ(e.kind(), ErrorKind::NotFound) << e.what();
  EXPECT_NE(std::string(e.what()).find("loaded with \"mmproj\""), std::string::npos) << e.what();
}

TEST(MediaLoad, ProjectorIsSharedAcrossTenantsAndConfinedToGrants) {
  test::ScratchDir grant;
  const std::string model = grant.write("m.gguf", read_file(model_path("tiny-llama")));
  grant.write("p.gguf", read_file(model_file(kVision)));
  ::setenv(kModelDirsEnv, grant.dir().c_str(), 1);
  Backend confined(BackendOptions{ModelAccess::Mode::Confined});
  Backend other(BackendOptions{ModelAccess::Mode::Confined});
  ::unsetenv(kModelDirsEnv);
  const Error outside = test::error_of(
      [&] { confined.load_by_name("m.gguf", std::string(R"({"mmproj": ")") + model_file(kVision) + "\"}"); });
  EXPECT_EQ(outside.kind(), ErrorKind::Security) << outside.what();
  EXPECT_NE(std::string(outside.what()).find("mmproj"), std::string::npos) << outside.what();
  const Error dotdot = test::error_of([&] { confined.load_by_name("m.gguf", R"({"mmproj": "../p.gguf"})"); });
  EXPECT_EQ(dotdot.kind(), ErrorKind::Security) << dotdot.what();
  const Error missing = test::error_of([&] { confined.load_by_name("m.gguf", R"({"mmproj": "none.gguf"})"); });
  EXPECT_EQ(missing.kind(), ErrorKind::ModelNotFound) << missing.what();
  EXPECT_EQ(std::string(missing.what()).find(grant.dir()), std::string::npos)
      << "a host path leaked: " << missing.what();
  const std::string cfg = R"({"ctx_size": 1024, "n_predict": 8, "temperature": 0, "mmproj": "p.gguf"})";
  const uint32_t g1 = confined.load_by_name("m.gguf", cfg);
  const uint32_t g2 = other.load_by_name("m.gguf", cfg);
  const Output a = ask(confined, confined.init_execution_context(g1), kDescribe, {media("test-gradient.bmp")}, kRaw);
  const Output c = ask(other, other.init_execution_context(g2), kDescribe, {media("test-gradient.bmp")}, kRaw);
  EXPECT_EQ(a.text, c.text);
  EXPECT_EQ(test::process_stats()["models"].size(), 1u) << "one model for both tenants";
  EXPECT_EQ(test::process_stats()["projectors"], 1) << "one projector for both tenants";
}

// wasi-nn-run --nn-mmproj m:PATH preloads the projector as "m.mmproj": loading "m" brings it.
TEST(MediaLoad, PreloadedAliasCarriesItsPairedProjector) {
  ::setenv(kPreloadEnv, ("m=" + model_path("tiny-llama") + ";m.mmproj=" + model_file(kVision)).c_str(), 1);
  Backend b(BackendOptions{ModelAccess::Mode::Confined});
  ::unsetenv(kPreloadEnv);
  const uint32_t g = b.load_by_name("m", R"({"ctx_size": 1024, "n_predict": 8, "temperature": 0})");
  const Output paired = ask(b, b.init_execution_context(g), kDescribe, {media("test-gradient.bmp")}, kRaw);
  const uint32_t g2 =
      b.load_by_name("m", R"({"ctx_size": 1024, "n_predict": 8, "temperature": 0, "mmproj": "m.mmproj"})");
  EXPECT_EQ(ask(b, b.init_execution_context(g2), kDescribe, {media("test-gradient.bmp")}, kRaw).text, paired.text);
}

// WasmEdge's guests name an image file in their metadata, or inline it in the prompt.
TEST(MediaWasmEdge, ImagePathAndInlineTagEqualTheInput) {
  HostBackend b(R"({"profile": "wasmedge"})");
  const std::string cfg =
      std::string(R"({"ctx-size": 1024, "n-predict": 12, "temp": 0, "mmproj": ")") + model_file(kVision) + "\"}";
  const uint32_t g = b.load_by_name(model_path("tiny-llama"), cfg);
  const Output direct = ask(b, b.init_execution_context(g), kDescribe, {media("test-gradient.bmp")});
  const uint32_t by_path = b.init_execution_context(g);
  b.set_input(by_path, 1, std::string(R"({"image": ")") + model_file("test-gradient.bmp") + "\"}");
  EXPECT_EQ(test::generate(b, by_path, "Describe the image.").text, direct.text);
  // base64 of the BMP, in an <img> tag where the marker would go.
  const std::string bmp = media("test-gradient.bmp");
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (size_t i = 0; i < bmp.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bmp[i])) << 16;
    if (i + 1 < bmp.size()) v |= uint32_t(uint8_t(bmp[i + 1])) << 8;
    if (i + 2 < bmp.size()) v |= uint8_t(bmp[i + 2]);
    b64 += kAlphabet[(v >> 18) & 63];
    b64 += kAlphabet[(v >> 12) & 63];
    b64 += i + 1 < bmp.size() ? kAlphabet[(v >> 6) & 63] : '=';
    b64 += i + 2 < bmp.size() ? kAlphabet[v & 63] : '=';
  }
  const uint32_t inline_ctx = b.init_execution_context(g);
  const Output tagged =
      test::generate(b, inline_ctx, "<img src=\"data:image/bmp;base64," + b64 + "\">Describe the image.");
  EXPECT_EQ(tagged.text, direct.text);
}

}  // namespace
}  // namespace wasi_nn
