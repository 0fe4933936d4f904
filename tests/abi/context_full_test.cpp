// Code 101 (context_full) through both C ABIs, in the case docs/ABI.md gives it and not in the
// other: a conversation that no longer fits the window with context_shift off makes compute
// answer 101; a generation that reaches the end of the window succeeds, with stop_reason
// context_full in the metadata and the text so far at output 0. Built into abi_seed_tests
// (WASI_NN_TEST_SEED_ABI) and abi_wamr_tests; the two differ only in how a tensor is passed and
// an output read (the adapters below).
#ifdef WASI_NN_TEST_SEED_ABI
#include "support/seed_fixture.h"
#define CONTEXT_FULL_SUITE SeedContextFull
#else
#include "support/wamr_fixture.h"
#define CONTEXT_FULL_SUITE WamrContextFull
#endif

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace abi_fixture;

// set_input(ctx, e, index, text), as each ABI's host passes text.
wasi_nn_error SetText(void* ctx, graph_execution_context e, uint32_t index, const std::string& text) {
#ifdef WASI_NN_TEST_SEED_ABI
  tensor t{nullptr, fp32, (uint8_t*)text.c_str()};  // NUL-terminated, no dimensions
  return set_input(ctx, e, index, &t);
#else
  wamr_test::Input in(text);
  return set_input(ctx, e, index, &in.t);
#endif
}

// Output `index` of `e` (at most 64 KiB), asserting success.
std::string Read(void* ctx, graph_execution_context e, uint32_t index) {
  std::vector<char> buf(1 << 16);
  uint32_t size = static_cast<uint32_t>(buf.size());
#ifdef WASI_NN_TEST_SEED_ABI
  EXPECT_EQ(get_output(ctx, e, index, reinterpret_cast<uint8_t*>(buf.data()), &size), success);
#else
  tensor_data out{reinterpret_cast<uint8_t*>(buf.data()), size};
  EXPECT_EQ(get_output(ctx, e, index, &out, &size), success);
#endif
  return std::string(buf.data(), size);
}

// A chat that runs several turns on a 256-token window: its history outgrows the window after
// a few turns.
constexpr char kSmallChat[] =
    R"({"ctx_size": 256, "n_parallel": 1, "threads": 2, "temperature": 0, "n_predict": 24, "ignore_eos": true)";

class CONTEXT_FULL_SUITE : public Fixture {
 protected:
#ifndef WASI_NN_TEST_SEED_ABI
  // The WAMR library reads guests' configs in WasmEdge's dialect by default, where input 0 is
  // raw text without our chat history and the end of the window answers 101 as under WasmEdge
  // (tests/compat, docs/COMPATIBILITY.md). The rule tested here is the strict profile's.
  void SetUp() override {
    ::setenv("WASI_NN_CONFIG", R"({"profile": "strict"})", 1);
    Fixture::SetUp();
    ::unsetenv("WASI_NN_CONFIG");
  }
#endif
  // Chat turns on one execution context until a compute fails (at most 12); returns the codes.
  std::vector<wasi_nn_error> ChatUntilFailure(const std::string& extra) {
    graph_execution_context e = Open((std::string(kSmallChat) + extra + "}").c_str());
    std::vector<wasi_nn_error> codes;
    for (int turn = 0; turn < 12 && (codes.empty() || codes.back() == success); ++turn) {
      const std::string prompt = "This is turn number " + std::to_string(turn) + " of a long chat.";
      EXPECT_EQ(SetText(ctx_, e, 0, prompt), success) << LastError();
      codes.push_back(compute(ctx_, e));
    }
    last_exec_ = e;
    return codes;
  }
  graph_execution_context last_exec_ = kNone;
};

TEST_F(CONTEXT_FULL_SUITE, ConversationThatNoLongerFitsWithoutShiftIs101) {
  const std::vector<wasi_nn_error> codes = ChatUntilFailure(R"(, "context_shift": false)");
  ASSERT_GE(codes.size(), 2u) << "the first turn already failed: " << LastError();
  for (size_t i = 0; i + 1 < codes.size(); ++i) EXPECT_EQ(codes[i], success) << "turn " << i;
  ExpectError(context_full, codes.back(), "compute", "no longer fits");
  const auto meta = nlohmann::json::parse(Read(ctx_, last_exec_, 1));
  EXPECT_EQ(meta["error"]["kind"], "context_full") << meta.dump();
}

TEST_F(CONTEXT_FULL_SUITE, SameConversationWithShiftKeepsSucceeding) {
  const std::vector<wasi_nn_error> codes = ChatUntilFailure("");
  ASSERT_EQ(codes.size(), 12u) << "turn " << codes.size() - 1 << " failed: " << LastError();
  EXPECT_EQ(codes.back(), success);
}

// Generation that reaches the end of the window with context_shift off ends there: success,
// not 101.
TEST_F(CONTEXT_FULL_SUITE, GenerationReachingTheWindowSucceedsWithStopReason) {
  graph_execution_context e = Open(R"({"ctx_size": 256, "n_parallel": 1, "threads": 2, "temperature": 0})");
  ASSERT_EQ(SetText(ctx_, e, 0, "Start"), success);
  ASSERT_EQ(SetText(ctx_, e, 1, R"({"mode": "raw", "n_predict": 400, "ignore_eos": true, "context_shift": false})"),
            success);
  ASSERT_EQ(compute(ctx_, e), success) << LastError();
  const auto meta = nlohmann::json::parse(Read(ctx_, e, 1));
  EXPECT_EQ(meta["stop_reason"], "context_full") << meta.dump();
  // The prompt and the reply fill the 256-token window (the last token generated is not decoded).
  EXPECT_EQ(meta["input_tokens"].get<int>() + meta["output_tokens"].get<int>(), 256) << meta.dump();
  EXPECT_FALSE(Read(ctx_, e, 0).empty());
}

}  // namespace
