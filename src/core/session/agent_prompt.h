// The agent features' part of building a chat prompt (docs/AGENTS.md): the request's tools,
// tool_choice and reasoning settings go into llama.cpp's template inputs, and what the render
// returns (the tool-call grammar, its triggers, the tokens to keep whole, the reply parser, the
// thinking tags) becomes the reply's format and, at compute, the sampler's settings, the way
// llama-server passes them (tools/server/server-common.cpp, server-schema.cpp).
// Runs on the caller's thread, with the turn's conversation claimed.
#pragma once

#include <memory>
#include <set>

#include "chat.h"
#include "core/config/settings.h"
#include "core/input/chat_templates.h"
#include "core/session/reply_format.h"
#include "llama.h"

namespace wasi_nn {

struct ChatTurnRender {
  common_chat_params params;                 // prompt and stop strings, as rendered
  std::shared_ptr<const ReplyFormat> reply;  // how to read the reply; never null
};

// Renders `in` (messages, generation prompt, jinja flag already set) with the request's agent
// settings. When tools are offered but the template cannot present them (its capabilities say
// it has no tool calls, or it is a built-in, non-Jinja format), renders the generic format of
// tool_fallback.h instead. Throws InvalidArgument for tools given with grammar or json_schema,
// a tool_choice naming an unknown function, or a template that fails.
ChatTurnRender render_chat_turn(const ChatTemplates& tmpls, common_chat_templates_inputs in, const RequestSettings& rs,
                                const InputLimits& limits);

// What the reply's format asks of the sampler, into `sp`: the tool-call grammar (lazy, with its
// triggers, or not), the generation prompt it starts after, the tokens to keep whole (also
// returned in *preserved: the engine writes their text into the reply), and the reasoning
// budget over the template's thinking tags.
void apply_reply_format(const ReplyFormat& reply, const AgentSettings& agent, const llama_vocab* vocab,
                        common_params_sampling& sp, std::set<llama_token>* preserved);

}  // namespace wasi_nn
