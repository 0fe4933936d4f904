// Media checks: what a guest's image or audio file is, read from its header alone, and whether
// it is within the tenant's bounds, before llama.cpp's decoders (stb_image, miniaudio) see a
// byte. Decoded pixels and samples cost far more memory than the file (a 30 KB PNG can claim
// 60,000 x 60,000 pixels; an 8 kbit/s MP3 expands 64-fold), so the header's figures are bounded,
// and only the formats listed here reach a decoder at all (stb_image also parses PSD, TGA, HDR,
// PIC and PNM, which no guest needs). docs/MULTIMODAL.md lists the formats and limits.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/input/input_limits.h"

namespace wasi_nn {

enum class MediaFormat { Png, Jpeg, Bmp, Gif, Wav, Mp3, Flac };

struct MediaInfo {
  MediaFormat format = MediaFormat::Png;
  bool audio = false;
  uint64_t width = 0, height = 0;  // images
  double seconds = 0;              // audio (MP3: the most its size allows)
};

const char* media_format_name(MediaFormat f);

// Identifies `bytes` and checks them against `limits`. `what` names the input in messages
// ("input 2"). Throws InvalidArgument: empty, over max_media_bytes, not one of the formats,
// a header too short or inconsistent to read, over max_image_pixels or max_audio_seconds.
MediaInfo check_media(std::string_view bytes, const InputLimits& limits, const std::string& what);

// Standard base64 (RFC 4648, '=' padding optional, no whitespace) whose decoded size may not
// exceed `max_bytes`: the length is checked before anything is decoded. Throws InvalidArgument
// naming `what`.
std::string decode_base64(std::string_view text, size_t max_bytes, const std::string& what);

}  // namespace wasi_nn
