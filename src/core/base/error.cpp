#include "core/base/error.h"

namespace wasi_nn {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "invalid_argument";
    case ErrorKind::InvalidEncoding: return "invalid_encoding";
    case ErrorKind::NotFound: return "not_found";
    case ErrorKind::ModelNotFound: return "model_not_found";
    case ErrorKind::Unsupported: return "unsupported_operation";
    case ErrorKind::TooLarge: return "too_large";
    case ErrorKind::PromptTooLong: return "prompt_too_long";
    case ErrorKind::ContextFull: return "context_full";
    case ErrorKind::Busy: return "busy";
    case ErrorKind::Timeout: return "timeout";
    case ErrorKind::Cancelled: return "cancelled";
    case ErrorKind::Security: return "security";
    case ErrorKind::EndOfSequence: return "end_of_sequence";
    case ErrorKind::OutOfMemory: return "out_of_memory";
    case ErrorKind::Runtime: return "runtime_error";
  }
  return "unknown";
}

void fail(ErrorKind kind, const std::string& message) { throw Error(kind, message); }

}  // namespace wasi_nn
