#include "core/engine/kv_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "core/base/log.h"

namespace wasi_nn {
namespace {

constexpr uint32_t kMagic = 0x4b564e57;  // "WNVK"

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// A new file only this process can read: O_EXCL (never an existing file or a planted link),
// O_NOFOLLOW, mode 0600, in the store's own directory.
bool write_file(const std::string& path, const SavedSequence& s) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const uint32_t magic = kMagic;
  const uint64_t n_tok = s.tokens.size(), n_state = s.state.size(), n_key = s.adapters.size();
  const bool ok = write_all(fd, &magic, sizeof magic) && write_all(fd, &n_tok, sizeof n_tok) &&
                  write_all(fd, &n_state, sizeof n_state) && write_all(fd, &n_key, sizeof n_key) &&
                  write_all(fd, s.tokens.data(), n_tok * sizeof(llama_token)) &&
                  write_all(fd, s.state.data(), n_state) && write_all(fd, s.adapters.data(), n_key);
  return ::close(fd) == 0 && ok;
}

// A directory of our own below `parent` (mode 0700, a fresh random name): spill files never
// share a directory with anyone else's files.
std::string private_dir(const std::string& parent) {
  if (parent.empty()) return "";
  std::string tmpl = parent + "/wasi-nn-kv-XXXXXX";
  if (!::mkdtemp(tmpl.data())) {
    LOG_WARN("kv_save_dir: cannot create a private directory in it (%s); saved KV states stay in memory",
             std::strerror(errno));
    return "";
  }
  return tmpl;
}

bool read_file(const std::string& path, SavedSequence* s) {
  std::ifstream in(path, std::ios::binary);  // our own 0600 file in our own 0700 directory
  uint32_t magic = 0;
  uint64_t n_tok = 0, n_state = 0, n_key = 0;
  in.read(reinterpret_cast<char*>(&magic), sizeof magic);
  in.read(reinterpret_cast<char*>(&n_tok), sizeof n_tok);
  in.read(reinterpret_cast<char*>(&n_state), sizeof n_state);
  in.read(reinterpret_cast<char*>(&n_key), sizeof n_key);
  if (!in || magic != kMagic || n_tok > (1u << 26) || n_state > (1ull << 40) || n_key > (1u << 16)) return false;
  s->tokens.resize(n_tok);
  s->state.resize(n_state);
  s->adapters.resize(n_key);
  in.read(reinterpret_cast<char*>(s->tokens.data()), n_tok * sizeof(llama_token));
  in.read(reinterpret_cast<char*>(s->state.data()), n_state);
  in.read(s->adapters.data(), n_key);
  return static_cast<bool>(in);
}

}  // namespace

KvStore::KvStore(uint64_t memory_budget, std::string dir, uint64_t disk_budget)
    : memory_budget_(memory_budget),
      disk_budget_(disk_budget),
      dir_(memory_budget > 0 ? private_dir(dir) : std::string()) {}

KvStore::~KvStore() {
  while (!lru_.empty()) erase(lru_.begin());
  if (!dir_.empty()) ::rmdir(dir_.c_str());
}

void KvStore::put(uint64_t owner, SavedSequence seq) {
  if (!enabled()) return;
  drop(owner);
  Entry e{owner, std::move(seq), "", 0};
  e.bytes = e.seq.state.size() + e.seq.tokens.size() * sizeof(llama_token) + e.seq.adapters.size();
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
    if (!ok)
      LOG_WARN("saved KV state %s could not be read back; the conversation will be re-processed", e.path.c_str());
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
  const std::string path = dir_ + "/" + std::to_string(e.owner) + ".kv";
  if (!write_file(path, e.seq)) {
    ::unlink(path.c_str());
    LOG_WARN(
        "could not write saved KV state to %s (disk full or not writable); it is dropped and the conversation will be "
        "re-processed",
        path.c_str());
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
      LOG_INFO("saved KV state of conversation %llu dropped (kv_save_budget_mb reached)",
               (unsigned long long)it->owner);
      it = (erase(it), lru_.end());
    }
  }
}

}  // namespace wasi_nn
