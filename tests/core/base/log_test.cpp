// The log sink: JSON lines, level filtering, file sink, host callback, llama.cpp's log routed
// through it, environment variables, and nothing on stdout.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/base/error.h"
#include "core/base/log.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using json = nlohmann::json;
using test::generate;
using test::model_path;

struct Captured {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> lines;
};

void capture(int level, const char* line, void* user) {
  auto* c = static_cast<Captured*>(user);
  std::lock_guard<std::mutex> lock(c->mu);
  c->lines.emplace_back(level, line);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temp_path(const char* stem) {
  return std::string("/tmp/wasi_nn_log_test_") + stem + "_" + std::to_string(::getpid());
}

// Each test leaves the process-wide sink as it found it: plain, stderr, warn, no callback.
class LogSink : public ::testing::Test {
 protected:
  void TearDown() override {
    set_log_callback(nullptr, nullptr);
    set_log_format_default(LogFormat::Plain);
    set_log_file_default("");
    set_log_level(LogLevel::Warn);
  }
};

TEST_F(LogSink, JsonLinesParseAndCarryTheirSource) {
  Captured got;
  set_log_level(LogLevel::Debug);
  set_log_format_default(LogFormat::Json);
  ASSERT_TRUE(set_log_callback(capture, &got));
  {
    HostBackend b(R"({"log_level": "debug"})");  // a backend's config sets the level when created
    uint32_t g = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256, "threads": 2})");
    generate(b, b.init_execution_context(g), "Hello \"quoted\"\n\tand\x01", R"({"n_predict": 2})");
  }
  log_write(LogLevel::Warn, "a \"quote\", a backslash \\ and a control \x02 character\n");
  ASSERT_TRUE(set_log_callback(nullptr, nullptr));
  std::set<std::string> sources;
  ASSERT_GT(got.lines.size(), 2u);
  for (const auto& [level, line] : got.lines) {
    EXPECT_EQ(line.find('\n'), std::string::npos);
    json j = json::parse(line);  // throws (fails the test) when a line is not JSON
    ASSERT_TRUE(j.is_object());
    for (const char* key : {"ts", "level", "source", "msg"}) EXPECT_TRUE(j.contains(key)) << line;
    EXPECT_EQ(j["ts"].get<std::string>().size(), 24u) << line;  // 2026-01-02T03:04:05.678Z
    sources.insert(j["source"].get<std::string>());
    EXPECT_GE(level, 1);
    EXPECT_LE(level, 4);
  }
  EXPECT_TRUE(sources.count("llama")) << "llama.cpp's log is not routed through the sink";
  EXPECT_TRUE(sources.count("backend"));
  EXPECT_EQ(json::parse(got.lines.back().second)["msg"], "a \"quote\", a backslash \\ and a control \x02 character");
}

TEST_F(LogSink, LevelFilters) {
  Captured got;
  ASSERT_TRUE(set_log_callback(capture, &got));
  set_log_level(LogLevel::Warn);
  LOG_INFO("hidden info");
  LOG_DEBUG("hidden debug");
  LOG_WARN("shown warn");
  LOG_ERR("shown error");
  set_log_level(LogLevel::None);
  LOG_ERR("hidden error");
  ASSERT_EQ(got.lines.size(), 2u);
  EXPECT_EQ(got.lines[0].first, 2);
  EXPECT_EQ(got.lines[0].second, "[wasi-nn W] shown warn");
  EXPECT_EQ(got.lines[1].first, 1);
}

TEST_F(LogSink, FileSinkAppendsLines) {
  const std::string path = temp_path("file");
  std::remove(path.c_str());
  set_log_file_default(path);
  set_log_format_default(LogFormat::Json);
  LOG_WARN("to the file %d", 42);
  set_log_file_default("");  // closes it
  const std::string text = read_file(path);
  std::remove(path.c_str());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  json j = json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(j["msg"], "to the file 42");
  EXPECT_EQ(j["level"], "warn");
  EXPECT_EQ(j["source"], "backend");
}

TEST_F(LogSink, UnwritableFileIsInvalidArgumentAndChangesNothing) {
  try {
    HostBackend b(R"({"log_file": "/nonexistent-dir/x.log"})");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.log"), std::string::npos);
  }
}

TEST_F(LogSink, ConfigKeysChooseFormatAndFile) {
  const std::string path = temp_path("config");
  std::remove(path.c_str());
  {
    HostBackend b(R"({"log_format": "json", "log_file": ")" + path + R"(", "log_level": "info"})");
    b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256})");
  }
  set_log_file_default("");
  const std::string text = read_file(path);
  std::remove(path.c_str());
  std::istringstream lines(text);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    EXPECT_TRUE(json::parse(line).is_object()) << line;
    ++n;
  }
  EXPECT_GT(n, 0);
}

TEST_F(LogSink, LoadConfigCannotNameALogFile) {
  HostBackend b;
  try {
    b.load_by_name(model_path("tiny-phi3"), R"({"log_file": "/tmp/guest-chosen.log"})");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Security);
  }
}

TEST_F(LogSink, CallbackCannotBeChangedFromInsideItAndItsOwnLogsAreDropped) {
  struct State {
    bool set_result = true;
    int calls = 0;
  } st;
  auto cb = [](int, const char*, void* user) {
    auto* s = static_cast<State*>(user);
    ++s->calls;
    s->set_result = set_log_callback(nullptr, nullptr);
    LOG_ERR("logged from inside the callback");  // dropped, not a deadlock
  };
  ASSERT_TRUE(set_log_callback(cb, &st));
  LOG_ERR("one");
  EXPECT_EQ(st.calls, 1);
  EXPECT_FALSE(st.set_result);
}

TEST_F(LogSink, NothingGoesToStdout) {
  const std::string path = temp_path("stdout");
  std::fflush(stdout);
  const int saved = ::dup(1);
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  ::dup2(::fileno(f), 1);
  set_log_level(LogLevel::Debug);
  {
    HostBackend b(R"({"log_level": "debug"})");
    uint32_t g = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 256, "threads": 2})");
    generate(b, b.init_execution_context(g), "Hello", R"({"n_predict": 2})");
  }
  std::fflush(stdout);
  ::dup2(saved, 1);
  ::close(saved);
  std::fclose(f);
  const std::string text = read_file(path);
  std::remove(path.c_str());
  EXPECT_EQ(text, "");
}

// The environment variables are read once, when the sink first logs: run in a fresh process.
TEST(LogEnv, VariablesChooseLevelFormatAndFile) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // re-executes this test alone
  // The child re-runs this body: it must find the parent's path, so the path travels in the
  // environment the child inherits.
  const char* inherited = std::getenv("WASI_NN_TEST_ENV_LOG");
  const std::string path = inherited ? inherited : temp_path("env");
  ::setenv("WASI_NN_TEST_ENV_LOG", path.c_str(), 1);
  EXPECT_EXIT(
      {
        ::setenv("WASI_NN_LOG_LEVEL", "info", 1);
        ::setenv("WASI_NN_LOG_FORMAT", "json", 1);
        ::setenv("WASI_NN_LOG_FILE", path.c_str(), 1);
        set_log_level_default(LogLevel::Error);  // config loses to the environment
        set_log_format_default(LogFormat::Plain);
        LOG_INFO("from the environment");
        LOG_DEBUG("filtered");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  const std::string text = read_file(path);
  std::remove(path.c_str());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find("filtered"), std::string::npos);
  json j = json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(j["msg"], "from the environment");
  EXPECT_EQ(j["level"], "info");
}

}  // namespace
}  // namespace wasi_nn

namespace wasi_nn {
namespace {

TEST(LogEnv, BadValuesAreReportedNotSilentlyIgnored) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        ::setenv("WASI_NN_LOG_FORMAT", "yaml", 1);
        ::setenv("WASI_NN_LOG_LEVEL", "loud", 1);
        ::unsetenv("WASI_NN_LOG_FILE");
        LOG_WARN("after the report");
        std::exit(0);
      },
      ::testing::ExitedWithCode(0),
      "WASI_NN_LOG_LEVEL='loud' is not none.*\n.*WASI_NN_LOG_FORMAT='yaml' is not plain.*\n.*after the report");
}

}  // namespace
}  // namespace wasi_nn
