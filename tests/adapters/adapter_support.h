// What the adapter tests share: load configs naming the generated adapters, greedy text
// through the facade, and llama-completion's greedy text with the engine tests' settings.
#pragma once

#include <string>
#include <vector>

#include "support/core_helpers.h"

namespace wasi_nn::test {

// Raw prompt, greedy (as llama-completion -no-cnv --temp 0).
inline constexpr char kGreedyRaw[] = R"({"mode": "raw", "temperature": 0})";
inline constexpr char kPrompt[] = "Once upon a time";
inline constexpr int kTokens = 16;

// {"ctx_size": 512, "threads": 2, "n_predict": 16, "lora": [<entries>], <more>}
std::string lora_config(const std::string& entries, const std::string& more = "");
// {"path": "<model dir>/<file>"[, "scale": s]}
std::string lora_entry(const std::string& file, const std::string& scale = "");

// Greedy text of kPrompt through `b`'s graph `g` in a fresh context, with request JSON merged
// into kGreedyRaw (e.g. R"("lora": [{"id": 0, "scale": 0}])").
std::string greedy_text(Backend& b, uint32_t g, const std::string& request_keys = "");

// llama-completion's greedy text of kPrompt on `model` (a generated file name) with `extra`
// arguments (--lora ...), with the engine's threads, context and attention.
std::string reference_text(const std::string& model, const std::vector<std::string>& extra = {});

}  // namespace wasi_nn::test
