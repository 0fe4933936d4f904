// tiny_gguf: what every generator in tools/ shares: a tensor plan, deterministic weights, and a
// GGUF writer that streams tensor data after the metadata and renames the file into place only
// when it is complete.
//
// Weights depend only on (seed, tensor name, row): a file is byte-identical across runs, thread
// counts and machines, which keeps greedy test output stable.
#pragma once

#include "ggml.h"
#include "gguf.h"
#include "tiny_cli.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tiny {

enum class Init { Ones, Random };

// One tensor of the file, in ggml order (ne[0] is the row length). Data is generated row by row:
// a row is ne[0] values, and there are ne[1] * ne[2] * ne[3] rows.
struct TensorSpec {
  std::string name;
  std::vector<int64_t> ne;  // 1 to 4 dimensions
  Init init = Init::Random;
  ggml_type type = GGML_TYPE_F32;
  float spread = 0.0f;  // Init::Random: values uniform in [-spread, spread]
};

struct GgufDeleter {
  void operator()(gguf_context* c) const { gguf_free(c); }
};
struct GgmlDeleter {
  void operator()(ggml_context* c) const { ggml_free(c); }
};
using GgufPtr = std::unique_ptr<gguf_context, GgufDeleter>;
using GgmlPtr = std::unique_ptr<ggml_context, GgmlDeleter>;

// Adds the tensor descriptors of `plan` to `meta` and writes the file: metadata first, then each
// tensor's data, aligned as gguf_add_tensor placed it. Writes OUT.tmp and renames it to `out` at
// the end, so an interrupted run never leaves a truncated file that looks up to date.
// Returns the number of parameters written. Throws std::runtime_error on any failure.
uint64_t write_gguf(gguf_context* meta, const std::vector<TensorSpec>& plan, uint64_t seed, int threads,
                    const std::string& out);

// Opens a GGUF file's metadata (and, when `tensors` is given, its tensor descriptors, no data).
GgufPtr open_gguf(const std::string& path, ggml_context** tensors = nullptr);

int default_threads(int requested);  // 0: hardware concurrency

}  // namespace tiny
