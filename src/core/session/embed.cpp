// run_embedding: the caller-thread half of an embedding request on a model loaded with
// "embedding": true — settings, the inputs (one text or a JSON array of texts), tokens, the
// hand-off to the engine's worker, and the outputs (JSON as WasmEdge's ggml plugin writes it,
// or raw little-endian f32).
#include <cstring>

#include <nlohmann/json.hpp>

#include "common.h"
#include "core/config/config_parser.h"
#include "core/error.h"
#include "core/session/exec_context.h"

namespace wasi_nn {
namespace {

using json = nlohmann::ordered_json;

std::vector<std::string> split_inputs(const std::string& text, const std::string& mode) {
  if (mode != "json") return {text};
  json arr;
  try {
    arr = json::parse(text);
  } catch (const std::exception&) {
    fail(ErrorKind::InvalidArgument, "with embd_input \"json\", input 0 must be a JSON array of strings, "
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
    if (tokens.empty()) fail(ErrorKind::InvalidArgument, "embedding input " + std::to_string(i) + " is empty; send some text");
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
  for (size_t k = 0; k < n_vectors; ++k, *at += r.n_embd) list.push_back(vector_json(r.embeddings.data() + *at, r.n_embd));
  return list;
}

// "f32" promises little-endian floats: copying the host's own is that only on such a host.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "embd_output f32 copies host floats: needs a little-endian host");

std::string output_bytes(const RequestResult& r, const EmbeddingSettings& es, const std::vector<size_t>& vectors_each) {
  if (es.output == "f32") {
    std::string bytes(r.embeddings.size() * sizeof(float), '\0');
    if (!bytes.empty()) std::memcpy(bytes.data(), r.embeddings.data(), bytes.size());
    return bytes;
  }
  json out;
  out["n_embedding"] = r.n_embd;
  size_t at = 0;
  if (es.input == "json") {
    json all = json::array();
    for (size_t n : vectors_each) all.push_back(input_json(r, &at, n));
    out["embeddings"] = std::move(all);
  } else {
    out["embedding"] = input_json(r, &at, vectors_each[0]);
  }
  return out.dump();
}

std::string embedding_metadata(const RequestResult& r, const Engine& engine, const EmbeddingSettings& es,
                               const std::vector<size_t>& tokens_each) {
  static const char* kPooling[] = {"none", "mean", "cls", "last", "rank"};
  const int p = static_cast<int>(engine.pooling());
  json m;
  m["input_tokens"] = r.n_prompt;
  m["output_tokens"] = 0;
  m["inputs"] = tokens_each.size();
  m["input_tokens_each"] = tokens_each;
  m["n_embedding"] = r.n_embd;
  m["n_vectors"] = r.n_embd ? r.embeddings.size() / r.n_embd : 0;
  m["pooling"] = p >= 0 && p <= 4 ? kPooling[p] : "unknown";
  m["embd_normalize"] = engine.pooling() == LLAMA_POOLING_TYPE_RANK ? -1 : es.normalize;
  m["stop_reason"] = r.stop_reason;
  m["timings"] = {{"queue_ms", r.queue_ms}, {"prompt_ms", r.prompt_ms},
                  {"prompt_tokens_per_second", r.prompt_ms > 0 ? r.n_prompt * 1000.0 / r.prompt_ms : 0.0}};
  const std::string& path = engine.weights().path();
  m["model"] = path.substr(path.find_last_of('/') + 1);
  return m.dump();
}

}  // namespace

void run_embedding(ExecContext& ctx, const std::string& runtime_json) {
  Conversation& conv = *ctx.conv;
  std::string text, input_json;
  {
    std::lock_guard<std::mutex> lock(ctx.mu);
    if (ctx.stream) fail(ErrorKind::Busy, "a stream is open on this context; call fini_single first");
    if (!ctx.has_prompt) fail(ErrorKind::InvalidArgument, "compute called before set_input: set input 0 (the text to embed) first");
    text = ctx.prompt;
    input_json = ctx.request_json;
  }
  {
    std::lock_guard<std::mutex> lock(conv.turn_mu);
    if (conv.in_turn) fail(ErrorKind::Busy, "a compute is already running on this context; wait for it to finish");
    conv.in_turn = true;
  }
  try {
    const Engine& engine = *conv.graph->engine;
    Settings s = conv.graph->settings;
    parse_config(input_json, kScopeRequest, s);
    parse_config(runtime_json, kScopeRequest, s);
    if (!s.context.embedding) {
      fail(ErrorKind::InvalidArgument, "this model was loaded for embeddings (\"embedding\": true); a request "
                                       "cannot switch it to text generation. Load it without \"embedding\" to generate text");
    }
    const EmbeddingSettings& es = s.request.embd;
    auto req = std::make_shared<Request>();
    req->owner = conv.owner;
    req->embed_inputs = tokenize_inputs(engine, split_inputs(text, es.input));
    req->embd_normalize = es.normalize;
    req->priority = s.request.priority;
    std::vector<size_t> tokens_each, vectors_each;
    for (const auto& in : req->embed_inputs) {
      tokens_each.push_back(in.size());
      vectors_each.push_back(engine.pooling() == LLAMA_POOLING_TYPE_NONE ? in.size() : 1);
    }
    {
      std::lock_guard<std::mutex> lock(ctx.mu);
      if (ctx.closed) fail(ErrorKind::Cancelled, "the execution context was closed");
      ctx.inflight = req;
      ctx.request_json.clear();  // index 1 applies to one compute only
    }
    conv.graph->engine->submit(req);
    Turn turn;
    turn.req = req;
    turn.timeout_ms = s.request.timeout_ms;
    const RequestResult& res = wait_turn(ctx, turn);
    if (res.error) throw *res.error;
    std::string out = output_bytes(res, es, vectors_each);
    std::string meta = embedding_metadata(res, engine, es, tokens_each);
    {
      std::lock_guard<std::mutex> lock(conv.turn_mu);
      conv.in_turn = false;
      conv.last_used = Clock::now();
    }
    std::lock_guard<std::mutex> lock(ctx.mu);
    ctx.inflight.reset();
    ctx.output_text = std::move(out);
    ctx.output_meta = std::move(meta);
  } catch (const Error& e) {
    fail_turn(ctx, e);
    throw;
  }
}

}  // namespace wasi_nn
