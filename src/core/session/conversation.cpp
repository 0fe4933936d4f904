#include "core/session/conversation.h"

#include "core/stats.h"

namespace wasi_nn {

Conversation::Conversation(std::shared_ptr<Graph> g, std::string id)
    : graph(std::move(g)), session_id(std::move(id)), owner(Engine::new_owner_id()),
      last_used(Clock::now()) {
  stats_conversation_opened(!session_id.empty());
}

Conversation::~Conversation() {
  graph->engine->release(owner);
  stats_conversation_closed(!session_id.empty());
}

}  // namespace wasi_nn
