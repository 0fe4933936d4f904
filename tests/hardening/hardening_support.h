// Helpers shared by the hardening tests: damaged copies of a tiny GGUF model, a FIFO, hostile
// JSON. Nothing here includes an ABI header (each test includes exactly one of them).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "../abi/abi_test_support.h"

namespace hardening {

using abi_test::model_path;
using abi_test::read_file;

inline constexpr char kFastConfig[] =
    R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4, "ignore_eos": true, "temperature": 0})";

// A scratch directory under /tmp (granted to the WAMR ABI by the tests' environment) that
// removes what it made.
class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/wasi_nn_hardening.XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    dir_ = d ? d : "/tmp";
  }
  ~Scratch() {
    for (const auto& f : files_) std::remove(f.c_str());
    ::rmdir(dir_.c_str());
  }
  // Writes `bytes` to a new file named `name` and returns its path.
  std::string write(const std::string& name, const std::string& bytes) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
    files_.push_back(path);
    return path;
  }
  // A FIFO nobody writes to: opening it for reading would block forever.
  std::string fifo(const std::string& name) {
    std::string path = dir_ + "/" + name;
    ::mkfifo(path.c_str(), 0600);
    files_.push_back(path);
    return path;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

// Offsets at which a truncated copy of the model must fail to load: inside the magic, the
// version, the counts, the metadata, the tensor infos, and (half-way, one byte short) inside
// the tensor data.
inline std::vector<size_t> truncation_points(size_t size) {
  return {0, 3, 4, 7, 12, 20, 24, 40, 100, 1000, 100000, size / 2, size - 4096, size - 1};
}

// (offset, byte) damage to the fixed header fields a GGUF reader trusts first: the version,
// the tensor count and the metadata count (little-endian u32 + two u64), the first key's length
// and its value type. Each must make the load fail cleanly.
inline std::vector<std::pair<size_t, unsigned char>> header_damage() {
  return {{4, 0x00},  {4, 0xFF},  {5, 0x7F},  // version 0, 255, huge
          {8, 0xFF},  {12, 0x7F}, {15, 0xFF},  // tensor count: too many, 2^62, 2^63+
          {16, 0xFF}, {20, 0x7F}, {23, 0xFF},  // metadata count
          {24, 0xFF}, {28, 0x7F}, {31, 0xFF},  // the first key's length
          {24, 0x00}};                          // an empty first key
}

// JSON nested `depth` levels deep: {"a":{"a":...}} (objects) or [[[...]]] (arrays).
inline std::string nested_json(int depth, bool arrays) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += arrays ? "[" : "{\"a\":";
  s += "1";
  for (int i = 0; i < depth; ++i) s += arrays ? "]" : "}";
  return arrays ? "{\"stop\":" + s + "}" : s;
}

// A syntactically valid JSON object of more than 1 MiB (the config limit).
inline std::string huge_json() {
  return "{\"system_prompt\": \"" + std::string((1u << 20) + 16, 'x') + "\"}";
}

}  // namespace hardening
