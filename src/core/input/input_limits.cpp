#include "core/input/input_limits.h"

namespace wasi_nn {

const InputLimits& default_input_limits() {
  static const InputLimits limits;
  return limits;
}

namespace {
thread_local const InputLimits* t_active = nullptr;
}  // namespace

const InputLimits& active_input_limits() { return t_active ? *t_active : default_input_limits(); }

ScopedInputLimits::ScopedInputLimits(const InputLimits* limits) : previous_(t_active) {
  if (limits) t_active = limits;
}

ScopedInputLimits::~ScopedInputLimits() { t_active = previous_; }

}  // namespace wasi_nn
