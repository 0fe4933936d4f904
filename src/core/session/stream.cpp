// Streaming turns: compute_single / get_output_single / fini_single, with WasmEdge's meaning.
// The engine generates at full speed; each compute_single hands out the text released since
// the previous one (never a possible stop-string prefix or half a UTF-8 character), so the
// concatenated chunks equal the non-streamed text byte for byte.
#include "core/error.h"
#include "core/session/exec_context.h"

namespace wasi_nn {
namespace {

// Ends the stream's turn once (history, outputs); with an error, records it instead.
void end_stream_turn(ExecContext& ctx, Stream& s) {
  if (s.ended) return;
  s.ended = true;
  const RequestResult& res = s.turn.req->wait();
  if (res.error) {
    fail_turn(ctx, *res.error);
    throw *res.error;
  }
  end_turn(ctx, s.turn, res);
}

}  // namespace

void stream_step(ExecContext& ctx, const std::string& runtime_json) {
  std::lock_guard<std::mutex> serial(ctx.stream_mu);
  Stream* s = nullptr;
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    s = ctx.stream.get();
  }
  if (!s) {
    auto fresh = std::make_unique<Stream>();
    fresh->turn = begin_turn(ctx, runtime_json);
    std::lock_guard<std::mutex> lock(ctx.mu);
    s = (ctx.stream = std::move(fresh)).get();
  }
  // stream_mu keeps stream_finish from replacing the Stream while this step uses it.
  Request& req = *s->turn.req;
  const auto deadline = s->turn.timeout_ms > 0 ? req.t_submit + std::chrono::milliseconds(s->turn.timeout_ms)
                                               : Clock::time_point::max();
  bool done = false;
  std::string chunk = req.wait_text(s->delivered, deadline, &done);
  if (chunk.empty() && !done) {  // the deadline passed with nothing new
    req.cancel(ErrorKind::Timeout, "the stream did not finish within timeout_ms");
    ctx.conv->graph->engine->wake();
    req.wait();
    done = true;
  }
  if (!chunk.empty()) {
    s->delivered += chunk.size();
    std::lock_guard<std::mutex> lock(ctx.mu);
    ctx.single_output = std::move(chunk);
    return;
  }
  end_stream_turn(ctx, *s);
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    ctx.single_output.clear();
  }
  fail(ErrorKind::EndOfSequence, "end of sequence: the stream has no more text; call fini_single");
}

void stream_finish(ExecContext& ctx) {
  std::lock_guard<std::mutex> serial(ctx.stream_mu);
  std::unique_ptr<Stream> s;
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    s = std::move(ctx.stream);
    ctx.single_output.clear();
  }
  if (!s) return;  // nothing streaming: fini_single is harmless
  if (!s->ended) {
    s->turn.req->cancel(ErrorKind::Cancelled, "the stream was finished early (fini_single)");
    ctx.conv->graph->engine->wake();
    s->ended = true;
    const RequestResult& res = s->turn.req->wait();
    if (res.error) {
      // Stopped before the end: keep what the guest was already shown as the reply.
      RequestResult partial = res;
      partial.error.reset();
      bool done = false;
      partial.text = s->turn.req->wait_text(0, Clock::now(), &done).substr(0, s->delivered);
      partial.stop_reason = "cancelled";
      end_turn(ctx, s->turn, partial);
    } else {
      end_turn(ctx, s->turn, res);
    }
  }
}

}  // namespace wasi_nn
