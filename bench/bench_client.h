// BenchClient: the benchmark's view of libwasi_nn_backend.so, used exactly as a native host
// uses it (the seed C ABI of include/wasi_nn_backend.h). One backend context, one loaded
// model; execution contexts are opened per conversation. Every failing call throws
// std::runtime_error carrying the ABI's code and last error message.
//
// Thread-safety: a BenchClient may be shared by several threads once constructed (the ABI is
// thread-safe); one Conversation belongs to one thread at a time.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace bench {

// The median of `v` (0 when empty): what every figure reports over its repetitions.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Milliseconds on the steady clock.
inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// What one compute() returned: output 1 (the metadata JSON) and the wall-clock time of the
// compute() call itself.
struct Reply {
  nlohmann::json meta;
  double wall_ms = 0;

  double timing(const char* key) const { return meta.at("timings").at(key).get<double>(); }
  uint32_t count(const char* key) const { return meta.at(key).get<uint32_t>(); }
};

class BenchClient {
 public:
  // init_backend_with_config(backend_json) + load_by_name_with_config(model, load_json).
  BenchClient(const std::string& model, const std::string& backend_json, const std::string& load_json);
  ~BenchClient();
  BenchClient(const BenchClient&) = delete;
  BenchClient& operator=(const BenchClient&) = delete;

  void* backend() const { return backend_; }
  uint32_t graph() const { return graph_; }

 private:
  void* backend_ = nullptr;
  uint32_t graph_ = 0;
};

// One execution context (a conversation with its own KV sequence) on the client's model.
class Conversation {
 public:
  explicit Conversation(const BenchClient& client);
  ~Conversation();
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // set_input(1, settings) + set_input(0, prompt) + compute + get_output(1).
  Reply run(const std::string& prompt, const std::string& settings_json);

 private:
  const BenchClient& client_;
  uint32_t exec_ = 0;
};

}  // namespace bench
