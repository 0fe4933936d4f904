// Reranking (a model loaded with "reranking": true): the text each (query, document) pair is
// scored as, built exactly as llama.cpp's llama-embedding builds it for rank pooling (so scores
// equal llama.cpp's own), and output 0 in the shape of llama-server's /rerank answer.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "core/engine/request.h"
#include "core/input/rerank_input.h"
#include "llama.h"

namespace wasi_nn {

// One text per document: the model's "rerank" chat template with {query} and {document}
// filled in when it has one, else query, the EOS and SEP texts the vocabulary adds, document.
// The caller tokenizes each with special tokens added and parsed, as llama-embedding does.
std::vector<std::string> rerank_texts(const llama_model* model, const RerankInput& in);

// {"model", "object": "list", "usage": {"prompt_tokens", "total_tokens"}, "results":
// [{"index", "relevance_score"}, ...]}: one result per document, best first, the first top_n.
// `r.embeddings` holds one score per document (n_embd 1), in document order.
std::string rerank_json(const RequestResult& r, const RerankInput& in, const std::string& model_name);

}  // namespace wasi_nn
