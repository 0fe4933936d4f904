#include "core/input/input_limits.h"

namespace wasi_nn {

const InputLimits& default_input_limits() {
  static const InputLimits limits;
  return limits;
}

}  // namespace wasi_nn
