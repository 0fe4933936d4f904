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

}  // namespace

Tenant::Tenant() : id_(next_id()) {}

Tenant::~Tenant() {
  TenantList& t = tenants();
  MutexLock lock(t.mu);
  t.live.erase(id_);
}

std::shared_ptr<Tenant> make_tenant() {
  auto tenant = std::make_shared<Tenant>();
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
