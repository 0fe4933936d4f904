// The model-access policy (src/core/model/model_access.h) on a scratch directory tree.
#include "core/model/model_access.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/base/error.h"

namespace fs = std::filesystem;
using wasi_nn::ErrorKind;
using wasi_nn::ModelAccess;
using wasi_nn::ModelGrants;

namespace {

class ModelAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("wasi_nn_access_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "models" / "sub");
    fs::create_directories(root / "models-x");
    fs::create_directories(root / "outside");
    touch(root / "models" / "a.gguf");
    touch(root / "models" / "sub" / "b.gguf");
    touch(root / "models-x" / "c.gguf");
    touch(root / "outside" / "secret.gguf");
    fs::create_symlink(root / "outside" / "secret.gguf", root / "models" / "escape.gguf");
    fs::create_symlink(root / "outside", root / "models" / "escape-dir");
    fs::create_symlink(root / "models" / "a.gguf", root / "models" / "inside-link.gguf");
  }
  void TearDown() override { fs::remove_all(root); }

  static void touch(const fs::path& p) { std::ofstream(p) << "GGUF"; }

  ModelAccess dirs_policy() const {
    ModelGrants g;
    g.dirs = {(root / "models").string()};
    return ModelAccess(g, ModelAccess::Mode::Confined);
  }

  static ErrorKind kind_of(const ModelAccess& a, const std::string& name) {
    try {
      a.resolve(name);
    } catch (const wasi_nn::Error& e) {
      return e.kind();
    }
    ADD_FAILURE() << name << " was allowed";
    return ErrorKind::Runtime;
  }

  fs::path root;
};

TEST(ModelAccessParse, PreloadList) {
  auto l = wasi_nn::parse_preload_list("a=/m/a.gguf;;b=/m/b=c.gguf;");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].first, "a");
  EXPECT_EQ(l[1].second, "/m/b=c.gguf");
  for (const char* bad : {"a", "=/x", "a=", "a=/x;a=/y"}) {
    EXPECT_THROW(wasi_nn::parse_preload_list(bad), wasi_nn::Error) << bad;
  }
}

TEST(ModelAccessParse, ModelDirsMustBeAbsolute) {
  EXPECT_EQ(wasi_nn::parse_model_dirs("/a::/b").size(), 2u);
  EXPECT_THROW(wasi_nn::parse_model_dirs("/a:models"), wasi_nn::Error);
}

TEST(ModelAccessParse, PathWithinIsComponentWise) {
  EXPECT_TRUE(wasi_nn::path_within("/m", "/m"));
  EXPECT_TRUE(wasi_nn::path_within("/m/a", "/m"));
  EXPECT_FALSE(wasi_nn::path_within("/m-x/a", "/m"));
  EXPECT_FALSE(wasi_nn::path_within("/", "/m"));
  EXPECT_TRUE(wasi_nn::path_within("/anything", "/"));
}

// The message of the error resolve(name) throws ("" when it does not throw).
std::string message_of(const ModelAccess& a, const std::string& name) {
  try {
    a.resolve(name);
  } catch (const wasi_nn::Error& e) {
    return e.what();
  }
  return "";
}

// No grant: nothing loads. A bare name is an alias that does not exist (model_not_found, as
// under WasmEdge); a path is refused as outside the grant.
TEST_F(ModelAccessTest, ConfinedWithoutGrantLoadsNothing) {
  ModelAccess a(ModelGrants{}, ModelAccess::Mode::Confined);
  EXPECT_EQ(kind_of(a, (root / "models" / "a.gguf").string()), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "sub/b.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "a.gguf"), ErrorKind::ModelNotFound);
  for (const char* name : {"a.gguf", "/etc/passwd"}) {
    std::string what = message_of(a, name);
    EXPECT_NE(what.find("WASI_NN_MODEL_DIRS"), std::string::npos) << what;
    EXPECT_NE(what.find("WASI_NN_PRELOAD"), std::string::npos) << what;
  }
}

TEST_F(ModelAccessTest, OpenWithoutGrantPassesThrough) {
  ModelAccess a(ModelGrants{}, ModelAccess::Mode::Open);
  EXPECT_FALSE(a.confined());
  EXPECT_EQ(a.resolve("/anywhere/x.gguf"), "/anywhere/x.gguf");
}

TEST_F(ModelAccessTest, OpenWithGrantConfines) {
  ModelGrants g;
  g.dirs = {(root / "models").string()};
  ModelAccess a(g, ModelAccess::Mode::Open);
  EXPECT_TRUE(a.confined());
  EXPECT_EQ(kind_of(a, (root / "outside" / "secret.gguf").string()), ErrorKind::Security);
}

TEST_F(ModelAccessTest, AliasesOnly) {
  ModelGrants g;
  g.aliases = {{"llama", (root / "outside" / "secret.gguf").string()}};
  ModelAccess a(g, ModelAccess::Mode::Confined);
  EXPECT_EQ(a.resolve("llama"), (root / "outside" / "secret.gguf").string());
  EXPECT_EQ(kind_of(a, "other"), ErrorKind::ModelNotFound);  // an unknown alias
  // Names that are paths stay refused: nothing about files outside the grant is revealed.
  EXPECT_EQ(kind_of(a, (root / "models" / "a.gguf").string()), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, (root / "models" / "nope.gguf").string()), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "../outside/secret.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, ".."), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "."), ErrorKind::Security);
}

// wasi-nn-run keeps an alias whose file is missing (the guest still runs): loading it is
// model_not_found, and the message names the alias, never the operator's path.
TEST_F(ModelAccessTest, AliasWithMissingFileIsModelNotFoundWithoutThePath) {
  ModelGrants g;
  const std::string gone = (root / "outside" / "gone.gguf").string();
  g.aliases = {{"llama", gone}};
  ModelAccess a(g, ModelAccess::Mode::Confined);
  EXPECT_EQ(kind_of(a, "llama"), ErrorKind::ModelNotFound);
  std::string what = message_of(a, "llama");
  EXPECT_NE(what.find("'llama'"), std::string::npos) << what;
  EXPECT_EQ(what.find("gone.gguf"), std::string::npos) << what;
  EXPECT_EQ(what.find(root.string()), std::string::npos) << what;
}

TEST_F(ModelAccessTest, FilesInsideGrantedDirs) {
  ModelAccess a = dirs_policy();
  const std::string real_a = fs::canonical(root / "models" / "a.gguf").string();
  EXPECT_EQ(a.resolve("a.gguf"), real_a);
  EXPECT_EQ(a.resolve("./a.gguf"), real_a);
  EXPECT_EQ(a.resolve((root / "models" / "a.gguf").string()), real_a);
  EXPECT_EQ(a.resolve((root / "models" / "." / "a.gguf").string()), real_a);
  EXPECT_EQ(a.resolve("sub/b.gguf"), fs::canonical(root / "models" / "sub" / "b.gguf").string());
  EXPECT_EQ(a.resolve("inside-link.gguf"), real_a);
}

TEST_F(ModelAccessTest, EscapesAreRefused) {
  ModelAccess a = dirs_policy();
  const std::string m = (root / "models").string();
  EXPECT_EQ(kind_of(a, "../outside/secret.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "sub/../../outside/secret.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, m + "/../outside/secret.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, m + "/sub/../a.gguf"), ErrorKind::Security);  // '..' is never allowed
  EXPECT_EQ(kind_of(a, (root / "outside" / "secret.gguf").string()), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "/etc/passwd"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, (root / "models-x" / "c.gguf").string()), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "escape.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, m + "/escape.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, "escape-dir/secret.gguf"), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, ""), ErrorKind::Security);
  EXPECT_EQ(kind_of(a, std::string("a.gguf\0x", 8)), ErrorKind::Security);
}

TEST_F(ModelAccessTest, MissingInsideGrantIsModelNotFound) {
  ModelAccess a = dirs_policy();
  EXPECT_EQ(kind_of(a, "nope.gguf"), ErrorKind::ModelNotFound);
  EXPECT_EQ(kind_of(a, (root / "models" / "nope.gguf").string()), ErrorKind::ModelNotFound);
  // Outside the grant, existence is not revealed.
  EXPECT_EQ(kind_of(a, (root / "outside" / "nope.gguf").string()), ErrorKind::Security);
}

TEST_F(ModelAccessTest, GrantedDirMustExist) {
  ModelGrants g;
  g.dirs = {(root / "no-such-dir").string()};
  EXPECT_THROW(ModelAccess(g, ModelAccess::Mode::Confined), wasi_nn::Error);
}

TEST_F(ModelAccessTest, FromEnvironment) {
  ::setenv(wasi_nn::kModelDirsEnv, (root / "models").c_str(), 1);
  ::setenv(wasi_nn::kPreloadEnv, ("x=" + (root / "outside" / "secret.gguf").string()).c_str(), 1);
  ModelAccess a = ModelAccess::from_environment(ModelAccess::Mode::Confined);
  ::unsetenv(wasi_nn::kModelDirsEnv);
  ::unsetenv(wasi_nn::kPreloadEnv);
  EXPECT_EQ(a.resolve("x"), (root / "outside" / "secret.gguf").string());
  EXPECT_EQ(a.resolve("a.gguf"), fs::canonical(root / "models" / "a.gguf").string());
}

}  // namespace
