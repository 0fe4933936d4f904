#include "core/backend/backend.h"

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "core/backend/output.h"
#include "core/base/counters.h"
#include "core/base/error.h"
#include "core/base/handle_table.h"
#include "core/base/log.h"
#include "core/base/mutex.h"
#include "core/base/periodic.h"
#include "core/base/runtime.h"
#include "core/config/config_parser.h"
#include "core/engine/model_registry.h"
#include "core/model/model_source.h"
#include "core/observe/stats.h"
#include "core/session/exec_context.h"
#include "core/session/session_table.h"
#include "core/session/tenant.h"
#include "core/session/wasmedge_profile.h"

namespace wasi_nn {

namespace {

// The tenant this backend context acts for: the host's config (read without limits) names its
// share group, its own limits and kv_save_dir, which the machine's limits depend on, and the
// profile its tenant's configs are read in (`fallback` when it names none).
std::shared_ptr<Tenant> tenant_for(std::string_view config, Profile fallback, Profile* profile) {
  Settings host;
  apply_defaults(host);
  parse_config(config, kScopeBackend, host);
  *profile = host.present.count("profile") ? host.backend.profile : fallback;
  Limits limits = environment_limits(host.context.kv_save_dir);
  if (host.backend.has_limits) limits = limits.tightened(host.backend.limits);
  return make_tenant(std::move(limits), host.backend.share_group);
}

}  // namespace

class BackendImpl {
 public:
  BackendImpl(const BackendOptions& options, std::string_view config)
      : runtime(Runtime::acquire()),
        access(std::make_shared<const ModelAccess>(ModelAccess::from_environment(options.access))),
        tenant(tenant_for(config, options.profile, &profile)) {
    apply_defaults(base);
    apply_profile_defaults(profile, base);
    tenant->limits().clamp_defaults(base);
    parse_config(config, kScopeBackend, base, ParseOptions{&tenant->limits(), /*clamp=*/true});
    base.backend.profile = profile;
    apply_log_settings(base);
    ++live_objects().backends;
    // Idle sessions expire by time, not only when the next session opens.
    janitor = Periodic::instance().add([this] {
      MutexLock lock(mu);
      if (!shut_down) sessions.expire_idle(base.backend);
    });
  }
  ~BackendImpl() {
    Periodic::instance().remove(janitor);
    --live_objects().backends;
  }

  // The log sink is process-wide: only a config that names these keys changes it.
  static void apply_log_settings(const Settings& s) {
    if (s.present.count("log_level")) set_log_level_default(s.backend.log_level);
    if (s.present.count("log_format")) set_log_format_default(s.backend.log_format);
    if (s.present.count("log_file")) set_log_file_default(s.backend.log_file);
  }

  void check_open() const REQUIRES(mu) {
    if (shut_down)
      fail(ErrorKind::InvalidArgument, "the backend was deinitialised; create a new one with init_backend");
  }

  std::shared_ptr<ExecContext> find_context(uint32_t ctx) EXCLUDES(mu) {
    MutexLock lock(mu);
    check_open();
    auto orphan = orphans.find(ctx);
    if (orphan != orphans.end()) fail_orphan(ctx, orphan->second);
    return contexts.get(ctx);
  }

  // An execution context closed by unload() answers this instead of "unknown".
  [[noreturn]] static void fail_orphan(uint32_t ctx, uint32_t graph) {
    fail(ErrorKind::NotFound, "execution context " + std::to_string(ctx) + " was finalized because its graph " +
                                  std::to_string(graph) + " was unloaded; load the model again and open a new context");
  }

  // `name`: what load_by_name was given (a preloaded alias may carry a paired projector).
  uint32_t add_graph(const ModelSource& source, std::string_view config, std::string_view name = {}) EXCLUDES(mu);
  // The load's LoRA adapters ("lora"), each found as a model name is (this tenant's grants).
  std::vector<std::shared_ptr<const LoraAdapter>> load_adapters(const Engine& engine, const Settings& s) const;
  // Parses a load config as add_graph would and drops the result (WasmEdge profile, a name
  // already loaded): throws what that load would have.
  void check_load_config(std::string_view config) EXCLUDES(mu);

  // The conversation a request's fork_from names (session/fork.h): this backend's own only.
  std::shared_ptr<Conversation> find_conversation(const ForkRef& ref) EXCLUDES(mu) {
    MutexLock lock(mu);
    if (!ref.session.empty()) return sessions.find(ref.session);
    if (ref.context < 0 || ref.context > UINT32_MAX) return nullptr;
    try {
      return contexts.get(static_cast<uint32_t>(ref.context))->shared_conversation();
    } catch (const Error&) {
      return nullptr;
    }
  }

  // A context's forks resolve through this backend, which outlives every call into it.
  std::shared_ptr<ExecContext> new_context(std::shared_ptr<Conversation> conv) {
    return std::make_shared<ExecContext>(std::move(conv), tenant,
                                         [this](const ForkRef& ref) { return find_conversation(ref); });
  }

  void check_graph_room() const REQUIRES(mu) {
    const uint32_t max = tenant->limits().max_graphs;
    if (graphs.items().size() >= max) {
      fail(ErrorKind::InvalidArgument, "this backend context holds " + std::to_string(graphs.items().size()) +
                                           " graphs, the host's limit (max_graphs = " + std::to_string(max) +
                                           "); unload one before loading another");
    }
  }
  void check_context_room() const REQUIRES(mu) {
    const uint32_t max = tenant->limits().max_contexts;
    if (contexts.items().size() >= max) {
      fail(ErrorKind::InvalidArgument, "this backend context holds " + std::to_string(contexts.items().size()) +
                                           " execution contexts, the host's limit (max_contexts = " +
                                           std::to_string(max) + "); close one before opening another");
    }
  }

  // WasmEdge profile: the graph a name was loaded as, until it is unloaded.
  std::optional<uint32_t> named_graph(std::string_view name) EXCLUDES(mu) {
    MutexLock lock(mu);
    check_open();
    auto it = named.find(std::string(name));
    if (it == named.end()) return std::nullopt;
    LOG_INFO("load of '%s': the graph loaded by that name is returned (its load config stays)", it->first.c_str());
    return it->second;
  }
  void name_graph(std::string_view name, uint32_t graph) EXCLUDES(mu) {
    MutexLock lock(mu);
    named[std::string(name)] = graph;
  }

  // A retried run_inference whose reply did not fit: the context's reply is returned again.
  bool take_unread(uint32_t ctx, size_t call) EXCLUDES(mu) {
    MutexLock lock(mu);
    auto it = unread.find(ctx);
    return it != unread.end() && it->second == call;
  }
  void set_unread(uint32_t ctx, size_t call) EXCLUDES(mu) {
    MutexLock lock(mu);
    unread[ctx] = call;
  }
  void forget_unread(uint32_t ctx) EXCLUDES(mu) {
    MutexLock lock(mu);
    unread.erase(ctx);
  }

  const std::shared_ptr<Runtime> runtime;
  const std::shared_ptr<const ModelAccess> access;
  Profile profile;  // written by tenant_for(), before `tenant` is initialised
  const std::shared_ptr<Tenant> tenant;

  Mutex mu;
  Settings base GUARDED_BY(mu);
  HandleTable<Graph> graphs GUARDED_BY(mu){"graph"};
  HandleTable<ExecContext> contexts GUARDED_BY(mu){"execution context"};
  SessionTable sessions GUARDED_BY(mu);
  std::shared_ptr<Graph> current GUARDED_BY(mu);         // the latest load
  std::map<uint32_t, uint32_t> orphans GUARDED_BY(mu);   // context -> its unloaded graph
  std::map<uint32_t, size_t> unread GUARDED_BY(mu);      // context -> the run_inference call whose reply did not fit
  std::map<std::string, uint32_t> named GUARDED_BY(mu);  // WasmEdge profile: name -> graph
  bool shut_down GUARDED_BY(mu) = false;

  uint64_t janitor = 0;  // the periodic expiry task

  mutable Mutex error_mu;
  std::string last_error GUARDED_BY(error_mu);
};

void BackendImpl::check_load_config(std::string_view config) {
  Settings s;
  {
    MutexLock lock(mu);
    check_open();
    s = base;
  }
  parse_config(config, kScopeLoad, s, ParseOptions{&tenant->limits(), false, profile});
}

uint32_t BackendImpl::add_graph(const ModelSource& source, std::string_view config, std::string_view name) {
  const Limits& limits = tenant->limits();
  Settings s;
  {
    MutexLock lock(mu);
    check_open();
    check_graph_room();
    s = base;
  }
  const size_t known = s.warnings.size();
  parse_config(config, kScopeLoad, s, ParseOptions{&limits, false, profile});
  log_config_warnings(*tenant, s.warnings, known, "load");
  if (s.request.media.mmproj.empty() && !name.empty()) s.request.media.mmproj = access->paired_projector(name);
  TenantLogScope scope(tenant->id(), tenant_verbosity(s.request));  // llama.cpp's load lines are this tenant's
  // The draft model is named and confined like the model itself.
  std::optional<ModelSource> draft;
  if (!s.context.draft_model.empty()) {
    if (s.context.speculative == Speculative::Ngram) {
      fail(ErrorKind::InvalidArgument,
           "draft_model is set but speculative is \"ngram\", which drafts without a "
           "model: leave out one of them");
    }
    s.context.speculative = Speculative::Draft;
    draft.emplace(ModelSource::open_file(s.context.draft_model, *access));
  }
  // Loading can take seconds: never under the backend lock.
  auto engine = ModelRegistry::instance().acquire(source, s.model, s.context, limits.max_engines_per_model,
                                                  draft ? &*draft : nullptr);
  auto graph = std::make_shared<Graph>(engine, s, limits.input, source.name());
  graph->access = access;
  if (!s.request.media.mmproj.empty()) {
    try {
      const ModelSource mmproj = ModelSource::open_file(s.request.media.mmproj, *access);
      graph->projector = Projector::acquire(mmproj, engine->shared_weights(), s.context.threads);
    } catch (const Error& e) {  // the grant's messages speak of a "model": say which file
      fail(e.kind(), std::string("mmproj: ") + e.what());
    }
  }
  graph->adapters = load_adapters(*engine, s);
  MutexLock lock(mu);
  check_open();
  check_graph_room();
  base.backend.max_sessions = s.backend.max_sessions;  // the session keys of a load apply to the backend
  base.backend.idle_timeout_ms = s.backend.idle_timeout_ms;
  current = graph;
  return graphs.add(graph);
}

std::vector<std::shared_ptr<const LoraAdapter>> BackendImpl::load_adapters(const Engine& engine,
                                                                           const Settings& s) const {
  if (!s.lora.empty() && engine.embedding()) {
    fail(ErrorKind::InvalidArgument,
         "\"lora\" applies to text generation; this load is for embeddings or "
         "reranking. Load without \"lora\"");
  }
  std::vector<std::shared_ptr<const LoraAdapter>> out;
  for (size_t i = 0; i < s.lora.size(); ++i) {
    try {
      const ModelSource file = ModelSource::open_file(s.lora[i].name, *access);
      out.push_back(ModelRegistry::instance().acquire_adapter(engine.shared_weights(), file));
    } catch (const Error& e) {
      // The grant's messages speak of a "model": say which adapter entry it was.
      fail(e.kind(), "LoRA adapter " + std::to_string(i) + " (\"lora\"): " + e.what());
    }
  }
  return out;
}

Backend::Backend(const BackendOptions& options, std::string_view config_json)
    : impl_(new BackendImpl(options, config_json)) {}

Backend::~Backend() { shutdown(); }

void Backend::shutdown() {
  std::vector<std::shared_ptr<ExecContext>> open;
  {
    MutexLock lock(impl_->mu);
    impl_->shut_down = true;
    for (auto& kv : impl_->contexts.items()) open.push_back(kv.second);
    impl_->contexts.clear();
    impl_->graphs.clear();
    impl_->sessions.clear();
    impl_->named.clear();
    impl_->current.reset();
  }
  for (auto& ctx : open) ctx->close("the request was cancelled because its backend was deinitialised");
}

uint32_t Backend::load_by_name(std::string_view name, std::string_view config_json) {
  if (impl_->profile != Profile::WasmEdge)
    return impl_->add_graph(ModelSource::open_file(name, *impl_->access), config_json, name);
  // WasmEdge's plugin caches graphs by name: loading a loaded name again returns its graph (the
  // new config is not applied). A name nothing grants stays model_not_found (103), as issue 15
  // asks (WasmEdge's runtime answers NotFound (8) there; 103 says which grants to check).
  if (auto cached = impl_->named_graph(name)) {
    // Not applied, but checked as a fresh load's would be: a config this tenant may not send
    // (over a limit, a host-only key, a parser bomb) is refused here too.
    impl_->check_load_config(config_json);
    return *cached;
  }
  const uint32_t g = impl_->add_graph(ModelSource::open_file(name, *impl_->access), config_json, name);
  impl_->name_graph(name, g);
  return g;
}

uint32_t Backend::load_from_bytes(std::string_view bytes, std::string_view config_json) {
  if (!impl_->tenant->limits().allow_load) {
    fail(ErrorKind::InvalidArgument,
         "loading a model from bytes is not allowed here (the host's limit allow_load "
         "= false); load a model the host granted by name");
  }
  const ModelSource source = ModelSource::from_bytes(bytes);
  return impl_->add_graph(source, config_json);
}

uint32_t Backend::init_execution_context(uint32_t graph) {
  MutexLock lock(impl_->mu);
  impl_->check_open();
  auto g = impl_->graphs.get(graph);
  impl_->check_context_room();
  auto conv = std::make_shared<Conversation>(g, "", impl_->tenant->tag());
  return impl_->contexts.add(impl_->new_context(conv));
}

uint32_t Backend::init_session(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > 256) {
    fail(ErrorKind::InvalidArgument, "session id must be 1 to 256 bytes");
  }
  MutexLock lock(impl_->mu);
  impl_->check_open();
  if (!impl_->current)
    fail(ErrorKind::InvalidArgument, "no model is loaded; call load_by_name_with_config before opening a session");
  impl_->check_context_room();
  auto conv = impl_->sessions.open(std::string(session_id), impl_->current, impl_->base.backend, impl_->tenant->tag());
  return impl_->contexts.add(impl_->new_context(conv));
}

void Backend::unload(uint32_t graph) {
  std::vector<std::shared_ptr<ExecContext>> victims;
  std::shared_ptr<Graph> g;  // released after the lock: it may be the model's last holder
  {
    MutexLock lock(impl_->mu);
    impl_->check_open();
    g = impl_->graphs.remove(graph);
    for (auto it = impl_->named.begin(); it != impl_->named.end();) {
      it = it->second == graph ? impl_->named.erase(it) : std::next(it);
    }
    std::vector<uint32_t> ids;
    for (auto& kv : impl_->contexts.items()) {
      if (&kv.second->graph() == g.get()) ids.push_back(kv.first);
    }
    for (uint32_t id : ids) {
      victims.push_back(impl_->contexts.remove(id));
      impl_->orphans[id] = graph;
    }
    if (impl_->current == g) impl_->current.reset();
    impl_->sessions.detach(g, impl_->current, impl_->tenant->tag());
  }
  const std::string why =
      "the request was cancelled because its graph " + std::to_string(graph) + " was unloaded while it ran";
  for (auto& c : victims) c->close(why);
  LOG_INFO("graph %u unloaded (%zu execution contexts finalized)", graph, victims.size());
}

void Backend::set_input(uint32_t ctx, uint32_t index, std::string_view bytes) {
  impl_->forget_unread(ctx);
  impl_->find_context(ctx)->set_input(index, bytes);
}

void Backend::compute(uint32_t ctx, std::string_view runtime_json) {
  impl_->forget_unread(ctx);
  impl_->find_context(ctx)->compute(runtime_json);
}

void Backend::compute_single(uint32_t ctx, std::string_view runtime_json) {
  impl_->forget_unread(ctx);
  impl_->find_context(ctx)->compute_single(runtime_json);
}

size_t Backend::run_inference(uint32_t ctx, uint32_t index, std::string_view input, std::string_view runtime_json,
                              char* buf, size_t cap) {
  auto c = impl_->find_context(ctx);
  std::string call = std::to_string(index) + ':' + std::to_string(runtime_json.size()) + ':';
  call.append(runtime_json).append(input);
  const size_t id = std::hash<std::string>()(call);
  if (!impl_->take_unread(ctx, id)) {
    set_input(ctx, index, input);
    compute(ctx, runtime_json);
  }
  try {
    const size_t n = copy_output(c->output(0), buf, cap);
    impl_->forget_unread(ctx);
    return n;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::TooLarge) throw;
    impl_->set_unread(ctx, id);
    throw Error(ErrorKind::TooLarge,
                "the reply is " + std::to_string(e.needed()) + " bytes but the buffer holds " + std::to_string(cap) +
                    "; it is kept and the turn counted once: read it with get_output(ctx, exec_ctx, 0, ...) and a "
                    "buffer of at least that size, or repeat this run_inference call unchanged with one (it returns "
                    "this reply without computing again)",
                e.needed());
  }
}

void Backend::set_stream_sink(void (*fn)(const char* piece, uint32_t len, void* user), void* user) {
  impl_->tenant->sink().set(fn, user);
}

uint64_t Backend::tenant_id() const { return impl_->tenant->id(); }

void Backend::fini_single(uint32_t ctx) { impl_->find_context(ctx)->fini_single(); }

size_t Backend::get_output_single(uint32_t ctx, uint32_t index, char* buf, size_t cap) {
  return copy_output(impl_->find_context(ctx)->output_single(index), buf, cap);
}

size_t Backend::get_output(uint32_t ctx, uint32_t index, char* buf, size_t cap) {
  if (ctx != kNoContext) return copy_output(impl_->find_context(ctx)->output(index), buf, cap);
  if (index != 0) fail(ErrorKind::NotFound, "the last-error pseudo context has only output 0");
  return copy_output(last_error(), buf, cap);
}

void Backend::close_execution_context(uint32_t ctx) {
  std::shared_ptr<ExecContext> c;
  {
    MutexLock lock(impl_->mu);
    impl_->check_open();
    auto orphan = impl_->orphans.find(ctx);
    if (orphan != impl_->orphans.end()) BackendImpl::fail_orphan(ctx, orphan->second);
    c = impl_->contexts.remove(ctx);
    impl_->unread.erase(ctx);
  }
  c->close("the request was cancelled because its execution context was closed");
}

size_t Backend::process_stats(char* buf, size_t cap) { return copy_output(process_stats_json(), buf, cap); }

void Backend::set_last_error(std::string message) {
  MutexLock lock(impl_->error_mu);
  impl_->last_error = std::move(message);
}

std::string Backend::last_error() const {
  MutexLock lock(impl_->error_mu);
  return impl_->last_error;
}

}  // namespace wasi_nn
