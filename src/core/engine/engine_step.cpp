// Engine: starting a request on a sequence (restore, prefix reuse and sharing) and the decode
// step (one batch for all sequences, sampling, stopping, context shift). Worker thread only.
#include <algorithm>
#include <exception>

#include "common.h"
#include "core/base/log.h"
#include "core/engine/common_prefix.h"
#include "core/engine/engine.h"
#include "core/engine/engine_slot.h"
#include "core/engine/speculation.h"

namespace wasi_nn {
namespace {

// A prefix shorter than this is cheaper to compute than to copy a whole KV stream for.
constexpr size_t kMinSharedPrefix = 32;

// Sampling one token normally takes well under a millisecond (a 128k vocabulary, every sampler).
constexpr auto kMaxSampleTime = std::chrono::milliseconds(250);

}  // namespace

void Engine::start_request(Slot& slot) {
  Request& r = *slot.req;
  RequestResult& res = r.progress();
  r.t_admit = Clock::now();
  if (r.fork_from) fork_sequence(slot);
  slot.pos_gaps = r.media ? r.media->pos_gaps() : std::vector<MediaPlace>{};
  if (slot.tokens.empty()) {
    SavedSequence saved;
    if (store_.take(r.owner, &saved)) {
      if (llama_state_seq_set_data(ctx_, saved.state.data(), saved.state.size(), slot.seq) == saved.state.size()) {
        slot.tokens = std::move(saved.tokens);
        slot.kv_adapters = std::move(saved.adapters);
        slot.n_reusable = settings_.deterministic ? slot.tokens.size() : 0;  // only those were saved
        res.n_restored = static_cast<uint32_t>(slot.tokens.size());
      } else {
        LOG_WARN("could not restore the saved KV state of conversation %llu; re-processing it",
                 (unsigned long long)r.owner);
        llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, -1, -1);
      }
    }
  }
  // KV computed with other LoRA adapters (or scales) is not this request's: none of it is kept;
  // prompt probabilities need every prompt logit.
  const bool same_adapters = slot.kv_adapters == r.adapters.key();
  const bool reuse = r.cache_prompt && r.n_prompt_probs == 0;
  size_t keep = reuse && same_adapters ? common_prefix(slot.tokens, r.prompt) : 0;
  if (settings_.deterministic) keep = std::min(keep, slot.n_reusable);
  if (reuse && settings_.prefix_sharing) keep = share_prefix(slot, keep);
  if (keep >= r.prompt.size()) keep = r.prompt.size() - 1;  // need logits of the last token
  if (settings_.deterministic) keep = reusable_keep(slot, keep, r.prompt.size());
  if (r.media) keep = r.media->clamp_keep(keep);  // a medium is decoded whole
  if (keep < slot.tokens.size()) {
    llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, slot.pos(keep), -1);
    slot.tokens.resize(keep);
  }
  slot.n_reusable = std::min(slot.n_reusable, keep);
  slot.kv_adapters = r.adapters.key();  // what the slot decodes from here on
  res.n_restored = std::min<uint32_t>(res.n_restored, static_cast<uint32_t>(keep));
  res.n_prompt = static_cast<uint32_t>(r.prompt.size());
  res.n_cached = static_cast<uint32_t>(keep);
  slot.n_prompt_done = keep;
  slot.pending = LLAMA_TOKEN_NULL;
  slot.i_batch = -1;
  slot.draft.clear();
  if (spec_) spec_->begin(slot.seq, r.prompt);
}

// When another sequence holds a longer prefix of this prompt, copy its KV (a buffer copy at
// the next decode) instead of computing the prefix again. Returns the tokens now reusable.
size_t Engine::share_prefix(Slot& slot, size_t keep) {
  const auto& prompt = slot.req->prompt;
  Slot* best = nullptr;
  size_t best_len = keep;
  for (auto& o : slots_) {
    // Another tenant's KV is never reused (its prompt would leak through cached_tokens and
    // timings), unless the host put both tenants in one share group.
    if (&o == &slot || o.tokens.empty() || o.tenant.group != slot.tenant.group) continue;
    if (o.kv_adapters != slot.req->adapters.key()) continue;  // its KV was computed with other adapters
    // Only positions already decoded are final: a running prompt may not be complete yet.
    // Deterministic mode copies only what was computed as a prompt (see reusable_keep).
    const size_t len =
        std::min(common_prefix(o.tokens, prompt), settings_.deterministic ? o.n_reusable : o.tokens.size());
    if (len > best_len) {
      best_len = len;
      best = &o;
    }
  }
  if (!best || best_len < keep + kMinSharedPrefix) return keep;
  llama_memory_t mem = llama_get_memory(ctx_);
  llama_memory_seq_rm(mem, slot.seq, -1, -1);
  llama_memory_seq_cp(mem, best->seq, slot.seq, -1, -1);
  llama_memory_seq_rm(mem, slot.seq, slot.pos(best_len), -1);  // best's positions: same prefix
  slot.tokens.assign(best->tokens.begin(), best->tokens.begin() + best_len);
  slot.n_reusable = std::min(best->n_reusable, best_len);
  slot.req->progress().n_shared = static_cast<uint32_t>(best_len);
  slot.req->progress().n_restored = 0;
  return best_len;
}

int Engine::build_batch(const BatchPick& pick) {
  common_batch_clear(batch_);
  const int32_t cap = pick.cap > 0 ? pick.cap : static_cast<int32_t>(n_batch_);
  for (auto& s : slots_) {
    s.i_batch = -1;
    s.in_batch = false;
    s.chunk_len = 0;
  }
  // Generating sequences first: one token each keeps every stream moving.
  for (auto& s : slots_) {
    if (!pick.decode || !s.req || (pick.take && !pick.take(s))) continue;
    if (s.pending == LLAMA_TOKEN_NULL || batch_.n_tokens >= cap || s.req->stream_paused()) continue;
    s.i_batch = batch_.n_tokens;
    s.in_batch = true;
    common_batch_add(batch_, s.pending, s.next_pos(), {s.seq}, true);
    s.tokens.push_back(s.pending);
    s.pending = LLAMA_TOKEN_NULL;
    // Its draft, if any, as far as the batch has room: verified by sample() after the decode.
    s.draft.resize(std::min<size_t>(s.draft.size(), static_cast<size_t>(std::max(0, cap - batch_.n_tokens))));
    for (llama_token d : s.draft) {
      common_batch_add(batch_, d, s.next_pos(), {s.seq}, true);
      s.tokens.push_back(d);
    }
    s.req->progress().n_drafted += static_cast<uint32_t>(s.draft.size());
  }
  // Then prompt chunks, in slot order, as far as the batch has room.
  for (auto& s : slots_) {
    if (!pick.prompt || !s.req || (pick.take && !pick.take(s))) continue;
    if (s.i_batch >= 0 || s.n_prompt_done >= s.req->prompt.size()) continue;
    const auto& prompt = s.req->prompt;
    // Text up to the next medium only: the worker evaluates that after this batch (eval_media).
    const size_t end = s.req->media ? s.req->media->text_end(s.n_prompt_done, prompt.size()) : prompt.size();
    s.in_batch = batch_.n_tokens < cap && s.n_prompt_done < end;
    s.chunk_i = batch_.n_tokens;
    s.chunk_from = s.n_prompt_done;
    const bool all_logits = s.req->n_prompt_probs > 0;
    while (s.n_prompt_done < end && batch_.n_tokens < cap) {
      const bool last = s.n_prompt_done + 1 == prompt.size();
      if (last) s.i_batch = batch_.n_tokens;
      common_batch_add(batch_, prompt[s.n_prompt_done], s.next_pos(), {s.seq}, last || all_logits);
      if (s.n_reusable == s.tokens.size()) ++s.n_reusable;  // a prompt token after prompt tokens
      s.tokens.push_back(prompt[s.n_prompt_done]);
      ++s.n_prompt_done;
    }
    s.chunk_len = s.n_prompt_done - s.chunk_from;
  }
  if (batch_.n_tokens > 0) {
    // Continuous batching, measured: how many conversations shared this step.
    const auto n = std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return s.in_batch; });
    ++steps_by_sequences_[static_cast<size_t>(n)];
  }
  return batch_.n_tokens;
}

void Engine::after_decode(int rc) {
  if (rc != 0) {
    const std::string why = rc == 1 ? "no room left in the KV cache" : "llama_decode returned " + std::to_string(rc);
    LOG_ERR("decode failed: %s", why.c_str());
    for (auto& s : slots_) {
      // The KV state of every sequence in the failed batch is unknown: start them afresh.
      if (!s.req || !s.in_batch) continue;
      fail_request(s, Error(rc == 1 ? ErrorKind::ContextFull : ErrorKind::Runtime, "decoding failed: " + why));
      clear_slot(s);
    }
    return;
  }
  for (auto& s : slots_) {
    if (s.req && s.chunk_len > 0 && s.req->n_prompt_probs > 0) collect_prompt_probs(s);
  }
  for (auto& s : slots_) {
    if (!s.req || s.i_batch < 0) continue;
    // llama.cpp's grammar sampler throws when a grammar can take no further token (e.g. it is
    // complete but ignore_eos bans the EOS it requires). On this thread an escaping exception
    // would terminate the host: fail this request only; its KV sequence stays consistent.
    try {
      sample(s);
    } catch (const std::exception& e) {
      LOG_ERR("sampling failed: %s", e.what());
      s.i_batch = -1;
      fail_request(s,
                   Error(ErrorKind::InvalidArgument, std::string("sampling failed: ") + e.what() +
                                                         "; the request's grammar admits no further token (a complete "
                                                         "grammar needs end-of-generation: drop ignore_eos, or limit "
                                                         "n_predict to what the grammar allows)"));
    }
  }
}

// Samples the token at slot.i_batch and applies every stopping rule; true when the request goes
// on (the token is then slot.pending), false when it ended or failed.
bool Engine::sample_one(Slot& slot) {
  Request& r = *slot.req;
  RequestResult& res = r.progress();
  const auto t_sample = Clock::now();
  const llama_token tok = r.greedy.enabled
                              ? greedy_pick(llama_get_logits_ith(ctx_, slot.i_batch), n_vocab_, r.greedy.bias)
                              : common_sampler_sample(r.sampler, ctx_, slot.i_batch);
  common_sampler_accept(r.sampler, tok, true);
  // An ambiguous grammar can double llama.cpp's matching work with every token (no static
  // check can tell): once one token costs more than this, the request ends before the next
  // doubling, so it never holds the worker (every tenant's decode step) for long.
  if (r.has_grammar && Clock::now() - t_sample > kMaxSampleTime) {
    slot.i_batch = -1;
    fail_request(
        slot, Error(ErrorKind::InvalidArgument,
                    "sampling one token took over " +
                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(kMaxSampleTime).count()) +
                        " ms (most often a grammar whose matching grows with every token, such as an "
                        "ambiguous recursive rule); simplify the grammar"));
    return false;
  }
  if (r.n_probs > 0) res.probs.push_back(token_probs(ctx_, weights_->vocab(), slot.i_batch, tok, r.n_probs));
  slot.i_batch = -1;
  const auto now = Clock::now();
  if (res.n_generated == 0) r.t_first = now;
  ++res.n_generated;
  res.tokens.push_back(tok);

  const llama_vocab* vocab = weights_->vocab();
  if (r.triggers) {
    r.triggers->accept(tok, common_token_to_piece(vocab, tok, true));
    if (r.triggers->over_limit()) {
      end_request(slot, "trigger_limit");
      return false;
    }
  }
  if (llama_vocab_is_eog(vocab, tok)) {
    end_request(slot, "eos");
    return false;
  }
  // Tool-call markers that are special tokens are written into the text the reply parser reads.
  if (r.stop.append(common_token_to_piece(vocab, tok, r.preserved.count(tok) > 0))) {
    end_request(slot, "stop");
    return false;
  }
  if (r.n_predict >= 0 && res.n_generated >= static_cast<uint32_t>(r.n_predict)) {
    end_request(slot, "length");
    return false;
  }
  // With shifting, n_predict = -1 would never end: one window's worth is the most per request.
  if (r.n_predict < 0 && r.context_shift && res.n_generated >= n_ctx_seq_) {
    end_request(slot, "length");
    return false;
  }
  if (r.t_max_predict_ms > 0 && now - r.t_first >= std::chrono::milliseconds(r.t_max_predict_ms)) {
    end_request(slot, "time_limit");
    return false;
  }
  // Like llama.cpp (llama-completion, llama-server): act when one cell of the window is left, so
  // that a shift happens at the same position and the text after it is llama.cpp's.
  if (slot.tokens.size() + 1 >= n_ctx_seq_) {
    if (!r.context_shift || !can_shift_) {
      end_request(slot, "context_full");
      return false;
    }
    shift(slot);
  }
  r.publish_progress();
  slot.pending = tok;
  return true;
}

// llama.cpp server's context shift: keep the first n_keep tokens (BOS at least), drop the next
// n_discard, and slide the rest down so generation continues in the same window.
void Engine::shift(Slot& slot) {
  Request& r = *slot.req;
  const int32_t n_past = static_cast<int32_t>(slot.tokens.size());
  const int32_t add_bos = llama_vocab_get_add_bos(weights_->vocab()) ? 1 : 0;
  const int32_t n_keep = std::min(std::max(r.n_keep, add_bos), n_past - 2);
  const int32_t n_left = n_past - n_keep;
  const int32_t n_discard = r.n_discard > 0 ? std::min(r.n_discard, n_left - 1) : n_left / 2;
  llama_memory_t mem = llama_get_memory(ctx_);
  llama_memory_seq_rm(mem, slot.seq, n_keep, n_keep + n_discard);
  llama_memory_seq_add(mem, slot.seq, n_keep + n_discard, n_past, -n_discard);
  slot.tokens.erase(slot.tokens.begin() + n_keep, slot.tokens.begin() + n_keep + n_discard);
  slot.n_reusable = std::min<size_t>(slot.n_reusable, n_keep);  // the rest moved: K was re-rotated
  r.progress().n_shifted += static_cast<uint32_t>(n_discard);
  r.progress().n_kept = static_cast<uint32_t>(n_keep);
  LOG_DEBUG("context shift: kept %d, discarded %d of %d tokens", n_keep, n_discard, n_past);
}

void Engine::end_request(Slot& slot, const char* reason) {
  slot.req->finish(reason);
  slot.req.reset();
  slot.pending = LLAMA_TOKEN_NULL;
  slot.last_used = ++clock_;
}

void Engine::fail_request(Slot& slot, Error error) {
  slot.req->fail(std::move(error));
  slot.req.reset();
  slot.pending = LLAMA_TOKEN_NULL;
  slot.last_used = ++clock_;
}

}  // namespace wasi_nn
