#include "core/input/media_check.h"

#include <cstring>

#include "core/input/input_error.h"

namespace wasi_nn {
namespace {

const unsigned char* u8(std::string_view b) { return reinterpret_cast<const unsigned char*>(b.data()); }

uint32_t be16(std::string_view b, size_t at) { return (uint32_t(u8(b)[at]) << 8) | u8(b)[at + 1]; }
uint32_t be32(std::string_view b, size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }
uint32_t le16(std::string_view b, size_t at) { return (uint32_t(u8(b)[at + 1]) << 8) | u8(b)[at]; }
uint32_t le32(std::string_view b, size_t at) { return (le16(b, at + 2) << 16) | le16(b, at); }

bool starts(std::string_view b, const char* magic, size_t at = 0) {
  const size_t n = std::strlen(magic);
  return b.size() >= at + n && std::memcmp(b.data() + at, magic, n) == 0;
}

[[noreturn]] void unreadable(const std::string& what, MediaFormat f, const char* why) {
  refuse_input(what, std::string("looks like ") + media_format_name(f) + " but its header cannot be read (" + why +
                         "); send an intact file");
}

void need(std::string_view b, size_t n, const std::string& what, MediaFormat f) {
  if (b.size() < n) unreadable(what, f, "the file ends inside it");
}

// JPEG: the frame header (SOF0..SOF15 but DHT, JPG and DAC) holds the size; walk the segments
// before it, each bounded by the file's length.
void jpeg_size(std::string_view b, const std::string& what, MediaInfo* m) {
  size_t at = 2;
  while (at + 4 <= b.size()) {
    if (u8(b)[at] != 0xFF) unreadable(what, m->format, "a segment does not start with 0xFF");
    const unsigned marker = u8(b)[at + 1];
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    const size_t len = be16(b, at + 2);
    if (len < 2) unreadable(what, m->format, "a segment length is below 2");
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      need(b, at + 9, what, m->format);
      m->height = be16(b, at + 5);
      m->width = be16(b, at + 7);
      return;
    }
    at += 2 + len;
  }
  unreadable(what, m->format, "no frame header before the end");
}

void image_size(std::string_view b, const std::string& what, MediaInfo* m) {
  switch (m->format) {
    case MediaFormat::Png:
      need(b, 24, what, m->format);
      if (!starts(b, "IHDR", 12)) unreadable(what, m->format, "the first chunk is not IHDR");
      m->width = be32(b, 16);
      m->height = be32(b, 20);
      break;
    case MediaFormat::Gif:
      need(b, 10, what, m->format);
      m->width = le16(b, 6);
      m->height = le16(b, 8);
      break;
    case MediaFormat::Bmp: {
      need(b, 26, what, m->format);
      const uint32_t header = le32(b, 14);
      if (header == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit sizes
        m->width = le16(b, 18);
        m->height = le16(b, 20);
      } else {
        const int32_t w = static_cast<int32_t>(le32(b, 18)), h = static_cast<int32_t>(le32(b, 22));
        m->width = static_cast<uint64_t>(w < 0 ? -int64_t(w) : w);
        m->height = static_cast<uint64_t>(h < 0 ? -int64_t(h) : h);  // negative: top-down rows
      }
      break;
    }
    default: jpeg_size(b, what, m);
  }
  if (m->width == 0 || m->height == 0) unreadable(what, m->format, "its width or height is 0");
}

// WAV: the data chunk's size over the format chunk's byte rate. Chunks are walked within the file.
double wav_seconds(std::string_view b, const std::string& what) {
  uint32_t byte_rate = 0;
  size_t at = 12;
  while (at + 8 <= b.size()) {
    const uint64_t len = le32(b, at + 4);
    if (starts(b, "fmt ", at)) {
      need(b, at + 16, what, MediaFormat::Wav);
      byte_rate = le32(b, at + 16);
    } else if (starts(b, "data", at)) {
      if (byte_rate == 0) unreadable(what, MediaFormat::Wav, "no format chunk with a byte rate before the data");
      const uint64_t present = std::min<uint64_t>(len, b.size() - at - 8);
      return static_cast<double>(present) / byte_rate;
    }
    at += 8 + len + (len & 1);
  }
  unreadable(what, MediaFormat::Wav, "no data chunk");
}

// FLAC: STREAMINFO (the first metadata block) holds the sample rate and the total samples.
double flac_seconds(std::string_view b, const std::string& what) {
  need(b, 26, what, MediaFormat::Flac);
  if ((u8(b)[4] & 0x7F) != 0) unreadable(what, MediaFormat::Flac, "the first metadata block is not STREAMINFO");
  const unsigned char* s = u8(b) + 8;
  const uint32_t rate = (uint32_t(s[10]) << 12) | (uint32_t(s[11]) << 4) | (s[12] >> 4);
  const uint64_t total = (uint64_t(s[13] & 0x0F) << 32) | (uint64_t(s[14]) << 24) | (uint64_t(s[15]) << 16) |
                         (uint64_t(s[16]) << 8) | s[17];
  if (rate == 0) unreadable(what, MediaFormat::Flac, "its sample rate is 0");
  if (total == 0) unreadable(what, MediaFormat::Flac, "it does not state its length; re-encode it with the length");
  return static_cast<double>(total) / rate;
}

// The format from the magic bytes; false for anything else. The audio test is miniaudio's as
// mtmd's helper applies it (is_audio_file), so what is audio here is audio there.
bool sniff(std::string_view b, MediaInfo* m) {
  const auto* p = u8(b);
  if (starts(b, "\x89PNG\r\n\x1a\n"))
    m->format = MediaFormat::Png;
  else if (b.size() >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
    m->format = MediaFormat::Jpeg;
  else if (starts(b, "BM"))
    m->format = MediaFormat::Bmp;
  else if (starts(b, "GIF87a") || starts(b, "GIF89a"))
    m->format = MediaFormat::Gif;
  else if (starts(b, "RIFF") && starts(b, "WAVE", 8))
    m->format = MediaFormat::Wav;
  else if (starts(b, "fLaC"))
    m->format = MediaFormat::Flac;
  else if (starts(b, "ID3") || (b.size() >= 2 && p[0] == 0xFF && (p[1] & 0xE0) == 0xE0))
    m->format = MediaFormat::Mp3;
  else
    return false;
  m->audio = m->format == MediaFormat::Wav || m->format == MediaFormat::Mp3 || m->format == MediaFormat::Flac;
  return true;
}

// Lowest MPEG audio bitrate (MPEG-2.5 layer III): the longest an MP3 of a given size can last.
constexpr double kMinMp3BytesPerSecond = 8000.0 / 8;

}  // namespace

const char* media_format_name(MediaFormat f) {
  switch (f) {
    case MediaFormat::Png: return "PNG";
    case MediaFormat::Jpeg: return "JPEG";
    case MediaFormat::Bmp: return "BMP";
    case MediaFormat::Gif: return "GIF";
    case MediaFormat::Wav: return "WAV";
    case MediaFormat::Mp3: return "MP3";
    case MediaFormat::Flac: return "FLAC";
  }
  return "?";
}

MediaInfo check_media(std::string_view b, const InputLimits& limits, const std::string& what) {
  if (b.empty()) refuse_input(what, "is empty; send the bytes of an image or audio file");
  if (b.size() > limits.max_media_bytes) {
    refuse_over_limit(what, "is " + std::to_string(b.size()) + " bytes", limits.max_media_bytes, "max_media_bytes",
                      "Send a smaller file");
  }
  MediaInfo m;
  if (!sniff(b, &m)) {
    refuse_input(what,
                 "is not an image or audio file this backend reads (PNG, JPEG, BMP, GIF; WAV, MP3, FLAC): "
                 "its first bytes match none of them");
  }
  if (!m.audio) {
    image_size(b, what, &m);
    if (m.width * m.height > limits.max_image_pixels) {
      refuse_over_limit(what, "is a " + std::to_string(m.width) + " x " + std::to_string(m.height) + " image",
                        limits.max_image_pixels, "max_image_pixels", "Scale it down before sending it");
    }
    return m;
  }
  m.seconds = m.format == MediaFormat::Wav    ? wav_seconds(b, what)
              : m.format == MediaFormat::Flac ? flac_seconds(b, what)
                                              : static_cast<double>(b.size()) / kMinMp3BytesPerSecond;
  if (m.seconds > static_cast<double>(limits.max_audio_seconds)) {
    refuse_over_limit(what,
                      std::string("is ") + (m.format == MediaFormat::Mp3 ? "an MP3 that may last " : "audio of ") +
                          std::to_string(static_cast<uint64_t>(m.seconds)) + " seconds",
                      limits.max_audio_seconds, "max_audio_seconds",
                      "Send a shorter clip (an MP3 is bounded at its lowest bitrate; WAV and FLAC state their length)");
  }
  return m;
}

std::string decode_base64(std::string_view text, size_t max_bytes, const std::string& what) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  const size_t decoded = text.size() / 4 * 3 + (text.size() % 4 == 0 ? 0 : text.size() % 4 - 1);
  if (text.size() % 4 == 1) refuse_input(what, "is not valid base64 (its length is 1 more than a multiple of 4)");
  if (decoded > max_bytes) {
    refuse_over_limit(what, "decodes to " + std::to_string(decoded) + " bytes", max_bytes, "max_media_bytes",
                      "Send a smaller file");
  }
  std::string out;
  out.reserve(decoded);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (v < 0) refuse_input(what, "is not valid base64 (a character outside A-Z a-z 0-9 + /)");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace wasi_nn
