#include "core/session/conversation.h"

namespace wasi_nn {

Conversation::Conversation(std::shared_ptr<Graph> g, std::string id)
    : graph(std::move(g)), session_id(std::move(id)), owner(Engine::new_owner_id()),
      last_used(Clock::now()) {}

Conversation::~Conversation() { graph->engine->release(owner); }

}  // namespace wasi_nn
