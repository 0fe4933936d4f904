#include "core/session/graph.h"

#include "core/base/error.h"

namespace wasi_nn {

std::shared_ptr<const ChatTemplates> make_templates(const ModelWeights& weights, const std::string& override_template,
                                                    const InputLimits& limits, bool validate) {
  try {
    return std::make_shared<const ChatTemplates>(weights.get(), override_template,
                                                 template_trust(weights.from_guest_bytes(), override_template), limits,
                                                 validate);
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

AdapterSet Graph::adapter_set(const Settings& s) const {
  if (!(s.lora == settings.lora)) {
    fail(ErrorKind::InvalidArgument,
         "a request cannot name LoRA adapter files (the load does, from what the host "
         "granted); give this request's scales by id: \"lora\": [{\"id\": 0, \"scale\": 0.5}]");
  }
  std::vector<std::pair<std::shared_ptr<const LoraAdapter>, float>> scaled;
  for (size_t i = 0; i < adapters.size(); ++i) scaled.emplace_back(adapters[i], settings.lora[i].scale);
  for (const LoraScale& o : s.request.lora_scales) {
    if (o.id >= adapters.size()) {
      fail(ErrorKind::InvalidArgument,
           "\"lora\" gives a scale for adapter id " + std::to_string(o.id) + ", but model '" + name +
               "' was loaded with " + std::to_string(adapters.size()) + " adapters" +
               (adapters.empty() ? "" : " (ids 0 to " + std::to_string(adapters.size() - 1) + ")"));
    }
    scaled[o.id].second = o.scale;
  }
  return AdapterSet(std::move(scaled));
}

}  // namespace wasi_nn
