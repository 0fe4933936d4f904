#include "core/session/graph.h"

#include "core/base/error.h"

namespace wasi_nn {

std::shared_ptr<const ChatTemplates> make_templates(const ModelWeights& weights, const std::string& override_template,
                                                    const InputLimits& limits, bool validate) {
  try {
    return std::make_shared<const ChatTemplates>(weights.get(), override_template,
                                                 template_trust(weights.from_guest_bytes(), override_template),
                                                 limits, validate);
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument,
         std::string("chat_template could not be used: ") + e.what() +
             ". Give a built-in template name (e.g. \"chatml\") or valid Jinja text, or leave "
             "chat_template unset to use the model's own template.");
  }
}

Graph::Graph(std::shared_ptr<Engine> e, Settings s, const InputLimits& limits, std::string model_name)
    : engine(std::move(e)), settings(std::move(s)), input_limits(limits), name(std::move(model_name)) {
  templates = make_templates(engine->weights(), settings.request.chat.chat_template, input_limits);
}

}  // namespace wasi_nn
