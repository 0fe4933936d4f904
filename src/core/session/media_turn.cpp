#include "core/session/media_turn.h"

#include "core/base/error.h"
#include "core/input/input_error.h"
#include "core/input/media_check.h"
#include "core/model/model_source.h"
#include "core/session/graph.h"

namespace wasi_nn {
namespace {

std::vector<std::string> split_at(const std::string& text, const std::string& marker) {
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, start)) {
    pieces.push_back(text.substr(start, at - start));
    start = at + marker.size();
  }
  pieces.push_back(text.substr(start));
  return pieces;
}

// How messages name medium `i` of `n` (the last `n_new` are this turn's inputs 2, 3, ...).
std::string medium_name(size_t i, size_t n, size_t n_new) {
  if (i + n_new >= n) return "input " + std::to_string(2 + i - (n - n_new));
  return "medium " + std::to_string(i + 1) + " of the conversation (sent with an earlier turn)";
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

[[noreturn]] void marker_mismatch(size_t markers, size_t n, size_t n_new, const std::string& marker) {
  const size_t earlier = n - n_new;
  fail(ErrorKind::InvalidArgument,
       "the prompt holds " + plural(markers, "media marker", "media markers") + " (\"" + marker + "\") but " +
           plural(n_new, "medium was", "media were") + " sent (inputs 2 and up)" +
           (earlier ? " and earlier turns hold " + std::to_string(earlier) : std::string()) +
           "; put exactly one marker where each medium goes, in input order (media_marker sets the marker)");
}

}  // namespace

std::string media_marker(const RequestSettings& rs) {
  return rs.media.marker.empty() ? std::string(mtmd_default_marker()) : rs.media.marker;
}

size_t count_markers(const std::string& text, const std::string& marker) { return split_at(text, marker).size() - 1; }

MediaFile checked_media_input(uint32_t index, std::string_view bytes, const InputLimits& limits) {
  const std::string what = "input " + std::to_string(index);
  if (index - 2 >= limits.max_media_count) {
    refuse_over_limit(what, "is medium number " + std::to_string(index - 1), limits.max_media_count, "max_media_count",
                      "Send fewer images or audio files per request");
  }
  check_media(bytes, limits, what);
  return std::make_shared<const std::string>(bytes);
}

MediaTokens tokenize_with_media(const Graph& graph, const RequestSettings& rs, const std::string& text,
                                const MediaList& media, size_t n_new) {
  if (!graph.projector) {
    fail(ErrorKind::InvalidArgument, "the request sends " + plural(media.size(), "medium", "media") +
                                         " (inputs 2 and up), but model '" + graph.name +
                                         "' was loaded without a projector; load it with \"mmproj\" naming its "
                                         "multimodal projector");
  }
  const std::string marker = media_marker(rs);
  const std::vector<std::string> pieces = split_at(text, marker);
  if (pieces.size() - 1 != media.size()) marker_mismatch(pieces.size() - 1, media.size(), n_new, marker);
  const InputLimits& limits = graph.input_limits;
  if (media.size() > limits.max_media_count) {
    refuse_over_limit("the conversation", "holds " + std::to_string(media.size()) + " media", limits.max_media_count,
                      "max_media_count", "Send {\"reset\": true} or open a new session");
  }
  std::vector<mtmd::bitmap> decoded;
  std::vector<const mtmd_bitmap*> bitmaps;
  for (size_t i = 0; i < media.size(); ++i) {
    const std::string what = medium_name(i, media.size(), n_new);
    const MediaInfo info = check_media(*media[i], limits, what);
    decoded.push_back(graph.projector->bitmap(*media[i], info.audio, what));
    bitmaps.push_back(decoded.back().ptr.get());
  }
  MediaTokens out;
  out.media =
      std::make_shared<const MediaPrompt>(graph.projector, graph.projector->tokenize(pieces, bitmaps), &out.tokens);
  const auto& spans = out.media->spans();
  if (!spans.empty() && spans.back().start + spans.back().n == out.tokens.size()) {
    fail(ErrorKind::InvalidArgument,
         "the prompt ends with a media marker; put text after the last one (the "
         "model answers from the prompt's last token, which must be text)");
  }
  return out;
}

void take_wasmedge_media(const Graph& graph, const RequestSettings& rs, const InputLimits& limits, std::string* prompt,
                         MediaList* media) {
  const std::string marker = media_marker(rs);
  static const std::string kOpen = "<img src=\"data:", kBase64 = ";base64,";
  for (size_t at = prompt->find(kOpen); at != std::string::npos; at = prompt->find(kOpen, at)) {
    const size_t data = prompt->find(kBase64, at);
    const size_t quote = data == std::string::npos ? data : prompt->find('"', data);
    const size_t close = quote == std::string::npos ? quote : prompt->find('>', quote);
    if (close == std::string::npos) {
      fail(ErrorKind::InvalidArgument,
           "the prompt has an <img src=\"data:...\"> tag that is not "
           "<img src=\"data:<type>;base64,<data>\">; close it or send the image as input 2");
    }
    const std::string what = "the prompt's inline image " + std::to_string(media->size() + 1);
    if (media->size() >= limits.max_media_count) {
      refuse_over_limit(what, "is one more", limits.max_media_count, "max_media_count", "Send fewer images");
    }
    const std::string_view b64(prompt->data() + data + kBase64.size(), quote - data - kBase64.size());
    std::string bytes = decode_base64(b64, limits.max_media_bytes, what);
    check_media(bytes, limits, what);
    media->push_back(std::make_shared<const std::string>(std::move(bytes)));
    prompt->replace(at, close + 1 - at, marker);
    at += marker.size();
  }
  if (rs.media.image.empty()) return;
  if (!graph.access) fail(ErrorKind::InvalidArgument, "image paths cannot be resolved for this graph");
  std::string bytes = ModelSource::read_file(rs.media.image, *graph.access, limits.max_media_bytes, "image");
  check_media(bytes, limits, "image '" + rs.media.image.substr(0, 256) + "'");
  auto file = std::make_shared<const std::string>(std::move(bytes));
  if (count_markers(*prompt, marker) == media->size() + 1) {  // the guest placed it, last
    media->push_back(std::move(file));
    return;
  }
  size_t at = prompt->find("<image>");
  if (at != std::string::npos) {
    prompt->replace(at, 7, marker);
  } else {
    at = 0;
    prompt->insert(0, marker);
  }
  // Media go in marker order: the image takes its place among the inline ones.
  media->insert(media->begin() + static_cast<std::ptrdiff_t>(count_markers(prompt->substr(0, at), marker)),
                std::move(file));
}

}  // namespace wasi_nn
