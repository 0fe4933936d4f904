// Graph: what a load produced — a shared engine plus this load's own defaults (sampling,
// stopping, chat template) and the bounds its tenant's inputs are checked against. Two graphs
// may share one engine yet carry different defaults.
// Thread-safety: immutable after creation.
#pragma once

#include <memory>
#include <string>

#include "chat.h"
#include "core/config/settings.h"
#include "core/engine/adapter_set.h"
#include "core/engine/engine.h"
#include "core/input/chat_templates.h"
#include "core/input/input_limits.h"
#include "core/model/model_access.h"
#include "core/model/projector.h"

namespace wasi_nn {

struct Graph {
  std::shared_ptr<Engine> engine;
  Settings settings;         // the load's merged settings; settings.request = per-request defaults
  InputLimits input_limits;  // the tenant's bounds on grammars, schemas, templates
  std::shared_ptr<const ChatTemplates> templates;  // for settings.request.chat.chat_template
  std::string name;  // the model as the caller named it (metadata, messages): never a host path
  // The load's multimodal projector (settings.request.media.mmproj); null = text only.
  std::shared_ptr<Projector> projector;
  // What the loading tenant may open: WasmEdge's "image" paths are found through it.
  std::shared_ptr<const ModelAccess> access;
  // The load's LoRA adapters, in the order of settings.lora (their ids); set before the graph
  // is shared.
  std::vector<std::shared_ptr<const LoraAdapter>> adapters;

  Graph(std::shared_ptr<Engine> e, Settings s, const InputLimits& limits, std::string name);

  // The adapters and scales a request with settings `s` decodes with: the load's scales, with
  // the request's "lora" scales by id over them. Throws InvalidArgument for an id the load does
  // not have, and for a request that names adapter files (only a load may).
  AdapterSet adapter_set(const Settings& s) const;
};

// Builds chat templates for a model: `override_template` empty = the GGUF's own template, a
// built-in name (e.g. "chatml"), or Jinja text. A guest's template (the text, or the template
// of a GGUF the guest sent as bytes) is bounded and renders in a child process
// (core/input/chat_templates.h); `validate` also builds it once there now. Throws
// InvalidArgument when it does not parse or cannot run.
std::shared_ptr<const ChatTemplates> make_templates(const ModelWeights& weights, const std::string& override_template,
                                                    const InputLimits& limits, bool validate = true);

}  // namespace wasi_nn
