// Streaming (compute_single / get_output_single / fini_single): the chunks add up to exactly
// the non-streamed text, never split a UTF-8 character, hold back stop strings, end with
// EndOfSequence, and work inside sessions and beside ordinary requests.
#include <gtest/gtest.h>

#include <thread>

#include "core/base/error.h"
#include "core/engine/stop_matcher.h"
#include "support/core_helpers.h"

namespace wasi_nn {
namespace {

using test::generate;
using test::model_path;

struct Streamed {
  std::vector<std::string> chunks;
  std::string text;
  nlohmann::json meta;
};

Streamed stream(Backend& b, uint32_t ctx, const std::string& prompt, const std::string& request) {
  b.set_input(ctx, 0, prompt);
  if (!request.empty()) b.set_input(ctx, 1, request);
  Streamed out;
  std::string buf(1 << 16, '\0');
  for (int steps = 0;; ++steps) {
    try {
      b.compute_single(ctx);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::EndOfSequence) << e.what();
      break;
    }
    out.chunks.emplace_back(buf.data(), b.get_output_single(ctx, 0, buf.data(), buf.size()));
    out.text += out.chunks.back();
    if (steps > 100000) ADD_FAILURE() << "stream never ended";
  }
  out.meta = nlohmann::json::parse(std::string(buf.data(), b.get_output_single(ctx, 1, buf.data(), buf.size())));
  b.fini_single(ctx);
  return out;
}

class Streaming : public ::testing::TestWithParam<const char*> {};

TEST_P(Streaming, ChunksEqualTheNonStreamedTextByteForByte) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-qwen2"), R"({"ctx_size": 512, "threads": 2, "temperature": 0})");
  // Fresh contexts for both: reusing a KV prefix decodes the last prompt token alone, which
  // may change later logits slightly (as in llama.cpp's server), so compare like with like.
  const std::string request = GetParam();
  auto whole = generate(b, b.init_execution_context(g), "Tell me something", request);
  auto s = stream(b, b.init_execution_context(g), "Tell me something", request);
  EXPECT_EQ(s.text, whole.text);
  EXPECT_EQ(s.meta["output_tokens"], whole.meta["output_tokens"]);
  EXPECT_EQ(s.meta["stop_reason"], whole.meta["stop_reason"]);
  for (const auto& chunk : s.chunks) {
    EXPECT_FALSE(chunk.empty());
    EXPECT_EQ(utf8_complete_prefix(chunk), chunk.size()) << "a chunk ends inside a UTF-8 character";
  }
}

// The random-weight qwen2 model emits many multi-byte characters (CJK, Cyrillic); the stop
// case cuts at a string taken from its own greedy output.
INSTANTIATE_TEST_SUITE_P(
    Requests, Streaming,
    ::testing::Values(R"({"mode": "raw", "n_predict": 40})",
                      R"({"mode": "raw", "n_predict": 40, "ignore_eos": true, "stop": ["zz-never"]})",
                      R"({"n_predict": 24})"));

TEST(StreamingStop, StopStringNeverAppearsInAnyChunk) {
  HostBackend b;
  uint32_t g = b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 512, "threads": 2, "temperature": 0})");
  auto whole = generate(b, b.init_execution_context(g), "Once upon a time", R"({"mode": "raw", "n_predict": 30})");
  ASSERT_GT(whole.text.size(), 12u);
  const std::string stop = whole.text.substr(whole.text.size() / 2, 5);
  nlohmann::json req = {{"mode", "raw"}, {"n_predict", 30}, {"stop", {stop}}};
  auto cut = generate(b, b.init_execution_context(g), "Once upon a time", req.dump());
  auto s = stream(b, b.init_execution_context(g), "Once upon a time", req.dump());
  EXPECT_EQ(s.text, cut.text);
  EXPECT_EQ(s.meta["stop_reason"], "stop");
  EXPECT_EQ(s.text.find(stop), std::string::npos);
}

TEST(StreamingSession, TheStreamedTurnJoinsTheConversation) {
  HostBackend b;
  b.load_by_name(model_path("tiny-qwen2"), R"({"ctx_size": 1024, "threads": 2, "temperature": 0, "n_predict": 12})");
  uint32_t s = b.init_session("streamer");
  auto t1 = stream(b, s, "Hello there", "");
  auto t2 = generate(b, s, "And now?");
  EXPECT_GE(t2.meta["cached_tokens"].get<int>(), t1.meta["input_tokens"].get<int>());
  // Control: the same two turns without streaming.
  uint32_t ref = b.init_session("control");
  auto r1 = generate(b, ref, "Hello there");
  auto r2 = generate(b, ref, "And now?");
  EXPECT_EQ(t1.text, r1.text);
  EXPECT_EQ(t2.text, r2.text);
}

// Opens a context on tiny-phi3 and starts a stream that would run for 100,000 tokens.
uint32_t start_endless_stream(HostBackend& b) {
  uint32_t c = b.init_execution_context(b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 1024, "threads": 2})"));
  b.set_input(c, 0, "Go");
  b.set_input(c, 1, R"({"mode": "raw", "n_predict": 100000, "ignore_eos": true})");
  b.compute_single(c);
  return c;
}

TEST(StreamingSession, FiniEarlyCancelsAndFreesTheConversation) {
  HostBackend b;
  uint32_t c = start_endless_stream(b);
  b.fini_single(c);
  EXPECT_EQ(generate(b, c, "Next", R"({"mode": "raw", "n_predict": 3})").meta["output_tokens"], 3);
  EXPECT_NO_THROW(b.fini_single(c));  // nothing open: harmless
}

TEST(StreamingBatch, StreamsAndOrdinaryRequestsShareTheDecodeLoop) {
  HostBackend b;
  uint32_t g =
      b.load_by_name(model_path("tiny-llama"), R"({"ctx_size": 512, "threads": 2, "temperature": 0, "n_parallel": 2})");
  uint32_t c1 = b.init_execution_context(g), c2 = b.init_execution_context(g);
  auto solo_stream = stream(b, c1, "Alpha", R"({"mode": "raw", "n_predict": 40, "ignore_eos": true})");
  auto solo_plain = generate(b, c2, "Beta", R"({"mode": "raw", "n_predict": 40, "ignore_eos": true})");
  uint32_t d1 = b.init_execution_context(g), d2 = b.init_execution_context(g);
  Streamed together;
  std::thread t([&] { together = stream(b, d1, "Alpha", R"({"mode": "raw", "n_predict": 40, "ignore_eos": true})"); });
  auto plain = generate(b, d2, "Beta", R"({"mode": "raw", "n_predict": 40, "ignore_eos": true})");
  t.join();
  EXPECT_EQ(together.meta["output_tokens"], 40);
  EXPECT_EQ(plain.meta["output_tokens"], 40);
  EXPECT_EQ(together.text, solo_stream.text);
  EXPECT_EQ(plain.text, solo_plain.text);
}

TEST(StreamingErrors, ComputeWhileStreamingIsBusy) {
  HostBackend b;
  uint32_t c = start_endless_stream(b);
  try {
    b.compute(c);
    ADD_FAILURE() << "compute during a stream succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Busy);
  }
  b.close_execution_context(c);  // closing ends the stream too
}

}  // namespace
}  // namespace wasi_nn
