#include "core/session/tenant.h"

#include <atomic>
#include <map>

#include "core/base/mutex.h"

namespace wasi_nn {
namespace {

struct TenantList {
  Mutex mu;
  std::map<uint64_t, std::weak_ptr<const Tenant>> live GUARDED_BY(mu);
};

TenantList& tenants() {
  static TenantList* list = new TenantList();  // leaked: tenants may end during static teardown
  return *list;
}

uint64_t next_id() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

// One id per share-group name, for the life of the process; tenants without a group get their
// own (from the same counter, so the two never collide).
uint64_t group_id(const std::string& name, uint64_t own) {
  if (name.empty()) return own;
  static Mutex mu;
  static std::map<std::string, uint64_t>* ids = new std::map<std::string, uint64_t>();
  MutexLock lock(mu);
  auto it = ids->find(name);
  if (it == ids->end()) it = ids->emplace(name, next_id()).first;
  return it->second;
}

TenantTag make_tag(const Limits& limits, const std::string& group) {
  TenantTag t;
  t.id = next_id();
  t.group = group_id(group, t.id);
  t.max_sequences = limits.max_sequences_per_tenant;
  t.max_queued = limits.max_queued_per_tenant;
  t.stream_ahead = limits.stream_ahead_tokens;
  t.stream_idle_ms = limits.stream_idle_timeout_ms;
  return t;
}

}  // namespace

Tenant::Tenant(Limits limits, const std::string& share_group)
    : limits_(std::move(limits)), share_group_(share_group), tag_(make_tag(limits_, share_group)) {}

Tenant::~Tenant() {
  TenantList& t = tenants();
  MutexLock lock(t.mu);
  t.live.erase(tag_.id);
}

std::shared_ptr<Tenant> make_tenant(Limits limits, const std::string& share_group) {
  auto tenant = std::make_shared<Tenant>(std::move(limits), share_group);
  TenantList& t = tenants();
  MutexLock lock(t.mu);
  t.live[tenant->id()] = tenant;
  return tenant;
}

std::vector<std::shared_ptr<const Tenant>> Tenant::live() {
  TenantList& t = tenants();
  MutexLock lock(t.mu);
  std::vector<std::shared_ptr<const Tenant>> out;
  for (auto& [id, weak] : t.live) {
    if (auto tenant = weak.lock()) out.push_back(std::move(tenant));
  }
  return out;
}

}  // namespace wasi_nn
