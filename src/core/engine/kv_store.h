// KvStore: KV-cache states of conversations that lost their sequence to another one (LRU
// eviction), kept in host memory within a byte budget and, when a directory is configured,
// spilled to disk within a second budget. Restoring a state lets the conversation's next turn
// continue without re-processing its history; losing one only costs that re-processing, never
// correctness (the conversation still knows its tokens).
// Thread-safety: none; the engine's worker thread owns it. stats() may be read under the
// engine's lock.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "llama.h"

namespace wasi_nn {

struct SavedSequence {
  std::vector<llama_token> tokens;  // what the KV held, in order (positions as Slot::pos maps them)
  std::vector<uint8_t> state;       // llama_state_seq_get_data() bytes
  std::string adapters;             // AdapterSet::key() the KV was computed with
};

class KvStore {
 public:
  // memory_budget == 0 disables saving altogether. `dir` empty = memory only.
  KvStore(uint64_t memory_budget, std::string dir, uint64_t disk_budget);
  ~KvStore();

  void put(uint64_t owner, SavedSequence seq);
  // Moves the saved state of `owner` into *out and forgets it; false when there is none.
  bool take(uint64_t owner, SavedSequence* out);
  void drop(uint64_t owner);

  bool enabled() const { return memory_budget_ > 0; }
  uint64_t memory_bytes() const { return memory_bytes_; }
  uint64_t disk_bytes() const { return disk_bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  struct Entry {
    uint64_t owner;
    SavedSequence seq;  // empty state when on disk
    std::string path;   // non-empty when spilled to disk
    uint64_t bytes = 0;
  };
  using List = std::list<Entry>;  // front = most recently saved

  void enforce_budgets();
  bool spill(Entry& e);
  void erase(List::iterator it);

  uint64_t memory_budget_, disk_budget_;
  std::string dir_;
  List lru_;
  std::map<uint64_t, List::iterator> index_;
  uint64_t memory_bytes_ = 0, disk_bytes_ = 0;
};

}  // namespace wasi_nn
