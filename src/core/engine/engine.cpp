// Engine lifecycle, queue and admission. The decode step itself is in engine_step.cpp.
#include "core/engine/engine.h"

#include <algorithm>
#include <atomic>

#include "common.h"
#include "core/base/log.h"
#include "core/engine/determinism_fingerprint.h"
#include "core/engine/engine_slot.h"
#include "core/engine/speculation.h"
#include "core/model/llama_params.h"
#include "core/model/model_preconditions.h"
#include "llama-ext.h"  // llama_get_memory_breakdown: where the model and caches were placed

namespace wasi_nn {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

}  // namespace

uint64_t Engine::new_owner_id() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

Engine::Engine(std::shared_ptr<ModelWeights> weights, const ContextSettings& settings,
               std::shared_ptr<ModelWeights> draft)
    : weights_(std::move(weights)),
      settings_(settings),
      store_(settings.kv_save_budget_mb * kMiB, settings.kv_save_dir, settings.kv_save_disk_budget_mb * kMiB) {
  llama_context_params cp = context_params_of(settings);
  const bool on_devices = weights_->n_devices() > 0 && weights_->n_gpu_layers() != 0;
  cp.flash_attn_type = resolve_flash_attn(settings.flash_attn, on_devices, cp.type_v);
  fit_context_to_model(weights_->get(), settings, cp);  // what llama.cpp would assert on
  const uint32_t n_par = cp.n_seq_max;
  const int32_t threads = cp.n_threads;
  if (settings.deterministic) check_deterministic(cp, on_devices);
  check_speculative(settings, draft != nullptr);

  {
    MutexLock lock(weights_->adapter_mutex());  // creating a context reads the model's adapter list
    ctx_ = llama_init_from_model(weights_->get(), cp);
  }
  if (!ctx_) {
    fail(ErrorKind::OutOfMemory,
         "could not create a llama.cpp context for the model with ctx_size " + std::to_string(settings.ctx_size) +
             " x n_parallel " + std::to_string(n_par) + " (" + std::to_string(cp.n_ctx) +
             " KV cells): the KV cache or compute buffers "
             "did not fit in memory (lower ctx_size or n_parallel, or use a quantised "
             "cache_type_k/cache_type_v), or the cache types do not suit this model (a quantised "
             "type's block size must divide the model's attention head size). Set "
             "WASI_NN_LOG_LEVEL=debug for llama.cpp's own reason.");
  }
  // llama.cpp rounds each sequence up to a multiple of 256 cells; hold conversations to the
  // window the user asked for, so limits and messages match ctx_size.
  n_ctx_seq_ = std::min<uint32_t>(settings.ctx_size, llama_n_ctx_seq(ctx_));
  n_batch_ = llama_n_batch(ctx_);
  n_vocab_ = llama_vocab_n_tokens(weights_->vocab());
  // Embedding decodes hold every input whole in one shared KV stream: no more than it holds.
  if (settings.embedding) n_batch_ = std::min<uint32_t>(n_batch_, llama_n_ctx(ctx_));
  can_shift_ = llama_memory_can_shift(llama_get_memory(ctx_)) && k_shift_supported(weights_->get(), cp.type_k);
  // A model without KV memory (an encoder) is run by llama_encode, which asserts that one
  // ubatch holds the whole batch: never decode more than that.
  if (!llama_get_memory(ctx_)) n_batch_ = std::min<uint32_t>(n_batch_, llama_n_ubatch(ctx_));
  decode_together_ = !settings.deterministic || weights_->matrix_types().rows_independent;
  if (settings.deterministic) determinism_ = determinism_fingerprint(*weights_, cp);
  kv_bytes_ = kv_cache_bytes(weights_->get(), llama_n_ctx(ctx_), cp.type_k, cp.type_v);
  batch_ = llama_batch_init(static_cast<int32_t>(n_batch_), 0, 1);
  pooling_ = llama_pooling_type(ctx_);
  n_embd_ = pooling_ == LLAMA_POOLING_TYPE_RANK ? llama_model_n_cls_out(weights_->get())
                                                : static_cast<uint32_t>(llama_model_n_embd_out(weights_->get()));
  slots_.resize(n_par);
  if (settings.speculative != Speculative::None) {
    try {
      spec_ = std::make_unique<Speculation>(settings, ctx_, cp, std::move(draft));
    } catch (...) {
      llama_batch_free(batch_);
      llama_free(ctx_);
      throw;
    }
  }
  steps_by_sequences_.assign(n_par + 1, 0);
  for (const auto& [buft, bytes] : llama_get_memory_breakdown(ctx_)) {
    placement_.push_back(DeviceBytes{ggml_backend_buft_name(buft), bytes.model, bytes.context, bytes.compute});
  }
  for (uint32_t i = 0; i < n_par; ++i) slots_[i].seq = static_cast<llama_seq_id>(i);
  LOG_INFO("engine for '%s': %u sequences x %u tokens, batch %u, %d threads%s", weights_->name().c_str(), n_par,
           n_ctx_seq_, n_batch_, threads,
           !settings.deterministic ? ""
           : decode_together_      ? "; deterministic, sampled tokens of all sequences decoded together"
                                   : "; deterministic, sampled tokens decoded one sequence per call");
  worker_ = std::thread([this] { run(); });
}

Engine::~Engine() {
  {
    MutexLock lock(mu_);
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
    MutexLock lock(mu_);
    if (stop_) fail(ErrorKind::Cancelled, "the model is being unloaded");
    if (queue_.size() >= settings_.max_queue) {
      fail(ErrorKind::Busy, "the request queue is full (" + std::to_string(settings_.max_queue) +
                                " requests waiting, max_queue); retry later or raise max_queue");
    }
    const uint32_t cap = request->tenant.max_queued;
    if (cap > 0) {
      const auto mine = std::count_if(queue_.begin(), queue_.end(),
                                      [&](const RequestPtr& r) { return r->tenant.id == request->tenant.id; });
      if (static_cast<uint32_t>(mine) >= cap) {
        fail(ErrorKind::Busy, "this backend context already has " + std::to_string(mine) +
                                  " requests waiting for this model, the host's limit (max_queued_per_tenant = " +
                                  std::to_string(cap) + "); retry when one finished");
      }
    }
    queue_.push_back(std::move(request));
  }
  cv_.notify_all();
}

void Engine::release(uint64_t owner) {
  {
    MutexLock lock(mu_);
    releases_.push_back(owner);
  }
  cv_.notify_all();
}

void Engine::wake() { cv_.notify_all(); }

EngineStats Engine::stats() {
  MutexLock lock(mu_);
  EngineStats s = stats_;
  s.queued = queue_.size();
  return s;
}

void Engine::drain(Error error) {
  for (auto& slot : slots_) {
    if (slot.req) fail_request(slot, error);
  }
  std::vector<RequestPtr> queued;
  {
    MutexLock lock(mu_);
    queued.swap(queue_);
  }
  for (auto& r : queued) r->fail(error);
}

void Engine::run() {
  if (settings_.embedding) return run_embeddings();
  for (;;) {
    // Whatever fails inside a step (llama.cpp throws, an allocation fails) fails the requests in
    // flight, never the process: an exception escaping this thread would terminate the host.
    try {
      if (!step()) return;
    } catch (const std::exception& e) {
      fail_in_flight(e.what());
    } catch (...) {
      fail_in_flight("an unknown exception");
    }
  }
}

bool Engine::step() {
  {
    MutexLock lock(mu_);
    refresh_stats_locked();  // so an idle engine reports what it holds now
    while (!stop_ && !has_work_locked()) cv_.wait(mu_);
    if (stop_) return false;
    handle_releases_locked();
    fail_cancelled_locked();
    admit_locked();
    refresh_stats_locked();
  }
  const auto now = Clock::now();
  for (auto& slot : slots_) {
    if (!slot.req) continue;
    if (slot.req->cancelled()) {
      fail_request(slot, slot.req->cancel_error());
    } else if (slot.req->stream_abandoned(now)) {
      fail_request(slot, Error(ErrorKind::Cancelled, "the stream was not read for " +
                                                         std::to_string(slot.req->tenant.stream_idle_ms) +
                                                         " ms (the host's stream_idle_timeout_ms); it was cancelled"));
    }
  }
  eval_media();
  if (spec_) make_drafts();
  const int decoded = settings_.deterministic ? step_deterministic() : decode_pick(BatchPick{});
  if (decoded == 0) {
    release_adapters_when_idle();
    // Only paused streams (or nothing) left: wait for a reader, a newcomer, or an idle timeout.
    MutexLock lock(mu_);
    if (!stop_ && releases_.empty()) cv_.wait_until(mu_, Clock::now() + std::chrono::milliseconds(100));
  }
  return true;
}

// After an unexpected failure in a step: the KV state of every running sequence is unknown, so
// their requests fail and their sequences start afresh; queued requests and other sequences'
// saved states are untouched.
void Engine::fail_in_flight(const std::string& what) {
  LOG_ERR("engine step failed: %s; the requests in flight fail, the engine goes on", what.c_str());
  for (auto& slot : slots_) {
    if (!slot.req) continue;
    fail_request(slot,
                 Error(ErrorKind::Runtime, "the engine failed while serving this request (" + what + "); retry it"));
    clear_slot(slot);
  }
}

bool Engine::has_work_locked() const {
  return !releases_.empty() || !queue_.empty() ||
         std::any_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.req != nullptr; });
}

void Engine::refresh_stats_locked() {
  stats_.active = 0;
  stats_.resident = 0;
  for (const auto& s : slots_) {
    stats_.active += s.req ? 1 : 0;
    stats_.resident += s.owner ? 1 : 0;
  }
  stats_.steps_by_sequences = steps_by_sequences_;
  stats_.steps_split_by_adapters = steps_split_by_adapters_;
  stats_.saved = store_.entries();
  stats_.saved_bytes = store_.memory_bytes();
  stats_.saved_disk_bytes = store_.disk_bytes();
}

void Engine::handle_releases_locked() {
  for (uint64_t owner : releases_) {
    store_.drop(owner);
    Slot* s = slot_for(owner);
    if (s && !s->req) clear_slot(*s);
  }
  releases_.clear();
}

void Engine::fail_cancelled_locked() {
  for (auto it = queue_.begin(); it != queue_.end();) {
    if ((*it)->cancelled()) {
      (*it)->fail((*it)->cancel_error());
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }
}

Engine::Slot* Engine::slot_for(uint64_t owner) {
  for (auto& s : slots_) {
    if (s.owner == owner) return &s;
  }
  return nullptr;
}

// The admissible request with the highest effective priority (priority + aging), FIFO among
// equals; *target receives the slot it will run on. Null when none can start now.
RequestPtr Engine::pop_best_locked(Slot** target) {
  const auto now = Clock::now();
  const double aging = std::max<uint32_t>(1, settings_.priority_aging_ms);
  auto effective = [&](const RequestPtr& r) {
    return r->priority + std::chrono::duration<double, std::milli>(now - r->t_submit).count() / aging;
  };
  Slot* free_slot = nullptr;
  Slot* lru_idle = nullptr;
  for (auto& s : slots_) {
    if (s.owner == 0 && !free_slot) free_slot = &s;
    if (!s.req && (!lru_idle || s.last_used < lru_idle->last_used)) lru_idle = &s;
  }
  auto best = queue_.end();
  Slot* best_slot = nullptr;
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    Slot* own = slot_for((*it)->owner);
    if (own && own->req) continue;               // its conversation is running: it waits its turn
    if (at_tenant_cap((*it)->tenant)) continue;  // its tenant holds its share of sequences
    Slot* s = own ? own : (free_slot ? free_slot : lru_idle);
    if (!s) continue;
    if (best == queue_.end() || effective(*it) > effective(*best)) {
      best = it;
      best_slot = s;
    }
  }
  if (best == queue_.end()) return nullptr;
  RequestPtr r = std::move(*best);
  queue_.erase(best);
  *target = best_slot;
  return r;
}

bool Engine::at_tenant_cap(const TenantTag& tenant) const {
  if (tenant.max_sequences == 0) return false;
  const auto running =
      std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) { return s.req && s.tenant.id == tenant.id; });
  return static_cast<uint32_t>(running) >= tenant.max_sequences;
}

void Engine::admit_locked() {
  Slot* slot = nullptr;
  while (RequestPtr r = pop_best_locked(&slot)) {
    if (slot->owner != r->owner) {
      if (slot->owner != 0) evict(*slot);
      slot->owner = r->owner;
    }
    slot->tenant = r->tenant;
    slot->req = std::move(r);
    start_request(*slot);
  }
}

// Saves the slot's KV state for its owner's next turn (when the store is enabled) and frees it.
void Engine::evict(Slot& slot) {
  if (settings_.deterministic) keep_only_reusable(slot);
  if (store_.enabled() && !slot.tokens.empty()) {
    SavedSequence saved;
    saved.tokens = slot.tokens;
    saved.adapters = slot.kv_adapters;
    saved.state.resize(llama_state_seq_get_size(ctx_, slot.seq));
    const size_t n = llama_state_seq_get_data(ctx_, saved.state.data(), saved.state.size(), slot.seq);
    if (n == saved.state.size()) {
      LOG_DEBUG("saved KV of conversation %llu (%zu tokens, %zu bytes)", (unsigned long long)slot.owner,
                saved.tokens.size(), n);
      store_.put(slot.owner, std::move(saved));
    }
  }
  clear_slot(slot);
}

void Engine::clear_slot(Slot& slot) {
  llama_memory_seq_rm(llama_get_memory(ctx_), slot.seq, -1, -1);
  slot.tokens.clear();
  slot.pos_gaps.clear();
  slot.kv_adapters.clear();
  slot.owner = 0;
  slot.tenant = TenantTag{};
  slot.n_prompt_done = 0;
  slot.n_reusable = 0;
  slot.pending = LLAMA_TOKEN_NULL;
}

}  // namespace wasi_nn
