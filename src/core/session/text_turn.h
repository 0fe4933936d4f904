// TextTurn: the text-generation kind of a turn (see turn.h). prepare() renders the
// conversation through the chat template (or takes the raw text), tokenizes it reusing the
// previous turn's tokens, makes room by dropping old turns when context_shift allows, checks
// the prompt fits, and builds the request with its sampler. record() and outputs() turn the
// result into history and metadata.
#pragma once

#include "core/session/turn.h"

namespace wasi_nn {

class TextTurn : public TurnKind {
 public:
  RequestPtr prepare(const std::string& input, const Settings& settings, const TurnStart& start) override;
  TurnRecord record(const RequestResult& result) const override;
  TurnOutputs outputs(const RequestResult& result, const Conversation& conv) const override;
  bool streams() const override { return true; }

  explicit TextTurn(const Conversation& conv) : conv_(conv) {}

 private:
  const Conversation& conv_;
  std::string input_;
  bool raw_ = false;
  size_t dropped_ = 0;     // oldest history messages dropped to make room
  RenderedTurn rendered_;  // the prompt as rendered and tokenized (chat mode)
  MediaList new_media_;    // this turn's media (inputs 2, 3, ...), kept with the user message
};

}  // namespace wasi_nn
