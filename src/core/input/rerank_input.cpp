#include "core/input/rerank_input.h"

#include <nlohmann/json.hpp>

#include "core/input/input_error.h"
#include "core/input/json_schema_check.h"

namespace wasi_nn {
namespace {

const char* kKey = "reranking input 0";
const char* kShape = "; send {\"query\": \"...\", \"documents\": [\"...\", ...]} (\"top_n\" optional)";

// The shape is an object holding one list: anything nested deeper is not a reranking request.
constexpr size_t kMaxDepth = 2;

std::string string_field(const nlohmann::json& v, const std::string& what) {
  if (!v.is_string()) refuse_input(kKey, what + " is not a string" + kShape);
  return v.get<std::string>();
}

}  // namespace

RerankInput parse_rerank_input(const std::string& text, const InputLimits& limits) {
  if (text.size() > limits.max_rerank_bytes) {
    refuse_over_limit(kKey, "is " + std::to_string(text.size()) + " bytes", limits.max_rerank_bytes, "max_rerank_bytes",
                      "Send fewer or shorter documents per request");
  }
  if (json_text_depth(text) > kMaxDepth) refuse_input(kKey, std::string("nests lists or objects too deeply") + kShape);
  const nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) refuse_input(kKey, std::string("is not JSON") + kShape);
  if (!doc.is_object() || !doc.contains("query") || !doc.contains("documents")) {
    refuse_input(kKey, std::string("lacks \"query\" or \"documents\"") + kShape);
  }
  for (const auto& [key, value] : doc.items()) {
    (void)value;
    if (key != "query" && key != "documents" && key != "top_n")
      refuse_input(kKey, "has unknown key " + shown_text(key) + kShape);
  }
  RerankInput in;
  in.query = string_field(doc["query"], "\"query\"");
  const auto& docs = doc["documents"];
  if (!docs.is_array() || docs.empty())
    refuse_input(kKey, std::string("\"documents\" is not a non-empty list") + kShape);
  if (docs.size() > limits.max_rerank_documents) {
    refuse_over_limit(kKey, "has " + std::to_string(docs.size()) + " documents", limits.max_rerank_documents,
                      "max_rerank_documents", "Split them over several requests");
  }
  for (size_t i = 0; i < docs.size(); ++i)
    in.documents.push_back(string_field(docs[i], "document " + std::to_string(i)));
  if (doc.contains("top_n")) {
    const auto& n = doc["top_n"];
    if (!n.is_number_integer() || n.get<int64_t>() < 1) refuse_input(kKey, "\"top_n\" is not a positive integer");
    in.top_n = n.get<size_t>();
  }
  return in;
}

}  // namespace wasi_nn
