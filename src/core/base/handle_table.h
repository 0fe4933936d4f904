// HandleTable: maps WASI-NN handle ids (graph, graph_execution_context) to objects. Ids start
// at 1 and are never reused, so a stale id held by a guest can never reach someone else's
// object; 0xFFFFFFFF is reserved (Backend::kNoContext).
// Thread-safety: none; the owner guards it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/base/error.h"

namespace wasi_nn {

template <typename T>
class HandleTable {
 public:
  explicit HandleTable(const char* what) : what_(what) {}

  uint32_t add(std::shared_ptr<T> obj) {
    if (next_ == 0xFFFFFFFFu)
      fail(ErrorKind::Runtime, std::string("out of ") + what_ + " ids for this backend; create a new backend");
    items_[next_] = std::move(obj);
    return next_++;
  }

  std::shared_ptr<T> get(uint32_t id) const {
    auto it = items_.find(id);
    if (it == items_.end()) fail(ErrorKind::NotFound, unknown(id));
    return it->second;
  }

  std::shared_ptr<T> remove(uint32_t id) {
    auto it = items_.find(id);
    if (it == items_.end()) fail(ErrorKind::NotFound, unknown(id));
    std::shared_ptr<T> obj = std::move(it->second);
    items_.erase(it);
    return obj;
  }

  const std::map<uint32_t, std::shared_ptr<T>>& items() const { return items_; }
  void clear() { items_.clear(); }

 private:
  std::string unknown(uint32_t id) const {
    return std::string("unknown ") + what_ + " " + std::to_string(id) +
           (id < next_ && id != 0 ? " (it was closed or unloaded)" : " (it was never created by this backend)");
  }

  const char* what_;
  uint32_t next_ = 1;
  std::map<uint32_t, std::shared_ptr<T>> items_;
};

}  // namespace wasi_nn
