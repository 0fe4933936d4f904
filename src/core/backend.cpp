#include "core/backend.h"

#include <sys/mman.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>

#include "core/config/config_parser.h"
#include "core/config/param_table.h"
#include "core/error.h"
#include "core/handle_table.h"
#include "core/log.h"
#include "core/model/model_registry.h"
#include "core/runtime.h"
#include "core/session/exec_context.h"
#include "core/session/session_table.h"
#include "core/stats.h"

namespace wasi_nn {
namespace {

thread_local std::string t_last_error;

constexpr size_t kMaxPromptBytes = 64u << 20;

std::string canonical_path(std::string_view name) {
  if (name.empty()) fail(ErrorKind::InvalidArgument, "model name is empty; pass the path of a .gguf file");
  if (std::memchr(name.data(), '\0', name.size())) fail(ErrorKind::InvalidArgument, "model name contains a NUL byte");
  std::string path(name);
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) {
    check_model_file(path);  // throws the precise error (missing, not a file, ...)
    fail(ErrorKind::ModelNotFound, "model file '" + path + "' cannot be resolved");
  }
  return buf;
}

// Interior NULs and invalid UTF-8 are refused; trailing NULs (C strings sent with their
// terminator counted) are dropped.
std::string_view check_prompt(std::string_view text) {
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  if (text.size() > kMaxPromptBytes) fail(ErrorKind::InvalidArgument, "the prompt is larger than 64 MiB; send a shorter prompt");
  if (std::memchr(text.data(), '\0', text.size())) {
    fail(ErrorKind::InvalidArgument, "the prompt contains a NUL byte before its end; send UTF-8 text");
  }
  size_t i = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  while (i < text.size()) {
    const unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n != 0 && i + n <= text.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (s[i + k] & 0xC0) == 0x80;
    if (ok && n > 1) {  // no overlong forms, UTF-16 surrogates, or code points past U+10FFFF
      uint32_t cp = c & (0x7F >> n);
      for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (s[i + k] & 0x3F);
      ok = cp >= (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) && cp <= 0x10FFFF &&
           (cp < 0xD800 || cp > 0xDFFF);
    }
    if (!ok) fail(ErrorKind::InvalidArgument, "the prompt is not valid UTF-8 (at byte " + std::to_string(i) + ")");
    i += n;
  }
  return text;
}

}  // namespace

class BackendImpl {
 public:
  explicit BackendImpl(std::string_view config) : runtime(Runtime::acquire()) {
    apply_defaults(base);
    parse_config(config, kScopeBackend, base);
    apply_log_level();
    // The sink is process-wide: only a config that names these keys changes them.
    LogFormat format;
    if (base.present.count("log_format") && parse_log_format(base.backend.log_format, &format)) {
      set_log_format_default(format);
    }
    if (base.present.count("log_file")) set_log_file_default(base.backend.log_file);
    stats_backend_opened();
  }
  ~BackendImpl() { stats_backend_closed(); }

  void apply_log_level() {
    LogLevel lv;
    if (parse_log_level(base.backend.log_level, &lv)) set_log_level_default(lv);
  }

  void check_open() const {
    if (shut_down) fail(ErrorKind::InvalidArgument, "the backend was deinitialised; create a new one with init_backend");
  }

  std::shared_ptr<Runtime> runtime;
  std::mutex mu;
  Settings base;                                   // guarded by mu
  HandleTable<Graph> graphs{"graph"};              // guarded by mu
  HandleTable<ExecContext> contexts{"execution context"};  // guarded by mu
  SessionTable sessions;                           // guarded by mu
  std::shared_ptr<Graph> current;                  // guarded by mu: the latest load
  std::map<uint32_t, uint32_t> orphans;            // guarded by mu: context -> its unloaded graph
  bool shut_down = false;                          // guarded by mu
};

Backend::Backend(std::string_view config_json) : impl_(new BackendImpl(config_json)) {}

Backend::~Backend() { shutdown(); }

void Backend::shutdown() {
  std::vector<std::shared_ptr<ExecContext>> open;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->shut_down = true;
    for (auto& kv : impl_->contexts.items()) open.push_back(kv.second);
    impl_->contexts.clear();
    impl_->graphs.clear();
    impl_->sessions.clear();
    impl_->current.reset();
  }
  for (auto& ctx : open) {
    std::lock_guard<std::mutex> lock(ctx->mu);
    ctx->closed = true;
    if (ctx->inflight) ctx->inflight->cancel();
  }
}

static uint32_t load_engine(BackendImpl& b, const std::string& key, const std::string& path,
                            std::string_view config) {
  Settings s;
  {
    std::lock_guard<std::mutex> lock(b.mu);
    b.check_open();
    s = b.base;
  }
  parse_config(config, kScopeLoad, s);
  // Loading can take seconds: never under the backend lock.
  auto engine = ModelRegistry::instance().acquire(key, path, s.model, s.context);
  auto graph = std::make_shared<Graph>(engine, s);
  std::lock_guard<std::mutex> lock(b.mu);
  b.check_open();
  b.base.backend = s.backend;  // backend keys in a load config apply to the backend
  b.apply_log_level();
  b.current = graph;
  return b.graphs.add(graph);
}

uint32_t Backend::load_by_name(std::string_view path, std::string_view config_json) {
  const std::string canonical = canonical_path(path);
  return load_engine(*impl_, canonical, canonical, config_json);
}

uint32_t Backend::load_from_bytes(std::string_view bytes, std::string_view config_json) {
  if (bytes.size() < 4 || std::memcmp(bytes.data(), "GGUF", 4) != 0) {
    fail(ErrorKind::InvalidArgument, "the model bytes are not a GGUF image (no GGUF magic)");
  }
  // llama.cpp loads from files: hand it an anonymous in-memory file. Identical bytes share one
  // model through the registry key.
  int fd = ::memfd_create("wasi-nn-model", MFD_CLOEXEC);
  if (fd < 0) fail(ErrorKind::Runtime, std::string("memfd_create failed: ") + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) {
      ::close(fd);
      fail(ErrorKind::OutOfMemory, "could not stage the model bytes in memory");
    }
    off += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const std::string key = "gguf-bytes:" + std::to_string(std::hash<std::string_view>()(bytes)) +
                            ":" + std::to_string(bytes.size());
    uint32_t g = load_engine(*impl_, key, path, config_json);
    ::close(fd);
    return g;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

uint32_t Backend::init_execution_context(uint32_t graph) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->check_open();
  auto g = impl_->graphs.get(graph);
  auto conv = std::make_shared<Conversation>(g, "");
  return impl_->contexts.add(std::make_shared<ExecContext>(conv));
}

uint32_t Backend::init_session(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > 256) {
    fail(ErrorKind::InvalidArgument, "session id must be 1 to 256 bytes");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->check_open();
  if (!impl_->current) fail(ErrorKind::InvalidArgument, "no model is loaded; call load_by_name_with_config before opening a session");
  auto conv = impl_->sessions.open(std::string(session_id), impl_->current, impl_->base.backend);
  return impl_->contexts.add(std::make_shared<ExecContext>(conv));
}

// An execution context closed by unload() answers this instead of "unknown".
[[noreturn]] static void fail_orphan(uint32_t ctx, uint32_t graph) {
  fail(ErrorKind::NotFound, "execution context " + std::to_string(ctx) + " was finalized because its graph " +
                                std::to_string(graph) + " was unloaded; load the model again and open a new context");
}

static std::shared_ptr<ExecContext> find_context(BackendImpl& b, uint32_t ctx) {
  std::lock_guard<std::mutex> lock(b.mu);
  b.check_open();
  auto orphan = b.orphans.find(ctx);
  if (orphan != b.orphans.end()) fail_orphan(ctx, orphan->second);
  return b.contexts.get(ctx);
}

// Marks a context closed and cancels its running request (the caller then sees `why`).
static void close_context(ExecContext& c, const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(c.mu);
    c.closed = true;
    if (c.inflight) c.inflight->cancel(ErrorKind::Cancelled, why);
  }
  c.conv->graph->engine->wake();
  stream_finish(c);  // an open stream ends here, so its conversation is free again
}

void Backend::unload(uint32_t graph) {
  std::vector<std::shared_ptr<ExecContext>> victims;
  std::shared_ptr<Graph> g;  // released after the lock: it may be the model's last holder
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->check_open();
    g = impl_->graphs.remove(graph);
    std::vector<uint32_t> ids;
    for (auto& kv : impl_->contexts.items()) {
      if (kv.second->conv->graph == g) ids.push_back(kv.first);
    }
    for (uint32_t id : ids) {
      victims.push_back(impl_->contexts.remove(id));
      impl_->orphans[id] = graph;
    }
    if (impl_->current == g) impl_->current.reset();
    impl_->sessions.detach(g, impl_->current);
  }
  const std::string why = "the request was cancelled because its graph " + std::to_string(graph) +
                          " was unloaded while it ran";
  for (auto& c : victims) close_context(*c, why);
  LOG_INFO("graph %u unloaded (%zu execution contexts finalized)", graph, victims.size());
}

void Backend::set_input(uint32_t ctx, uint32_t index, std::string_view bytes) {
  auto c = find_context(*impl_, ctx);
  if (index == 0) {
    std::string_view text = check_prompt(bytes);
    std::lock_guard<std::mutex> lock(c->mu);
    c->prompt.assign(text.data(), text.size());
    c->has_prompt = true;
  } else if (index == 1) {
    Settings scratch = c->conv->graph->settings;
    parse_config(bytes, kScopeRequest, scratch);  // report bad settings now, not at compute
    std::lock_guard<std::mutex> lock(c->mu);
    c->request_json.assign(bytes.data(), bytes.size());
  } else {
    fail(ErrorKind::NotFound, "input index " + std::to_string(index) + " does not exist (0: prompt text, 1: request settings JSON)");
  }
}

void Backend::compute(uint32_t ctx, std::string_view runtime_json) {
  auto c = find_context(*impl_, ctx);
  run_compute(*c, std::string(runtime_json));
}

void Backend::compute_single(uint32_t ctx, std::string_view runtime_json) {
  auto c = find_context(*impl_, ctx);
  stream_step(*c, std::string(runtime_json));
}

void Backend::fini_single(uint32_t ctx) {
  auto c = find_context(*impl_, ctx);
  stream_finish(*c);
}

static size_t copy_out(const std::string& out, char* buf, size_t cap) {
  if (out.size() > cap || (out.size() > 0 && !buf)) {
    throw Error(ErrorKind::TooLarge, "the output is " + std::to_string(out.size()) + " bytes but the buffer holds " +
                                         std::to_string(cap) + "; call again with a larger buffer", out.size());
  }
  if (!out.empty()) std::memcpy(buf, out.data(), out.size());
  if (buf && out.size() < cap) buf[out.size()] = '\0';
  return out.size();
}

size_t Backend::get_output_single(uint32_t ctx, uint32_t index, char* buf, size_t cap) {
  auto c = find_context(*impl_, ctx);
  std::string out;
  {
    std::lock_guard<std::mutex> lock(c->mu);
    if (index == 0) out = c->single_output;
    else if (index == 1) out = c->output_meta;
    else fail(ErrorKind::NotFound, "output index " + std::to_string(index) + " does not exist (0: the step's text, 1: metadata JSON)");
  }
  return copy_out(out, buf, cap);
}

size_t Backend::get_output(uint32_t ctx, uint32_t index, char* buf, size_t cap) {
  std::string out;
  if (ctx == kNoContext) {
    if (index != 0) fail(ErrorKind::NotFound, "the last-error pseudo context has only output 0");
    out = t_last_error;
  } else {
    auto c = find_context(*impl_, ctx);
    std::lock_guard<std::mutex> lock(c->mu);
    if (index == 0) out = c->output_text;
    else if (index == 1) out = c->output_meta;
    else fail(ErrorKind::NotFound, "output index " + std::to_string(index) + " does not exist (0: generated text, 1: metadata JSON)");
  }
  return copy_out(out, buf, cap);
}

void Backend::close_execution_context(uint32_t ctx) {
  std::shared_ptr<ExecContext> c;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->check_open();
    auto orphan = impl_->orphans.find(ctx);
    if (orphan != impl_->orphans.end()) fail_orphan(ctx, orphan->second);
    c = impl_->contexts.remove(ctx);
  }
  close_context(*c, "the request was cancelled because its execution context was closed");
}

size_t Backend::process_stats(char* buf, size_t cap) { return copy_out(process_stats_json(), buf, cap); }

void Backend::set_last_error(std::string message) { t_last_error = std::move(message); }
const std::string& Backend::last_error() { return t_last_error; }

}  // namespace wasi_nn
