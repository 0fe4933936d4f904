// Engine: a prompt's media (images, audio). The worker evaluates a medium when a sequence's
// prompt reaches it: the projector encodes it and its embeddings are decoded into the sequence
// in calls of their own (mtmd's helper: embeddings cannot share a llama_batch with tokens),
// as llama.cpp's server does. Text before a medium goes in the step's shared batch first
// (build_batch stops each sequence's text at its next medium); a medium whose stand-in tokens
// the sequence already holds (same file, same place) was kept by start_request and is never
// encoded again.
#include "core/base/log.h"
#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"
#include "core/engine/media_prompt.h"

namespace wasi_nn {

void Engine::eval_media() {
  for (auto& s : slots_) {
    if (!s.req || !s.req->media) continue;
    // Several media in a row (or a medium right where the cached prefix ended) go at once.
    while (const MediaPrompt::Span* span = s.req->media->at(s.n_prompt_done)) {
      if (!eval_medium(s, *span)) break;
    }
  }
}

bool Engine::eval_medium(Slot& s, const MediaPrompt::Span& span) {
  const llama_pos n_past = s.next_pos();
  // Its embeddings go into the KV cache with the request's own LoRA adapters, as its text does
  // (the step's last call may have left another set applied).
  const int32_t rc = with_adapters(s.req->adapters, [&] {
    return s.req->media->projector().eval(ctx_, span.chunk, n_past, s.seq, static_cast<int32_t>(n_batch_));
  });
  if (rc != 0) {
    LOG_ERR("media evaluation failed (mtmd returned %d)", rc);
    llama_memory_seq_rm(llama_get_memory(ctx_), s.seq, n_past, -1);  // whatever part of it got in
    fail_request(s, Error(rc == 1 ? ErrorKind::ContextFull : ErrorKind::Runtime,
                          "evaluating the prompt's media failed (mtmd returned " + std::to_string(rc) +
                              "): the KV cache had no room for its embeddings or the projector failed; retry "
                              "with fewer or smaller media, or load the model with a larger ctx_size"));
    return false;
  }
  const auto& prompt = s.req->prompt;
  for (size_t i = 0; i < span.n; ++i) {
    if (s.n_reusable == s.tokens.size()) ++s.n_reusable;  // computed as a prompt, like text
    s.tokens.push_back(prompt[s.n_prompt_done++]);
  }
  return true;
}

}  // namespace wasi_nn
