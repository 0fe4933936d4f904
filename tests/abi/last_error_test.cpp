// The last error message is kept per backend context, the tenant it belongs to, through both C
// ABIs: a failure on backend A is read through A from any thread and never through backend B
// nor through NULL; a call that names no live backend keeps its message for its own thread,
// read through NULL. Built into abi_seed_tests (WASI_NN_TEST_SEED_ABI) and abi_wamr_tests: it
// uses only the calls whose signatures the two ABIs share.
#ifdef WASI_NN_TEST_SEED_ABI
#include "support/seed_fixture.h"
#define LAST_ERROR_SUITE SeedLastError
#else
#include "support/wamr_fixture.h"
#define LAST_ERROR_SUITE WamrLastError
#endif

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace abi_fixture;

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Two live backends, A and B, deinitialised after each test.
class LAST_ERROR_SUITE : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(init_backend(&a_), success);
    ASSERT_EQ(init_backend(&b_), success);
  }
  void TearDown() override {
    EXPECT_EQ(deinit_backend(a_), success);
    EXPECT_EQ(deinit_backend(b_), success);
  }
  void* a_ = nullptr;
  void* b_ = nullptr;
};

TEST_F(LAST_ERROR_SUITE, FailureOnOneBackendIsNeverReadThroughAnother) {
  ExpectError(not_found, compute(a_, 4242), "compute", "4242", a_);
  EXPECT_EQ(LastError(b_), "") << "B never failed";
  EXPECT_FALSE(Contains(LastError(nullptr), "4242")) << "a backend's failure in the thread's slot";

  graph_execution_context e = 7;
  ExpectError(not_found, init_execution_context(b_, 77, &e), "init_execution_context", "77", b_);
  EXPECT_EQ(e, kNone);
  // B's failure neither replaced nor reached A's message.
  const std::string a_msg = LastError(a_);
  EXPECT_EQ(a_msg.rfind("compute: ", 0), 0u) << a_msg;
  EXPECT_TRUE(Contains(a_msg, "4242")) << a_msg;
  EXPECT_FALSE(Contains(LastError(b_), "4242")) << LastError(b_);
}

TEST_F(LAST_ERROR_SUITE, BackendMessageIsReadFromAnyThreadNotTheFailingThreadOnly) {
  std::thread failing([&] { EXPECT_EQ(compute(a_, 5151), not_found); });
  failing.join();
  // Per backend, not per thread: this thread reads what another thread's call on A left there.
  const std::string msg = LastError(a_);
  EXPECT_EQ(msg.rfind("compute: ", 0), 0u) << msg;
  EXPECT_TRUE(Contains(msg, "5151")) << msg;
  std::string through_b, through_null;
  std::thread reader([&] {
    through_b = LastError(b_);
    through_null = LastError(nullptr);
  });
  reader.join();
  EXPECT_EQ(through_b, "");
  EXPECT_FALSE(Contains(through_null, "5151")) << through_null;
}

TEST_F(LAST_ERROR_SUITE, ConcurrentFailuresStayWithTheirBackend) {
  // One thread per backend fails on it with ids of its own range and reads its backend's
  // message back: it is always its own latest failure, never the other backend's.
  std::atomic<int> wrong{0};
  auto fail_and_read = [&](void* ctx, uint32_t first_id) {
    for (uint32_t id = first_id; id < first_id + 200; ++id) {
      if (compute(ctx, id) != not_found) ++wrong;
      const std::string msg = LastError(ctx);
      if (msg.rfind("compute: ", 0) != 0 || !Contains(msg, std::to_string(id))) ++wrong;
    }
  };
  std::thread on_a(fail_and_read, a_, 10000);
  std::thread on_b(fail_and_read, b_, 20000);
  on_a.join();
  on_b.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(Contains(LastError(a_), "10199")) << LastError(a_);
  EXPECT_TRUE(Contains(LastError(b_), "20199")) << LastError(b_);
}

TEST_F(LAST_ERROR_SUITE, CallWithoutALiveBackendIsReadThroughNullOnItsThreadOnly) {
  ExpectError(not_found, compute(a_, 31), "compute", "31", a_);
  for (void* bad : NotLiveContexts()) {
    ExpectError(invalid_argument, compute(bad, 1), "compute", "ctx", nullptr);
  }
  ExpectError(invalid_argument, init_backend(nullptr), "init_backend", "NULL", nullptr);
  // Neither a live backend's message...
  EXPECT_TRUE(Contains(LastError(a_), "31")) << LastError(a_);
  EXPECT_FALSE(Contains(LastError(a_), "init_backend")) << LastError(a_);
  EXPECT_EQ(LastError(b_), "");
  // ...nor another thread's ctx-less message.
  std::string other_thread;
  std::thread reader([&] { other_thread = LastError(nullptr); });
  reader.join();
  EXPECT_EQ(other_thread, "");
  // A later failure on a live backend leaves this thread's ctx-less message as it was.
  EXPECT_EQ(compute(b_, 32), not_found);
  EXPECT_EQ(LastError(nullptr).rfind("init_backend: ", 0), 0u) << LastError(nullptr);
}

}  // namespace
