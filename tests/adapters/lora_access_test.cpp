// Adapter files are confined exactly as model files (model/model_access.h): a guest names a
// preloaded alias or a file in a granted directory, never any other host path, and a refusal
// never shows a host path the guest did not give.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>

#include "adapters/adapter_support.h"

namespace wasi_nn::test {
namespace {

// A guest's backend (Confined) with tiny-llama preloaded as "llama", its attention adapter as
// "attn", and a scratch directory granted.
class LoraAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string preload =
        "llama=" + model_file("tiny-llama.gguf") + ";attn=" + model_file("tiny-llama-lora.gguf");
    ::setenv(kPreloadEnv, preload.c_str(), 1);
    ::setenv(kModelDirsEnv, dir.dir().c_str(), 1);
    guest = std::make_unique<Backend>(BackendOptions{ModelAccess::Mode::Confined});
    ::unsetenv(kPreloadEnv);
    ::unsetenv(kModelDirsEnv);
  }
  Error refusal(const std::string& entry) {
    return error_of([&] { guest->load_by_name("llama", lora_config(entry)); });
  }
  // No message may show where the host keeps the models or the granted directory.
  void ExpectNoHostPath(const Error& e) {
    EXPECT_EQ(std::string(e.what()).find(model_dir()), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(dir.dir()), std::string::npos) << e.what();
  }
  ScratchDir dir;
  std::unique_ptr<Backend> guest;
};

TEST_F(LoraAccess, AliasAndGrantedFileLoadAndApply) {
  // A copy of the adapter in the granted directory, named relative to it.
  dir.write("mine.gguf", read_file(model_file("tiny-llama-lora.gguf")));
  const uint32_t by_alias = guest->load_by_name("llama", lora_config(R"({"alias": "attn"})"));
  const uint32_t by_path = guest->load_by_name("llama", lora_config(R"({"path": "mine.gguf"})"));
  const std::string adapted = greedy_text(*guest, by_alias);
  EXPECT_EQ(greedy_text(*guest, by_path), adapted);
  EXPECT_NE(greedy_text(*guest, by_alias, R"("lora": [{"id": 0, "scale": 0}])"), adapted);
}

TEST_F(LoraAccess, PathsOutsideTheGrantsAreRefused) {
  // The adapter exists, but where nothing grants it.
  Error e = refusal(R"({"path": ")" + model_file("tiny-llama-lora-ffn.gguf") + "\"}");
  EXPECT_EQ(e.kind(), ErrorKind::Security) << e.what();
  EXPECT_NE(std::string(e.what()).find("LoRA adapter 0"), std::string::npos) << e.what();
  e = refusal(R"({"path": "../tiny-llama-lora.gguf"})");
  EXPECT_EQ(e.kind(), ErrorKind::Security) << e.what();
  ExpectNoHostPath(e);
  // A link in the granted directory to a file outside it.
  ASSERT_EQ(::symlink(model_file("tiny-llama-lora.gguf").c_str(), dir.path("link.gguf").c_str()), 0);
  e = refusal(R"({"path": "link.gguf"})");
  EXPECT_EQ(e.kind(), ErrorKind::Security) << e.what();
  ExpectNoHostPath(e);
  // Unknown names: not found, naming only what the guest gave.
  e = refusal(R"({"alias": "nope"})");
  EXPECT_EQ(e.kind(), ErrorKind::ModelNotFound) << e.what();
  ExpectNoHostPath(e);
}

}  // namespace
}  // namespace wasi_nn::test
