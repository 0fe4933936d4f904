// Graph: what a load produced — a shared engine plus this load's own defaults (sampling,
// stopping, chat template). Two graphs may share one engine yet carry different defaults.
// Thread-safety: immutable after creation.
#pragma once

#include <memory>
#include <string>

#include "chat.h"
#include "core/config/settings.h"
#include "core/engine/engine.h"

namespace wasi_nn {

struct Graph {
  std::shared_ptr<Engine> engine;
  Settings settings;  // the load's merged settings; settings.request = per-request defaults
  std::shared_ptr<common_chat_templates> templates;  // for settings.request.chat.chat_template
  std::string name;   // the model as the caller named it (metadata, messages): never a host path

  Graph(std::shared_ptr<Engine> e, Settings s, std::string name);
};

// Builds chat templates for a model: `override_template` empty = the GGUF's own template, a
// built-in name (e.g. "chatml"), or Jinja text. Throws InvalidArgument when it does not parse.
std::shared_ptr<common_chat_templates> make_templates(const llama_model* model,
                                                      const std::string& override_template);

}  // namespace wasi_nn
