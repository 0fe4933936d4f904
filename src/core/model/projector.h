// Projector: a multimodal projector file (llama.cpp's mtmd: an image or audio encoder and the
// layers that map its output into a text model's embedding space), loaded for one ModelWeights.
// Like the weights it is loaded once per process and shared by every graph and tenant that
// pairs the same projector file with the same model (acquire()).
//
// Its three jobs, by thread:
//   - bitmap(): turns the bytes of an image or audio file (checked by media_check.h first)
//     into mtmd's decoded form, its id the SHA-256 of the bytes (caller's thread);
//   - tokenize(): splits a prompt at its markers into text and media chunks (caller's thread;
//     mtmd_tokenize is safe on a shared context);
//   - eval(): encodes one media chunk and decodes its embeddings into a llama_context's
//     sequence (the engine's worker). Encoding uses the projector's own compute state, so
//     concurrent encodes (two engines of one model) take turns.
// Models using M-RoPE (Qwen2-VL and its kin) place an image's embeddings on a 2-D grid of
// positions: the image takes fewer positions than embeddings (the engine maps them:
// media_pos() in core/engine/media_prompt.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/mutex.h"
#include "core/model/model_source.h"
#include "core/model/model_weights.h"
#include "mtmd-helper.h"
#include "mtmd.h"

namespace wasi_nn {

class Projector {
 public:
  // The projector in `source` for `weights`, loaded now or shared with an earlier load.
  // Throws InvalidArgument when it is no projector for this model (llama.cpp refuses it: another
  // width, a damaged file). Messages name source.name() only.
  static std::shared_ptr<Projector> acquire(const ModelSource& source, std::shared_ptr<ModelWeights> weights,
                                            int32_t threads);
  // Projectors alive in the process (for stats).
  static size_t live_count();
  ~Projector();
  Projector(const Projector&) = delete;
  Projector& operator=(const Projector&) = delete;

  const std::string& name() const { return name_; }
  bool vision() const;
  bool audio() const;

  // Decoded media; `what` names the input in messages. Throws InvalidArgument when the bytes do
  // not decode, or are audio for a vision-only projector (or the other way round).
  mtmd::bitmap bitmap(std::string_view bytes, bool audio, const std::string& what) const;
  // `pieces` alternate text and media: text, media, text, ..., text (one more text than media).
  // Throws InvalidArgument when mtmd cannot preprocess a medium.
  mtmd::input_chunks_ptr tokenize(const std::vector<std::string>& texts,
                                  const std::vector<const mtmd_bitmap*>& media) const;
  // Worker thread: encodes `chunk` (a media chunk) and decodes it into `seq` at position `n_past`
  // (M-RoPE models: on the grid mtmd lays out from there) in batches of `n_batch`. Returns mtmd's
  // status (0 = done).
  int32_t eval(llama_context* ctx, const mtmd_input_chunk* chunk, llama_pos n_past, llama_seq_id seq, int32_t n_batch);

 private:
  Projector(mtmd_context* ctx, std::shared_ptr<ModelWeights> weights, std::string name);

  std::shared_ptr<ModelWeights> weights_;  // the text model mtmd was built for outlives it
  mtmd_context* ctx_ = nullptr;
  std::string name_;
  Mutex encode_mu_;  // mtmd_encode_chunk writes the context's output buffer
};

}  // namespace wasi_nn
