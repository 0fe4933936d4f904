// What both C ABI shims share: the registry of live backends (the `void *ctx` values handed
// out), the guard that turns any exception into an ErrorKind plus a recorded message, and the
// readers of C arguments. Nothing here knows an ABI's types or codes: each shim maps ErrorKind
// to its own codes in one function of its own.
//
// Thread-safety: every function here may be called from many threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

#include "core/backend/backend.h"
#include "core/base/error.h"

namespace wasi_nn::abi {

// Bounds on what a caller may pass; beyond them a call returns invalid_argument.
inline constexpr size_t kMaxInputBytes = size_t{64} << 20;  // one input tensor: 64 MiB
inline constexpr size_t kMaxSessionIdBytes = 256;
inline constexpr uint32_t kMaxRank = 16;  // dimensions of an input tensor

// Registers a new Backend and returns the `ctx` value that names it: an opaque token, never
// dereferenced and never reused in this process.
void* adopt_backend(std::unique_ptr<Backend> backend);
// The live Backend named by `ctx`, or null (never throws).
std::shared_ptr<Backend> find_backend(const void* ctx) noexcept;
// The live Backend named by `ctx`; throws InvalidArgument for NULL, unknown or already
// deinitialised values. The reference keeps the Backend alive for the caller even if another
// thread deinitialises it meanwhile (the Backend then refuses or cancels the call).
std::shared_ptr<Backend> backend_of(const void* ctx);
// deinit_backend: unregisters `ctx` (throws InvalidArgument as backend_of() does), shuts the
// Backend down (its running requests are cancelled, later calls refused) and drops the
// registry's reference; the Backend is destroyed once no call is inside it any more.
void deinit(const void* ctx);

// Throws Error(InvalidArgument, message) unless `ok`.
void require(bool ok, const char* message);
void require(bool ok, const std::string& message);

// Checks the handle output `out` and clears it to Backend::kNoContext ("no handle").
void clear_handle(uint32_t* out, const char* name);

// A (pointer, length) string argument: NULL is empty; otherwise strnlen(s, len) when len > 0,
// else strlen(s).
std::string_view text_arg(const char* s, uint32_t len);

// A NUL-terminated string whose length argument may be missing (HyperBEAM calls run_inference
// with seven arguments, so `config_len` is whatever its stack held): read up to the NUL only,
// never more than kMaxConfigBytes + 1 bytes; NULL is empty. Throws InvalidArgument when no NUL
// comes within that bound.
std::string_view c_string_arg(const char* s, const char* what);

// Input bytes given by an explicit size: checks the pointer and 1 <= size <= kMaxInputBytes.
std::string_view input_bytes(const uint8_t* data, uint64_t size);

// The integer a C caller passed for an enum parameter. Read through the object representation:
// a C host may pass any int, and loading an out-of-range value as a C++ enum is undefined.
template <class Enum>
int32_t enum_value(const Enum& e) {
  static_assert(sizeof(Enum) == sizeof(int32_t), "C enums in these ABIs are int-sized");
  int32_t v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// The last-error read without a live backend (get_output(NULL, kNoContext, 0, ...), e.g. after
// init_backend failed): copies the calling thread's last error of a call that named no live
// backend, with get_output's contract. Errors of calls on a live backend are that backend's
// (Backend::last_error), never another backend's and never in this per-thread slot.
size_t copy_orphan_error(uint32_t index, char* buf, size_t cap);

// Encoding values both ABIs share (each shim static_asserts its own enum against them).
inline constexpr int32_t kEncodingGgml = 5;
inline constexpr int32_t kEncodingAutodetect = 6;
inline constexpr int32_t kLastTarget = 2;  // cpu 0, gpu 1, tpu 2
// WasmEdge's AUTO, which the wasmedge-wasi-nn crate sends: where layers go comes from
// n_gpu_layers for every target, so AUTO is accepted like the others (WasmEdge itself refuses
// it in load(); see docs/COMPATIBILITY.md).
inline constexpr int32_t kTargetAuto = 3;

// load(): checks the encoding, the target and the builder array (`{buf, size}` of parts, each
// `{buf, size}`: part 0 the GGUF bytes, an optional part 1 a JSON config), then loads from
// memory. Returns the new graph.
template <class BuilderArray>
uint32_t load_from_builders(Backend& backend, const BuilderArray* builder, int32_t encoding, int32_t target) {
  require(builder != nullptr, "builder is NULL");
  if (encoding != kEncodingGgml && encoding != kEncodingAutodetect) {
    throw Error(ErrorKind::InvalidEncoding, "graph encoding " + std::to_string(encoding) +
                                                " is not supported: this backend loads GGUF models; pass ggml (5) or "
                                                "autodetect (6)");
  }
  require(target >= 0 && target <= kTargetAuto,
          "execution target " + std::to_string(target) + " is not cpu (0), gpu (1), tpu (2) or auto (3)");
  require(builder->buf != nullptr && builder->size >= 1 && builder->size <= 2,
          "builder must hold 1 or 2 parts (the GGUF bytes, then an optional JSON config); it "
          "holds " +
              std::to_string(builder->buf == nullptr ? 0 : builder->size));
  const auto& model = builder->buf[0];
  require(model.buf != nullptr && model.size > 0, "builder[0] (the GGUF bytes) is empty");
  std::string_view config;
  if (builder->size == 2) {
    config = text_arg(reinterpret_cast<const char*>(builder->buf[1].buf), builder->buf[1].size);
  }
  return backend.load_from_bytes(std::string_view(reinterpret_cast<const char*>(model.buf), model.size), config);
}

// The stats call of both ABIs: reads the capacity from `*size` (clearing it), checks `buf`
// against it, and copies the process-wide statistics JSON (Backend::process_stats).
void copy_process_stats(char* buf, uint32_t* size);

// The log-callback setter of both ABIs: installs `fn` (NULL removes it) as the log sink.
// Throws InvalidArgument when called from inside the callback itself.
void set_log_callback(void (*fn)(int level, const char* line, void* user), void* user);

// A size for a uint32_t output, saturated at UINT32_MAX.
uint32_t saturate_u32(size_t n);

// The failure a guarded call ended with.
struct Failure {
  ErrorKind kind;
  size_t needed;  // TooLarge: the output size required
};

// Records "<function>: <message>" as the last error of the backend named by `ctx` (or, when
// `ctx` names none, of the calling thread) unless `record` is false, logs the refusal at warn
// with its reason and the tenant (TooLarge from a plain get_output, the size protocol, at info;
// EndOfSequence, the normal end of a stream, not at all), and returns the failure. Never throws.
Failure failed(const void* ctx, const char* function, bool record, ErrorKind kind, const char* message,
               size_t needed = 0) noexcept;

// Runs `body`; returns nothing when it succeeded, else the failure. Every exception is caught:
// wasi_nn::Error keeps its kind, std::bad_alloc becomes OutOfMemory, anything else Runtime.
// The message is recorded as the last error unless `record` is false (reads of the last error
// itself must not replace it).
template <class Body>
std::optional<Failure> run_guarded(const void* ctx, const char* function, bool record, Body&& body) noexcept {
  try {
    body();
    return std::nullopt;
  } catch (const Error& e) {
    return failed(ctx, function, record, e.kind(), e.what(), e.needed());
  } catch (const std::bad_alloc&) {
    return failed(ctx, function, record, ErrorKind::OutOfMemory,
                  "out of memory (an allocation failed); free memory, or use a smaller model "
                  "or context");
  } catch (const std::exception& e) {
    return failed(ctx, function, record, ErrorKind::Runtime, e.what());
  } catch (...) {
    return failed(ctx, function, record, ErrorKind::Runtime, "unknown exception (not derived from std::exception)");
  }
}

// The guard of every entry point: runs `body` and returns Code{} (every ABI's success is 0) or
// the ABI's code for the failure, chosen by the ABI's own `to_code`. `ctx` is the call's
// backend context (NULL for calls that have none). On TooLarge the size needed goes to
// `*needed_out` when given. `record` is false only for reads of the last error.
template <class Code, class Body>
Code guard(Code (*to_code)(ErrorKind), const void* ctx, const char* function, Body&& body,
           uint32_t* needed_out = nullptr, bool record = true) noexcept {
  std::optional<Failure> failure = run_guarded(ctx, function, record, body);
  if (!failure) return Code{};
  if (failure->kind == ErrorKind::TooLarge && needed_out != nullptr) {
    *needed_out = saturate_u32(failure->needed);
  }
  return to_code(failure->kind);
}

}  // namespace wasi_nn::abi
