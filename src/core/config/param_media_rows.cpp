// Media keys: the multimodal projector a load pairs with its model, and the marker that places
// each image or audio file in a prompt (docs/MULTIMODAL.md).
#include "core/base/error.h"
#include "core/config/param_rows.h"

namespace wasi_nn::param_rows {
namespace {

// A marker is matched in the prompt text: it must be something a prompt can contain and short
// enough that finding it costs nothing.
constexpr size_t kMaxMarkerBytes = 64;

void apply_marker(const V& v, Settings& s) {
  const std::string& m = v.get_ref<const std::string&>();
  if (m.size() > kMaxMarkerBytes) {
    fail(ErrorKind::InvalidArgument, "is " + std::to_string(m.size()) + " bytes; a marker is at most " +
                                         std::to_string(kMaxMarkerBytes) + " (use a short tag such as \"<image>\")");
  }
  if (m.find('\0') != std::string::npos) fail(ErrorKind::InvalidArgument, "contains a NUL byte");
  s.request.media.marker = m;
}

}  // namespace

std::vector<ParamSpec> media_rows() {
  const auto S = ParamType::String;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      {"mmproj", "media", {"mm_proj", "projector"}, S, kScopeLoadTime, 0, 0, {}, "\"\"",
       "Multimodal projector (llama.cpp's mtmd) paired with the model: an alias the host "
       "preloaded or a path inside the host's model directories, resolved exactly like a model "
       "name; empty = text only. Loaded once per model and shared like the model. Media then go "
       "in as inputs 2, 3, ... (docs/MULTIMODAL.md).",
       APPLY(s.request.media.mmproj = v.get<std::string>())},
      {"media_marker", "media", {}, S, kScopeAll, 0, 0, {}, "\"\"",
       "Text that marks where each medium (input 2, 3, ... in order) goes in the prompt; empty = "
       "mtmd's default \"<__media__>\". The prompt must hold exactly one per medium.",
       apply_marker},
  };
  // clang-format on
}

}  // namespace wasi_nn::param_rows
