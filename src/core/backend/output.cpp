#include "core/backend/output.h"

#include <cstring>

#include "core/base/error.h"

namespace wasi_nn {

size_t copy_output(const std::string& out, char* buf, size_t cap) {
  if (out.size() > cap || (out.size() > 0 && !buf)) {
    throw Error(ErrorKind::TooLarge,
                "the output is " + std::to_string(out.size()) + " bytes but the buffer holds " + std::to_string(cap) +
                    "; call again with a larger buffer",
                out.size());
  }
  if (!out.empty()) std::memcpy(buf, out.data(), out.size());
  if (buf && out.size() < cap) buf[out.size()] = '\0';
  return out.size();
}

}  // namespace wasi_nn
