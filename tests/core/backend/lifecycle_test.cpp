// Lifecycle and observability through the facade: unload (with requests in flight), finalize,
// the metadata at output 1, and the process-wide stats JSON.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "core/base/error.h"
#include "core/engine/model_registry.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using namespace std::chrono_literals;
using test::error_of;
using test::generate;
using test::model_path;
using json = nlohmann::json;

const char* kEndless = R"({"mode": "raw", "n_predict": 1000000, "ignore_eos": true})";
const char* kOneSeq = R"({"ctx_size": 4096, "n_parallel": 1, "threads": 2, "temperature": 0})";

json stats() {
  std::string buf(1 << 16, '\0');
  size_t n = Backend::process_stats(buf.data(), buf.size());
  return json::parse(buf.substr(0, n));
}

// Stats the worker refreshes between steps: poll until `pred` holds (or give up after 5 s).
json stats_when(const std::function<bool(const json&)>& pred) {
  json s = stats();
  for (int i = 0; i < 100 && !pred(s); ++i) {
    std::this_thread::sleep_for(50ms);
    s = stats();
  }
  return s;
}

// An endless request on its own context, run from another thread.
struct Endless {
  Endless(Backend& b, uint32_t graph) : b(b), ctx(b.init_execution_context(graph)) {
    thread = std::thread([this] {
      try {
        generate(this->b, ctx, "busy", kEndless);
      } catch (const Error& e) {
        kind = static_cast<int>(e.kind());
        message = e.what();
      }
    });
    std::this_thread::sleep_for(300ms);
  }
  ~Endless() {
    if (thread.joinable()) thread.join();
  }
  Backend& b;
  uint32_t ctx;
  std::thread thread;
  std::atomic<int> kind{-1};
  std::string message;
};

TEST(Unload, RunningRequestIsCancelledAndModelFreed) {
  const size_t before = ModelRegistry::instance().live_models();
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  EXPECT_EQ(ModelRegistry::instance().live_models(), before + 1);
  Endless run(b, g);
  b.unload(g);  // from this thread, while `run` generates on another
  run.thread.join();
  EXPECT_EQ(run.kind, static_cast<int>(ErrorKind::Cancelled));
  EXPECT_NE(run.message.find("graph " + std::to_string(g) + " was unloaded"), std::string::npos) << run.message;
  // The last user (the cancelled request) has returned: the model is gone from the registry.
  EXPECT_EQ(ModelRegistry::instance().live_models(), before);
}

TEST(Unload, ContextsOfAnUnloadedGraphAnswerNotFound) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  uint32_t c = b.init_execution_context(g);
  generate(b, c, "Hello", R"({"n_predict": 2})");
  b.unload(g);
  for (auto call :
       std::vector<std::function<void()>>{[&] { b.set_input(c, 0, "again"); }, [&] { b.compute(c); },
                                          [&] {
                                            char buf[8];
                                            b.get_output(c, 0, buf, sizeof buf);
                                          },
                                          [&] { b.compute_single(c); }, [&] { b.close_execution_context(c); }}) {
    Error e = error_of(call);
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("was unloaded"), std::string::npos) << e.what();
  }
  EXPECT_EQ(error_of([&] { b.init_execution_context(g); }).kind(), ErrorKind::NotFound);
}

TEST(Unload, DoubleAndUnknownUnloadAreNotFound) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  b.unload(g);
  Error twice = error_of([&] { b.unload(g); });
  EXPECT_EQ(twice.kind(), ErrorKind::NotFound);
  EXPECT_NE(std::string(twice.what()).find("closed or unloaded"), std::string::npos) << twice.what();
  EXPECT_EQ(error_of([&] { b.unload(999); }).kind(), ErrorKind::NotFound);
  EXPECT_EQ(error_of([&] { b.unload(Backend::kNoContext); }).kind(), ErrorKind::NotFound);
}

TEST(Unload, OtherGraphsOnTheSameModelKeepWorking) {
  const size_t before = ModelRegistry::instance().live_models();
  HostBackend b;
  uint32_t g1 = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  uint32_t g2 = b.load_by_name(model_path("tiny-phi3"), kOneSeq);  // shares the engine
  uint32_t c2 = b.init_execution_context(g2);
  b.unload(g1);
  EXPECT_EQ(ModelRegistry::instance().live_models(), before + 1);
  EXPECT_FALSE(generate(b, c2, "Hello", R"({"n_predict": 2})").text.empty());
  b.unload(g2);
  EXPECT_EQ(error_of([&] { b.compute(c2); }).kind(), ErrorKind::NotFound);
  // c2's conversation ended with its context: nothing holds the model any more.
  EXPECT_EQ(ModelRegistry::instance().live_models(), before);
}

TEST(Unload, HotSwapMovesSessionsToTheNewModel) {
  HostBackend b;
  uint32_t old_g = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  uint32_t s = b.init_session("swap");
  generate(b, s, "Hello", R"({"n_predict": 2})");
  b.load_by_name(model_path("tiny-qwen2"), R"({"ctx_size": 512, "threads": 2})");
  b.unload(old_g);
  EXPECT_EQ(error_of([&] { b.compute(s); }).kind(), ErrorKind::NotFound);  // its context went
  uint32_t s2 = b.init_session("swap");
  auto out = generate(b, s2, "Again", R"({"n_predict": 2})");
  EXPECT_NE(out.meta["model"].get<std::string>().find("tiny-qwen2"), std::string::npos);
  // The history (one earlier turn) came along: the prompt is longer than this turn alone.
  uint32_t fresh = b.init_session("fresh");
  auto alone = generate(b, fresh, "Again", R"({"n_predict": 2})");
  EXPECT_GT(out.meta["input_tokens"].get<int>(), alone.meta["input_tokens"].get<int>());
}

TEST(Finalize, RunningRequestIsCancelled) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  Endless run(b, g);
  b.close_execution_context(run.ctx);
  run.thread.join();
  EXPECT_EQ(run.kind, static_cast<int>(ErrorKind::Cancelled));
  EXPECT_EQ(error_of([&] { b.close_execution_context(run.ctx); }).kind(), ErrorKind::NotFound);
}

TEST(Metadata, HasCountsTimingsSpeedsAndBuild) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 512, "threads": 2, "temperature": 0})");
  uint32_t c = b.init_execution_context(g);
  generate(b, c, "Hello there", R"({"n_predict": 4, "ignore_eos": true})");
  json m = generate(b, c, "And again", R"({"n_predict": 4, "ignore_eos": true})").meta;
  EXPECT_GT(m["input_tokens"].get<int>(), 0);
  EXPECT_GT(m["cached_tokens"].get<int>(), 0);  // the first turn is reused
  EXPECT_EQ(m["output_tokens"].get<int>(), 4);
  EXPECT_EQ(m["stop_reason"], "length");
  const json& t = m["timings"];
  EXPECT_GE(t["time_to_first_token_ms"].get<double>(), t["prompt_ms"].get<double>());
  EXPECT_GT(t["prompt_tokens_per_second"].get<double>(), 0);
  EXPECT_GT(t["generate_tokens_per_second"].get<double>(), 0);
  EXPECT_TRUE(m["llama_cpp"]["build_number"].is_number_integer());
  EXPECT_FALSE(m["llama_cpp"]["commit"].get<std::string>().empty());
}

TEST(Stats, FollowRequestsSessionsAndUnload) {
  json s0 = stats();
  for (const char* key : {"queue_depth", "active_sequences", "sessions_held", "saved_kv_bytes", "memory", "models",
                          "counters", "llama_cpp"}) {
    EXPECT_TRUE(s0.contains(key)) << key;
  }
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), kOneSeq);
  json s1 = stats();
  EXPECT_EQ(s1["backends"].get<int>(), s0["backends"].get<int>() + 1);
  EXPECT_EQ(s1["models"].size(), s0["models"].size() + 1);
  EXPECT_GT(s1["memory"]["model_bytes"].get<uint64_t>(), s0["memory"]["model_bytes"].get<uint64_t>());
  EXPECT_GT(s1["memory"]["kv_bytes"].get<uint64_t>(), s0["memory"]["kv_bytes"].get<uint64_t>());
  EXPECT_GT(s1["memory"]["process_rss_bytes"].get<uint64_t>(), 0u);

  uint32_t s = b.init_session("stats");
  auto out = generate(b, s, "Hello", R"({"n_predict": 3, "ignore_eos": true})");
  json s2 = stats();
  const json &c1 = s1["counters"], &c2 = s2["counters"];
  EXPECT_EQ(s2["sessions_held"].get<int>(), s1["sessions_held"].get<int>() + 1);
  EXPECT_EQ(c2["requests_done"].get<uint64_t>(), c1["requests_done"].get<uint64_t>() + 1);
  EXPECT_EQ(c2["tokens_out"].get<uint64_t>(), c1["tokens_out"].get<uint64_t>() + 3);
  EXPECT_EQ(c2["tokens_in"].get<uint64_t>(),
            c1["tokens_in"].get<uint64_t>() + out.meta["input_tokens"].get<uint64_t>());

  {
    Endless run(b, g);  // holds the only sequence
    json busy = stats_when([](const json& j) { return j["active_sequences"].get<int>() >= 1; });
    EXPECT_GE(busy["active_sequences"].get<int>(), 1);
    // A second turn on the running conversation is refused: counted as busy.
    Error e = error_of([&] { b.compute(run.ctx); });
    EXPECT_EQ(e.kind(), ErrorKind::Busy);
    EXPECT_EQ(stats()["counters"]["busy"].get<uint64_t>(), busy["counters"]["busy"].get<uint64_t>() + 1);
    // A request waiting for the sequence shows in the queue depth.
    uint32_t waiting = b.init_execution_context(g);
    std::thread waiter([&] {
      try {
        generate(b, waiting, "wait", R"({"n_predict": 1})");
      } catch (const Error&) {
      }
    });
    json queued = stats_when([](const json& j) { return j["queue_depth"].get<int>() >= 1; });
    EXPECT_GE(queued["queue_depth"].get<int>(), 1);
    b.unload(g);  // cancels both
    waiter.join();
  }
  json s3 = stats_when([&](const json& j) { return j["models"].size() == s0["models"].size(); });
  EXPECT_EQ(s3["models"].size(), s0["models"].size());
  EXPECT_GE(s3["counters"]["cancelled"].get<uint64_t>(), c2["cancelled"].get<uint64_t>() + 1);
  EXPECT_EQ(s3["sessions_held"].get<int>(), s0["sessions_held"].get<int>());  // forgotten with its model
}

TEST(Stats, TooSmallBufferReportsTheSizeNeeded) {
  Error e = error_of([] { Backend::process_stats(nullptr, 0); });
  EXPECT_EQ(e.kind(), ErrorKind::TooLarge);
  std::string buf(e.needed() + 64, '\0');  // a few bytes of slack: gauges may have changed
  EXPECT_GT(Backend::process_stats(buf.data(), buf.size()), 0u);
}

}  // namespace
}  // namespace wasi_nn
