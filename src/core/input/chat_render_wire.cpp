#include "core/input/chat_render_wire.h"

#include <nlohmann/json.hpp>

#include "core/base/error.h"
#include "core/input/json_schema_check.h"

namespace wasi_nn {
namespace {

using Json = nlohmann::ordered_json;

// The encoded document nests three levels (object, trigger list, trigger); anything deeper was
// not written by encode_chat_render.
constexpr size_t kMaxWireDepth = 4;

std::vector<std::string> strings(const Json& j, const char* key) {
  std::vector<std::string> out;
  for (const auto& s : j.at(key)) out.push_back(s.get<std::string>());
  return out;
}

}  // namespace

std::string encode_chat_render(const common_chat_params& p, const std::map<std::string, bool>& caps) {
  Json triggers = Json::array();
  for (const auto& t : p.grammar_triggers)
    triggers.push_back({{"type", t.type}, {"value", t.value}, {"token", t.token}});
  Json j = {{"format", static_cast<int>(p.format)},
            {"prompt", p.prompt},
            {"grammar", p.grammar},
            {"grammar_lazy", p.grammar_lazy},
            {"generation_prompt", p.generation_prompt},
            {"supports_thinking", p.supports_thinking},
            {"thinking_start_tag", p.thinking_start_tag},
            {"thinking_end_tags", p.thinking_end_tags},
            {"grammar_triggers", triggers},
            {"preserved_tokens", p.preserved_tokens},
            {"additional_stops", p.additional_stops},
            {"parser", p.parser},
            {"caps", caps}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

ChatRender decode_chat_render(const std::string& bytes) {
  ChatRender r;
  try {
    if (json_text_depth(bytes) > kMaxWireDepth) throw std::runtime_error("nested too deep");
    const Json j = Json::parse(bytes);
    common_chat_params& p = r.params;
    const int format = j.at("format").get<int>();
    if (format < 0 || format >= COMMON_CHAT_FORMAT_COUNT) throw std::runtime_error("unknown format");
    p.format = static_cast<common_chat_format>(format);
    p.prompt = j.at("prompt").get<std::string>();
    p.grammar = j.at("grammar").get<std::string>();
    p.grammar_lazy = j.at("grammar_lazy").get<bool>();
    p.generation_prompt = j.at("generation_prompt").get<std::string>();
    p.supports_thinking = j.at("supports_thinking").get<bool>();
    p.thinking_start_tag = j.at("thinking_start_tag").get<std::string>();
    p.thinking_end_tags = strings(j, "thinking_end_tags");
    for (const auto& t : j.at("grammar_triggers")) {
      const int type = t.at("type").get<int>();
      if (type < COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN || type > COMMON_GRAMMAR_TRIGGER_TYPE_PATTERN_FULL) {
        throw std::runtime_error("unknown trigger type");
      }
      p.grammar_triggers.push_back({static_cast<common_grammar_trigger_type>(type), t.at("value").get<std::string>(),
                                    t.at("token").get<llama_token>()});
    }
    p.preserved_tokens = strings(j, "preserved_tokens");
    p.additional_stops = strings(j, "additional_stops");
    p.parser = j.at("parser").get<std::string>();
    for (const auto& [k, v] : j.at("caps").items()) r.caps[k] = v.get<bool>();
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument,
         std::string("chat_template renderer sent back a malformed result (") + e.what() + ")");
  }
  return r;
}

}  // namespace wasi_nn
