// A scoped cap on this process's address space, for the tests of a load too large to allocate
// (ctx_size 1048576 x n_parallel 256: a KV cache of ~128 GiB for a tiny model). llama.cpp sizes
// a cache's per-cell bookkeeping before the cache itself, ~48 bytes a cell: ~13 GB for those
// 268M cells, which filled this shared 24 GiB machine until the OOM killer ended the test (or
// a neighbour). Under the cap the first allocation past it fails at once, as on a machine with
// that little memory, and the load takes the same error path. Header-only: it needs no ABI.
#pragma once

#include <sys/resource.h>

#include <fstream>
#include <string>

namespace wasi_nn::test {

class AddressSpaceCap {
 public:
  // Allows what the process maps now plus `headroom` bytes, until destroyed. Under a
  // sanitizer the mapped size includes its shadow memory, so the cap allows no less than before.
  explicit AddressSpaceCap(rlim_t headroom = rlim_t{2} << 30) {
    getrlimit(RLIMIT_AS, &saved_);
    rlimit cap = saved_;
    cap.rlim_cur = mapped_bytes() + headroom;
    if (saved_.rlim_max != RLIM_INFINITY && cap.rlim_cur > saved_.rlim_max) cap.rlim_cur = saved_.rlim_max;
    setrlimit(RLIMIT_AS, &cap);
  }
  ~AddressSpaceCap() { setrlimit(RLIMIT_AS, &saved_); }
  AddressSpaceCap(const AddressSpaceCap&) = delete;
  AddressSpaceCap& operator=(const AddressSpaceCap&) = delete;

 private:
  // VmSize from /proc/self/status, in bytes.
  static rlim_t mapped_bytes() {
    std::ifstream status("/proc/self/status");
    for (std::string key; status >> key;) {
      if (key == "VmSize:") {
        rlim_t kib = 0;
        status >> kib;
        return kib << 10;
      }
    }
    return 0;
  }

  rlimit saved_{};
};

}  // namespace wasi_nn::test
