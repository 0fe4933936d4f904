#include "core/session/prompt_builder.h"

#include "common.h"
#include "core/error.h"
#include "core/session/graph.h"

namespace wasi_nn {

bool is_raw_mode(const RequestSettings& settings) { return settings.chat.mode == "raw"; }

BuiltPrompt build_prompt(const Graph& graph, const RequestSettings& settings,
                         const std::vector<common_chat_msg>& history, const std::string& input) {
  const llama_vocab* vocab = graph.engine->weights().vocab();
  BuiltPrompt out;
  if (is_raw_mode(settings)) {
    out.tokens = common_tokenize(vocab, input, /*add_special=*/true, /*parse_special=*/true);
    return out;
  }
  // A request may name another template than the load did; build it on this thread.
  std::shared_ptr<common_chat_templates> own;
  const common_chat_templates* tmpls = graph.templates.get();
  if (settings.chat.chat_template != graph.settings.request.chat.chat_template) {
    own = make_templates(graph.engine->weights().get(), settings.chat.chat_template);
    tmpls = own.get();
  }
  common_chat_templates_inputs in;
  if (!settings.chat.system_prompt.empty()) {
    common_chat_msg sys;
    sys.role = "system";
    sys.content = settings.chat.system_prompt;
    in.messages.push_back(sys);
  }
  in.messages.insert(in.messages.end(), history.begin(), history.end());
  common_chat_msg user;
  user.role = "user";
  user.content = input;
  in.messages.push_back(user);
  in.add_generation_prompt = true;
  in.use_jinja = true;
  common_chat_params params;
  try {
    params = common_chat_templates_apply(tmpls, in);
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument, std::string("the chat template failed on this conversation: ") +
                                         e.what() + ". Use mode \"raw\" to send a preformatted prompt.");
  }
  out.tokens = common_tokenize(vocab, params.prompt, /*add_special=*/true, /*parse_special=*/true);
  out.template_stops = params.additional_stops;
  return out;
}

}  // namespace wasi_nn
