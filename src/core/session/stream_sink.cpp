#include "core/session/stream_sink.h"

#include "core/base/error.h"

namespace wasi_nn {

void StreamSink::set(Fn fn, void* user) {
  MutexLock lock(mu_);
  fn_ = fn;
  user_ = fn ? user : nullptr;
}

bool StreamSink::installed() const {
  MutexLock lock(mu_);
  return fn_ != nullptr;
}

bool StreamSink::write(const std::string& piece) {
  MutexLock lock(mu_);  // serialises the host's calls, and a removal waits for a running one
  if (!fn_) return false;
  fn_(piece.data(), static_cast<uint32_t>(piece.size()), user_);
  return true;
}

void check_stream_stdout(Settings& s, bool sink_installed) {
  if (!s.request.stream_stdout || sink_installed) return;
  const std::string why = "this host prints no streamed text (it installed no stream sink)";
  if (s.backend.profile != Profile::WasmEdge) {
    fail(ErrorKind::Unsupported, "config key 'stream_stdout' = true: " + why +
                                     "; remove it and read the reply at output 0, or stream with compute_single");
  }
  s.request.stream_stdout = false;
  s.warnings.push_back("config key 'stream-stdout' is ignored: " + why + "; the reply is at output 0");
}

}  // namespace wasi_nn
