#include "host/runner.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "host/library_env.h"
#include "host/wasi_nn_natives.h"
#include "wasm_export.h"

namespace wasi_nn::host {
namespace {

// VmRSS of this process in KiB (0 if unknown).
long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// Names the first function import that no registered native provides, or "".
std::string missing_import(wasm_module_t module) {
  int32_t n = wasm_runtime_get_import_count(module);
  for (int32_t i = 0; i < n; ++i) {
    wasm_import_t imp;
    wasm_runtime_get_import_type(module, i, &imp);
    if (imp.kind == WASM_IMPORT_EXPORT_KIND_FUNC && !imp.linked) {
      return std::string(imp.module_name) + "." + imp.name;
    }
  }
  return {};
}

// Runs one instance's _start; returns the guest's exit status or kExitTrap.
int run_instance(wasm_module_inst_t inst, bool own_thread) {
  if (own_thread && !wasm_runtime_init_thread_env()) {
    std::fprintf(stderr, "wasi-nn-run: cannot set up a WAMR thread environment\n");
    return kExitRuntime;
  }
  int status;
  if (wasm_application_execute_main(inst, 0, nullptr)) {
    status = static_cast<int>(wasm_runtime_get_wasi_exit_code(inst));
  } else {
    const char* what = wasm_runtime_get_exception(inst);
    std::fprintf(stderr, "wasi-nn-run: the guest trapped: %s\n", what ? what : "(no message)");
    status = kExitTrap;
  }
  if (own_thread) wasm_runtime_destroy_thread_env();
  return status;
}

// Owns the runtime, the module and its instances; run() is the whole life of one module.
class Session {
 public:
  explicit Session(const Options& opts) : opts_(opts) {}
  ~Session() {
    for (wasm_module_inst_t inst : instances_) wasm_runtime_deinstantiate(inst);
    if (module_) wasm_runtime_unload(module_);
    if (runtime_) wasm_runtime_destroy();
  }

  int run() {
    std::ifstream in(opts_.wasm, std::ios::binary);
    if (!in) return fail(kExitBadModule, "cannot read " + opts_.wasm);
    bytes_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (bytes_.empty()) return fail(kExitBadModule, opts_.wasm + " is empty");

    RuntimeInitArgs init;
    std::memset(&init, 0, sizeof init);
    init.mem_alloc_type = Alloc_With_System_Allocator;
    if (!wasm_runtime_full_init(&init)) return fail(kExitRuntime, "WAMR failed to start");
    runtime_ = true;
    if (!wasi_nn_register_natives()) return fail(kExitRuntime, "could not register the WASI-NN functions");

    char err[256] = {0};
    module_ = wasm_runtime_load(bytes_.data(), static_cast<uint32_t>(bytes_.size()), err, sizeof err);
    if (!module_) return fail(kExitBadModule, "cannot load " + opts_.wasm + ": " + err);
    std::string missing = missing_import(module_);
    if (!missing.empty()) {
      return fail(kExitInstantiate, opts_.wasm + " imports " + missing + ", which this host does not provide");
    }
    set_wasi_args();

    const long rss_before = rss_kib();
    for (uint32_t i = 0; i < opts_.instances; ++i) {
      wasm_module_inst_t inst = wasm_runtime_instantiate(module_, opts_.stack_size, opts_.heap_size, err, sizeof err);
      if (!inst) return fail(kExitInstantiate, "cannot instantiate " + opts_.wasm + ": " + err);
      instances_.push_back(inst);
    }
    int status = run_all();
    if (opts_.report_rss) {
      const long rss_after = rss_kib();
      std::fprintf(stderr, "wasi-nn-run: rss_kib before=%ld after=%ld instances=%u per_instance=%ld\n", rss_before,
                   rss_after, opts_.instances, (rss_after - rss_before) / static_cast<long>(opts_.instances));
    }
    return status;
  }

 private:
  int fail(int code, const std::string& message) {
    std::fprintf(stderr, "wasi-nn-run: %s\n", message.c_str());
    return code;
  }

  void set_wasi_args() {
    for (const auto& [host, guest] : opts_.dirs) {
      if (host == guest) {
        dir_list_.push_back(host.c_str());
      } else {
        maps_.push_back(guest + "::" + host);
      }
    }
    for (const std::string& m : maps_) map_list_.push_back(m.c_str());
    for (const std::string& e : opts_.env) env_list_.push_back(e.c_str());
    for (const std::string& a : opts_.argv) argv_.push_back(const_cast<char*>(a.c_str()));
    wasm_runtime_set_wasi_args_ex(module_, dir_list_.data(), static_cast<uint32_t>(dir_list_.size()), map_list_.data(),
                                  static_cast<uint32_t>(map_list_.size()), env_list_.data(),
                                  static_cast<uint32_t>(env_list_.size()), argv_.data(), static_cast<int>(argv_.size()),
                                  -1, -1, -1);
  }

  // One instance runs on this thread; several run at once, one thread each.
  int run_all() {
    if (instances_.size() == 1) return run_instance(instances_[0], false);
    std::vector<int> status(instances_.size(), 0);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < instances_.size(); ++i) {
      threads.emplace_back([&, i] { status[i] = run_instance(instances_[i], true); });
    }
    for (std::thread& t : threads) t.join();
    for (int s : status) {
      if (s != 0) return s;
    }
    return 0;
  }

  const Options& opts_;
  std::vector<uint8_t> bytes_;  // must outlive module_
  bool runtime_ = false;
  wasm_module_t module_ = nullptr;
  std::vector<wasm_module_inst_t> instances_;
  std::vector<std::string> maps_;
  std::vector<const char*> dir_list_, map_list_, env_list_;
  std::vector<char*> argv_;
};

}  // namespace

int run(const Options& opts) {
  export_library_env(opts);
  Session session(opts);
  return session.run();
}

}  // namespace wasi_nn::host
