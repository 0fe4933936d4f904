// SessionTable: conversations named by session id, kept after their contexts close so a host
// can come back to them, within the backend's max_sessions and idle_timeout_ms.
//
// A session with history is never dropped for lack of room: at most max_sessions are *open*;
// opening one more parks the least recently used open session that is not computing (even one
// an execution context still holds: that context goes on working). A parked session keeps its
// history and its KV sequence owner, so its KV state stays with the engine (resident, or saved
// when the engine evicts the sequence) and it resumes intact; opening it again unparks it. Only
// when every open session is computing does opening another answer Busy. Sessions end when
// idle longer than idle_timeout_ms, when their model is unloaded with no model to move to, and,
// beyond kMaxParkedPerOpen * max_sessions parked ones, the least recently used parked session
// no context holds (logged at warn).
// Thread-safety: none; the Backend guards it with its own mutex.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/config/settings.h"
#include "core/session/conversation.h"

namespace wasi_nn {

class SessionTable {
 public:
  static constexpr size_t kMaxParkedPerOpen = 64;

  // The conversation named `id`, on `graph`. A session last used with another model keeps its
  // history (re-rendered for the new model). Drops sessions idle longer than idle_timeout_ms;
  // parks open ones to make room (see above); answers Busy when every open one is computing.
  std::shared_ptr<Conversation> open(const std::string& id, const std::shared_ptr<Graph>& graph,
                                     const BackendSettings& limits, const TenantTag& tenant);
  // The graph `gone` was unloaded: each session on it moves to `next` with its history (as
  // open() would), or is forgotten when `next` is null. Its KV state on `gone` is released.
  void detach(const std::shared_ptr<Graph>& gone, const std::shared_ptr<Graph>& next, const TenantTag& tenant);
  // The session named `id`, open or parked, or null.
  std::shared_ptr<Conversation> find(const std::string& id) const {
    for (const Map* map : {&open_, &parked_}) {
      auto it = map->find(id);
      if (it != map->end()) return it->second;
    }
    return nullptr;
  }
  size_t size() const { return open_.size() + parked_.size(); }
  size_t open_count() const { return open_.size(); }
  // Drops sessions, open or parked, unused for longer than limits.idle_timeout_ms (the backend
  // calls it by time).
  void expire_idle(const BackendSettings& limits) {
    expire_idle(open_, limits);
    expire_idle(parked_, limits);
  }
  void clear() {
    open_.clear();
    parked_.clear();
  }

 private:
  using Map = std::map<std::string, std::shared_ptr<Conversation>>;

  void expire_idle(Map& map, const BackendSettings& limits);
  void make_room(const BackendSettings& limits);
  void drop_parked_beyond(size_t cap);
  void detach_in(Map& map, const std::shared_ptr<Graph>& gone, const std::shared_ptr<Graph>& next,
                 const TenantTag& tenant);

  Map open_;    // at most max_sessions
  Map parked_;  // history and KV owner kept, not counted
};

}  // namespace wasi_nn
