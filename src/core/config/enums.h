// The closed sets of values some settings take, as enums. The parameter table names each value
// once (EnumTraits<E>::names, in the enum's order); the parser checks a string against those
// names and stores the enum, so no layer above compares strings the parser already validated.
// Config stays free of llama.cpp types: model/llama_params.cpp maps these to llama.cpp's.
// Thread-safety: constant data and pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace wasi_nn {

enum class SplitMode { None, Layer, Row };
enum class FlashAttn { Auto, On, Off };
enum class KvCacheType { F32, F16, BF16, Q8_0, Q4_0, Q4_1, IQ4_NL, Q5_0, Q5_1 };
enum class Pooling { Model, None, Mean, Cls, Last, Rank };
enum class ChatMode { Chat, Raw };
enum class EmbdInput { Text, Json, Rerank };
enum class EmbdOutput { Json, F32 };
// Speculative decoding: none, n-gram lookup over the conversation's own tokens, or a draft model.
enum class Speculative { None, Ngram, Draft };
// Which dialect a backend context speaks (see docs/COMPATIBILITY.md): strict validation, or
// WasmEdge's GGML plugin (its keys, raw prompts, ContextFull, unknown keys as warnings).
enum class Profile { Strict, WasmEdge };

template <class E>
struct EnumTraits;

#define WASI_NN_ENUM_NAMES(E, ...)                     \
  template <>                                          \
  struct EnumTraits<E> {                               \
    static constexpr std::array names = {__VA_ARGS__}; \
  }

// The names as users write them, in each enum's order.
WASI_NN_ENUM_NAMES(SplitMode, "none", "layer", "row");
WASI_NN_ENUM_NAMES(FlashAttn, "auto", "on", "off");
// ggml's own type names, so they read as llama.cpp's --cache-type-k values.
WASI_NN_ENUM_NAMES(KvCacheType, "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "iq4_nl", "q5_0", "q5_1");
WASI_NN_ENUM_NAMES(Pooling, "model", "none", "mean", "cls", "last", "rank");
WASI_NN_ENUM_NAMES(ChatMode, "chat", "raw");
WASI_NN_ENUM_NAMES(EmbdInput, "text", "json", "rerank");
WASI_NN_ENUM_NAMES(EmbdOutput, "json", "f32");
WASI_NN_ENUM_NAMES(Speculative, "none", "ngram", "draft");
WASI_NN_ENUM_NAMES(Profile, "strict", "wasmedge");

#undef WASI_NN_ENUM_NAMES

template <class E>
const char* enum_name(E value) {
  return EnumTraits<E>::names[static_cast<size_t>(value)];
}

// The value named `name`; false when none is.
template <class E>
bool enum_from_name(std::string_view name, E* out) {
  const auto& names = EnumTraits<E>::names;
  for (size_t i = 0; i < names.size(); ++i) {
    if (name == names[i]) {
      *out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

// The names as a list, for the parameter table's choices.
template <class E>
std::vector<std::string> enum_names() {
  const auto& names = EnumTraits<E>::names;
  return std::vector<std::string>(names.begin(), names.end());
}

// Quantised KV types need flash attention for V in llama.cpp.
inline bool is_quantized(KvCacheType t) {
  return t != KvCacheType::F32 && t != KvCacheType::F16 && t != KvCacheType::BF16;
}

}  // namespace wasi_nn
