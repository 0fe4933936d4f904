// Sessions and conversations: KV reuse between turns, isolation between sequences, session ids,
// and concurrent conversations decoded together.
#include <gtest/gtest.h>

#include <thread>

#include "core/base/error.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::generate;
using test::model_path;

const char* kLoad = R"({"ctx_size": 1024, "threads": 2, "n_predict": 8, "temperature": 0, "n_parallel": 4})";

TEST(Session, TurnTwoDecodesOnlyTheNewTokens) {
  HostBackend b;
  b.load_by_name(model_path("tiny-qwen2"), kLoad);
  uint32_t ctx = b.init_session("alice");
  auto t1 = generate(b, ctx, "Hi, my name is Alice.");
  EXPECT_EQ(t1.meta["cached_tokens"], 0);
  auto t2 = generate(b, ctx, "What is my name?");
  const int in1 = t1.meta["input_tokens"], in2 = t2.meta["input_tokens"], cached2 = t2.meta["cached_tokens"];
  EXPECT_GT(in2, in1);
  EXPECT_GE(cached2, in1) << t2.meta.dump();  // all of turn one's prompt came from the KV cache
  EXPECT_EQ(t2.meta["session_id"], "alice");
}

// The reply's own tokens stay in the KV for the next turn: turn two re-processes only the
// template's end-of-turn marker and the new message, not a re-tokenization of the reply.
TEST(Session, TurnTwoReusesTheReplyTokens) {
  for (const char* model : {"tiny-qwen2", "tiny-phi3"}) {
    HostBackend b;
    b.load_by_name(model_path(model), kLoad);
    uint32_t ctx = b.init_session("carol");
    auto t1 = generate(b, ctx, "Tell me a story.", R"({"ignore_eos": true})");
    ASSERT_EQ(t1.meta["stop_reason"], "length") << model;
    auto t2 = generate(b, ctx, "And then?");
    const int in1 = t1.meta["input_tokens"], out1 = t1.meta["output_tokens"];
    // The last generated token was sampled but not decoded, so it is not in the KV yet.
    EXPECT_GE(t2.meta["cached_tokens"].get<int>(), in1 + out1 - 1) << model << " " << t2.meta.dump();
    auto t3 = generate(b, ctx, "The end.");
    EXPECT_GE(t3.meta["cached_tokens"].get<int>(), t2.meta["input_tokens"].get<int>()) << model;
  }
}

TEST(Session, SameIdSharesTheConversation) {
  HostBackend b;
  b.load_by_name(model_path("tiny-qwen2"), kLoad);
  uint32_t c1 = b.init_session("bob");
  auto t1 = generate(b, c1, "First message.");
  b.close_execution_context(c1);
  uint32_t c2 = b.init_session("bob");
  auto t2 = generate(b, c2, "Second message.");
  EXPECT_GT(t2.meta["cached_tokens"].get<int>(), 0);
  EXPECT_GT(t2.meta["input_tokens"].get<int>(), t1.meta["input_tokens"].get<int>());
}

TEST(Session, ResetForgetsHistory) {
  HostBackend b;
  b.load_by_name(model_path("tiny-qwen2"), kLoad);
  uint32_t ctx = b.init_session("carol");
  auto t1 = generate(b, ctx, "Remember this.");
  auto t2 = generate(b, ctx, "Remember this.", R"({"reset": true})");
  EXPECT_EQ(t2.meta["input_tokens"], t1.meta["input_tokens"]);
  EXPECT_EQ(t2.text, t1.text);
}

TEST(Session, ConversationsDoNotShareKv) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-llama"), kLoad);
  // Reference: each conversation alone.
  uint32_t solo = b.init_execution_context(g);
  auto a1 = generate(b, solo, "Apples are");
  auto a2 = generate(b, solo, "And pears?");
  uint32_t solo2 = b.init_execution_context(g);
  auto c1 = generate(b, solo2, "Cars drive");
  auto c2 = generate(b, solo2, "And trucks?");
  // Interleaved on two fresh contexts.
  uint32_t x = b.init_execution_context(g), y = b.init_execution_context(g);
  EXPECT_EQ(generate(b, x, "Apples are").text, a1.text);
  EXPECT_EQ(generate(b, y, "Cars drive").text, c1.text);
  EXPECT_EQ(generate(b, x, "And pears?").text, a2.text);
  EXPECT_EQ(generate(b, y, "And trucks?").text, c2.text);
}

TEST(Session, ConcurrentSessionsAllComplete) {
  HostBackend b;
  b.load_by_name(model_path("tiny-llama"), kLoad);
  constexpr int kThreads = 4;
  std::vector<std::string> errors(kThreads);
  std::vector<int> turns(kThreads, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        uint32_t ctx = b.init_session("user-" + std::to_string(i));
        for (int t = 0; t < 3; ++t) {
          auto out = generate(b, ctx, "Turn " + std::to_string(t) + " from user " + std::to_string(i));
          if (out.meta["output_tokens"].get<int>() < 1 && out.meta["stop_reason"] != "eos") errors[i] = "no tokens";
          ++turns[i];
        }
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(errors[i], "") << "thread " << i;
    EXPECT_EQ(turns[i], 3);
  }
}

TEST(Session, ClosedContextIsUnknown) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-phi3"), kLoad);
  uint32_t ctx = b.init_execution_context(g);
  b.close_execution_context(ctx);
  try {
    b.compute(ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  EXPECT_THROW(b.close_execution_context(ctx), Error);
}

TEST(Session, SessionNeedsALoadedModel) {
  HostBackend b;
  try {
    b.init_session("nobody");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  }
}

}  // namespace
}  // namespace wasi_nn
