// Conversation forks: a fork copies its parent's history and KV cache (no recompute: the copied
// tokens count as cached) and, given the same next input, continues exactly as the parent does.
#include <gtest/gtest.h>

#include "agent_test_util.h"

namespace wasi_nn::agents {
namespace {

// Tokens the parent's KV holds after a turn: its prompt and reply, all but the last generated
// token (sampled, never decoded).
int kv_length(const Reply& turn) {
  return turn.meta["input_tokens"].get<int>() + turn.meta["output_tokens"].get<int>() - 1;
}

void expect_same_continuation(Agent& agent, uint32_t parent, uint32_t child, const json& fork_from,
                              const Reply& parent_turn) {
  const json next = {{"n_predict", 12}};
  json forked_settings = next;
  forked_settings["fork_from"] = fork_from;
  const Reply forked = agent.ask(child, "Tell me more.", forked_settings);
  const Reply own = agent.ask(parent, "Tell me more.", next);
  EXPECT_EQ(forked.meta["forked_tokens"], kv_length(parent_turn)) << forked.meta.dump();
  EXPECT_EQ(forked.meta["cached_tokens"], own.meta["cached_tokens"]);
  EXPECT_GE(forked.meta["cached_tokens"].get<int>(), parent_turn.meta["input_tokens"].get<int>());
  EXPECT_EQ(forked.meta["input_tokens"], own.meta["input_tokens"]);
  EXPECT_EQ(forked.text, own.text);
  EXPECT_FALSE(forked.text.empty());
}

TEST(Fork, SessionForkContinuesLikeItsParent) {
  Agent agent("tiny-qwen2");
  const uint32_t parent = agent.session("main");
  const Reply first = agent.ask(parent, "Hello, who are you?", {{"n_predict", 10}});
  expect_same_continuation(agent, parent, agent.session("branch"), "main", first);
}

TEST(Fork, ContextHandleForkContinuesLikeItsParent) {
  Agent agent("tiny-llama");
  const uint32_t parent = agent.context();
  const Reply first = agent.ask(parent, "Hello, who are you?", {{"n_predict", 10}});
  expect_same_continuation(agent, parent, agent.context(), parent, first);
}

TEST(Fork, ForkOfAnEvictedParentCopiesItsSavedState) {
  Agent agent("tiny-qwen2", {{"n_parallel", 1}});
  const uint32_t parent = agent.context();
  const Reply first = agent.ask(parent, "Hello, who are you?", {{"n_predict", 10}});
  // One sequence: the child takes it, so the parent is evicted (its state saved) first.
  expect_same_continuation(agent, parent, agent.context(), parent, first);
}

TEST(Fork, ReplacesTheChildsOwnConversation) {
  Agent agent("tiny-qwen2");
  const uint32_t parent = agent.context(), child = agent.context();
  const Reply first = agent.ask(parent, "Hello, who are you?", {{"n_predict", 10}});
  agent.ask(child, "Something else entirely, and quite long too.", {{"n_predict", 10}});
  expect_same_continuation(agent, parent, child, parent, first);
}

TEST(Fork, UnknownSelfAndDeniedForksAreRefused) {
  Agent agent("tiny-qwen2");
  const uint32_t ctx = agent.context();
  EXPECT_EQ(agent.refuse(ctx, "hi", {{"fork_from", "nobody"}}).kind(), ErrorKind::NotFound);
  EXPECT_EQ(agent.refuse(ctx, "hi", {{"fork_from", 999}}).kind(), ErrorKind::NotFound);
  EXPECT_EQ(agent.refuse(ctx, "hi", {{"fork_from", ctx}}).kind(), ErrorKind::InvalidArgument);
  Agent denied("tiny-qwen2", json::object(), R"({"limits": {"denied_keys": ["fork_from"]}})");
  const uint32_t a = denied.context(), b = denied.context();
  denied.ask(a, "hi", {{"n_predict", 2}});
  EXPECT_EQ(denied.refuse(b, "hi", {{"fork_from", a}}).kind(), ErrorKind::InvalidArgument);
}

TEST(Fork, OnlyWithinOneModelLoadsEngine) {
  Agent agent("tiny-qwen2");
  const uint32_t parent = agent.context();
  agent.ask(parent, "hi", {{"n_predict", 2}});
  const uint32_t other = agent.backend().load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 512})");
  const uint32_t child = agent.backend().init_execution_context(other);
  const Error e = agent.refuse(child, "hi", {{"fork_from", parent}});
  EXPECT_EQ(e.kind(), ErrorKind::InvalidArgument);
  EXPECT_NE(std::string(e.what()).find("another model"), std::string::npos) << e.what();
}

}  // namespace
}  // namespace wasi_nn::agents
