#include "bench_client.h"

#include <chrono>
#include <stdexcept>
#include <vector>

#include "wasi_nn_backend.h"

namespace bench {
namespace {

std::string last_error() {
  char buf[4096];
  uint32_t size = sizeof buf - 1;
  if (get_output(nullptr, WASI_NN_NO_HANDLE, 0, reinterpret_cast<uint8_t*>(buf), &size) != success) return "";
  return std::string(buf, size);
}

void check(wasi_nn_error e, const char* what) {
  if (e == success) return;
  throw std::runtime_error(std::string(what) + " failed with code " + std::to_string(e) + ": " + last_error());
}

void set_text(void* backend, uint32_t exec, uint32_t index, const std::string& text) {
  tensor t{nullptr, fp32, reinterpret_cast<uint8_t*>(const_cast<char*>(text.c_str()))};
  check(set_input(backend, exec, index, &t), index == 0 ? "set_input(0)" : "set_input(1)");
}

std::string get_text(void* backend, uint32_t exec, uint32_t index) {
  std::vector<uint8_t> buf(64 * 1024);
  uint32_t size = static_cast<uint32_t>(buf.size());
  wasi_nn_error e = get_output(backend, exec, index, buf.data(), &size);
  if (e == too_large) {
    buf.resize(size + 1);
    size = static_cast<uint32_t>(buf.size());
    e = get_output(backend, exec, index, buf.data(), &size);
  }
  check(e, "get_output");
  return std::string(reinterpret_cast<char*>(buf.data()), size);
}

}  // namespace

BenchClient::BenchClient(const std::string& model, const std::string& backend_json, const std::string& load_json) {
  check(init_backend_with_config(&backend_, backend_json.c_str(), 0), "init_backend_with_config");
  check(load_by_name_with_config(backend_, model.c_str(), 0, load_json.c_str(), 0, &graph_),
        "load_by_name_with_config");
}

BenchClient::~BenchClient() { deinit_backend(backend_); }

Conversation::Conversation(const BenchClient& client) : client_(client) {
  check(init_execution_context(client.backend(), client.graph(), &exec_), "init_execution_context");
}

Conversation::~Conversation() { close_execution_context(client_.backend(), exec_); }

Reply Conversation::run(const std::string& prompt, const std::string& settings_json) {
  set_text(client_.backend(), exec_, 1, settings_json);
  set_text(client_.backend(), exec_, 0, prompt);
  const auto t0 = std::chrono::steady_clock::now();
  check(compute(client_.backend(), exec_), "compute");
  const auto t1 = std::chrono::steady_clock::now();
  Reply r;
  r.wall_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  r.meta = nlohmann::json::parse(get_text(client_.backend(), exec_, 1));
  return r;
}

}  // namespace bench
