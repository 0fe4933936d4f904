#include "core/engine/kv_store.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "core/base/log.h"

namespace wasi_nn {
namespace {

constexpr uint32_t kMagic = 0x4b564e57;  // "WNVK"

bool write_file(const std::string& path, const SavedSequence& s) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const uint32_t magic = kMagic;
  const uint64_t n_tok = s.tokens.size(), n_state = s.state.size();
  out.write(reinterpret_cast<const char*>(&magic), sizeof magic);
  out.write(reinterpret_cast<const char*>(&n_tok), sizeof n_tok);
  out.write(reinterpret_cast<const char*>(&n_state), sizeof n_state);
  out.write(reinterpret_cast<const char*>(s.tokens.data()), n_tok * sizeof(llama_token));
  out.write(reinterpret_cast<const char*>(s.state.data()), n_state);
  out.flush();
  return static_cast<bool>(out);
}

bool read_file(const std::string& path, SavedSequence* s) {
  std::ifstream in(path, std::ios::binary);
  uint32_t magic = 0;
  uint64_t n_tok = 0, n_state = 0;
  in.read(reinterpret_cast<char*>(&magic), sizeof magic);
  in.read(reinterpret_cast<char*>(&n_tok), sizeof n_tok);
  in.read(reinterpret_cast<char*>(&n_state), sizeof n_state);
  if (!in || magic != kMagic || n_tok > (1u << 26) || n_state > (1ull << 40)) return false;
  s->tokens.resize(n_tok);
  s->state.resize(n_state);
  in.read(reinterpret_cast<char*>(s->tokens.data()), n_tok * sizeof(llama_token));
  in.read(reinterpret_cast<char*>(s->state.data()), n_state);
  return static_cast<bool>(in);
}

}  // namespace

KvStore::KvStore(uint64_t memory_budget, std::string dir, uint64_t disk_budget)
    : memory_budget_(memory_budget), disk_budget_(disk_budget), dir_(std::move(dir)) {}

KvStore::~KvStore() {
  while (!lru_.empty()) erase(lru_.begin());
}

void KvStore::put(uint64_t owner, SavedSequence seq) {
  if (!enabled()) return;
  drop(owner);
  Entry e{owner, std::move(seq), "", 0};
  e.bytes = e.seq.state.size() + e.seq.tokens.size() * sizeof(llama_token);
  memory_bytes_ += e.bytes;
  lru_.push_front(std::move(e));
  index_[owner] = lru_.begin();
  enforce_budgets();
}

bool KvStore::take(uint64_t owner, SavedSequence* out) {
  auto it = index_.find(owner);
  if (it == index_.end()) return false;
  Entry& e = *it->second;
  bool ok = true;
  if (!e.path.empty()) {
    ok = read_file(e.path, out);
    if (!ok) LOG_WARN("saved KV state %s could not be read back; the conversation will be re-processed", e.path.c_str());
  } else {
    *out = std::move(e.seq);
  }
  erase(it->second);
  return ok;
}

void KvStore::drop(uint64_t owner) {
  auto it = index_.find(owner);
  if (it != index_.end()) erase(it->second);
}

void KvStore::erase(List::iterator it) {
  if (it->path.empty()) {
    memory_bytes_ -= it->bytes;
  } else {
    disk_bytes_ -= it->bytes;
    ::unlink(it->path.c_str());
  }
  index_.erase(it->owner);
  lru_.erase(it);
}

bool KvStore::spill(Entry& e) {
  if (dir_.empty() || e.bytes > disk_budget_) return false;
  // Oldest spilled entries make room on disk first.
  for (auto it = lru_.end(); disk_bytes_ + e.bytes > disk_budget_ && it != lru_.begin();) {
    --it;
    if (!it->path.empty() && &*it != &e) it = (erase(it), lru_.end());
  }
  if (disk_bytes_ + e.bytes > disk_budget_) return false;
  const std::string path = dir_ + "/wasi-nn-kv-" + std::to_string(::getpid()) + "-" + std::to_string(e.owner) + ".bin";
  if (!write_file(path, e.seq)) {
    ::unlink(path.c_str());
    LOG_WARN("could not write saved KV state to %s (disk full or not writable); it is dropped and the conversation will be re-processed", path.c_str());
    return false;
  }
  memory_bytes_ -= e.bytes;
  disk_bytes_ += e.bytes;
  e.path = path;
  e.seq = SavedSequence{};
  return true;
}

void KvStore::enforce_budgets() {
  // Least recently saved first: spill to disk when allowed, else forget.
  for (auto it = lru_.end(); memory_bytes_ > memory_budget_ && it != lru_.begin();) {
    --it;
    if (!it->path.empty()) continue;
    if (!spill(*it)) {
      LOG_INFO("saved KV state of conversation %llu dropped (kv_save_budget_mb reached)", (unsigned long long)it->owner);
      it = (erase(it), lru_.end());
    }
  }
}

}  // namespace wasi_nn
