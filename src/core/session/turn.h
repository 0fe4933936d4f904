// A turn: one compute (or one stream, from its first compute_single to its end) on an execution
// context. The lifecycle is written once, in ExecContext (exec_context.cpp): claim the
// conversation, merge the request's settings, let the turn's kind build the request, register
// it as the context's running request, submit, wait, then commit (outputs, history) or abort.
// What differs between generating text and computing embeddings is a TurnKind:
// TextTurn (text_turn.h) and EmbedTurn (embed_turn.h).
// Thread-safety: a Turn belongs to the caller thread running it (a stream's turn to the
// context's stream lock).
#pragma once

#include <memory>
#include <string>

#include "core/config/settings.h"
#include "core/engine/request.h"
#include "core/session/conversation.h"
#include "core/session/reply_stream.h"

namespace wasi_nn {

// What a successful turn leaves at the context's outputs.
struct TurnOutputs {
  std::string data;      // output 0: generated text, or the embedding vectors
  std::string metadata;  // output 1: JSON
};

class TurnKind {
 public:
  virtual ~TurnKind() = default;
  // Builds the request from the input text and the merged settings, on the caller's thread,
  // with the conversation claimed. Throws Error for anything the input or settings get wrong.
  virtual RequestPtr prepare(const std::string& input, const Settings& settings, const TurnStart& start) = 0;
  // After the request succeeded: what goes to the conversation and to the outputs.
  virtual TurnRecord record(const RequestResult& result) const = 0;
  virtual TurnOutputs outputs(const RequestResult& result, const Conversation& conv) const = 0;
  // Streaming support (text only): false refuses compute_single with InvalidArgument.
  virtual bool streams() const { return false; }
  // A stream of this turn splits its text into content and reasoning pieces (reply_stream.h);
  // null when the text is streamed as it is. Call after prepare().
  virtual std::unique_ptr<ReplyStream> reply_stream() const { return nullptr; }
};

// The kind that serves `conv`'s model (text or embeddings).
std::unique_ptr<TurnKind> make_turn_kind(const Conversation& conv);

struct Turn {
  std::unique_ptr<TurnKind> kind;
  RequestPtr req;
  int64_t timeout_ms = 0;  // 0: none; else from submit to the end
  // What the turn's settings ask of the session layer (wasmedge_profile.h, stream_sink.h).
  bool wasmedge = false;                // the WasmEdge profile: its metadata and ContextFull
  bool to_sink = false;                 // stream_stdout: hand each piece to the host's sink
  LogLevel verbosity = LogLevel::None;  // enable_log / enable_debug_log
  std::vector<std::string> warnings;    // config keys accepted without effect
};

// A streamed turn between its first compute_single and its end.
struct Stream {
  Turn turn;
  size_t delivered = 0;                // bytes of text handed out so far
  bool ended = false;                  // the turn was ended (history and outputs written)
  std::unique_ptr<ReplyStream> reply;  // parsed replies: splits content from reasoning
  bool reply_finished = false;         // reply: its last piece was handed out
};

// {"error": {"kind", "message"}}: output 1 after a failed turn.
std::string error_json(const Error& e);

}  // namespace wasi_nn
