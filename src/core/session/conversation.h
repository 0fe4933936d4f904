// Conversation: one dialogue and its KV sequence. A plain execution context owns one; a session
// id names one that several contexts may share and that outlives them (until evicted by
// max_sessions or idle_timeout_ms). Its turns run one at a time.
// Thread-safety: `history`, `last_used`, `in_turn` and `last_turn` are guarded by `turn_mu`, held only
// briefly. A turn (a compute, or a stream from its first compute_single to fini_single) sets
// `in_turn`, so a second concurrent turn on the same conversation answers Busy.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chat.h"
#include "core/engine/request.h"
#include "core/session/graph.h"
#include "core/session/prompt_builder.h"

namespace wasi_nn {

class Conversation {
 public:
  Conversation(std::shared_ptr<Graph> graph, std::string session_id);
  ~Conversation();  // releases the KV sequence
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  const std::shared_ptr<Graph> graph;
  const std::string session_id;  // empty for an anonymous (plain) context
  const uint64_t owner;          // the engine's sequence owner id

  std::mutex turn_mu;
  std::vector<common_chat_msg> history;  // guarded by turn_mu
  Clock::time_point last_used;           // guarded by turn_mu
  bool in_turn = false;                  // guarded by turn_mu
  RenderedTurn last_turn;                // guarded by turn_mu: the last chat turn, as cached
};

}  // namespace wasi_nn
