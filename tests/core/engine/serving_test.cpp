// Serving: the priority queue, backpressure, timeouts, cancellation, KV save/restore on
// eviction, prefix sharing, hot swap, and many threads at once (context shift:
// context_shift_test.cpp).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "core/base/error.h"
#include "core/engine/model_registry.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using namespace std::chrono_literals;
using test::generate;
using test::model_path;
using test::queue_depth;
using test::wait_for_stats;

// A request that keeps the only sequence busy until its context is closed (context shift lets
// it run past the window).
const char* kEndless = R"({"mode": "raw", "n_predict": 1000000, "ignore_eos": true})";

ErrorKind kind_of(const std::function<void()>& f) { return test::error_of(f).kind(); }

class OneSequence : public ::testing::Test {
 protected:
  void load(const std::string& extra = "") {
    g = b.load_by_name(model_path("tiny-phi3"),
                       R"({"ctx_size": 4096, "n_parallel": 1, "threads": 2, "temperature": 0)" + extra + "}");
  }
  // Starts an endless request on its own context; it holds the only sequence until stop_long().
  void start_long() {
    long_ctx = b.init_execution_context(g);
    long_thread = std::thread([this] {
      try {
        generate(b, long_ctx, "busy", kEndless);
      } catch (const Error& e) {
        long_kind = static_cast<int>(e.kind());
      }
    });
    // Running: it holds the sequence and nothing waits.
    wait_for_stats([](const nlohmann::json& st) { return st["active_sequences"] == 1 && queue_depth(st) == 0; });
  }
  void stop_long() {
    b.close_execution_context(long_ctx);
    long_thread.join();
    EXPECT_EQ(long_kind, static_cast<int>(ErrorKind::Cancelled));
  }
  HostBackend b;
  uint32_t g = 0, long_ctx = 0;
  std::thread long_thread;
  std::atomic<int> long_kind{-1};
};

// The request expected to run second generates far more tokens, so the order in which the two
// threads return (what the counter records) cannot be flipped by how the threads are scheduled.
TEST_F(OneSequence, HigherPriorityIsAdmittedFirst) {
  load();
  std::atomic<int> counter{0}, low_order{-1}, high_order{-1};
  start_long();
  uint32_t lo = b.init_execution_context(g), hi = b.init_execution_context(g);
  std::thread low([&] {
    generate(b, lo, "low", R"({"mode": "raw", "n_predict": 200, "ignore_eos": true, "priority": 0})");
    low_order = counter++;
  });
  wait_for_stats([](const nlohmann::json& st) { return queue_depth(st) == 1; });
  std::thread high([&] {
    generate(b, hi, "high", R"({"mode": "raw", "n_predict": 4, "priority": 10})");
    high_order = counter++;
  });
  wait_for_stats([](const nlohmann::json& st) { return queue_depth(st) == 2; });
  stop_long();
  low.join();
  high.join();
  EXPECT_LT(high_order, low_order);
}

TEST_F(OneSequence, AgingLetsALowPriorityRequestOvertakeNewcomers) {
  load(R"(, "priority_aging_ms": 1)");  // +1 priority per ms waited
  std::atomic<int> counter{0}, old_order{-1}, new_order{-1};
  start_long();
  uint32_t c1 = b.init_execution_context(g), c2 = b.init_execution_context(g);
  std::thread old_req([&] {
    generate(b, c1, "old", R"({"mode": "raw", "n_predict": 4, "priority": -100})");
    old_order = counter++;
  });
  wait_for_stats([](const nlohmann::json& st) { return queue_depth(st) == 1; });
  std::this_thread::sleep_for(400ms);  // queued, it ages past +300: aging is by time on purpose
  std::thread new_req([&] {
    generate(b, c2, "new", R"({"mode": "raw", "n_predict": 200, "ignore_eos": true, "priority": 100})");
    new_order = counter++;
  });
  wait_for_stats([](const nlohmann::json& st) { return queue_depth(st) == 2; });
  stop_long();
  old_req.join();
  new_req.join();
  EXPECT_LT(old_order, new_order);
}

TEST_F(OneSequence, FullQueueAnswersBusy) {
  load(R"(, "max_queue": 1)");
  start_long();
  uint32_t c1 = b.init_execution_context(g), c2 = b.init_execution_context(g);
  std::thread queued([&] { generate(b, c1, "queued", R"({"mode": "raw", "n_predict": 2})"); });
  wait_for_stats([](const nlohmann::json& st) { return queue_depth(st) == 1; });
  EXPECT_EQ(kind_of([&] { generate(b, c2, "one too many", R"({"mode": "raw", "n_predict": 2})"); }), ErrorKind::Busy);
  stop_long();
  queued.join();
}

TEST_F(OneSequence, TimeoutFailsAWaitingRequest) {
  load();
  start_long();
  uint32_t c = b.init_execution_context(g);
  // Behind an endless request, only the timeout can end this one.
  EXPECT_EQ(kind_of([&] { generate(b, c, "late", R"({"mode": "raw", "n_predict": 2, "timeout_ms": 100})"); }),
            ErrorKind::Timeout);
  stop_long();
}

TEST_F(OneSequence, ClosingAContextCancelsItsRequest) {
  load();
  uint32_t c = b.init_execution_context(g);
  std::atomic<int> kind{-1};
  std::thread t([&] {
    try {
      generate(b, c, "long", kEndless);
      kind = -2;
    } catch (const Error& e) {
      kind = static_cast<int>(e.kind());
    }
  });
  wait_for_stats([](const nlohmann::json& st) { return st["active_sequences"] == 1; });
  b.close_execution_context(c);
  t.join();
  EXPECT_EQ(kind, static_cast<int>(ErrorKind::Cancelled));
  // The engine serves the next request.
  uint32_t c2 = b.init_execution_context(g);
  EXPECT_EQ(generate(b, c2, "next", R"({"mode": "raw", "n_predict": 3})").meta["output_tokens"], 3);
}

// Chat sessions on a one-sequence engine: a second session evicts the first.
std::string eviction_config(int budget_mb) {
  return R"({"ctx_size": 1024, "n_parallel": 1, "threads": 2, "temperature": 0, "n_predict": 8, "kv_save_budget_mb": )" +
         std::to_string(budget_mb) + "}";
}

TEST(Eviction, RestoredSessionContinuesIdentically) {
  HostBackend b;
  b.load_by_name(model_path("tiny-llama"), eviction_config(64));
  // Control: the same turns with no eviction in between.
  uint32_t control = b.init_session("control");
  auto c1 = generate(b, control, "Hi there, tell me a story.");
  auto c2 = generate(b, control, "And then?");
  // Evicted: another session takes the only sequence between the turns.
  uint32_t s = b.init_session("evicted");
  auto e1 = generate(b, s, "Hi there, tell me a story.");
  uint32_t other = b.init_session("other");
  generate(b, other, "Something else entirely.");
  auto e2 = generate(b, s, "And then?");
  EXPECT_EQ(e1.text, c1.text);
  EXPECT_EQ(e2.text, c2.text);
  EXPECT_GT(e2.meta["restored_tokens"].get<int>(), 0) << e2.meta.dump();
  EXPECT_GE(e2.meta["cached_tokens"].get<int>(), e1.meta["input_tokens"].get<int>());
}

TEST(Eviction, WithoutSavingTheHistoryIsReprocessedWithTheSameResult) {
  HostBackend b;
  b.load_by_name(model_path("tiny-llama"), eviction_config(0));
  uint32_t s = b.init_session("a");
  auto t1 = generate(b, s, "Hi there, tell me a story.");
  uint32_t other = b.init_session("b");
  generate(b, other, "Something else entirely.");
  auto t2 = generate(b, s, "And then?");
  EXPECT_EQ(t2.meta["restored_tokens"], 0);
  EXPECT_EQ(t2.meta["cached_tokens"], 0);
  HostBackend ref;
  ref.load_by_name(model_path("tiny-llama"), eviction_config(64));
  uint32_t r = ref.init_session("a");
  generate(ref, r, "Hi there, tell me a story.");
  EXPECT_EQ(generate(ref, r, "And then?").text, t2.text);
}

TEST(PrefixSharing, ACommonSystemPromptIsComputedOnce) {
  std::string system;
  for (int i = 0; i < 12; ++i) system += "You are a careful, friendly and precise assistant. ";
  nlohmann::json load = {{"ctx_size", 1024}, {"n_parallel", 2}, {"threads", 2},
                         {"temperature", 0}, {"n_predict", 6},  {"system_prompt", system}};
  HostBackend b;
  b.load_by_name(model_path("tiny-qwen2"), load.dump());
  uint32_t x = b.init_session("x"), y = b.init_session("y");
  auto first = generate(b, x, "Question one?");
  auto second = generate(b, y, "Question two?");
  EXPECT_EQ(first.meta["shared_tokens"], 0);
  EXPECT_GE(second.meta["shared_tokens"].get<int>(), 32) << second.meta.dump();
  EXPECT_EQ(second.meta["shared_tokens"], second.meta["cached_tokens"]);
  // Same answer as when the prefix is computed afresh.
  load["prefix_sharing"] = false;
  HostBackend ref;
  ref.load_by_name(model_path("tiny-qwen2"), load.dump());
  uint32_t ry = ref.init_session("y");
  auto fresh = generate(ref, ry, "Question two?");
  EXPECT_EQ(fresh.meta["shared_tokens"], 0);
  EXPECT_EQ(fresh.text, second.text);
}

// The stats entry of the model loaded as `file` (e.g. "tiny-phi3.gguf"); null when none is loaded.
nlohmann::json model_stats(const std::string& file) {
  const nlohmann::json stats = test::process_stats();
  for (const auto& m : stats["models"]) {
    if (m["model"] == file) return m;
  }
  return nullptr;
}

// Reads a started stream to its end: returns the text handed out after `so_far` and the
// request's final metadata, and ends the stream.
test::Output finish_stream(Backend& b, uint32_t ctx, std::string so_far) {
  std::string buf(1 << 16, '\0');
  for (;;) {
    try {
      b.compute_single(ctx);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::EndOfSequence) << e.what();
      break;
    }
    so_far.append(buf.data(), b.get_output_single(ctx, 0, buf.data(), buf.size()));
  }
  test::Output out{so_far,
                   nlohmann::json::parse(std::string(buf.data(), b.get_output_single(ctx, 1, buf.data(), buf.size())))};
  b.fini_single(ctx);
  return out;
}

// Loading a new model while a request runs on the old one: the request keeps its sequence and
// its weights to the end, new sessions go to the new model, and unloading the old graph after
// the request finished frees the old model.
TEST(HotSwap, InFlightRequestFinishesOnTheOldModel) {
  const char* kLoadOld = R"({"ctx_size": 1024, "threads": 2, "temperature": 0})";
  const char* kRequest = R"({"mode": "raw", "n_predict": 200, "ignore_eos": true})";
  std::string reference;  // the same request on the old model, alone
  {
    HostBackend ref;
    reference =
        generate(ref, ref.init_execution_context(ref.load_by_name(model_path("tiny-phi3"), kLoadOld)), "old", kRequest)
            .text;
  }
  const size_t before = ModelRegistry::instance().live_models();
  HostBackend b;
  const uint32_t g_old = b.load_by_name(model_path("tiny-phi3"), kLoadOld);
  const uint32_t c_old = b.init_execution_context(g_old);
  // Streamed, the request is in flight from its first piece until it is read to the end: a
  // stream not read runs ahead a bounded number of tokens, then waits, holding its sequence.
  b.set_input(c_old, 0, "old");
  b.set_input(c_old, 1, kRequest);
  b.compute_single(c_old);
  std::string buf(1 << 16, '\0');
  std::string first(buf.data(), b.get_output_single(c_old, 0, buf.data(), buf.size()));
  ASSERT_FALSE(first.empty());

  const uint32_t g_new = b.load_by_name(model_path("tiny-qwen2"), R"({"ctx_size": 512, "threads": 2})");  // the swap
  // The load returned while the old model's engine still runs the request.
  const nlohmann::json old_model = model_stats("tiny-phi3.gguf");
  ASSERT_FALSE(old_model.is_null());
  EXPECT_EQ(old_model["engines"][0]["active_sequences"], 1) << old_model.dump();
  EXPECT_EQ(ModelRegistry::instance().live_models(), before + 2);
  const uint32_t s = b.init_session("after-swap");
  EXPECT_EQ(generate(b, s, "Hello").meta["model"], "tiny-qwen2.gguf");

  // The request finishes after the swap, on the old weights: its whole text is the old model's.
  const test::Output old_out = finish_stream(b, c_old, first);
  EXPECT_EQ(old_out.meta["model"], "tiny-phi3.gguf");
  EXPECT_EQ(old_out.meta["output_tokens"], 200);
  EXPECT_EQ(old_out.text, reference);

  b.unload(g_old);
  EXPECT_EQ(ModelRegistry::instance().live_models(), before + 1);
  EXPECT_TRUE(model_stats("tiny-phi3.gguf").is_null());
  EXPECT_FALSE(model_stats("tiny-qwen2.gguf").is_null());
  EXPECT_EQ(generate(b, b.init_execution_context(g_new), "Hi", R"({"n_predict": 2})").meta["model"], "tiny-qwen2.gguf");
}

TEST(Concurrency, SixteenThreadsManySessions) {
  HostBackend b;
  b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 512, "n_parallel": 4, "threads": 2, "n_predict": 6})");
  constexpr int kThreads = 16;
  std::atomic<int> failures{0}, turns{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        uint32_t ctx = b.init_session("user-" + std::to_string(i % 12));  // some share a session
        for (int t = 0; t < 3; ++t) {
          try {
            generate(b, ctx, "Message " + std::to_string(t));
            ++turns;
          } catch (const Error& e) {
            if (e.kind() != ErrorKind::Busy) throw;  // two threads on one session: one waits
          }
        }
        b.close_execution_context(ctx);
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << "thread " << i << ": " << e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GE(turns, 36);
}

}  // namespace
}  // namespace wasi_nn
