#include "core/input/chat_templates.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/base/error.h"
#include "core/input/template_sandbox.h"

namespace wasi_nn {
namespace {

SandboxLimits sandbox_limits(const InputLimits& l) {
  return SandboxLimits{l.template_render_ms, l.template_memory_bytes, l.template_output_bytes};
}

// The texts llama.cpp builds templates from (common_chat_templates_init).
std::vector<std::string> template_sources(const llama_model* model, const std::string& override_template) {
  if (!override_template.empty()) return {override_template};
  std::vector<std::string> out;
  if (const char* s = llama_model_chat_template(model, nullptr)) out.emplace_back(s);
  if (const char* s = llama_model_chat_template(model, "tool_use")) out.emplace_back(s);
  return out;
}

}  // namespace

bool is_builtin_chat_template(const std::string& name) {
  std::vector<const char*> names(llama_chat_builtin_templates(nullptr, 0));
  llama_chat_builtin_templates(names.data(), names.size());
  for (const char* n : names) {
    if (name == n) return true;
  }
  return false;
}

TemplateTrust template_trust(bool model_from_guest_bytes, const std::string& override_template) {
  if (!override_template.empty()) {
    return is_builtin_chat_template(override_template) ? TemplateTrust::Operator : TemplateTrust::Guest;
  }
  return model_from_guest_bytes ? TemplateTrust::Guest : TemplateTrust::Operator;
}

ChatTemplates::ChatTemplates(const llama_model* model, const std::string& override_template, TemplateTrust trust,
                             const InputLimits& limits, bool validate)
    : model_(model), override_(override_template), trust_(trust), limits_(limits) {
  const std::vector<std::string> sources = template_sources(model, override_template);
  // A GGUF without a template renders with llama.cpp's own chatml: nothing of the guest's runs.
  if (sources.empty()) trust_ = TemplateTrust::Operator;
  for (const std::string& s : sources) {
    serial_ = check_template(s, trust_, limits_).filter_blocks > 0 || serial_;
  }
  if (trust_ == TemplateTrust::Operator) {
    in_process_ = common_chat_templates_init(model, override_template);
    source_ = common_chat_templates_source(in_process_.get());
    return;
  }
  source_ = sources[0];
  if (validate) {
    run_sandboxed(
        [&] {
          common_chat_templates_init(model_, override_);
          return std::string();
        },
        sandbox_limits(limits_), "chat_template");
  }
}

common_chat_params ChatTemplates::apply(const common_chat_templates_inputs& in) const { return render(in).params; }

ChatRender ChatTemplates::render(const common_chat_templates_inputs& in) const {
  if (in_process_) {
    std::unique_lock<std::mutex> lock(mu_, std::defer_lock);
    if (serial_) lock.lock();
    return ChatRender{common_chat_templates_apply(in_process_.get(), in),
                      common_chat_templates_get_caps(in_process_.get())};
  }
  const std::string answer = run_sandboxed(
      [&] {
        common_chat_templates_ptr t = common_chat_templates_init(model_, override_);
        return encode_chat_render(common_chat_templates_apply(t.get(), in), common_chat_templates_get_caps(t.get()));
      },
      sandbox_limits(limits_), "chat_template");
  return decode_chat_render(answer);
}

}  // namespace wasi_nn
