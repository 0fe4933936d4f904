#include "core/session/wasmedge_profile.h"

#include <nlohmann/json.hpp>

#include "build-info.h"
#include "common.h"
#include "core/session/conversation.h"
#include "core/session/messages_input.h"
#include "core/session/prompt_builder.h"
#include "core/session/tenant.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Output 1 as an object without an earlier error (an empty one when it is no object).
json object_of(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return json::object();
  j.erase("error");
  return j;
}

}  // namespace

LogLevel tenant_verbosity(const RequestSettings& r) {
  return r.enable_debug_log ? LogLevel::Debug : r.enable_log ? LogLevel::Info : LogLevel::None;
}

void log_config_warnings(const Tenant& tenant, const std::vector<std::string>& warnings, size_t from,
                         const char* where) {
  for (size_t i = from; i < warnings.size(); ++i) {
    LOG_WARN("tenant %llu: %s: %s", static_cast<unsigned long long>(tenant.id()), where, warnings[i].c_str());
  }
}

std::string initial_metadata() { return metadata_after_input("{}", 0); }

std::string metadata_after_input(const std::string& previous, uint64_t input_tokens) {
  json m = object_of(previous);
  m["input_tokens"] = input_tokens;
  if (!m.contains("output_tokens")) m["output_tokens"] = 0;
  m["llama_build_number"] = llama_build_number();
  m["llama_commit"] = llama_commit();
  return dump(m);
}

std::string metadata_after_compute(const std::string& ours, const std::vector<std::string>& warnings) {
  json m = object_of(ours);
  m["llama_build_number"] = llama_build_number();
  m["llama_commit"] = llama_commit();
  if (!warnings.empty()) m["warnings"] = warnings;
  return dump(m);
}

std::string metadata_after_error(const std::string& previous, const std::string& error_json) {
  json m = object_of(previous);
  const json e = json::parse(error_json, nullptr, /*allow_exceptions=*/false);
  if (e.is_object() && e.contains("error")) m["error"] = e["error"];
  return dump(m);
}

int32_t streaming_n_predict(const Limits& limits) {
  auto cap = limits.ceilings.find("n_predict");
  return cap == limits.ceilings.end() ? -1 : static_cast<int32_t>(cap->second);
}

size_t streamed_length(const RequestResult& r, const llama_vocab* vocab) {
  if (r.error || r.stop_reason != "context_full" || r.tokens.empty()) return r.text.size();
  const std::string last = common_token_to_piece(vocab, r.tokens.back(), /*special=*/false);
  const bool ends = r.text.size() >= last.size() && r.text.compare(r.text.size() - last.size(), last.size(), last) == 0;
  return ends ? r.text.size() - last.size() : r.text.size();
}

uint64_t count_input_tokens(const Conversation& conv, const Settings& s, const std::string& prompt) {
  const Graph& graph = *conv.graph();
  const llama_vocab* vocab = graph.engine->weights().vocab();
  if (graph.engine->embedding() || is_raw_mode(s.request)) {
    return common_tokenize(vocab, prompt, /*add_special=*/true, /*parse_special=*/true).size();
  }
  try {
    const auto added = turn_messages(prompt, s.request.agent.input_format, graph.input_limits);
    return build_prompt(graph, s.request, conv.history(), added).tokens.size();
  } catch (const std::exception&) {
    return 0;  // the template fails on this text: compute reports why
  }
}

}  // namespace wasi_nn
