// Tenant: who asks. One backend context (one wasm instance under WAMR, one native
// init_backend) is one tenant. Its tag (id, share group, caps on a shared engine) travels with
// every conversation and request, so the engine keeps one tenant's data from another and no
// tenant holds more than its share; its limits bound what it may ask for; it counts its usage
// for the stats.
// Thread-safety: immutable after creation apart from the atomic counters and the host's stream
// sink (which has its own lock).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/base/counters.h"
#include "core/config/limits.h"
#include "core/engine/request.h"
#include "core/session/stream_sink.h"

namespace wasi_nn {

class Tenant {
 public:
  // `share_group`: tenants naming the same non-empty group share KV prefixes (host setting).
  Tenant(Limits limits, const std::string& share_group);
  ~Tenant();
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  uint64_t id() const { return tag_.id; }
  const TenantTag& tag() const { return tag_; }
  const Limits& limits() const { return limits_; }
  const std::string& share_group() const { return share_group_; }
  UsageCounters& counters() { return counters_; }
  StreamSink& sink() { return sink_; }  // where stream_stdout pieces go (the host's)
  const UsageCounters& counters() const { return counters_; }

  // The tenants alive now (for the stats observer).
  static std::vector<std::shared_ptr<const Tenant>> live();

 private:
  const Limits limits_;
  const std::string share_group_;
  const TenantTag tag_;
  UsageCounters counters_;
  StreamSink sink_;
};

// Creates a tenant registered in Tenant::live() while it exists.
std::shared_ptr<Tenant> make_tenant(Limits limits, const std::string& share_group);

}  // namespace wasi_nn
