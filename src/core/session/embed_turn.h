// EmbedTurn: the embedding kind of a turn (see turn.h), for models loaded with
// "embedding": true. prepare() takes input 0 as one text (or, with embd_input json, a JSON
// array of texts), tokenizes each as llama-embedding does and refuses an input longer than one
// batch; outputs() writes the vectors as WasmEdge's ggml plugin does (JSON) or as raw
// little-endian f32, and the metadata. With embd_input "rerank" (a reranker's load) input 0 is a
// query and documents (rerank_input.h) and output 0 their scores (rerank_format.h). In the WasmEdge profile a model
// that does not pool gives each input's last token's vector, as WasmEdge's plugin does.
#pragma once

#include <optional>
#include <vector>

#include "core/input/rerank_input.h"

#include "core/session/turn.h"

namespace wasi_nn {

class EmbedTurn : public TurnKind {
 public:
  explicit EmbedTurn(const Conversation& conv) : conv_(conv) {}

  RequestPtr prepare(const std::string& input, const Settings& settings, const TurnStart& start) override;
  TurnRecord record(const RequestResult& result) const override;
  TurnOutputs outputs(const RequestResult& result, const Conversation& conv) const override;

 private:
  const Conversation& conv_;
  EmbeddingSettings settings_;
  std::vector<size_t> tokens_each_, vectors_each_;
  std::optional<RerankInput> rerank_;  // embd_input "rerank": the query and documents
  bool last_token_ = false;            // WasmEdge profile, model without pooling: one vector per input
};

}  // namespace wasi_nn
