// Tenant: who asks. One backend context (one wasm instance under WAMR, one native
// init_backend) is one tenant. Its id travels with every conversation and request, so the
// engine can keep one tenant's data from another; it counts the tenant's usage for the stats.
// Thread-safety: immutable after creation apart from the atomic counters.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/counters.h"

namespace wasi_nn {

class Tenant {
 public:
  Tenant();
  ~Tenant();
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  uint64_t id() const { return id_; }
  UsageCounters& counters() { return counters_; }
  const UsageCounters& counters() const { return counters_; }

  // The tenants alive now (for the stats observer).
  static std::vector<std::shared_ptr<const Tenant>> live();

 private:
  const uint64_t id_;
  UsageCounters counters_;
};

// Creates a tenant registered in Tenant::live() while it exists.
std::shared_ptr<Tenant> make_tenant();

}  // namespace wasi_nn
