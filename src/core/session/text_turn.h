// TextTurn: the text-generation kind of a turn (see turn.h). prepare() renders the
// conversation through the chat template (or takes the raw text), tokenizes it reusing the
// previous turn's tokens, makes room by dropping old turns when context_shift allows, checks
// the prompt fits, and builds the request with its sampler. record() and outputs() turn the
// result into history and metadata.
// With the agent features (docs/AGENTS.md) the turn's input may be a list of messages, the
// render carries tools and reasoning settings, and the reply is parsed (reply_format.h): output
// 0 is its visible content; tool calls and reasoning go to the metadata and the history.
#pragma once

#include <optional>

#include "core/session/reply_format.h"
#include "core/session/turn.h"

namespace wasi_nn {

class TextTurn : public TurnKind {
 public:
  RequestPtr prepare(const std::string& input, const Settings& settings, const TurnStart& start) override;
  TurnRecord record(const RequestResult& result) const override;
  TurnOutputs outputs(const RequestResult& result, const Conversation& conv) const override;
  bool streams() const override { return true; }
  std::unique_ptr<ReplyStream> reply_stream() const override;

  explicit TextTurn(const Conversation& conv) : conv_(conv) {}

 private:
  const ParsedReply* parsed(const RequestResult& res) const;

  const Conversation& conv_;
  bool raw_ = false;
  std::vector<common_chat_msg> added_;         // what this turn adds before the reply
  size_t dropped_ = 0;                         // oldest history messages dropped to make room
  RenderedTurn rendered_;                      // the prompt as rendered and tokenized (chat mode)
  MediaList new_media_;                        // this turn's media (inputs 2, 3, ...), kept with the user message
  std::shared_ptr<const ReplyParser> parser_;  // chat mode
  mutable std::optional<ParsedReply> parsed_;  // the reply, read once
};

}  // namespace wasi_nn
