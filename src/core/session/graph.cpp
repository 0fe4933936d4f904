#include "core/session/graph.h"

#include "core/error.h"

namespace wasi_nn {

std::shared_ptr<const ChatTemplates> make_templates(const ModelWeights& weights,
                                                    const std::string& override_template, bool validate) {
  try {
    return std::make_shared<const ChatTemplates>(weights.get(), override_template,
                                                 template_trust(weights.path(), override_template),
                                                 default_input_limits(), validate);
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument,
         std::string("chat_template could not be used: ") + e.what() +
             ". Give a built-in template name (e.g. \"chatml\") or valid Jinja text, or leave "
             "chat_template unset to use the model's own template.");
  }
}

Graph::Graph(std::shared_ptr<Engine> e, Settings s) : engine(std::move(e)), settings(std::move(s)) {
  templates = make_templates(engine->weights(), settings.request.chat.chat_template);
}

}  // namespace wasi_nn
