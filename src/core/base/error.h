// The engine's one error type. Every failure inside the core is an Error with a kind that says
// whose fault it was (the caller's, the engine's, capacity) and a message that says what was
// wrong and what to do. The ABI shims map kinds to their own codes in exactly one function each.
#pragma once

#include <stdexcept>
#include <string>

namespace wasi_nn {

enum class ErrorKind {
  InvalidArgument,  // the caller passed something malformed or out of range
  InvalidEncoding,  // unsupported graph encoding
  NotFound,         // unknown handle, unknown input/output index
  ModelNotFound,    // model file missing or unreadable
  Unsupported,      // a valid request this backend does not do
  TooLarge,         // caller's output buffer too small; Error::needed() holds the size
  PromptTooLong,    // one prompt alone exceeds the context window
  ContextFull,      // the conversation no longer fits the context window
  Busy,             // queue full or context already computing
  Timeout,          // request exceeded its time limit
  Cancelled,        // context closed or backend deinitialised while the request ran
  Security,         // path or resource outside what the host granted
  EndOfSequence,    // streaming: nothing more to produce
  OutOfMemory,      // allocation of model/context/KV failed
  Runtime,          // llama.cpp failed in a way the caller cannot fix
};

const char* error_kind_name(ErrorKind kind);

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, size_t needed = 0)
      : std::runtime_error(std::move(message)), kind_(kind), needed_(needed) {}
  ErrorKind kind() const { return kind_; }
  // For TooLarge: the output size the caller must provide.
  size_t needed() const { return needed_; }

 private:
  ErrorKind kind_;
  size_t needed_;
};

// Shorthand: throw Error(kind, message).
[[noreturn]] void fail(ErrorKind kind, const std::string& message);

}  // namespace wasi_nn
