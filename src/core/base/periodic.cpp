#include "core/base/periodic.h"

#include <vector>

#include "core/base/log.h"

namespace wasi_nn {

Periodic& Periodic::instance() {
  static Periodic* p = new Periodic();  // leaked: never destroyed during static teardown
  return *p;
}

uint64_t Periodic::add(std::function<void()> task) {
  std::thread stale;
  uint64_t id;
  {
    MutexLock lock(mu_);
    id = next_++;
    tasks_.emplace(id, std::move(task));
    if (tasks_.size() == 1) {
      stale = std::move(thread_);  // a thread told to stop by the last remove, maybe not joined yet
      stop_ = false;
    }
  }
  if (stale.joinable()) stale.join();
  MutexLock lock(mu_);
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  return id;
}

void Periodic::remove(uint64_t id) {
  std::thread done;
  {
    MutexLock lock(mu_);
    tasks_.erase(id);
    while (running_ == id) cv_.wait(mu_);  // the task may be running right now
    if (tasks_.empty() && thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
      stop_ = true;
      done = std::move(thread_);
    }
  }
  cv_.notify_all();
  if (done.joinable()) done.join();
}

void Periodic::loop() {
  mu_.lock();
  while (!stop_) {
    cv_.wait_until(mu_, std::chrono::steady_clock::now() + kPeriod);
    std::vector<uint64_t> ids;
    for (const auto& kv : tasks_) ids.push_back(kv.first);
    for (uint64_t id : ids) {
      auto it = tasks_.find(id);
      if (stop_ || it == tasks_.end()) continue;
      std::function<void()> task = it->second;
      running_ = id;
      mu_.unlock();
      try {
        task();
      } catch (const std::exception& e) {
        LOG_ERR("periodic task failed: %s", e.what());
      }
      mu_.lock();
      running_ = 0;
      cv_.notify_all();
    }
  }
  mu_.unlock();
}

}  // namespace wasi_nn
