// Per-request settings of the agent features (docs/AGENTS.md): tool calling, message-level
// input, reasoning, token-level tasks and probabilities, conversation forks. Filled by the
// parameter table's agent rows (param_agent_rows.cpp), already bounded and checked; the session
// layer turns them into chat-template inputs, sampler settings and request fields.
// Thread-safety: plain values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/enums.h"

namespace wasi_nn {

// What a compute does: generate a reply (the default), or tokenize / detokenize input 0.
enum class TaskKind { Generate, Tokenize, Detokenize };
// Input 0 of a chat request: one user message as text, or a JSON array of OpenAI chat messages.
enum class InputFormat { Text, Messages };
// OpenAI's tool_choice; Named forces a call to the function `tool_name`.
enum class ToolChoice { Auto, None, Required, Named };
// llama.cpp's common_reasoning_format, in its order (COMMON_REASONING_FORMAT_*).
enum class ReasoningFormat { None, Auto, DeepseekLegacy, Deepseek };

template <>
struct EnumTraits<TaskKind> {
  static constexpr std::array names = {"generate", "tokenize", "detokenize"};
};
template <>
struct EnumTraits<InputFormat> {
  static constexpr std::array names = {"text", "messages"};
};
template <>
struct EnumTraits<ToolChoice> {
  static constexpr std::array names = {"auto", "none", "required", "named"};
};
// llama.cpp's own names (common_reasoning_format_name).
template <>
struct EnumTraits<ReasoningFormat> {
  static constexpr std::array names = {"none", "auto", "deepseek-legacy", "deepseek"};
};

// One function the model may call (OpenAI's {"type": "function", "function": {...}}), checked
// against the tenant's schema bounds when the request was parsed.
struct ToolSpec {
  std::string name;
  std::string description;
  std::string parameters;  // JSON schema text of the arguments ("{}" when none was given)
};

// "fork_from": the conversation a request branches from: a session id (text) or an execution
// context handle of the same backend context (a number).
struct ForkRef {
  bool set = false;
  std::string session;   // non-empty: a session id
  int64_t context = -1;  // >= 0: an execution context handle
};

struct AgentSettings {
  TaskKind task = TaskKind::Generate;
  InputFormat input_format = InputFormat::Text;
  std::vector<ToolSpec> tools;
  ToolChoice tool_choice = ToolChoice::Auto;
  std::string tool_name;  // ToolChoice::Named: the function every reply calls
  bool parallel_tool_calls = false;
  ReasoningFormat reasoning_format = ReasoningFormat::Auto;
  int32_t reasoning_budget = -1;  // tokens of reasoning; -1 unlimited, 0 none
  int32_t prompt_logprobs = 0;    // > 0: log-probabilities of the prompt's tokens, with this many alternatives
  bool add_special = false;       // tokenize: add the model's BOS/EOS as a prompt would
  bool parse_special = true;      // tokenize: special-token text ("<|im_end|>") becomes that token
  bool with_pieces = false;       // tokenize: each token's text too
  ForkRef fork_from;

  // The model may call tools on this request.
  bool tools_active() const { return !tools.empty() && tool_choice != ToolChoice::None; }
  // The tools are described in the prompt: with tool_choice none too (as llama.cpp renders it),
  // so a conversation's prompt keeps its prefix, and its KV cache, whatever each turn chooses.
  bool tools_presented() const { return !tools.empty(); }
};

}  // namespace wasi_nn
