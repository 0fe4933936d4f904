// ChatTemplates: a model's chat templates, rendered safely for whoever supplied them.
//
// An operator's template (the GGUF of a file the host granted, or one of llama.cpp's built-in
// formats) is checked for size and nesting (check_template) and rendered in this process with
// llama.cpp's common chat code. A guest's template (the chat_template key, or the template of
// a GGUF the guest sent as bytes) is checked the same way and then never executed here: both
// building it (llama.cpp runs a template several times to detect its capabilities) and every
// render run in a child process under time and memory limits (run_sandboxed).
//
// Rendering needs no process-wide lock: llama.cpp formats the date with std::localtime, whose
// static buffer two threads would share; the link replaces that call with a per-thread one
// (localtime_r.cpp, -Wl,--wrap=localtime). One render can still disturb another of the same
// template: executing a {% filter %} block moves the filter out of its AST node and back
// (filter_statement::execute_impl, common/jinja/runtime.cpp), so an operator's template that
// has one renders one thread at a time (a lock of that template only). Nothing else in the
// Jinja runtime writes to the shared program.
// Thread-safety: immutable after construction; apply() may run on many threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "chat.h"
#include "core/input/chat_render_wire.h"
#include "core/input/input_limits.h"
#include "core/input/jinja_check.h"
#include "llama.h"

namespace wasi_nn {

class ChatTemplates {
 public:
  // `override_template`: "" = the model's own template, a built-in name ("chatml"), or Jinja
  // text. With `validate`, a guest's template is also built once in a child now, so a template
  // that does not parse or cannot run fails here rather than at the first request.
  // Throws InvalidArgument naming "chat_template".
  ChatTemplates(const llama_model* model, const std::string& override_template, TemplateTrust trust,
                const InputLimits& limits, bool validate = true);

  // common_chat_templates_apply, in this process or in a child. Throws what it throws, or
  // InvalidArgument when a guest's template runs out of time or memory or crashes.
  common_chat_params apply(const common_chat_templates_inputs& in) const;
  // The same render with everything llama.cpp returns for it (tool-call grammar, triggers,
  // parser, thinking tags) and the template's capabilities (supports_tool_calls, ...).
  ChatRender render(const common_chat_templates_inputs& in) const;

  // The default template's text (a cache key for what a template renders).
  const std::string& source() const { return source_; }
  TemplateTrust trust() const { return trust_; }

 private:
  const llama_model* model_;
  std::string override_;
  TemplateTrust trust_;
  InputLimits limits_;
  std::string source_;
  common_chat_templates_ptr in_process_;  // operator templates only
  bool serial_ = false;                   // in_process_ has a {% filter %} block
  mutable std::mutex mu_;                 // taken around in_process_ renders when serial_
};

// Who supplied the template a load with `override_template` renders with: a guest for Jinja
// text in chat_template, or for the GGUF's own template when the guest sent the GGUF as bytes
// (load()); the operator otherwise (a granted file's own template, a built-in name).
TemplateTrust template_trust(bool model_from_guest_bytes, const std::string& override_template);

// One of llama.cpp's built-in template names (llama_chat_builtin_templates).
bool is_builtin_chat_template(const std::string& name);

}  // namespace wasi_nn
