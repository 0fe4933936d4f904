#include "test_vocab.h"

#include "support/test_files.h"

#include "chat.h"
#include "common.h"

namespace wasi_nn::test {

const llama_model* tiny_model() {
  static llama_model* model = [] {
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    llama_backend_init();
    llama_model_params mp = llama_model_default_params();
    mp.vocab_only = true;
    return llama_model_load_from_file(model_path("tiny-llama").c_str(), mp);
  }();
  return model;
}

const llama_vocab* tiny_vocab() { return llama_model_get_vocab(tiny_model()); }

llama_token token_for(const std::string& text) {
  const auto ids = common_tokenize(tiny_vocab(), text, false, false);
  if (ids.size() != 1 || common_token_to_piece(tiny_vocab(), ids[0], false) != text) return -1;
  return ids[0];
}

void render_unchecked(const std::string& tmpl) {
  auto t = common_chat_templates_init(tiny_model(), tmpl);
  common_chat_templates_inputs in;
  common_chat_msg m;
  m.role = "user";
  m.content = "hi";
  in.messages = {m};
  common_chat_templates_apply(t.get(), in);
}

}  // namespace wasi_nn::test
