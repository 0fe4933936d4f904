#include "core/session/token_task.h"

#include <nlohmann/json.hpp>

#include "common.h"
#include "core/base/error.h"
#include "core/base/utf8.h"
#include "core/input/json_schema_check.h"

namespace wasi_nn {
namespace {

using Json = nlohmann::ordered_json;

std::string dumped(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// As llama-server's with_pieces: the text when it is valid UTF-8, else its bytes (a character
// split across tokens).
Json piece_json(const std::string& piece) {
  if (find_invalid_utf8(piece) == std::string::npos) return piece;
  Json bytes = Json::array();
  for (unsigned char c : piece) bytes.push_back(c);
  return bytes;
}

TokenTaskResult tokenize(const llama_vocab* vocab, const AgentSettings& a, const std::string& text) {
  const std::vector<llama_token> ids = common_tokenize(vocab, text, a.add_special, a.parse_special);
  Json tokens = Json::array();
  for (llama_token id : ids) {
    if (a.with_pieces) {
      tokens.push_back({{"id", id}, {"piece", piece_json(common_token_to_piece(vocab, id, /*special=*/true))}});
    } else {
      tokens.push_back(id);
    }
  }
  return {dumped({{"tokens", tokens}}), dumped({{"task", "tokenize"}, {"n_tokens", ids.size()}})};
}

[[noreturn]] void bad_ids(const std::string& why) {
  fail(ErrorKind::InvalidArgument,
       "input 0 of a detokenize task " + why + "; send a JSON array of token ids, or {\"tokens\": [...]}");
}

TokenTaskResult detokenize(const llama_vocab* vocab, const std::string& text) {
  if (json_text_depth(text) > 2) bad_ids("nests deeper than a list of ids");
  const Json j = Json::parse(text, nullptr, false);
  const Json* list = &j;
  if (j.is_object() && j.contains("tokens")) list = &j["tokens"];
  if (j.is_discarded() || !list->is_array()) bad_ids("is not a list of token ids");
  const int64_t n_vocab = llama_vocab_n_tokens(vocab);
  std::vector<llama_token> ids;
  for (const auto& t : *list) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab) {
      bad_ids("holds " + t.dump().substr(0, 40) + ", which is not a token id of this model (0.." +
              std::to_string(n_vocab - 1) + ")");
    }
    ids.push_back(static_cast<llama_token>(t.get<int64_t>()));
  }
  const std::string content = common_detokenize(vocab, ids, /*special=*/true);
  return {dumped({{"content", content}}), dumped({{"task", "detokenize"}, {"n_tokens", ids.size()}})};
}

}  // namespace

TokenTaskResult run_token_task(const llama_vocab* vocab, const AgentSettings& agent, const std::string& input) {
  if (agent.task == TaskKind::Tokenize) return tokenize(vocab, agent, input);
  return detokenize(vocab, input);
}

}  // namespace wasi_nn
