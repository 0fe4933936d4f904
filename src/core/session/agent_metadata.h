// The agent features' fields of output 1 (docs/AGENTS.md): "finish_reason", "tool_calls" and
// "reasoning_content" of the parsed reply, "logprobs" and "prompt_logprobs" in OpenAI's shape,
// and "forked_tokens" when the turn started from a fork.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "chat.h"
#include "core/engine/request.h"
#include "core/session/reply_format.h"

namespace wasi_nn {

// [{"id", "type": "function", "function": {"name", "arguments"}}], OpenAI's tool_calls.
nlohmann::ordered_json tool_calls_json(const std::vector<common_chat_tool_call>& calls);

// OpenAI's logprobs object for tokens with their probabilities: {"content": [{"id", "token",
// "logprob", "bytes", "top_logprobs": [{"id", "token", "logprob", "bytes"}]}]}.
nlohmann::ordered_json logprobs_json(const std::vector<TokenProbs>& probs);

// Adds the fields above to `m`. `reply` is the parsed reply (null: the text was not parsed).
void add_agent_metadata(nlohmann::ordered_json& m, const RequestResult& r, const ParsedReply* reply);

}  // namespace wasi_nn
