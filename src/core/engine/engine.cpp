#include "core/engine/engine.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "common.h"
#include "core/log.h"

namespace wasi_nn {

struct Engine::Slot {
  llama_seq_id seq = 0;
  uint64_t owner = 0;                // 0: free
  std::vector<llama_token> tokens;   // what the KV sequence holds, position i = tokens[i]
  RequestPtr req;                    // the running request, if any
  size_t n_prompt_done = 0;          // prompt tokens already in the KV
  llama_token pending = LLAMA_TOKEN_NULL;  // sampled, not yet decoded
  int32_t i_batch = -1;              // batch index whose logits this slot samples from
  bool in_batch = false;             // contributed tokens to the current batch
  uint64_t last_used = 0;
};

namespace {

ggml_type kv_type_of(const std::string& name) {
  if (name.empty()) return GGML_TYPE_F16;
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const char* n = ggml_type_name(static_cast<ggml_type>(t));
    if (n && name == n) return static_cast<ggml_type>(t);
  }
  fail(ErrorKind::InvalidArgument, "unknown KV cache type '" + name + "'");
}

llama_flash_attn_type flash_attn_of(const std::string& v) {
  if (v == "on") return LLAMA_FLASH_ATTN_TYPE_ENABLED;
  if (v == "off") return LLAMA_FLASH_ATTN_TYPE_DISABLED;
  return LLAMA_FLASH_ATTN_TYPE_AUTO;
}

size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

uint64_t Engine::new_owner_id() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

Engine::Engine(std::shared_ptr<ModelWeights> weights, const ContextSettings& settings)
    : weights_(std::move(weights)), settings_(settings) {
  const uint32_t n_par = std::max<uint32_t>(1, settings.n_parallel);
  const int32_t threads = settings.threads > 0 ? settings.threads : common_cpu_get_num_math();
  llama_context_params cp = llama_context_default_params();
  cp.n_ctx = settings.ctx_size * n_par;
  cp.n_batch = settings.n_batch;
  cp.n_ubatch = std::min(settings.n_ubatch, settings.n_batch);
  cp.n_seq_max = n_par;
  cp.kv_unified = false;  // each conversation gets its own ctx_size window
  cp.n_threads = threads;
  cp.n_threads_batch = settings.threads_batch > 0 ? settings.threads_batch : threads;
  cp.flash_attn_type = flash_attn_of(settings.flash_attn);
  cp.type_k = kv_type_of(settings.cache_type_k);
  cp.type_v = kv_type_of(settings.cache_type_v);
  cp.no_perf = true;

  ctx_ = llama_init_from_model(weights_->get(), cp);
  if (!ctx_) {
    fail(ErrorKind::OutOfMemory,
         "could not create a llama.cpp context for '" + weights_->path() + "' with ctx_size " +
             std::to_string(settings.ctx_size) + " x n_parallel " + std::to_string(n_par) +
             " (" + std::to_string(cp.n_ctx) + " KV cells): the KV cache or compute buffers "
             "did not fit in memory. Lower ctx_size or n_parallel, or use a quantised "
             "cache_type_k/cache_type_v.");
  }
  // llama.cpp rounds each sequence up to a multiple of 256 cells; hold conversations to the
  // window the user asked for, so limits and messages match ctx_size.
  n_ctx_seq_ = std::min<uint32_t>(settings.ctx_size, llama_n_ctx_seq(ctx_));
  n_batch_ = llama_n_batch(ctx_);
  batch_ = llama_batch_init(static_cast<int32_t>(n_batch_), 0, 1);
  slots_.resize(n_par);
  for (uint32_t i = 0; i < n_par; ++i) slots_[i].seq = static_cast<llama_seq_id>(i);
  LOG_INFO("engine for '%s': %u sequences x %u tokens, batch %u, %d threads",
           weights_->path().c_str(), n_par, n_ctx_seq_, n_batch_, threads);
  worker_ = std::thread([this] { run(); });
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  drain(Error(ErrorKind::Cancelled, "the model was unloaded while the request was queued"));
  llama_batch_free(batch_);
  if (ctx_) llama_free(ctx_);
}

void Engine::submit(RequestPtr request) {
  request->t_submit = Clock::now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) fail(ErrorKind::Cancelled, "the model is being unloaded");
    queue_.push_back(std::move(request));
  }
  cv_.notify_all();
}

void Engine::release(uint64_t owner) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    releases_.push_back(owner);
  }
  cv_.notify_all();
}

void Engine::drain(Error error) {
  for (auto& slot : slots_) {
    if (slot.req) fail_request(slot, error);
  }
  std::deque<RequestPtr> queued;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queued.swap(queue_);
  }
  for (auto& r : queued) r->fail(error);
}

void Engine::run() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto busy = [&] {
        return std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.req != nullptr; });
      };
      cv_.wait(lock, [&] { return stop_ || !releases_.empty() || busy() || !queue_.empty(); });
      if (stop_) return;
      for (uint64_t owner : releases_) {
        for (auto& slot : slots_) {
          if (slot.owner == owner && !slot.req) clear_slot(slot);
        }
      }
      releases_.clear();
      admit_locked();
    }
    for (auto& slot : slots_) {
      if (slot.req && slot.req->cancelled()) {
        fail_request(slot, Error(ErrorKind::Cancelled, "the request was cancelled (its context was closed or its backend deinitialised)"));
      }
    }
    if (build_batch() == 0) continue;
    after_decode(llama_decode(ctx_, batch_));
  }
}

bool Engine::admit_locked() {
  bool admitted = false;
  for (auto it = queue_.begin(); it != queue_.end();) {
    RequestPtr& req = *it;
    Slot* target = nullptr;
    for (auto& s : slots_) {
      if (s.owner == req->owner) target = &s;
    }
    if (target && target->req) {  // same conversation already running: keep order
      ++it;
      continue;
    }
    if (!target) {
      for (auto& s : slots_) {
        if (s.owner == 0) { target = &s; break; }
      }
    }
    if (!target) {  // evict the least recently used idle sequence
      for (auto& s : slots_) {
        if (!s.req && (!target || s.last_used < target->last_used)) target = &s;
      }
      if (target) clear_slot(*target);
    }
    if (!target) break;  // every sequence is generating; wait for one to finish
    target->owner = req->owner;
    target->req = std::move(req);
    it = queue_.erase(it);
    start_request(*target);
    admitted = true;
  }
  return admitted;
}

void Engine::start_request(Slot& slot) {
  Request& r = *slot.req;
  r.t_admit = Clock::now();
  size_t keep = r.cache_prompt ? common_prefix(slot.tokens, r.prompt) : 0;
  if (keep >= r.prompt.size()) keep = r.prompt.size() - 1;  // need logits of the last token
  if (keep < slot.tokens.size()) {
    llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, static_cast<llama_pos>(keep), -1);
    slot.tokens.resize(keep);
  }
  r.progress().n_prompt = static_cast<uint32_t>(r.prompt.size());
  r.progress().n_cached = static_cast<uint32_t>(keep);
  slot.n_prompt_done = keep;
  slot.pending = LLAMA_TOKEN_NULL;
  slot.i_batch = -1;
}

int Engine::build_batch() {
  common_batch_clear(batch_);
  const int32_t cap = static_cast<int32_t>(n_batch_);
  // Generating sequences first: one token each keeps every stream moving.
  for (auto& s : slots_) {
    s.i_batch = -1;
    s.in_batch = false;
    if (!s.req || s.pending == LLAMA_TOKEN_NULL || batch_.n_tokens >= cap) continue;
    s.i_batch = batch_.n_tokens;
    s.in_batch = true;
    common_batch_add(batch_, s.pending, static_cast<llama_pos>(s.tokens.size()), {s.seq}, true);
    s.tokens.push_back(s.pending);
    s.pending = LLAMA_TOKEN_NULL;
  }
  // Then prompt chunks, in slot order, as far as the batch has room.
  for (auto& s : slots_) {
    if (!s.req || s.i_batch >= 0 || s.n_prompt_done >= s.req->prompt.size()) continue;
    const auto& prompt = s.req->prompt;
    s.in_batch = batch_.n_tokens < cap;
    while (s.n_prompt_done < prompt.size() && batch_.n_tokens < cap) {
      const bool last = s.n_prompt_done + 1 == prompt.size();
      if (last) s.i_batch = batch_.n_tokens;
      common_batch_add(batch_, prompt[s.n_prompt_done], static_cast<llama_pos>(s.tokens.size()), {s.seq}, last);
      s.tokens.push_back(prompt[s.n_prompt_done]);
      ++s.n_prompt_done;
    }
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
    if (s.req && s.i_batch >= 0) sample(s);
  }
}

void Engine::sample(Slot& slot) {
  Request& r = *slot.req;
  RequestResult& res = r.progress();
  const llama_token tok = common_sampler_sample(r.sampler, ctx_, slot.i_batch);
  common_sampler_accept(r.sampler, tok, true);
  if (r.n_probs > 0) res.probs.push_back(token_probs(ctx_, weights_->vocab(), slot.i_batch, tok, r.n_probs));
  slot.i_batch = -1;
  const auto now = Clock::now();
  if (res.n_generated == 0) r.t_first = now;
  ++res.n_generated;
  res.tokens.push_back(tok);

  const llama_vocab* vocab = weights_->vocab();
  if (llama_vocab_is_eog(vocab, tok)) return end_request(slot, "eos");
  if (r.stop.append(common_token_to_piece(vocab, tok, false))) return end_request(slot, "stop");
  if (r.n_predict >= 0 && res.n_generated >= static_cast<uint32_t>(r.n_predict)) {
    return end_request(slot, "length");
  }
  if (slot.tokens.size() >= n_ctx_seq_) return end_request(slot, "context_full");
  if (r.t_max_predict_ms > 0 && now - r.t_first >= std::chrono::milliseconds(r.t_max_predict_ms)) {
    return end_request(slot, "time_limit");
  }
  slot.pending = tok;
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

void Engine::clear_slot(Slot& slot) {
  llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, -1, -1);
  slot.tokens.clear();
  slot.owner = 0;
  slot.n_prompt_done = 0;
  slot.pending = LLAMA_TOKEN_NULL;
}

}  // namespace wasi_nn
