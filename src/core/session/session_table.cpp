#include "core/session/session_table.h"

#include "core/base/error.h"
#include "core/base/log.h"

namespace wasi_nn {
namespace {

// A session is unused when only the table holds it and no turn is running.
bool unused(const std::shared_ptr<Conversation>& c, Clock::time_point* last_used) {
  return c.use_count() == 1 && c->idle(last_used);
}

}  // namespace

void SessionTable::expire_idle(const BackendSettings& limits) {
  if (limits.idle_timeout_ms == 0) return;
  const auto cutoff = Clock::now() - std::chrono::milliseconds(limits.idle_timeout_ms);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Clock::time_point last;
    if (unused(it->second, &last) && last < cutoff) {
      LOG_INFO("session '%s' expired after idle_timeout_ms", it->first.c_str());
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

bool SessionTable::evict_lru() {
  auto victim = sessions_.end();
  Clock::time_point oldest = Clock::time_point::max();
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    Clock::time_point last;
    if (unused(it->second, &last) && last < oldest) {
      oldest = last;
      victim = it;
    }
  }
  if (victim == sessions_.end()) return false;
  LOG_INFO("session '%s' evicted (max_sessions reached)", victim->first.c_str());
  sessions_.erase(victim);
  return true;
}

std::shared_ptr<Conversation> SessionTable::open(const std::string& id,
                                                 const std::shared_ptr<Graph>& graph,
                                                 const BackendSettings& limits, const TenantTag& tenant) {
  expire_idle(limits);
  auto it = sessions_.find(id);
  if (it != sessions_.end() && it->second->graph() == graph) return it->second;
  std::vector<common_chat_msg> history;
  if (it != sessions_.end()) {
    history = it->second->history_for_move();  // carried over to the new model
    sessions_.erase(it);
  }
  if (sessions_.size() >= limits.max_sessions && !evict_lru()) {
    fail(ErrorKind::Busy, "max_sessions (" + std::to_string(limits.max_sessions) +
                              ") sessions are open and all in use; close a context or raise max_sessions");
  }
  auto conv = std::make_shared<Conversation>(graph, id, tenant);
  conv->set_history(std::move(history));
  sessions_[id] = conv;
  return conv;
}

void SessionTable::detach(const std::shared_ptr<Graph>& gone, const std::shared_ptr<Graph>& next,
                          const TenantTag& tenant) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second->graph() != gone) {
      ++it;
      continue;
    }
    if (!next) {
      LOG_INFO("session '%s' forgotten: its model was unloaded", it->first.c_str());
      it = sessions_.erase(it);
      continue;
    }
    auto moved = std::make_shared<Conversation>(next, it->first, tenant);
    moved->set_history(it->second->history());
    it->second = std::move(moved);
    ++it;
  }
}

}  // namespace wasi_nn
