// wasi-nn-bench --only tenants: what per-tenant prefix isolation costs (see tenants_bench.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace bench {

struct TenantsOptions {
  std::string model, load_json;
  int sessions = 8;    // conversations, and tenants in the isolated layouts
  int n_predict = 64;  // tokens each conversation generates
  int history = 1000;  // words of the common system text in the prefix workload
  int reps = 3;
};

// Runs both workloads in the three layouts; prints one line per layout and returns the figures.
nlohmann::json bench_tenants(const TenantsOptions& o);

}  // namespace bench
