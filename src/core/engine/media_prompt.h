// MediaPrompt: the media of one request's prompt, as the engine evaluates them. The prompt's
// token list holds, at each medium's positions, stand-in tokens derived from the medium's
// content hash (its mtmd id, the SHA-256 of the file): negative, so never a vocabulary token,
// and equal only for the same file at the same offset. The engine's prefix matching (KV reuse
// across turns, KV restore, prefix sharing) therefore treats an unchanged image as unchanged
// and re-encodes nothing, while a different image differs from its first position on.
// Thread-safety: built on the caller's thread before submit, read-only afterwards (the worker
// evaluates its chunks through the projector, which serialises its encodes).
#pragma once

#include <memory>
#include <vector>

#include "core/model/projector.h"
#include "llama.h"

namespace wasi_nn {

class MediaPrompt {
 public:
  struct Span {
    size_t start = 0;  // first prompt position of the medium
    size_t n = 0;      // positions (= embeddings) it takes
    const mtmd_input_chunk* chunk = nullptr;
  };

  // Appends `chunks` to *tokens: text tokens as they are, media as stand-ins (see above).
  MediaPrompt(std::shared_ptr<Projector> projector, mtmd::input_chunks_ptr chunks, std::vector<llama_token>* tokens);

  Projector& projector() const { return *projector_; }
  const std::vector<Span>& spans() const { return spans_; }
  size_t n_media() const { return spans_.size(); }
  // The medium starting exactly at `pos`, or null.
  const Span* at(size_t pos) const;
  // Where the prompt's text run from `pos` ends: the next medium's start, or `end`.
  size_t text_end(size_t pos, size_t end) const;
  // `keep` moved back to the start of a medium it would cut (a medium is decoded whole).
  size_t clamp_keep(size_t keep) const;

 private:
  std::shared_ptr<Projector> projector_;
  mtmd::input_chunks_ptr chunks_;
  std::vector<Span> spans_;
};

// The stand-in token of position `i` of the medium whose mtmd id is `id`.
llama_token media_token(const char* id, size_t i);

}  // namespace wasi_nn
