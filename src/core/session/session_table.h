// SessionTable: conversations named by session id, kept after their contexts close so a host
// can come back to them, within the backend's max_sessions and idle_timeout_ms.
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
  // The conversation named `id`, on `graph`. A session last used with another model keeps its
  // history (re-rendered for the new model). Drops sessions idle longer than idle_timeout_ms,
  // then the least recently used unused session when max_sessions would be exceeded; answers
  // Busy when every session is in use.
  std::shared_ptr<Conversation> open(const std::string& id, const std::shared_ptr<Graph>& graph,
                                     const BackendSettings& limits, const TenantTag& tenant);
  // The graph `gone` was unloaded: each session on it moves to `next` with its history (as
  // open() would), or is forgotten when `next` is null. Its KV state on `gone` is released.
  void detach(const std::shared_ptr<Graph>& gone, const std::shared_ptr<Graph>& next, const TenantTag& tenant);
  // The session named `id`, or null.
  std::shared_ptr<Conversation> find(const std::string& id) const {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }
  size_t size() const { return sessions_.size(); }
  void clear() { sessions_.clear(); }

 private:
  void expire_idle(const BackendSettings& limits);
  bool evict_lru();

  std::map<std::string, std::shared_ptr<Conversation>> sessions_;
};

}  // namespace wasi_nn
