#include "core/session/agent_metadata.h"

#include <cmath>
#include <limits>

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

// As llama-server writes it: log(0) would be -inf, which JSON cannot hold.
double logprob(float p) { return p <= 0.0f ? std::numeric_limits<float>::lowest() : std::log(p); }

json bytes_of(const std::string& text) {
  json b = json::array();
  for (unsigned char c : text) b.push_back(c);
  return b;
}

json token_json(llama_token id, const std::string& text, float prob) {
  return {{"id", id}, {"token", text}, {"logprob", logprob(prob)}, {"bytes", bytes_of(text)}};
}

// OpenAI's finish reasons: a call, the length limit (n_predict, a full context, a time limit),
// or a natural stop (end of sequence, a stop string).
const char* finish_reason(const RequestResult& r, const ParsedReply* reply) {
  if (reply && !reply->msg.tool_calls.empty()) return "tool_calls";
  const std::string& s = r.stop_reason;
  if (s == "length" || s == "context_full" || s == "time_limit" || s == "trigger_limit") return "length";
  return "stop";
}

}  // namespace

json tool_calls_json(const std::vector<common_chat_tool_call>& calls) {
  json out = json::array();
  for (const auto& c : calls) {
    out.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

json logprobs_json(const std::vector<TokenProbs>& probs) {
  json content = json::array();
  for (const auto& p : probs) {
    json e = token_json(p.token, p.text, p.prob);
    json top = json::array();
    for (const auto& c : p.top) top.push_back(token_json(c.token, c.text, c.prob));
    e["top_logprobs"] = std::move(top);
    content.push_back(std::move(e));
  }
  return {{"content", std::move(content)}};
}

void add_agent_metadata(json& m, const RequestResult& r, const ParsedReply* reply) {
  m["finish_reason"] = finish_reason(r, reply);
  if (reply) {
    m["tool_calls"] = tool_calls_json(reply->msg.tool_calls);
    if (!reply->msg.reasoning_content.empty()) m["reasoning_content"] = reply->msg.reasoning_content;
    if (!reply->error.empty()) m["reply_error"] = reply->error;
  }
  if (!r.probs.empty()) m["logprobs"] = logprobs_json(r.probs);
  if (!r.prompt_probs.empty()) m["prompt_logprobs"] = logprobs_json(r.prompt_probs);
  if (r.n_forked) m["forked_tokens"] = r.n_forked;
}

}  // namespace wasi_nn
