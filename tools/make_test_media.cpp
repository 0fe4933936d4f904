// make-test-media: writes the small, deterministic media files the multimodal tests feed to
// llama.cpp's mtmd (which decodes images with stb_image and audio with miniaudio), so the
// repository ships no binary test data.
//
//   --out OUT.bmp [--pattern gradient|checker --width N --height N]
//       a 24-bit uncompressed BMP: a red/green gradient with a blue diagonal, or an 8-pixel
//       black and white checkerboard (two images that differ everywhere)
//   --out OUT.wav [--freq HZ --seconds X --rate N]
//       a 16-bit mono PCM WAV holding a sine tone at half amplitude

#include "tiny_cli.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string out, pattern = "gradient";
  int64_t width = 32, height = 32, rate = 16000;
  double freq = 440.0, seconds = 1.0;
};

const char* kUsage =
    "usage: make-test-media --out OUT.bmp [--pattern gradient|checker] [--width N] [--height N]\n"
    "       make-test-media --out OUT.wav [--freq HZ] [--seconds X] [--rate N]\n"
    "  (default 32x32 gradient; 440 Hz for 1 s at 16000 Hz)\n";

// Little-endian byte writer (BMP and WAV are little-endian whatever the host is).
struct Bytes {
  std::vector<uint8_t> b;
  void u16(uint32_t v) {
    b.push_back(v & 0xff);
    b.push_back((v >> 8) & 0xff);
  }
  void u32(uint32_t v) {
    u16(v & 0xffff);
    u16(v >> 16);
  }
  void tag(const char* s) { b.insert(b.end(), s, s + 4); }
};

void save(const std::string& path, const Bytes& data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.b.data()), (std::streamsize)data.b.size());
    if (!out) throw std::runtime_error("cannot write '" + tmp + "'");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename to '" + path + "'");
}

void pixel(const Options& o, int64_t x, int64_t y, uint8_t rgb[3]) {
  if (o.pattern == "checker") {
    const uint8_t v = ((x / 8) + (y / 8)) % 2 ? 255 : 0;
    rgb[0] = rgb[1] = rgb[2] = v;
    return;
  }
  rgb[0] = (uint8_t)(255 * x / std::max<int64_t>(1, o.width - 1));
  rgb[1] = (uint8_t)(255 * y / std::max<int64_t>(1, o.height - 1));
  rgb[2] = x == y ? 255 : 0;
}

// BITMAPFILEHEADER + BITMAPINFOHEADER, bottom-up rows of BGR padded to 4 bytes.
void write_bmp(const Options& o) {
  if (o.pattern != "gradient" && o.pattern != "checker")
    throw std::runtime_error("--pattern: unknown pattern '" + o.pattern + "' (gradient, checker)");
  if (o.width < 1 || o.height < 1 || o.width > 4096 || o.height > 4096)
    throw std::runtime_error("--width and --height must be in [1, 4096]");
  const uint32_t row = (uint32_t)((o.width * 3 + 3) & ~3), image = row * (uint32_t)o.height;
  Bytes f;
  f.b.push_back('B');
  f.b.push_back('M');
  f.u32(54 + image);
  f.u32(0);
  f.u32(54);
  f.u32(40);
  f.u32((uint32_t)o.width);
  f.u32((uint32_t)o.height);
  f.u16(1);
  f.u16(24);
  f.u32(0);
  f.u32(image);
  f.u32(2835);
  f.u32(2835);
  f.u32(0);
  f.u32(0);
  for (int64_t y = o.height - 1; y >= 0; --y) {
    for (int64_t x = 0; x < o.width; ++x) {
      uint8_t rgb[3];
      pixel(o, x, y, rgb);
      f.b.push_back(rgb[2]);
      f.b.push_back(rgb[1]);
      f.b.push_back(rgb[0]);
    }
    for (uint32_t pad = (uint32_t)(o.width * 3); pad < row; ++pad) f.b.push_back(0);
  }
  save(o.out, f);
}

// RIFF/WAVE with one "fmt " (PCM, mono, 16-bit) and one "data" chunk. Samples are rounded, not
// dithered, so the file is byte-identical on every machine.
void write_wav(const Options& o) {
  if (o.rate < 8000 || o.rate > 192000) throw std::runtime_error("--rate must be in [8000, 192000]");
  if (!(o.seconds > 0 && o.seconds <= 60)) throw std::runtime_error("--seconds must be in (0, 60]");
  const uint32_t n = (uint32_t)std::lround(o.seconds * (double)o.rate);
  Bytes f;
  f.tag("RIFF");
  f.u32(36 + 2 * n);
  f.tag("WAVE");
  f.tag("fmt ");
  f.u32(16);
  f.u16(1);
  f.u16(1);
  f.u32((uint32_t)o.rate);
  f.u32((uint32_t)o.rate * 2);
  f.u16(2);
  f.u16(16);
  f.tag("data");
  f.u32(2 * n);
  const double kTwoPi = 6.283185307179586;
  for (uint32_t i = 0; i < n; ++i) {
    const double v = 0.5 * std::sin(kTwoPi * o.freq * (double)i / (double)o.rate);
    f.u16((uint32_t)(uint16_t)(int16_t)std::lround(v * 32767.0));
  }
  save(o.out, f);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (tiny::ArgReader r(argc, argv, kUsage); r.next();) {
    const std::string& a = r.flag();
    if (a == "--out")
      o.out = r.value();
    else if (a == "--pattern")
      o.pattern = r.value();
    else if (a == "--width")
      o.width = r.int_value();
    else if (a == "--height")
      o.height = r.int_value();
    else if (a == "--rate")
      o.rate = r.int_value();
    else if (a == "--freq")
      o.freq = r.number_value();
    else if (a == "--seconds")
      o.seconds = r.number_value();
    else
      r.unknown();
  }
  if (!ends_with(o.out, ".bmp") && !ends_with(o.out, ".wav"))
    throw std::runtime_error("--out must name a .bmp or a .wav file (see --help)");
  return o;
}

void run(const Options& o) {
  if (ends_with(o.out, ".bmp"))
    write_bmp(o);
  else
    write_wav(o);
}

}  // namespace

int main(int argc, char** argv) {
  return tiny::run_main("make-test-media", [&] { run(parse_args(argc, argv)); });
}
