// Usage counters: plain atomic tallies that the layers which do the work bump and the stats
// observer (observe/stats.h) reads. They live at the bottom so that counting never makes a
// lower layer depend on the observer. One UsageCounters exists for the whole process and one
// per tenant (backend context).
// Thread-safety: every member may be used from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/base/error.h"

namespace wasi_nn {

struct UsageCounters {
  std::atomic<uint64_t> requests_done{0}, requests_failed{0};
  std::atomic<uint64_t> busy{0}, timeouts{0}, cancelled{0}, refused{0};
  std::atomic<uint64_t> tokens_in{0}, tokens_cached{0}, tokens_out{0};
  std::atomic<uint64_t> queue_us{0};  // time requests waited for a sequence, summed

  // A turn finished: its prompt tokens, those reused from the KV cache, generated tokens,
  // and how long it queued.
  void record_done(uint64_t n_in, uint64_t n_cached, uint64_t n_out, double queue_ms);
  // A turn failed with `kind` (EndOfSequence is not a failure and is not counted).
  void record_failed(ErrorKind kind);
};

// Objects alive in the process, for the stats document.
struct LiveObjects {
  std::atomic<int64_t> backends{0}, contexts{0}, sessions{0};
};

UsageCounters& process_counters();
LiveObjects& live_objects();

}  // namespace wasi_nn
