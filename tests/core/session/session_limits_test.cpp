// The backend's session limits: idle_timeout_ms (a session no context uses expires by time, with
// no call on the backend, and only that session) and max_sessions (beyond it an idle session is
// parked with its history, issue 15).
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/log.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::error_of;
using test::generate;
using test::model_path;
using test::wait_for_stats;
using json = nlohmann::json;

const char* kLoad = R"({"ctx_size": 512, "threads": 2, "n_predict": 4, "temperature": 0, "n_parallel": 2})";

int sessions_held() { return test::process_stats()["sessions_held"].get<int>(); }

TEST(IdleTimeout, AnUnusedSessionExpiresByTimeAlone) {
  const int before = sessions_held();
  HostBackend quick(R"({"idle_timeout_ms": 300})"), slow;  // slow: the default, 5 minutes
  quick.load_by_name(model_path("tiny-phi3"), kLoad);
  slow.load_by_name(model_path("tiny-phi3"), kLoad);
  const uint32_t in_use = quick.init_session("in-use");  // its context stays open
  const uint32_t idle = quick.init_session("idle");
  const uint32_t other = slow.init_session("idle");
  const auto first = generate(quick, idle, "Remember me.");
  generate(quick, in_use, "Keep me.");
  generate(slow, other, "Remember me.");
  ASSERT_EQ(sessions_held(), before + 3);
  quick.close_execution_context(idle);
  slow.close_execution_context(other);
  // From here on nothing calls either backend: only the periodic expiry can drop a session.
  ASSERT_TRUE(wait_for_stats([&](const json& s) { return s["sessions_held"].get<int>() <= before + 2; }));
  EXPECT_EQ(sessions_held(), before + 2);  // one session went: not the one in use, not the slow backend's

  // The session in use kept its conversation, and so did the one idle under the default timeout.
  EXPECT_GT(generate(quick, in_use, "Still here?").meta["cached_tokens"].get<int>(), 0);
  const auto resumed = generate(slow, slow.init_session("idle"), "And now?");
  EXPECT_GT(resumed.meta["cached_tokens"].get<int>(), 0) << resumed.meta.dump();
  // The expired one starts again with no history: the same first turn, the same prompt.
  const auto again = generate(quick, quick.init_session("idle"), "Remember me.");
  EXPECT_EQ(again.meta["input_tokens"], first.meta["input_tokens"]);
  EXPECT_EQ(again.text, first.text);
}

// Collects the backend's log lines at info (the level parking is logged at).
class LogLines {
 public:
  LogLines() {
    set_log_level(LogLevel::Info);
    set_log_callback(&LogLines::take, this);
  }
  ~LogLines() {
    set_log_callback(nullptr, nullptr);
    set_log_level(LogLevel::Warn);
  }
  int count(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& l : lines_) n += l.find(needle) != std::string::npos;
    return n;
  }

 private:
  static void take(int, const char* line, void* self) {
    auto* me = static_cast<LogLines*>(self);
    std::lock_guard<std::mutex> lock(me->mu_);
    me->lines_.emplace_back(line);
  }
  std::mutex mu_;
  std::vector<std::string> lines_;
};

// Issue 15: a named session is never dropped for lack of room. Beyond max_sessions the least
// recently used session not computing is parked (even one whose context is still open) and
// resumes with its history; busy only when every open session computes (tests/compat,
// SeedSessions.BusyOnlyWhenEverySessionComputes, names the limit).
TEST(MaxSessions, BeyondTheLimitAnIdleSessionIsParkedWithItsHistory) {
  LogLines log;
  HostBackend b(R"({"max_sessions": 2})");
  b.load_by_name(model_path("tiny-phi3"), kLoad);
  const uint32_t a = b.init_session("a");
  const auto first = generate(b, a, "Hello");
  b.init_session("b");
  EXPECT_EQ(log.count("parked (max_sessions reached)"), 0);
  const uint32_t c = b.init_session("c");  // a and b are open, neither computes: a is parked
  EXPECT_EQ(log.count("session 'a' parked (max_sessions reached)"), 1);
  generate(b, c, "Hi");
  // a's context still works and its conversation goes on (its history is rendered again).
  const auto again = generate(b, a, "Hello again");
  EXPECT_GT(again.meta["input_tokens"].get<int>(), first.meta["input_tokens"].get<int>()) << again.meta.dump();
}

TEST(MaxSessions, ALoadSetsTheBackendsLimit) {
  LogLines log;
  HostBackend b;
  b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 512, "threads": 2, "max_sessions": 1})");
  b.init_session("only");
  b.init_session("second");
  EXPECT_EQ(log.count("session 'only' parked (max_sessions reached)"), 1);
}

}  // namespace
}  // namespace wasi_nn
