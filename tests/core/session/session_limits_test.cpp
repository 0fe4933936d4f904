// The backend's session limits: idle_timeout_ms (a session no context uses expires by time, with
// no call on the backend, and only that session) and max_sessions (a backend whose sessions are
// all in use answers busy, naming the limit).
#include <gtest/gtest.h>

#include "core/base/error.h"
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

TEST(MaxSessions, EverySessionInUseAnswersBusyNamingTheLimit) {
  HostBackend b(R"({"max_sessions": 2})");
  b.load_by_name(model_path("tiny-phi3"), kLoad);
  const uint32_t a = b.init_session("a");
  b.init_session("b");
  generate(b, a, "Hello");
  const Error e = error_of([&] { b.init_session("c"); });
  EXPECT_EQ(e.kind(), ErrorKind::Busy);
  EXPECT_NE(std::string(e.what()).find("max_sessions (2)"), std::string::npos) << e.what();
  // A session whose contexts are closed makes room; one already open is never refused.
  EXPECT_NO_THROW(b.init_session("b"));
  b.close_execution_context(a);
  EXPECT_NO_THROW(b.init_session("c"));
}

TEST(MaxSessions, ALoadSetsTheBackendsLimit) {
  HostBackend b;
  b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 512, "threads": 2, "max_sessions": 1})");
  b.init_session("only");
  EXPECT_EQ(error_of([&] { b.init_session("second"); }).kind(), ErrorKind::Busy);
}

}  // namespace
}  // namespace wasi_nn
