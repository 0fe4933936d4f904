#include "core/base/counters.h"

namespace wasi_nn {

void UsageCounters::record_done(uint64_t n_in, uint64_t n_cached, uint64_t n_out, double queue_ms) {
  ++requests_done;
  tokens_in += n_in;
  tokens_cached += n_cached;
  tokens_out += n_out;
  queue_us += static_cast<uint64_t>(queue_ms * 1000.0);
}

void UsageCounters::record_failed(ErrorKind kind) {
  if (kind == ErrorKind::EndOfSequence) return;
  ++requests_failed;
  if (kind == ErrorKind::Busy) ++busy;
  if (kind == ErrorKind::Timeout) ++timeouts;
  if (kind == ErrorKind::Cancelled) ++cancelled;
  if (kind == ErrorKind::InvalidArgument || kind == ErrorKind::Security) ++refused;
}

// Leaked: objects may end during static teardown and still count.
UsageCounters& process_counters() {
  static UsageCounters* c = new UsageCounters();
  return *c;
}

LiveObjects& live_objects() {
  static LiveObjects* l = new LiveObjects();
  return *l;
}

}  // namespace wasi_nn
