// Rows of the parameter table: session (prompts and conversation), embeddings, and the keys
// the original project documented that this backend recognises but does not implement.
#include "core/config/param_rows.h"
#include "core/config/param_values.h"

namespace wasi_nn::param_rows {

std::vector<ParamSpec> session_rows() {
  const auto T = ParamType::Bool;
  const auto I = ParamType::Int;
  const auto E = ParamType::Enum;
  const auto S = ParamType::String;
  const unsigned LT = kScopeLoadTime, ALL = kScopeAll;
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      // session
      {"mode", "session", {}, E, ALL, 0, 0, enum_names<ChatMode>(), "\"chat\"",
       "chat = the prompt is a user message, formatted with the chat template and added to the "
       "session's history; raw = the prompt is tokenized as given.",
       APPLY_ENUM(request.chat.mode)},
      {"chat_template", "session", {}, S, ALL, 0, 0, {}, "\"\"",
       "Chat template: empty = the model's own; a llama.cpp built-in name (e.g. \"chatml\", "
       "\"llama3\", \"phi3\"), rendered by llama.cpp's built-in formatter; or Jinja text, rendered "
       "by llama.cpp's Jinja engine. The template's end-of-turn marker is also a stop string.",
       apply_chat_template},
      {"system_prompt", "session", {}, S, ALL, 0, 0, {}, "\"\"",
       "System message placed before the conversation in chat mode; empty = none.",
       APPLY(s.request.chat.system_prompt = v.get<std::string>())},
      {"cache_prompt", "session", {"enable_prompt_cache"}, T, ALL, 0, 0, {}, "true",
       "Reuse the KV cache for the prefix this prompt shares with the session's previous one.",
       APPLY(s.request.cache_prompt = v.get<bool>())},
      {"reset", "session", {}, T, kScopeRequest, 0, 0, {}, "false",
       "Forget the session's conversation (history and KV state) before this request.",
       APPLY(s.request.reset = v.get<bool>())},
      // embeddings
      {"embedding", "embeddings", {"embeddings_mode"}, T, ALL, 0, 0, {}, "false",
       "Load the model for embeddings: compute returns the pooled, normalised vector of input 0 "
       "(output 0) instead of generated text. Set at load; a request may only repeat the "
       "load's value (an embedding request to a text model is an error). No streaming.",
       APPLY(s.context.embedding = v.get<bool>())},
      {"pooling", "embeddings", {"pooling_type"}, E, LT, 0, 0,
       enum_names<Pooling>(), "\"model\"",
       "How token vectors become one vector per input: model = the GGUF's own pooling type; "
       "none = one vector per token; rank = the reranking head's scores (never normalised).",
       APPLY_ENUM(context.pooling)},
      {"embd_normalize", "embeddings", {"embd_normalise", "normalize"}, I, ALL, -1, kI32, {}, "2",
       "Normalisation of each vector (llama.cpp's common_embd_normalize): -1 none, 0 max "
       "absolute scaled to int16 range, 1 taxicab, 2 euclidean (L2 norm 1), >2 p-norm.",
       APPLY(s.request.embd.normalize = v.get<int32_t>())},
      {"embd_output", "embeddings", {"embedding_output"}, E, ALL, 0, 0, enum_names<EmbdOutput>(), "\"json\"",
       "Output 0 of an embedding request: json = {\"n_embedding\": N, \"embedding\": [...]} "
       "(WasmEdge's shape; with embd_input json: \"embeddings\": [[...], ...]); f32 = the raw "
       "little-endian floats, every vector in input order (N per vector; see n_vectors in "
       "output 1).",
       APPLY_ENUM(request.embd.output)},
      {"embd_input", "embeddings", {"embedding_input"}, E, ALL, 0, 0, enum_names<EmbdInput>(), "\"text\"",
       "Input 0 of an embedding request: text = one text; json = a JSON array of texts, "
       "embedded together (sequences share decode steps) and returned in order; rerank = a "
       "query and documents to score (set by reranking; needs rank pooling).",
       APPLY_ENUM(request.embd.input)},
  };
  // clang-format on
}

std::vector<ParamSpec> unsupported_rows() {
  // One row per parameter, laid out by hand.
  // clang-format off
  return {
      unsupported("auto_cleanup", "backend", {}, "true",
                  "idle sessions are always closed after idle_timeout_ms"),
      unsupported("max_concurrent", "backend", {}, "", "concurrency is set by n_parallel"),
      unsupported("priority_scheduling_enabled", "backend", {}, "true",
                  "requests are always admitted by priority (see priority)"),
      unsupported("fair_scheduling_enabled", "backend", {}, "",
                  "every active conversation shares each decode step"),
      unsupported("auto_queue_cleanup", "backend", {}, "", "there is no separate task queue"),
      unsupported("queue_warning_threshold", "backend", {}, "", "there is no separate task queue"),
      unsupported("queue_reject_threshold", "backend", {}, "", "there is no separate task queue"),
      unsupported("numa", "model", {}, "", "NUMA placement is left to the OS"),
      unsupported("stream", "stopping", {}, "false",
                  "the whole reply is returned by get_output"),
      unsupported("cache_strategy", "memory", {"cache_deletion_strategy"}, "",
                  "idle sessions are evicted by idle_timeout_ms"),
      unsupported("max_cache_tokens", "memory", {}, "", "KV memory is ctx_size * n_parallel"),
      unsupported("enable_partial_cache_deletion", "memory", {}, "", "use cache_prompt"),
      unsupported("enable_token_cache_reuse", "memory", {}, "", "use cache_prompt"),
      unsupported("max_memory_mb", "memory", {}, "",
                  "memory follows from the model, ctx_size and n_parallel"),
      unsupported("memory_pressure_threshold", "memory", {}, "", "memory use is fixed at load"),
      unsupported("timestamps", "logging", {}, "", "the log sink formats messages"),
      unsupported("colors", "logging", {}, "false", "logs are never coloured"),
      unsupported("batch_processing", "performance", {}, "true",
                  "conversations are always batched"),
      unsupported("batch_timeout_ms", "performance", {}, "",
                  "decode steps do not wait to fill a batch"),
  };
  // clang-format on
}

}  // namespace wasi_nn::param_rows
