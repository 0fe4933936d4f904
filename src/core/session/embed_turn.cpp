#include "core/session/embed_turn.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "common.h"
#include "core/base/error.h"
#include "core/session/rerank_format.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

std::vector<std::string> split_inputs(const std::string& text, EmbdInput mode) {
  if (mode != EmbdInput::Json) return {text};
  json arr;
  try {
    arr = json::parse(text);
  } catch (const std::exception&) {
    fail(ErrorKind::InvalidArgument,
         "with embd_input \"json\", input 0 must be a JSON array of strings, "
         "e.g. [\"first text\", \"second text\"]; it does not parse as JSON");
  }
  if (!arr.is_array() || arr.empty()) {
    fail(ErrorKind::InvalidArgument, "with embd_input \"json\", input 0 must be a non-empty JSON array of strings");
  }
  std::vector<std::string> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_string()) {
      fail(ErrorKind::InvalidArgument, "with embd_input \"json\", input 0 must hold only strings; element " +
                                           std::to_string(i) + " is not a string");
    }
    out.push_back(arr[i].get<std::string>());
  }
  return out;
}

std::vector<std::vector<llama_token>> tokenize_inputs(const Engine& engine, const std::vector<std::string>& texts) {
  std::vector<std::vector<llama_token>> out;
  const uint32_t max = engine.max_embed_tokens();
  for (size_t i = 0; i < texts.size(); ++i) {
    // As llama-embedding does: special tokens added (BOS/CLS, EOS/SEP per the GGUF) and parsed.
    auto tokens = common_tokenize(engine.weights().vocab(), texts[i], /*add_special=*/true, /*parse_special=*/true);
    if (tokens.empty())
      fail(ErrorKind::InvalidArgument, "embedding input " + std::to_string(i) + " is empty; send some text");
    if (tokens.size() > max) {
      fail(ErrorKind::PromptTooLong,
           "embedding input " + std::to_string(i) + " is " + std::to_string(tokens.size()) +
               " tokens but one input must fit one batch of " + std::to_string(max) +
               " tokens (the smaller of batch_size and ctx_size); shorten it or load the model "
               "with larger batch_size and ctx_size");
    }
    out.push_back(std::move(tokens));
  }
  return out;
}

json vector_json(const float* v, uint32_t n) { return json(std::vector<float>(v, v + n)); }

// One input's value: its vector, or with pooling none the list of its tokens' vectors.
json input_json(const RequestResult& r, size_t* at, size_t n_vectors) {
  if (n_vectors == 1) {
    json v = vector_json(r.embeddings.data() + *at, r.n_embd);
    *at += r.n_embd;
    return v;
  }
  json list = json::array();
  for (size_t k = 0; k < n_vectors; ++k, *at += r.n_embd)
    list.push_back(vector_json(r.embeddings.data() + *at, r.n_embd));
  return list;
}

// "f32" promises little-endian floats: copying the host's own is that only on such a host.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "embd_output f32 copies host floats: needs a little-endian host");

std::string output_bytes(const RequestResult& r, const EmbeddingSettings& es, const std::vector<size_t>& vectors_each) {
  if (es.output == EmbdOutput::F32) {
    std::string bytes(r.embeddings.size() * sizeof(float), '\0');
    if (!bytes.empty()) std::memcpy(bytes.data(), r.embeddings.data(), bytes.size());
    return bytes;
  }
  json out;
  out["n_embedding"] = r.n_embd;
  size_t at = 0;
  if (es.input == EmbdInput::Json) {
    json all = json::array();
    for (size_t n : vectors_each) all.push_back(input_json(r, &at, n));
    out["embeddings"] = std::move(all);
  } else {
    out["embedding"] = input_json(r, &at, vectors_each[0]);
  }
  return out.dump();
}

// WasmEdge's answer for a model that does not pool (a decoder): each input's last token's vector
// (the engine returns one vector per token there).
RequestResult last_token_vectors(const RequestResult& r, const std::vector<size_t>& tokens_each) {
  RequestResult out = r;
  out.embeddings.clear();
  size_t end = 0;
  for (size_t n : tokens_each) {
    end += n * r.n_embd;
    out.embeddings.insert(out.embeddings.end(), r.embeddings.begin() + (end - r.n_embd), r.embeddings.begin() + end);
  }
  return out;
}

std::string embedding_metadata(const RequestResult& r, const Engine& engine, const EmbeddingSettings& es,
                               const std::vector<size_t>& tokens_each, const std::string& model_name, bool last_token) {
  static const char* kPooling[] = {"none", "mean", "cls", "last", "rank"};
  const int p = last_token ? LLAMA_POOLING_TYPE_LAST : static_cast<int>(engine.pooling());
  json m;
  m["input_tokens"] = r.n_prompt;
  m["output_tokens"] = 0;
  m["inputs"] = tokens_each.size();
  m["input_tokens_each"] = tokens_each;
  m["n_embedding"] = r.n_embd;
  m["n_vectors"] = r.n_embd ? r.embeddings.size() / r.n_embd : 0;
  m["pooling"] = p >= 0 && p <= 4 ? kPooling[p] : "unknown";
  m["embd_normalize"] = engine.pooling() == LLAMA_POOLING_TYPE_RANK ? -1 : es.normalize;
  if (engine.pooling() == LLAMA_POOLING_TYPE_RANK) {
    // A classifier's outputs, in order: the model's labels (as llama-embedding prints them), or
    // their numbers when the model names none.
    json labels = json::array();
    for (uint32_t i = 0; i < r.n_embd; ++i) {
      const char* l = llama_model_cls_label(engine.weights().get(), i);
      labels.push_back(l && *l ? std::string(l) : std::to_string(i));
    }
    m["labels"] = std::move(labels);
  }
  m["stop_reason"] = r.stop_reason;
  m["timings"] = {{"queue_ms", r.queue_ms},
                  {"prompt_ms", r.prompt_ms},
                  {"prompt_tokens_per_second", r.prompt_ms > 0 ? r.n_prompt * 1000.0 / r.prompt_ms : 0.0}};
  m["model"] = model_name;
  return m.dump();
}

}  // namespace

RequestPtr EmbedTurn::prepare(const std::string& text, const Settings& s, const TurnStart& start) {
  if (!start.media.empty()) {
    fail(ErrorKind::InvalidArgument,
         "embeddings take text only, but the request sends media (inputs 2 and up); "
         "send the text alone");
  }
  if (!s.context.embedding) {
    fail(ErrorKind::InvalidArgument,
         "this model was loaded for embeddings (\"embedding\": true); a request "
         "cannot switch it to text generation. Load it without \"embedding\" to generate text");
  }
  const Engine& engine = *conv_.graph()->engine;
  settings_ = s.request.embd;
  last_token_ = s.backend.profile == Profile::WasmEdge && engine.pooling() == LLAMA_POOLING_TYPE_NONE;
  auto req = std::make_shared<Request>();
  req->owner = conv_.owner();
  req->tenant = conv_.tenant();
  (void)conv_.graph()->adapter_set(s);  // refuses adapter scales: this load has no adapters
  std::vector<std::string> texts;
  if (settings_.input == EmbdInput::Rerank) {
    if (engine.pooling() != LLAMA_POOLING_TYPE_RANK) {
      fail(ErrorKind::InvalidArgument,
           "embd_input \"rerank\" needs a reranker (rank pooling); load the model "
           "with {\"reranking\": true}");
    }
    rerank_ = parse_rerank_input(text, conv_.graph()->input_limits);
    texts = rerank_texts(engine.weights().get(), *rerank_);
  } else {
    texts = split_inputs(text, settings_.input);
  }
  req->embed_inputs = tokenize_inputs(engine, texts);
  req->embd_normalize = settings_.normalize;
  req->priority = s.request.priority;
  for (const auto& in : req->embed_inputs) {
    tokens_each_.push_back(in.size());
    vectors_each_.push_back(engine.pooling() == LLAMA_POOLING_TYPE_NONE && !last_token_ ? in.size() : 1);
  }
  return req;
}

TurnRecord EmbedTurn::record(const RequestResult&) const { return TurnRecord{}; }

TurnOutputs EmbedTurn::outputs(const RequestResult& all, const Conversation& conv) const {
  const Engine& engine = *conv.graph()->engine;
  const RequestResult res = last_token_ ? last_token_vectors(all, tokens_each_) : all;
  const bool ranked = rerank_ && settings_.output == EmbdOutput::Json;
  return TurnOutputs{
      ranked ? rerank_json(res, *rerank_, conv.graph()->name) : output_bytes(res, settings_, vectors_each_),
      embedding_metadata(res, engine, settings_, tokens_each_, conv.graph()->name, last_token_)};
}

}  // namespace wasi_nn
