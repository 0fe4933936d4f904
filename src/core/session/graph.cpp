#include "core/session/graph.h"

#include "core/base/error.h"

namespace wasi_nn {

std::shared_ptr<common_chat_templates> make_templates(const llama_model* model,
                                                      const std::string& override_template) {
  try {
    common_chat_templates_ptr t = common_chat_templates_init(model, override_template);
    return std::shared_ptr<common_chat_templates>(t.release(), common_chat_templates_deleter());
  } catch (const std::exception& e) {
    fail(ErrorKind::InvalidArgument,
         std::string("chat_template could not be used: ") + e.what() +
             ". Give a built-in template name (e.g. \"chatml\") or valid Jinja text, or leave "
             "chat_template unset to use the model's own template.");
  }
}

Graph::Graph(std::shared_ptr<Engine> e, Settings s, std::string model_name)
    : engine(std::move(e)), settings(std::move(s)), name(std::move(model_name)) {
  templates = make_templates(engine->weights().get(), settings.request.chat.chat_template);
}

}  // namespace wasi_nn
