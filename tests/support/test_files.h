// Files the tests use, for every test executable (core, both C ABIs, hardening, model files):
// where the generated tiny models are, scratch directories, damaged copies of a GGUF model and
// hostile JSON. Nothing here includes an ABI header or the core, so a test of either C ABI may
// link it (library wasi_nn_test_env, tests/support/CMakeLists.txt).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace wasi_nn::test {

// The folder of the generated test files (tests/models.cmake), and one file in it.
const std::string& model_dir();
std::string model_file(const std::string& name);  // e.g. "manifest.tsv", "tiny-llama.gguf"
// A generated GGUF model by its name without ".gguf". phi-3's vocabulary makes the smallest.
std::string model_path(const std::string& name = "tiny-phi3");

// Load settings that keep a test fast and its output non-empty (8 tokens, greedy).
inline constexpr char kFastConfig[] =
    R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 8, "ignore_eos": true, "temperature": 0})";

// The whole of a file, as bytes; throws std::runtime_error when it cannot be read.
std::string read_file(const std::string& path);

// A fresh directory under /tmp (which the tests' environment grants to the WAMR ABI), removed
// with everything in it by the destructor.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& dir() const { return dir_; }
  // The path `name` would have in this directory (nothing is created).
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  // Writes `bytes` to a new file `name`; returns its path.
  std::string write(const std::string& name, const std::string& bytes) const;
  // A FIFO nobody writes to (opening it for reading would block forever); returns its path.
  std::string fifo(const std::string& name) const;

 private:
  std::string dir_;
};

// Load settings pairing tiny-llama with the generated LLaVA projector (docs/MULTIMODAL.md): a
// 1024-token context, `n_predict` tokens.
std::string vision_config(int n_predict = 4);

// A prompt far longer than a 64-token context.
std::string long_prompt();

// Offsets at which a truncated copy of a model of `size` bytes must fail to load: inside the
// magic, the version, the counts, the metadata, the tensor infos, and (half-way, one byte
// short) inside the tensor data.
std::vector<size_t> truncation_points(size_t size);

// (offset, byte) damage to the fixed header fields a GGUF reader trusts first: the version,
// the tensor count and the metadata count (little-endian u32 + two u64), the first key's length
// and its value type. Each must make the load fail cleanly.
std::vector<std::pair<size_t, unsigned char>> header_damage();

// JSON nested `depth` levels deep: {"a":{"a":...}} (objects), or {"stop": [[[...]]]} (arrays).
std::string nested_json(int depth, bool arrays);

// A syntactically valid JSON object of more than 1 MiB (the config limit).
std::string huge_json();

}  // namespace wasi_nn::test
