#include "core/engine/media_prompt.h"

#include <cstring>

#include "core/base/error.h"

namespace wasi_nn {

llama_token media_token(const char* id, size_t i) {
  // FNV-1a over the id and the offset: each position of a medium gets its own value, so a
  // collision between two different files would have to repeat at every one of its positions.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (const char* p = id ? id : ""; *p; ++p) mix(static_cast<unsigned char>(*p));
  for (int b = 0; b < 8; ++b) mix(static_cast<unsigned char>(i >> (8 * b)));
  // Below -1 (LLAMA_TOKEN_NULL), down to INT32_MIN.
  return static_cast<llama_token>(-2 - static_cast<int64_t>(h % 0x7FFFFFFEull));
}

MediaPrompt::MediaPrompt(std::shared_ptr<Projector> projector, mtmd::input_chunks_ptr chunks,
                         std::vector<llama_token>* tokens)
    : projector_(std::move(projector)), chunks_(std::move(chunks)) {
  for (size_t c = 0; c < mtmd_input_chunks_size(chunks_.get()); ++c) {
    const mtmd_input_chunk* chunk = mtmd_input_chunks_get(chunks_.get(), c);
    if (mtmd_input_chunk_get_type(chunk) == MTMD_INPUT_CHUNK_TYPE_TEXT) {
      size_t n = 0;
      const llama_token* t = mtmd_input_chunk_get_tokens_text(chunk, &n);
      tokens->insert(tokens->end(), t, t + n);
      continue;
    }
    Span s;
    s.start = tokens->size();
    s.n = mtmd_input_chunk_get_n_tokens(chunk);
    s.n_pos = static_cast<size_t>(mtmd_input_chunk_get_n_pos(chunk));
    s.chunk = chunk;
    if (s.n_pos < s.n) gaps_.push_back(s);
    const char* id = mtmd_input_chunk_get_id(chunk);
    for (size_t i = 0; i < s.n; ++i) tokens->push_back(media_token(id, i));
    spans_.push_back(s);
  }
}

const MediaPrompt::Span* MediaPrompt::at(size_t pos) const {
  for (const auto& s : spans_) {
    if (s.start == pos) return &s;
  }
  return nullptr;
}

size_t MediaPrompt::text_end(size_t pos, size_t end) const {
  for (const auto& s : spans_) {
    if (s.start >= pos) return std::min(s.start, end);
  }
  return end;
}

size_t MediaPrompt::clamp_keep(size_t keep) const {
  for (const auto& s : spans_) {
    if (keep > s.start && keep < s.start + s.n) return s.start;
  }
  return keep;
}

llama_pos media_pos(const std::vector<MediaPlace>& gaps, size_t i) {
  size_t skipped = 0;  // tokens of earlier media that took no position
  for (const auto& s : gaps) {
    if (i <= s.start) break;
    if (i < s.start + s.n) return static_cast<llama_pos>(s.start - skipped);
    skipped += s.n - s.n_pos;
  }
  return static_cast<llama_pos>(i - skipped);
}

}  // namespace wasi_nn
