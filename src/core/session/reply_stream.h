// ReplyStream: a streamed reply whose text is parsed (tools offered, or thinking extracted;
// reply_format.h) turned into pieces a guest can tell apart. The generated text is re-read
// with llama.cpp's partial parser as it grows, markup that may still be forming at its end
// (the start of "</think>" or "<tool_call>") is held back, and each piece carries only what is
// new: visible content (output_single index 0), reasoning, and, in the last piece, the tool
// calls (both in the piece's metadata, index 1). Concatenated, the content pieces are the
// turn's output 0; reasoning never appears in them.
// Thread-safety: none; one stream's caller (under the context's stream lock) uses it.
#pragma once

#include <memory>
#include <string>

#include "core/session/reply_format.h"

namespace wasi_nn {

struct StreamPiece {
  std::string content;                            // new visible text
  std::string reasoning;                          // new reasoning text
  std::vector<common_chat_tool_call> tool_calls;  // the last piece: every call of the reply
  bool empty() const { return content.empty() && reasoning.empty() && tool_calls.empty(); }
  // {"content": ..., "reasoning_content": ..., "tool_calls": [...]} with the fields present.
  std::string metadata_json() const;
};

class ReplyStream {
 public:
  explicit ReplyStream(std::shared_ptr<const ReplyParser> parser) : parser_(std::move(parser)) {}

  // More generated text: what of it can be shown now (possibly nothing).
  StreamPiece feed(const std::string& text);
  // The text is complete (`text` is the whole final text, stop strings cut): the rest.
  StreamPiece finish(const std::string& text);

 private:
  StreamPiece advance(const ParsedReply& now);

  std::shared_ptr<const ReplyParser> parser_;
  std::string raw_;
  std::string shown_content_, shown_reasoning_;
};

}  // namespace wasi_nn
