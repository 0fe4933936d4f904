// Helpers shared by the ABI tests. Nothing here includes an ABI header: each test translation
// unit includes exactly one of them (they define the same type names).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace abi_test {

// A tiny generated model (tests/models.cmake). phi-3's vocabulary makes the smallest one.
inline std::string model_path(const char* name = "tiny-phi3.gguf") {
  return std::string(WASI_NN_TEST_MODEL_DIR) + "/" + name;
}

// Settings that keep every test fast and its output non-empty.
inline constexpr char kFastConfig[] =
    R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 8, "ignore_eos": true, "temperature": 0})";

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A scratch directory holding a file that is not a GGUF model; removed by the destructor.
class ScratchDir {
 public:
  ScratchDir() {
    char tmpl[] = "/tmp/wasi_nn_abi_test.XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    dir_ = d ? d : "/tmp";
    std::ofstream(not_gguf()) << "this is a text file, not a GGUF model\n";
  }
  ~ScratchDir() {
    std::remove(not_gguf().c_str());
    ::rmdir(dir_.c_str());
  }
  const std::string& dir() const { return dir_; }
  std::string not_gguf() const { return dir_ + "/not-a-model.gguf"; }
  std::string missing() const { return dir_ + "/no-such-model.gguf"; }

 private:
  std::string dir_;
};

// A prompt far longer than a 16-token context.
inline std::string long_prompt() {
  std::string s;
  for (int i = 0; i < 400; ++i) s += "the quick brown fox jumps over the lazy dog ";
  return s;
}

}  // namespace abi_test
