// Output index 1 of a text turn: the metadata JSON a guest reads after compute (token counts,
// stop reason, timings, probabilities, the model's name as the caller gave it).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "core/engine/request.h"

namespace wasi_nn {

class Conversation;

// `extra` (may be null): fields added after the common ones (agent_metadata.h).
std::string text_metadata_json(const RequestResult& result, const Conversation& conv, size_t dropped_messages,
                               const nlohmann::ordered_json* extra = nullptr);

}  // namespace wasi_nn
