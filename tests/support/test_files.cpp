#include "support/test_files.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wasi_nn::test {

const std::string& model_dir() {
  static const std::string dir = WASI_NN_TEST_MODEL_DIR;
  return dir;
}

std::string model_file(const std::string& name) { return model_dir() + "/" + name; }

std::string model_path(const std::string& name) { return model_file(name + ".gguf"); }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ScratchDir::ScratchDir() {
  char tmpl[] = "/tmp/wasi_nn_test.XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  if (d == nullptr) throw std::runtime_error("mkdtemp failed under /tmp");
  dir_ = d;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string ScratchDir::write(const std::string& name, const std::string& bytes) const {
  const std::string p = path(name);
  std::ofstream(p, std::ios::binary).write(bytes.data(), bytes.size());
  return p;
}

std::string ScratchDir::fifo(const std::string& name) const {
  const std::string p = path(name);
  if (::mkfifo(p.c_str(), 0600) != 0) throw std::runtime_error("mkfifo failed: " + p);
  return p;
}

std::string vision_config(int n_predict) {
  return R"({"ctx_size": 1024, "n_predict": )" + std::to_string(n_predict) + R"(, "mmproj": ")" +
         model_file("tiny-llava-mmproj.gguf") + "\"}";
}

std::string long_prompt() {
  std::string s;
  for (int i = 0; i < 400; ++i) s += "the quick brown fox jumps over the lazy dog ";
  return s;
}

std::vector<size_t> truncation_points(size_t size) {
  return {0, 3, 4, 7, 12, 20, 24, 40, 100, 1000, 100000, size / 2, size - 4096, size - 1};
}

std::vector<std::pair<size_t, unsigned char>> header_damage() {
  return {{4, 0x00},  {4, 0xFF},  {5, 0x7F},   // version 0, 255, huge
          {8, 0xFF},  {12, 0x7F}, {15, 0xFF},  // tensor count: too many, 2^62, 2^63+
          {16, 0xFF}, {20, 0x7F}, {23, 0xFF},  // metadata count
          {24, 0xFF}, {28, 0x7F}, {31, 0xFF},  // the first key's length
          {24, 0x00}};                         // an empty first key
}

std::string nested_json(int depth, bool arrays) {
  std::string s;
  for (int i = 0; i < depth; ++i) s += arrays ? "[" : "{\"a\":";
  s += "1";
  for (int i = 0; i < depth; ++i) s += arrays ? "]" : "}";
  return arrays ? "{\"stop\":" + s + "}" : s;
}

std::string huge_json() { return "{\"system_prompt\": \"" + std::string((1u << 20) + 16, 'x') + "\"}"; }

}  // namespace wasi_nn::test
