#include "core/session/rerank_format.h"

#include <algorithm>
#include <numeric>

#include <nlohmann/json.hpp>

#include "common.h"

namespace wasi_nn {

std::vector<std::string> rerank_texts(const llama_model* model, const RerankInput& in) {
  const llama_vocab* vocab = llama_model_get_vocab(model);
  const char* tmpl = llama_model_chat_template(model, "rerank");
  // llama-embedding joins the pair with these texts between (examples/embedding/embedding.cpp).
  const std::string eos = llama_vocab_get_add_eos(vocab) ? llama_vocab_get_text(vocab, llama_vocab_eos(vocab)) : "";
  const std::string sep = llama_vocab_get_add_sep(vocab) ? llama_vocab_get_text(vocab, llama_vocab_sep(vocab)) : "";
  std::vector<std::string> out;
  for (const auto& doc : in.documents) {
    if (tmpl) {
      std::string text = tmpl;
      string_replace_all(text, "{query}", in.query);
      string_replace_all(text, "{document}", doc);
      out.push_back(std::move(text));
    } else {
      out.push_back(in.query + eos + sep + doc);
    }
  }
  return out;
}

std::string rerank_json(const RequestResult& r, const RerankInput& in, const std::string& model_name) {
  const size_t n = in.documents.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  // The first of the model's outputs is the relevance score (llama-server reads the same one).
  auto score = [&](size_t i) { return r.embeddings.at(i * r.n_embd); };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score(a) > score(b); });
  if (in.top_n > 0 && in.top_n < n) order.resize(in.top_n);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (size_t i : order) results.push_back({{"index", i}, {"relevance_score", score(i)}});
  nlohmann::ordered_json out;
  out["model"] = model_name;
  out["object"] = "list";
  out["usage"] = {{"prompt_tokens", r.n_prompt}, {"total_tokens", r.n_prompt}};
  out["results"] = std::move(results);
  return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace wasi_nn
