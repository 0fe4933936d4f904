// wasi-nn-run's command line (src/host/options.h) and the environment it sets for the library
// (src/host/library_env.h).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/base/log.h"
#include "host/library_env.h"
#include "host/options.h"

namespace fs = std::filesystem;
using wasi_nn::host::Options;

namespace {

// parse_options() on "wasi-nn-run ARGS... m.wasm"; returns its error ("" on success).
std::string parse(std::initializer_list<std::string> args, Options* out) {
  std::vector<std::string> words{"wasi-nn-run"};
  words.insert(words.end(), args);
  words.push_back("m.wasm");
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  return wasi_nn::host::parse_options(static_cast<int>(argv.size()), argv.data(), out);
}

using Dirs = std::vector<std::pair<std::string, std::string>>;  // (host, guest)

TEST(HostOptions, DirInEveryDialect) {
  Options o;
  ASSERT_EQ(parse({"--dir", ".:.", "--dir", "/data:/srv/data", "--dir=/srv/x::/x", "--dir", "/plain", "--dir=/eq"}, &o),
            "");
  EXPECT_EQ(o.dirs, (Dirs{{".", "."}, {"/srv/data", "/data"}, {"/srv/x", "/x"}, {"/plain", "/plain"}, {"/eq", "/eq"}}));
}

TEST(HostOptions, DirRefusesReadonlyAndEmptyParts) {
  for (const char* bad : {".:.:readonly", ":/srv", "/data:", "::/x", "/srv::"}) {
    Options o;
    std::string err = parse({"--dir", bad}, &o);
    EXPECT_NE(err, "") << bad;
    EXPECT_NE(err.find("--dir"), std::string::npos) << err;
  }
  Options o;
  EXPECT_NE(parse({"--dir", ".:.:readonly"}, &o).find("read-only"), std::string::npos);
}

TEST(HostOptions, PreloadOfAMissingFileIsAWarningNotAnError) {
  Options o;
  ASSERT_EQ(parse({"--nn-preload", "gone:GGML:AUTO:no-such-dir/x.gguf"}, &o), "");
  ASSERT_EQ(o.preloads.size(), 1u);
  EXPECT_EQ(o.preloads[0].alias, "gone");
  EXPECT_EQ(o.preloads[0].path, (fs::current_path() / "no-such-dir/x.gguf").string());
  ASSERT_EQ(o.warnings.size(), 1u);
  EXPECT_NE(o.warnings[0].find("model_not_found"), std::string::npos) << o.warnings[0];
}

TEST(HostOptions, PreloadStillChecksItsSyntax) {
  for (const char* bad :
       {"a:ONNX:AUTO:/x", "a:GGML:TPU:/x", ":GGML:AUTO:/x", "a:GGML:AUTO:", "a=b:GGML:AUTO:/x", "a:GGML:AUTO:/x;y"}) {
    Options o;
    EXPECT_NE(parse({"--nn-preload", bad}, &o), "") << bad;
  }
}

TEST(HostOptions, MmprojPairsAProjectorWithAPreloadedAlias) {
  const std::string file = (fs::temp_directory_path() / ("wasi-nn-mmproj-" + std::to_string(::getpid()))).string();
  { std::ofstream(file) << "GGUF"; }
  Options o;
  ASSERT_EQ(parse({"--nn-preload", "m:GGML:AUTO:" + file, "--nn-mmproj", "m:" + file}, &o), "");
  ASSERT_EQ(o.preloads.size(), 2u);
  EXPECT_EQ(o.preloads[1].alias, "m.mmproj");
  EXPECT_EQ(o.preloads[1].path, fs::canonical(file).string());
  for (const char* bad : {"m", ":x", "m:", "a=b:x", "m:/no/such/projector.gguf"}) {
    Options p;
    EXPECT_NE(parse({"--nn-mmproj", bad}, &p).find("--nn-mmproj"), std::string::npos) << bad;
  }
  fs::remove(file);
}

TEST(HostOptions, LogLevelAndFormatAcceptWhatTheLibraryAccepts) {
  // The host's lists must equal src/core/base/log.h's parsers: one word accepted by one side only
  // would be a typo the host lets through, or a valid setting it refuses.
  for (const char* word :
       {"none", "error", "warn", "info", "debug", "plain", "json", "WARN", "warning", "trace", "", "text"}) {
    wasi_nn::LogLevel level;
    wasi_nn::LogFormat format;
    Options a, b;
    EXPECT_EQ(parse({"--nn-log-level", word}, &a) == "", wasi_nn::parse_log_level(word, &level)) << word;
    EXPECT_EQ(parse({"--nn-log-format", word}, &b) == "", wasi_nn::parse_log_format(word, &format)) << word;
  }
  Options o;
  std::string err = parse({"--nn-log-level", "loud"}, &o);
  EXPECT_NE(err.find("none, error, warn, info, debug"), std::string::npos) << err;
}

TEST(HostOptions, LimitsMustBeAJsonObject) {
  Options o;
  ASSERT_EQ(parse({"--nn-limits", R"({"ctx_size": 4096})"}, &o), "");
  EXPECT_EQ(o.library.limits, R"({"ctx_size": 4096})");
  for (const char* bad : {"", "{", "[1]", "4096", "ctx_size=4096", R"({"a": 1} x)"}) {
    Options p;
    EXPECT_NE(parse({"--nn-limits", bad}, &p).find("--nn-limits"), std::string::npos) << bad;
  }
}

class HostLogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("wasi_nn_options_" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  fs::path dir;
};

TEST_F(HostLogFile, MustBeWritableAndBecomesAbsolute) {
  Options o;
  ASSERT_EQ(parse({"--nn-log-file", (dir / "lib.log").string()}, &o), "");
  EXPECT_EQ(o.library.log_file, (dir / "lib.log").string());
  EXPECT_TRUE(fs::exists(dir / "lib.log"));
  Options p;
  EXPECT_NE(parse({"--nn-log-file", (dir / "missing-dir" / "lib.log").string()}, &p).find("cannot open"),
            std::string::npos);
  Options q;
  EXPECT_NE(parse({"--nn-log-file", dir.string()}, &q), "");  // a directory
}

// The variables the library reads. Grants are replaced; host settings are set when given and
// otherwise left as the operator's environment has them.
TEST_F(HostLogFile, ExportSetsTheLibrarysVariables) {
  ::setenv("WASI_NN_PRELOAD", "stale=/x", 1);
  ::setenv("WASI_NN_LOG_FORMAT", "json", 1);
  ::unsetenv("WASI_NN_LIMITS");
  Options o;
  ASSERT_EQ(parse({"--nn-limits", R"({"n_predict": 64})", "--nn-log-level", "debug", "--nn-log-file",
                   (dir / "lib.log").string(), "--nn-dir", dir.string()},
                  &o),
            "");
  wasi_nn::host::export_library_env(o);
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return v ? std::string(v) : "<unset>";
  };
  EXPECT_EQ(env("WASI_NN_PRELOAD"), "<unset>");
  EXPECT_EQ(env("WASI_NN_MODEL_DIRS"), fs::canonical(dir).string());
  EXPECT_EQ(env("WASI_NN_LIMITS"), R"({"n_predict": 64})");
  EXPECT_EQ(env("WASI_NN_LOG_LEVEL"), "debug");
  EXPECT_EQ(env("WASI_NN_LOG_FORMAT"), "json");  // not given: the operator's value stays
  EXPECT_EQ(env("WASI_NN_LOG_FILE"), (dir / "lib.log").string());
  for (const char* v :
       {"WASI_NN_MODEL_DIRS", "WASI_NN_LIMITS", "WASI_NN_LOG_LEVEL", "WASI_NN_LOG_FORMAT", "WASI_NN_LOG_FILE"}) {
    ::unsetenv(v);
  }
}

}  // namespace
