#include "tenants.h"

#include <stdexcept>
#include <thread>
#include <vector>

#include "wasi_nn_backend.h"

namespace det {
namespace {

const char* const kWords[] = {"river",   "lantern", "harbour", "copper",  "meadow", "signal", "winter",
                              "orchard", "engine",  "letter",  "compass", "bridge", "garden", "thunder"};

}  // namespace

nlohmann::json process_stats() {
  std::vector<char> buf(1 << 16);
  uint32_t size = static_cast<uint32_t>(buf.size());
  if (wasi_nn_stats(buf.data(), &size) != success) throw std::runtime_error("wasi_nn_stats failed");
  return nlohmann::json::parse(std::string(buf.data(), size));
}

void wait_for(const std::function<bool(const nlohmann::json&)>& ready, const std::string& what,
              std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready(process_stats())) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the condition did not happen: " + what + " (waited " + std::to_string(limit.count()) +
                               " s)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::string tenant_prompt(int id, size_t words) {
  std::string s = "Tenant " + std::to_string(id) + " writes:";
  const size_t n = sizeof kWords / sizeof kWords[0];
  for (size_t i = 0; i < words; ++i) s += std::string(" ") + kWords[(i * (id + 3) + id) % n];
  return s;
}

nlohmann::json tenant_settings(int id, int n_predict) {
  return {{"mode", "raw"},
          {"temperature", 0.6 + 0.05 * (id % 5)},
          {"seed", 1000 + id},
          {"n_predict", n_predict},
          {"ignore_eos", true}};
}

}  // namespace det
