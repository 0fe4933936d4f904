#include "core/session/session_table.h"

#include "core/base/error.h"
#include "core/base/log.h"

namespace wasi_nn {
namespace {

// A session is unused when only the table holds it and no turn is running.
bool unused(const std::shared_ptr<Conversation>& c, Clock::time_point* last_used) {
  return c.use_count() == 1 && c->idle(last_used);
}

// The least recently used entry of `map` that `eligible` accepts, or end().
template <class Eligible>
std::map<std::string, std::shared_ptr<Conversation>>::iterator least_recent(
    std::map<std::string, std::shared_ptr<Conversation>>& map, Eligible eligible) {
  auto victim = map.end();
  Clock::time_point oldest = Clock::time_point::max();
  for (auto it = map.begin(); it != map.end(); ++it) {
    Clock::time_point last;
    if (eligible(it->second, &last) && last < oldest) {
      oldest = last;
      victim = it;
    }
  }
  return victim;
}

}  // namespace

void SessionTable::expire_idle(Map& map, const BackendSettings& limits) {
  if (limits.idle_timeout_ms == 0) return;
  const auto cutoff = Clock::now() - std::chrono::milliseconds(limits.idle_timeout_ms);
  for (auto it = map.begin(); it != map.end();) {
    Clock::time_point last;
    if (unused(it->second, &last) && last < cutoff) {
      LOG_INFO("session '%s' expired after idle_timeout_ms", it->first.c_str());
      it = map.erase(it);
    } else {
      ++it;
    }
  }
}

// Parks the least recently used open session that is not computing until one more fits.
void SessionTable::make_room(const BackendSettings& limits) {
  while (open_.size() >= limits.max_sessions) {
    auto victim = least_recent(
        open_, [](const std::shared_ptr<Conversation>& c, Clock::time_point* last) { return c->idle(last); });
    if (victim == open_.end()) {
      fail(ErrorKind::Busy, "max_sessions (" + std::to_string(limits.max_sessions) +
                                ") sessions are open and all computing right now, so none can be parked to open "
                                "another; retry when one finishes, or raise max_sessions");
    }
    LOG_INFO("session '%s' parked (max_sessions reached): its history and KV state are kept", victim->first.c_str());
    parked_[victim->first] = std::move(victim->second);
    open_.erase(victim);
  }
  drop_parked_beyond(kMaxParkedPerOpen * limits.max_sessions);
}

void SessionTable::drop_parked_beyond(size_t cap) {
  while (parked_.size() > cap) {
    auto victim = least_recent(parked_, unused);
    if (victim == parked_.end()) return;  // every one is held by a context: bounded by max_contexts
    LOG_WARN("session '%s' forgotten with its history: more than %zu sessions are parked", victim->first.c_str(), cap);
    parked_.erase(victim);
  }
}

std::shared_ptr<Conversation> SessionTable::open(const std::string& id, const std::shared_ptr<Graph>& graph,
                                                 const BackendSettings& limits, const TenantTag& tenant) {
  expire_idle(open_, limits);
  expire_idle(parked_, limits);
  auto it = open_.find(id);
  if (it != open_.end() && it->second->graph() == graph) return it->second;
  if (it == open_.end()) make_room(limits);  // parks others first: nothing of `id` changed if it throws
  auto parked = parked_.find(id);
  const std::shared_ptr<Conversation> known = it != open_.end()         ? it->second
                                              : parked != parked_.end() ? parked->second
                                                                        : nullptr;
  std::shared_ptr<Conversation> conv = known;
  if (!known || known->graph() != graph) {
    conv = std::make_shared<Conversation>(graph, id, tenant);
    if (known) conv->set_history(known->history_for_move());  // carried over to the new model (Busy if computing)
  }
  if (it != open_.end()) open_.erase(it);
  if (parked != parked_.end()) parked_.erase(parked);
  open_[id] = conv;
  return conv;
}

void SessionTable::detach_in(Map& map, const std::shared_ptr<Graph>& gone, const std::shared_ptr<Graph>& next,
                             const TenantTag& tenant) {
  for (auto it = map.begin(); it != map.end();) {
    if (it->second->graph() != gone) {
      ++it;
      continue;
    }
    if (!next) {
      LOG_INFO("session '%s' forgotten: its model was unloaded", it->first.c_str());
      it = map.erase(it);
      continue;
    }
    auto moved = std::make_shared<Conversation>(next, it->first, tenant);
    moved->set_history(it->second->history());
    it->second = std::move(moved);
    ++it;
  }
}

void SessionTable::detach(const std::shared_ptr<Graph>& gone, const std::shared_ptr<Graph>& next,
                          const TenantTag& tenant) {
  detach_in(open_, gone, next, tenant);
  detach_in(parked_, gone, next, tenant);
}

}  // namespace wasi_nn
