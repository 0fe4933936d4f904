// A model's vocabulary, loaded on its own (vocab only), for tests of the core that need token
// ids: to tokenize as compute does, or to name a special token such as end-of-sequence.
#pragma once

#include <string>
#include <vector>

#include "common.h"
#include "llama.h"

namespace wasi_nn::test {

class ModelVocab {
 public:
  explicit ModelVocab(const std::string& path) {
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    model_ = llama_model_load_from_file(path.c_str(), mp);
  }
  ~ModelVocab() { llama_model_free(model_); }
  ModelVocab(const ModelVocab&) = delete;
  ModelVocab& operator=(const ModelVocab&) = delete;

  const llama_vocab* get() const { return llama_model_get_vocab(model_); }
  // `text` as compute tokenizes a raw prompt's words (no BOS, special text taken literally).
  std::vector<llama_token> tokenize(const std::string& text) const {
    return common_tokenize(get(), text, false, false);
  }
  llama_token eos() const { return llama_vocab_eos(get()); }

 private:
  llama_model* model_ = nullptr;
};

}  // namespace wasi_nn::test
