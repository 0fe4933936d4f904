// Periodic: runs registered tasks every `period` on one background thread, for work that must
// happen by time rather than when the next call arrives (idle sessions expiring). The thread
// exists only while tasks are registered: the last unregister stops and joins it, so no thread
// of ours outlives the objects that registered (a host may unload the library afterwards).
// Thread-safety: add/remove may be called from any thread, but not from inside a task.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "core/base/mutex.h"

namespace wasi_nn {

class Periodic {
 public:
  static Periodic& instance();

  // Runs `task` every period until remove(id); returns the id.
  uint64_t add(std::function<void()> task);
  // After it returns the task is not running and never runs again.
  void remove(uint64_t id);

  static constexpr std::chrono::milliseconds kPeriod{200};

 private:
  void loop();

  Mutex mu_;
  CondVar cv_;
  std::map<uint64_t, std::function<void()>> tasks_ GUARDED_BY(mu_);
  uint64_t next_ GUARDED_BY(mu_) = 1;
  uint64_t running_ GUARDED_BY(mu_) = 0;  // the task the thread runs now (0: none)
  bool stop_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // started by add, joined by the last remove
};

}  // namespace wasi_nn
