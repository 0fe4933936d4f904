// Conversation: one dialogue and its KV sequence. A plain execution context owns one; a session
// id names one that several contexts may share and that outlives them (SessionTable). Its turns
// run one at a time: begin_turn() claims it (Busy while another turn runs) and hands out a
// snapshot of the history; end_turn() commits what the turn produced, abort_turn() leaves the
// history as it was. Either one frees the conversation for the next turn.
// Thread-safety: every method may be called from any thread; the lock is held only briefly and
// never while a request runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chat.h"
#include "core/base/mutex.h"
#include "core/engine/request.h"
#include "core/session/graph.h"
#include "core/session/media_turn.h"
#include "core/session/prompt_builder.h"

namespace wasi_nn {

// What a turn starts from.
struct TurnStart {
  std::vector<common_chat_msg> history;
  std::vector<MediaList> history_media;  // per history message: the media its markers place
  RenderedTurn last;                     // the previous chat turn as the KV cache holds it
  MediaList media;                       // this turn's media (inputs 2, 3, ...), set by the execution context
};

// What a finished turn leaves in the conversation.
struct TurnRecord {
  enum class Kind {
    Chat,   // drop `dropped` oldest messages, append the user message and the reply
    Raw,    // no history; the KV prefix is reused by tokens, not by rendering
    Other,  // embeddings: nothing but the time of use
  };
  Kind kind = Kind::Other;
  size_t dropped = 0;
  std::string user, reply;
  MediaList user_media;  // chat: the user message's media, kept for the turns that follow
  // Chat: when not empty, the messages the turn added (a messages input, then the reply with its
  // tool calls and reasoning), appended instead of `user` and `reply`.
  std::vector<common_chat_msg> messages;
  RenderedTurn rendered;  // chat: the turn's prompt and reply tokens
};

class Conversation {
 public:
  Conversation(std::shared_ptr<Graph> graph, std::string session_id, const TenantTag& tenant);
  ~Conversation();  // releases the KV sequence
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  const std::shared_ptr<Graph>& graph() const { return graph_; }
  const std::string& session_id() const { return session_id_; }  // empty: a plain context
  uint64_t owner() const { return owner_; }                      // the engine's sequence owner id
  const TenantTag& tenant() const { return tenant_; }            // the backend context that created it

  // Claims the conversation for one turn; throws Busy when a turn is already running. With
  // `reset`, the history is forgotten first; with `fork`, it becomes that snapshot of another
  // conversation (fork_point()), whatever becomes of the turn.
  TurnStart begin_turn(bool reset, const TurnStart* fork = nullptr);
  // What a fork of this conversation starts from; Busy while a turn runs on it.
  TurnStart fork_point() const;
  void end_turn(TurnRecord record);
  void abort_turn();

  // For the session table: true (with the time of last use) when no turn is running.
  bool idle(Clock::time_point* last_used) const;
  // The history, to carry a session over to another model; Busy when a turn is running.
  std::vector<common_chat_msg> history_for_move() const;
  std::vector<common_chat_msg> history() const;
  void set_history(std::vector<common_chat_msg> history);

 private:
  const std::shared_ptr<Graph> graph_;
  const std::string session_id_;
  const uint64_t owner_;
  const TenantTag tenant_;

  mutable Mutex mu_;
  std::vector<common_chat_msg> history_ GUARDED_BY(mu_);
  std::vector<MediaList> media_ GUARDED_BY(mu_);  // one entry per message of history_
  Clock::time_point last_used_ GUARDED_BY(mu_);
  bool in_turn_ GUARDED_BY(mu_) = false;
  RenderedTurn last_turn_ GUARDED_BY(mu_);
};

}  // namespace wasi_nn
