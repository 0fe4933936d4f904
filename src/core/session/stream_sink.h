// StreamSink: where a host wants the pieces of a reply as they are generated (WasmEdge's
// stream-stdout: wasi-nn-run prints them to the guest's stdout). One per tenant; the host
// installs it through its ABI (wasi_nn_set_stream_sink). The library itself never writes a
// piece anywhere: without a sink, stream_stdout is refused (strict) or a warning (WasmEdge).
// Thread-safety: every method may be called from any thread; the host's function is called on
// the thread that runs the compute, never concurrently for one sink (calls are serialised).
#pragma once

#include <cstddef>
#include <string>

#include "core/base/mutex.h"
#include "core/config/settings.h"

namespace wasi_nn {

class StreamSink {
 public:
  using Fn = void (*)(const char* piece, uint32_t len, void* user);

  // Installs `fn` (NULL removes it). Once it returns, the previous function is not running.
  void set(Fn fn, void* user);
  bool installed() const;
  // Hands `piece` to the host's function; false when none is installed.
  bool write(const std::string& piece);

 private:
  mutable Mutex mu_;
  Fn fn_ GUARDED_BY(mu_) = nullptr;
  void* user_ GUARDED_BY(mu_) = nullptr;
};

// stream_stdout needs a sink: without one, the strict profile refuses it (Unsupported) and the
// WasmEdge profile turns it off with a warning in s.warnings.
void check_stream_stdout(Settings& s, bool sink_installed);

}  // namespace wasi_nn
