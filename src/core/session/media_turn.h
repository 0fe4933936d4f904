// Media in a turn (docs/MULTIMODAL.md): the images and audio files a guest sends as inputs 2,
// 3, ... (or, in the WasmEdge profile, as an "image" path or an inline <img> tag), checked
// against the tenant's bounds, placed at the prompt's markers and tokenized with the graph's
// projector into the request's prompt and its MediaPrompt. Runs on the caller's thread.
// In chat mode the conversation keeps each user message's media, so later turns render (and
// reuse the KV of) the same images.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/settings.h"
#include "core/engine/media_prompt.h"
#include "core/input/input_limits.h"
#include "llama.h"

namespace wasi_nn {

struct Graph;

using MediaFile = std::shared_ptr<const std::string>;  // an image or audio file's bytes
using MediaList = std::vector<MediaFile>;

struct MediaTokens {
  std::vector<llama_token> tokens;
  std::shared_ptr<const MediaPrompt> media;
};

// The marker in force: the request's media_marker, else mtmd's default "<__media__>".
std::string media_marker(const RequestSettings& rs);

// Occurrences of `marker` in `text`.
size_t count_markers(const std::string& text, const std::string& marker);

// Input `index` (2, 3, ...) checked against the tenant's bounds (media_check.h; max_media_count).
// Throws InvalidArgument.
MediaFile checked_media_input(uint32_t index, std::string_view bytes, const InputLimits& limits);

// `text` (the raw prompt, or the rendered conversation) with `media` at its markers, in order.
// The last `n_new` of `media` are this turn's inputs 2, 3, ...; the others came with earlier
// turns. Throws InvalidArgument: no projector loaded, markers and media disagree in number,
// more media than max_media_count, a medium that does not decode or that the projector does not
// take, a prompt that ends with a medium.
MediaTokens tokenize_with_media(const Graph& graph, const RequestSettings& rs, const std::string& text,
                                const MediaList& media, size_t n_new);

// WasmEdge profile: an "image" path (found through the loading tenant's grants) and inline
// <img src="data:image/...;base64,..."> tags become media of this turn. Each tag is replaced by
// the marker; the image goes at the prompt's first marker-less placeholder "<image>", or before
// the prompt when it has no marker at all. Base64 is bounded by max_media_bytes before decoding.
void take_wasmedge_media(const Graph& graph, const RequestSettings& rs, const InputLimits& limits, std::string* prompt,
                         MediaList* media);

}  // namespace wasi_nn
