// ExecContext's streaming verbs: compute_single / get_output_single / fini_single, with
// WasmEdge's meaning. The engine generates at full speed; each compute_single hands out the text
// released since the previous one (never a possible stop-string prefix or half a UTF-8
// character), so the concatenated pieces equal the non-streamed text byte for byte. The turn is
// the same as compute's (exec_context.cpp), split in two.
#include "core/base/error.h"
#include "core/session/exec_context.h"
#include "core/session/wasmedge_profile.h"

namespace wasi_nn {

// Ends the stream's turn once (history, outputs); with an error, records and throws it.
void ExecContext::end_stream(Stream& s) {
  if (s.ended) return;
  s.ended = true;
  finish_turn(s.turn, s.turn.req->wait());
}

void ExecContext::compute_single(std::string_view runtime_json) {
  MutexLock serial(stream_mu_);
  Stream* s = nullptr;
  {
    MutexLock lock(mu_);
    s = stream_.get();
  }
  if (!s) {
    if (graph().engine->embedding()) {
      fail(ErrorKind::InvalidArgument,
           "streaming (compute_single) is not available on a model loaded with "
           "\"embedding\": true; call compute and read the vector at output 0");
    }
    auto fresh = std::make_unique<Stream>();
    fresh->turn = begin_turn(runtime_json, /*streaming=*/true);
    fresh->reply = fresh->turn.kind->reply_stream();
    MutexLock lock(mu_);
    s = (stream_ = std::move(fresh)).get();
  }
  // stream_mu_ keeps fini_single from replacing the Stream while this step uses it.
  Request& req = *s->turn.req;
  const auto deadline =
      s->turn.timeout_ms > 0 ? req.t_submit + std::chrono::milliseconds(s->turn.timeout_ms) : Clock::time_point::max();
  for (;;) {
    req.take_stream();
    graph().engine->wake();  // a stream paused for its reader goes on
    bool done = false;
    std::string chunk = req.wait_text(s->delivered, deadline, &done);
    if (done && wasmedge_) {
      const size_t end = streamed_length(req.wait(), graph().engine->weights().vocab());
      chunk = end > s->delivered ? chunk.substr(0, end - s->delivered) : std::string();
    }
    if (chunk.empty() && !done) {  // the deadline passed with nothing new
      req.cancel(ErrorKind::Timeout, "the stream did not finish within timeout_ms");
      graph().engine->wake();
      req.wait();
    }
    if (!chunk.empty()) {
      s->delivered += chunk.size();
      if (!s->reply) {
        MutexLock lock(mu_);
        single_output_ = std::move(chunk);
        return;
      }
      // A parsed reply: only what can be told apart is shown; markup waits for more text.
      const StreamPiece piece = s->reply->feed(chunk);
      if (piece.empty()) continue;
      return show_piece(piece);
    }
    if (!s->reply || s->reply_finished) break;
    s->reply_finished = true;
    const RequestResult& res = req.wait();
    if (res.error) break;
    const StreamPiece last = s->reply->finish(res.text);
    if (!last.empty()) return show_piece(last);
    break;
  }
  {
    MutexLock lock(mu_);
    single_output_.clear();
    single_meta_.clear();
  }
  end_stream(*s);
  fail(ErrorKind::EndOfSequence, "end of sequence: the stream has no more text; call fini_single");
}

// Output 0 of a piece holds only visible content; its metadata tells reasoning and calls apart.
void ExecContext::show_piece(const StreamPiece& piece) {
  MutexLock lock(mu_);
  single_output_ = piece.content;
  single_meta_ = piece.metadata_json();
}

std::string ExecContext::output_single(uint32_t index) const {
  MutexLock lock(mu_);
  if (index == 0) return single_output_;
  if (index == 1) return single_meta_.empty() ? outputs_.metadata : single_meta_;
  fail(ErrorKind::NotFound,
       "output index " + std::to_string(index) + " does not exist (0: the step's text, 1: metadata JSON)");
}

void ExecContext::fini_single() {
  MutexLock serial(stream_mu_);
  std::unique_ptr<Stream> s;
  {
    MutexLock lock(mu_);
    s = std::move(stream_);
    single_output_.clear();
    single_meta_.clear();
  }
  if (!s || s->ended) return;  // nothing streaming: fini_single is harmless
  Request& req = *s->turn.req;
  req.cancel(ErrorKind::Cancelled, "the stream was finished early (fini_single)");
  graph().engine->wake();
  s->ended = true;
  const RequestResult& res = req.wait();
  if (!res.error) return finish_turn(s->turn, res);
  // Stopped before the end: what the guest was already shown becomes the reply.
  RequestResult partial = res;
  partial.error.reset();
  bool done = false;
  partial.text = req.wait_text(0, Clock::now(), &done).substr(0, s->delivered);
  partial.stop_reason = "cancelled";
  finish_turn(s->turn, partial);
}

}  // namespace wasi_nn
