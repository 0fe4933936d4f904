// Conversation forks ("fork_from", docs/AGENTS.md): a request may start its context's
// conversation over as a copy of another conversation of the same backend context (a session
// id, or an execution context handle), history and KV cache, so a guest can branch a
// conversation (try two tool plans, sample several answers) without recomputing the common
// part. The engine copies the KV cells (llama_memory_seq_cp); the turn renders the copied
// history, so its prompt starts with the parent's tokens and they count as cached.
// Who may fork what: only conversations of the backend context (tenant) that asks; a fork is a
// conversation like any other (it holds a context or session and a KV sequence, within the
// operator's max_contexts, max_sessions and max_sequences_per_tenant), and the operator can deny
// the key (denied_keys: ["fork_from"]).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "core/config/agent_settings.h"
#include "core/session/conversation.h"

namespace wasi_nn {

// The Backend's lookup of a conversation named by fork_from; null when there is none.
using ForkResolver = std::function<std::shared_ptr<Conversation>(const ForkRef&)>;

struct ForkSource {
  std::shared_ptr<Conversation> parent;
  TurnStart point;  // its history and last rendered turn, when the fork was taken
};

// The conversation `ref` names, for `child` to start from. Throws NotFound when there is none,
// InvalidArgument when it is `child` itself or on another model (engine), Busy while it computes.
ForkSource fork_source(const ForkRef& ref, const ForkResolver& resolve, const Conversation& child);

// How fork_from names a conversation, for messages.
std::string fork_name(const ForkRef& ref);

}  // namespace wasi_nn
