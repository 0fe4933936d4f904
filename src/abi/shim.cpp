#include "abi/shim.h"

#include "core/backend/output.h"
#include "core/base/log.h"
#include "core/base/mutex.h"
#include "core/config/config_parser.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_map>
#include <utility>

namespace wasi_nn::abi {
namespace {

static_assert(sizeof(void*) == 8, "the C ABIs are defined for 64-bit targets");

// The live backends of this library, by ctx value. A ctx is a token, not the Backend's address:
// a counter under a tag in the non-canonical upper half of the address space, so a token never
// equals a real pointer and is never reused. (An address would be: after deinit_backend the
// allocator may give it to the next Backend, and a stale ctx would reach another host's or
// wasm instance's backend instead of returning invalid_argument.)
// Deliberately leaked: a host that never calls deinit_backend must not have Backends destroyed
// by static destructors at exit, after the core's process-wide state may already be gone.
struct Registry {
  Mutex mu;
  uint64_t next GUARDED_BY(mu) = 1;
  std::unordered_map<uintptr_t, std::shared_ptr<Backend>> live GUARDED_BY(mu);
};

// The last error of calls that named no live backend (a bad ctx, a failed init_backend), per
// thread: a backend's own errors are kept by the backend.
thread_local std::string t_orphan_error;

constexpr uintptr_t kTokenTag = uintptr_t{0x574E} << 48;  // "WN"

Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

uintptr_t key_of(const void* ctx) { return reinterpret_cast<uintptr_t>(ctx); }

constexpr const char* kNotLive =
    "ctx does not name a live backend (it was never returned by init_backend, or was already "
    "passed to deinit_backend)";

void require_ctx(const void* ctx) { require(ctx != nullptr, "ctx is NULL: pass the value init_backend() stored"); }

// A refusal's message as the host's log shows it: tenants write most of it (their keys, their
// grammar's first bytes), so at most kLogMessageBytes of it (cut at a character boundary), and
// control characters escaped, so that a tenant can neither flood the log nor forge a line.
constexpr size_t kLogMessageBytes = 300;

std::string for_log(const char* message) {
  const size_t size = std::strlen(message);
  size_t keep = std::min(size, kLogMessageBytes);
  while (keep < size && keep > 0 && (static_cast<unsigned char>(message[keep]) & 0xC0) == 0x80) --keep;
  std::string out;
  out.reserve(keep + 32);
  for (size_t i = 0; i < keep; ++i) {
    const auto c = static_cast<unsigned char>(message[i]);
    if (c < 0x20 || c == 0x7F) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (keep < size) out += "... (" + std::to_string(size) + " bytes)";
  return out;
}

}  // namespace

void* adopt_backend(std::unique_ptr<Backend> backend) {
  std::shared_ptr<Backend> shared(std::move(backend));
  Registry& r = registry();
  MutexLock lock(r.mu);
  const uintptr_t token = kTokenTag | r.next++;
  r.live.emplace(token, std::move(shared));
  return reinterpret_cast<void*>(token);
}

std::shared_ptr<Backend> find_backend(const void* ctx) noexcept {
  if (ctx == nullptr) return nullptr;
  Registry& r = registry();
  MutexLock lock(r.mu);
  auto it = r.live.find(key_of(ctx));
  return it == r.live.end() ? nullptr : it->second;
}

std::shared_ptr<Backend> backend_of(const void* ctx) {
  require_ctx(ctx);
  Registry& r = registry();
  MutexLock lock(r.mu);
  auto it = r.live.find(key_of(ctx));
  require(it != r.live.end(), kNotLive);
  return it->second;
}

void deinit(const void* ctx) {
  require_ctx(ctx);
  std::shared_ptr<Backend> backend;
  {
    Registry& r = registry();
    MutexLock lock(r.mu);
    auto it = r.live.find(key_of(ctx));
    require(it != r.live.end(), kNotLive);
    backend = std::move(it->second);
    r.live.erase(it);
  }
  backend->shutdown();
  // Calls still inside the Backend hold their own references; the last one out destroys it.
}

void require(bool ok, const char* message) {
  if (!ok) throw Error(ErrorKind::InvalidArgument, message);
}

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(ErrorKind::InvalidArgument, message);
}

void clear_handle(uint32_t* out, const char* name) {
  require(out != nullptr, std::string(name) + " (the output pointer) is NULL");
  *out = Backend::kNoContext;
}

std::string_view text_arg(const char* s, uint32_t len) {
  if (s == nullptr) return {};
  return std::string_view(s, len > 0 ? strnlen(s, len) : strlen(s));
}

std::string_view c_string_arg(const char* s, const char* what) {
  if (s == nullptr) return {};
  const size_t n = strnlen(s, kMaxConfigBytes + 1);
  require(n <= kMaxConfigBytes, std::string(what) + " has no NUL within " + std::to_string(kMaxConfigBytes) +
                                    " bytes: pass a NUL-terminated JSON string of at most that size");
  return std::string_view(s, n);
}

std::string_view input_bytes(const uint8_t* data, uint64_t size) {
  require(data != nullptr, "the input tensor's data pointer is NULL");
  require(size > 0, "the input tensor is empty (0 bytes); pass at least one byte");
  require(size <= kMaxInputBytes, "the input tensor holds " + std::to_string(size) + " bytes, more than the limit of " +
                                      std::to_string(kMaxInputBytes) + " bytes");
  return std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

size_t copy_orphan_error(uint32_t index, char* buf, size_t cap) {
  if (index != 0) {
    throw Error(ErrorKind::NotFound, "the last-error pseudo context has only output 0");
  }
  return copy_output(t_orphan_error, buf, cap);
}

void copy_process_stats(char* buf, uint32_t* size) {
  require(size != nullptr, "size is NULL: pass a pointer to the buffer capacity");
  const size_t cap = *size;
  *size = 0;
  require(buf != nullptr || cap == 0, "buf is NULL but *size says it holds " + std::to_string(cap) + " bytes");
  *size = saturate_u32(Backend::process_stats(buf, cap));
}

void set_log_callback(void (*fn)(int level, const char* line, void* user), void* user) {
  require(wasi_nn::set_log_callback(fn, user),
          "the log callback cannot be changed from inside the log callback; change it after it returns");
}

uint32_t saturate_u32(size_t n) { return n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n); }

Failure failed(const void* ctx, const char* function, bool record, ErrorKind kind, const char* message,
               size_t needed) noexcept {
  try {
    // Every refusal is logged with its reason and who asked (the host's log; the caller reads
    // the message). A get_output too small for its output is how callers learn the size.
    const auto backend = find_backend(ctx);
    const std::string who = backend ? "tenant " + std::to_string(backend->tenant_id()) : "no backend";
    const bool size_probe = kind == ErrorKind::TooLarge && std::strcmp(function, "run_inference") != 0;
    if (kind != ErrorKind::EndOfSequence) {
      WASI_NN_LOG(size_probe ? LogLevel::Info : LogLevel::Warn, "%s: %s refused (%s): %s", who.c_str(), function,
                  error_kind_name(kind), for_log(message).c_str());
    }
    if (record) {
      std::string text = std::string(function) + ": " + message;
      if (backend) {
        backend->set_last_error(std::move(text));
      } else {
        t_orphan_error = std::move(text);
      }
    }
  } catch (...) {
    // Out of memory while recording: the code still tells the caller what kind it was.
  }
  return Failure{kind, needed};
}

}  // namespace wasi_nn::abi
