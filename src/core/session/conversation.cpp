#include "core/session/conversation.h"

#include <algorithm>

#include "core/base/counters.h"
#include "core/base/error.h"

namespace wasi_nn {

Conversation::Conversation(std::shared_ptr<Graph> g, std::string id, const TenantTag& tenant)
    : graph_(std::move(g)),
      session_id_(std::move(id)),
      owner_(Engine::new_owner_id()),
      tenant_(tenant),
      last_used_(Clock::now()) {
  ++(session_id_.empty() ? live_objects().contexts : live_objects().sessions);
}

Conversation::~Conversation() {
  graph_->engine->release(owner_);
  --(session_id_.empty() ? live_objects().contexts : live_objects().sessions);
}

TurnStart Conversation::begin_turn(bool reset, const TurnStart* fork) {
  MutexLock lock(mu_);
  if (in_turn_) fail(ErrorKind::Busy, "a compute is already running on this conversation; wait for it to finish");
  in_turn_ = true;
  if (reset) {
    history_.clear();
    media_.clear();
    last_turn_ = RenderedTurn();
  }
  if (fork) {
    history_ = fork->history;
    media_ = fork->history_media;
    last_turn_ = fork->last;
  }
  media_.resize(history_.size());  // one entry per message, whatever set the history
  return TurnStart{history_, media_, last_turn_, {}};
}

TurnStart Conversation::fork_point() const {
  MutexLock lock(mu_);
  if (in_turn_) {
    fail(ErrorKind::Busy, "the conversation to fork from is computing; fork it when its turn has finished");
  }
  return TurnStart{history_, media_, last_turn_, {}};
}

void Conversation::end_turn(TurnRecord r) {
  MutexLock lock(mu_);
  if (r.kind == TurnRecord::Kind::Chat) {
    history_.erase(history_.begin(), history_.begin() + std::min(r.dropped, history_.size()));
    media_.erase(media_.begin(), media_.begin() + std::min(r.dropped, media_.size()));
    if (r.messages.empty()) {
      common_chat_msg user, assistant;
      user.role = "user";
      user.content = std::move(r.user);
      assistant.role = "assistant";
      assistant.content = std::move(r.reply);
      r.messages = {std::move(user), std::move(assistant)};
    }
    // The turn's media belong to its first added message (the user's, or a messages input's).
    const size_t added = r.messages.size();
    history_.insert(history_.end(), std::make_move_iterator(r.messages.begin()),
                    std::make_move_iterator(r.messages.end()));
    media_.push_back(std::move(r.user_media));
    for (size_t i = 1; i < added; ++i) media_.push_back({});
    last_turn_ = std::move(r.rendered);
  } else if (r.kind == TurnRecord::Kind::Raw) {
    last_turn_ = RenderedTurn();
  }
  last_used_ = Clock::now();
  in_turn_ = false;
}

void Conversation::abort_turn() {
  MutexLock lock(mu_);
  in_turn_ = false;
}

bool Conversation::idle(Clock::time_point* last_used) const {
  MutexLock lock(mu_);
  if (in_turn_) return false;
  *last_used = last_used_;
  return true;
}

std::vector<common_chat_msg> Conversation::history_for_move() const {
  MutexLock lock(mu_);
  if (in_turn_) {
    fail(ErrorKind::Busy, "session '" + session_id_ + "' is computing on the previous model; retry when it finishes");
  }
  return history_;
}

std::vector<common_chat_msg> Conversation::history() const {
  MutexLock lock(mu_);
  return history_;
}

void Conversation::set_history(std::vector<common_chat_msg> history) {
  MutexLock lock(mu_);
  history_ = std::move(history);
  media_.assign(history_.size(), {});  // media stay with the model they were sent to
}

}  // namespace wasi_nn
