#include "core/session/metadata.h"

#include <nlohmann/json.hpp>

#include "build-info.h"
#include "core/session/conversation.h"
#include "core/session/graph.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

json timings_json(const RequestResult& r) {
  json t;
  t["queue_ms"] = r.queue_ms;
  t["prompt_ms"] = r.prompt_ms;
  t["generate_ms"] = r.generate_ms;
  t["time_to_first_token_ms"] = r.queue_ms + r.prompt_ms;  // submit -> first token sampled
  const uint32_t n_new = r.n_prompt - r.n_cached;
  t["prompt_tokens_per_second"] = r.prompt_ms > 0 ? n_new * 1000.0 / r.prompt_ms : 0.0;
  t["generate_tokens_per_second"] =
      r.generate_ms > 0 && r.n_generated > 1 ? (r.n_generated - 1) * 1000.0 / r.generate_ms : 0.0;
  return t;
}

json probs_json(const RequestResult& r) {
  json probs = json::array();
  for (const auto& p : r.probs) {
    json top = json::array();
    for (const auto& c : p.top) top.push_back({{"token", c.token}, {"text", c.text}, {"prob", c.prob}});
    probs.push_back({{"token", p.token}, {"text", p.text}, {"prob", p.prob}, {"top", top}});
  }
  return probs;
}

}  // namespace

std::string text_metadata_json(const RequestResult& r, const Conversation& conv, size_t dropped_messages,
                               const json* extra) {
  json m;
  m["input_tokens"] = r.n_prompt;
  m["cached_tokens"] = r.n_cached;
  m["restored_tokens"] = r.n_restored;  // of cached: from a saved (evicted) KV state
  m["shared_tokens"] = r.n_shared;      // of cached: copied from another conversation
  if (r.n_shifted) {
    m["shifted_tokens"] = r.n_shifted;
    m["kept_tokens"] = r.n_kept;
  }
  if (dropped_messages) m["dropped_messages"] = dropped_messages;
  if (conv.graph()->engine->settings().speculative != Speculative::None) {
    m["drafted_tokens"] = r.n_drafted;    // decoded for verification
    m["accepted_tokens"] = r.n_accepted;  // of those, sampled by the model too
  }
  m["output_tokens"] = r.n_generated;
  m["stop_reason"] = r.stop_reason;
  if (!r.stop_word.empty()) m["stop_word"] = r.stop_word;
  m["timings"] = timings_json(r);
  if (!r.probs.empty()) m["probs"] = probs_json(r);
  if (!conv.session_id().empty()) m["session_id"] = conv.session_id();
  m["model"] = conv.graph()->name;
  m["llama_cpp"] = {{"build_number", llama_build_number()}, {"commit", llama_commit()}};
  if (extra) m.update(*extra);
  // Deterministic mode: what decides these bytes, so that two nodes can tell whether theirs
  // must be equal (docs/DETERMINISM.md).
  const std::string& fingerprint = conv.graph()->engine->determinism();
  if (!fingerprint.empty()) m["determinism"] = json::parse(fingerprint);
  // A token's piece may be part of a UTF-8 sequence (or the model's output invalid UTF-8):
  // such bytes become U+FFFD rather than failing the dump.
  return m.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace wasi_nn
