// MediaPrompt: the media of one request's prompt, as the engine evaluates them, and where they
// put the tokens after them (pos_gaps, media_pos). The prompt's
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

// Where a medium sits in a token list and how many KV positions it takes.
struct MediaPlace {
  size_t start = 0;  // index of its first token
  size_t n = 0;      // tokens (= embeddings, stand-in tokens) it takes
  size_t n_pos = 0;  // KV positions it takes: n, or fewer with M-RoPE (an image's grid side)
};

// The KV position of token `i` of a list whose media that take fewer positions than tokens are
// `gaps` (in order): i until the first of them, whose n - n_pos spare tokens take no position;
// a token inside a medium maps to the medium's first position (where a cut there removes it).
llama_pos media_pos(const std::vector<MediaPlace>& gaps, size_t i);

class MediaPrompt {
 public:
  struct Span : MediaPlace {
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
  // Its media that take fewer positions than tokens (M-RoPE models), for media_pos(): the
  // positions of this prompt's tokens and of the tokens generated after it.
  const std::vector<MediaPlace>& pos_gaps() const { return gaps_; }

 private:
  std::shared_ptr<Projector> projector_;
  mtmd::input_chunks_ptr chunks_;
  std::vector<Span> spans_;
  std::vector<MediaPlace> gaps_;
};

// The stand-in token of position `i` of the medium whose mtmd id is `id`.
llama_token media_token(const char* id, size_t i);

}  // namespace wasi_nn
