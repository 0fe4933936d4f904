#include "core/observe/stats.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "build-info.h"
#include "core/base/counters.h"
#include "core/engine/model_registry.h"
#include "core/model/projector.h"
#include "core/session/tenant.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

uint64_t resident_bytes() {
  unsigned long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  const int n = std::fscanf(f, "%lu %lu", &pages_total, &pages_resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(pages_resident) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

json counters_json(const UsageCounters& c) {
  return {{"requests_done", c.requests_done.load()},
          {"requests_failed", c.requests_failed.load()},
          {"busy", c.busy.load()},
          {"timeouts", c.timeouts.load()},
          {"cancelled", c.cancelled.load()},
          {"refused", c.refused.load()},
          {"tokens_in", c.tokens_in.load()},
          {"tokens_cached", c.tokens_cached.load()},
          {"tokens_out", c.tokens_out.load()},
          {"queue_ms", c.queue_us.load() / 1000.0}};
}

// One entry per live backend context: the operator sees who uses what.
json tenants_json() {
  json list = json::array();
  for (const auto& t : Tenant::live()) {
    json e = counters_json(t->counters());
    e["tenant"] = t->id();
    if (!t->share_group().empty()) e["share_group"] = t->share_group();
    list.push_back(std::move(e));
  }
  return list;
}

}  // namespace

std::string process_stats_json() {
  const UsageCounters& c = process_counters();
  const LiveObjects& live = live_objects();
  // Group engines by the weights they serve: one entry per loaded model.
  std::map<const ModelWeights*, json> models;
  uint64_t model_bytes = 0, kv_bytes = 0, saved_bytes = 0, saved_disk_bytes = 0;
  size_t queued = 0, active = 0, resident = 0;
  for (const auto& engine : ModelRegistry::instance().live_engines()) {
    const ModelWeights& w = engine->weights();
    json& m = models[&w];
    if (m.is_null()) {
      m["model"] = w.name();
      m["description"] = w.description();
      m["model_bytes"] = llama_model_size(w.get());
      const FitDecision& fit = w.fit();
      m["n_gpu_layers"] = {{"asked", fit.automatic ? "auto" : "given"},
                           {"decision", fit.status},
                           {"layers", fit.n_gpu_layers},
                           {"model_layers", w.n_layer()},
                           {"devices", fit.n_devices}};
      m["engines"] = json::array();
      model_bytes += llama_model_size(w.get());
    }
    const EngineStats s = engine->stats();
    json e;
    e["ctx_size"] = engine->settings().ctx_size;
    e["n_parallel"] = engine->settings().n_parallel;
    e["queue_depth"] = s.queued;
    e["active_sequences"] = s.active;
    e["resident_sequences"] = s.resident;
    e["kv_bytes"] = engine->kv_bytes();
    e["saved_kv_states"] = s.saved;
    e["saved_kv_bytes"] = s.saved_bytes;
    e["saved_kv_disk_bytes"] = s.saved_disk_bytes;
    e["steps_by_sequences"] = s.steps_by_sequences;
    e["steps_split_by_adapters"] = s.steps_split_by_adapters;
    e["deterministic"] = engine->settings().deterministic;
    if (!engine->determinism().empty()) e["determinism"] = json::parse(engine->determinism());
    json placement = json::array();
    for (const auto& d : engine->placement()) {
      placement.push_back(
          {{"device", d.device}, {"model_bytes", d.model}, {"context_bytes", d.context}, {"compute_bytes", d.compute}});
    }
    e["placement"] = std::move(placement);
    m["engines"].push_back(std::move(e));
    queued += s.queued;
    active += s.active;
    resident += s.resident;
    kv_bytes += engine->kv_bytes();
    saved_bytes += s.saved_bytes;
    saved_disk_bytes += s.saved_disk_bytes;
  }
  json j;
  j["queue_depth"] = queued;
  j["active_sequences"] = active;
  j["resident_sequences"] = resident;
  j["backends"] = live.backends.load();
  j["sessions_held"] = live.sessions.load();
  j["plain_contexts"] = live.contexts.load();  // execution contexts without a session id
  j["projectors"] = Projector::live_count();   // multimodal projectors loaded (shared per model)
  j["saved_kv_bytes"] = saved_bytes;
  j["saved_kv_disk_bytes"] = saved_disk_bytes;
  j["memory"] = {{"model_bytes", model_bytes}, {"kv_bytes", kv_bytes}, {"process_rss_bytes", resident_bytes()}};
  json list = json::array();
  for (auto& kv : models) list.push_back(std::move(kv.second));
  j["models"] = std::move(list);
  j["counters"] = counters_json(c);
  j["tenants"] = tenants_json();
  j["llama_cpp"] = {{"build_number", llama_build_number()}, {"commit", llama_commit()}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace wasi_nn
