// A tenant spying on another through a shared engine (the issue's prefix-sharing attack), and
// the ABI's per-call bounds a tenant runs into: the issue's crashing load config, lengths that
// overflowed WAMR's own natives, and host paths in messages. Through both C ABIs; after each, the
// same process serves a normal request.
#include <gtest/gtest.h>

#include <string>

#include "hostile/hostile_fixture.h"

namespace hostile {
namespace {

// A prompt of ~200 tokens no other test of this process sends.
std::string Memo() {
  std::string s = "HOSTILE SUITE MEMO. The codename is Quillfeather. ";
  for (int i = 0; i < 20; ++i) s += "Item " + std::to_string(i) + ": ship by day " + std::to_string(40 + i) + ". ";
  return s;
}

const json kShared = {{"ctx_size", 2048}, {"n_parallel", 2}, {"threads", 2}, {"temperature", 0}};

// Guest B extends a guess of guest A's prompt one step at a time, as the issue's attacker did
// (it read shared_tokens 39 of 40): nothing B reads may depend on A having sent it.
TEST_F(Hostile, PrefixSharingSpyLearnsNoTokenOfAnotherTenantsPrompt) {
  Tenant a;
  graph ga = kNone;
  ASSERT_EQ(a.Load(kShared, "tiny-llama", &ga), success) << a.LastError();
  const std::string memo = Memo();
  const Reply victim = a.Run(a.Open(ga), memo, R"({"n_predict": 2, "mode": "raw"})");
  ASSERT_EQ(victim.code, success) << a.LastError();
  ASSERT_GT(victim.meta["input_tokens"].get<int>(), 100) << victim.meta.dump();
  for (size_t len : {memo.size() / 5, memo.size() / 2, memo.size() * 4 / 5, memo.size() - 1, memo.size()}) {
    SCOPED_TRACE(len);
    Tenant b;  // a fresh spy per guess: its own earlier guesses cannot be what it finds
    graph gb = kNone;
    ASSERT_EQ(b.Load(kShared, "tiny-llama", &gb), success) << b.LastError();
    const Reply seen = b.Run(b.Open(gb), memo.substr(0, len), R"({"n_predict": 1, "mode": "raw"})");
    ASSERT_EQ(seen.code, success) << b.LastError();
    EXPECT_EQ(seen.meta["cached_tokens"], 0) << seen.meta.dump();
    EXPECT_EQ(seen.meta["shared_tokens"], 0) << seen.meta.dump();
    EXPECT_EQ(seen.meta["restored_tokens"], 0) << seen.meta.dump();
  }
  StillServes();
}

// What the operator declares is shared: two tenants of one share group reuse each other's
// prefix, a third group does not see it.
TEST_F(Hostile, AHostDeclaredShareGroupDoesShare) {
  Tenant a("", R"({"share_group": "hostile-org"})"), b("", R"({"share_group": "hostile-org"})"),
      other("", R"({"share_group": "hostile-other"})");
  graph ga = kNone, gb = kNone, go = kNone;
  ASSERT_EQ(a.Load(kShared, "tiny-llama", &ga), success) << a.LastError();
  ASSERT_EQ(b.Load(kShared, "tiny-llama", &gb), success) << b.LastError();
  ASSERT_EQ(other.Load(kShared, "tiny-llama", &go), success) << other.LastError();
  const std::string system = Memo() + "Group system prompt.";
  ASSERT_EQ(a.Run(a.Open(ga), system, R"({"n_predict": 1, "mode": "raw"})").code, success) << a.LastError();
  const Reply in_group = b.Run(b.Open(gb), system + " Question one.", R"({"n_predict": 1, "mode": "raw"})");
  ASSERT_EQ(in_group.code, success) << b.LastError();
  EXPECT_GT(in_group.meta["shared_tokens"].get<int>(), 100) << in_group.meta.dump();
  const Reply outside = other.Run(other.Open(go), system + " Question two.", R"({"n_predict": 1, "mode": "raw"})");
  ASSERT_EQ(outside.code, success) << other.LastError();
  EXPECT_EQ(outside.meta["shared_tokens"], 0) << outside.meta.dump();
  StillServes();
}

// The issue's {"n_batch": 4, "n_parallel": 8} aborted the process inside llama.cpp.
TEST_F(Hostile, BatchBelowParallelIsRefusedNotAnAbort) {
  for (const char* config : {R"({"n_batch": 4, "n_parallel": 8})", R"({"batch_size": 1, "n_parallel": 2})",
                             R"({"n_batch": 7, "n_parallel": 8, "ctx_size": 512})"}) {
    SCOPED_TRACE(config);
    graph g = 7;
    Refused(invalid_argument, LoadAt(model_path("tiny-llama"), std::string(config), &g), "load_by_name_with_config",
            "n_parallel");
    EXPECT_EQ(g, kNone);
  }
}

// WAMR 2.4.3's natives computed name_len + 1 in 32 bits; a native caller passing the same
// lengths gets invalid_argument (a NULL name), and a name of 1 MiB is refused by its length.
TEST_F(Hostile, NameLengthsAtTheEdgesOf32Bits) {
  graph g = 7;
  Refused(invalid_argument, load_by_name(ctx_, nullptr, 0xFFFFFFFFu, &g), "load_by_name", "NULL");
  Refused(invalid_argument, load_by_name_with_config(ctx_, nullptr, 0xFFFFFFFFu, "{}", 2, &g),
          "load_by_name_with_config", "NULL");
  const std::string long_name(1 << 20, 'a');
  const wasi_nn_error rc = load_by_name(ctx_, long_name.data(), static_cast<uint32_t>(long_name.size()), &g);
  EXPECT_TRUE(rc == invalid_argument || rc == model_not_found) << rc;
  EXPECT_EQ(g, kNone);
  EXPECT_LT(LastError().size(), 2048u) << "the refusal echoes the whole name back";
  ExpectNoHostFacts(LastError());
  StillServes();
}

// Model names a tenant sends: the refusal names what it sent, never the grant's real directory.
TEST_F(Hostile, ErrorsNeverNameTheHostsModelDirectory) {
  files::ScratchDir scratch;
  const std::string not_gguf = scratch.write("notes.gguf", "not a model at all");
  const struct {
    std::string name;
    wasi_nn_error code;
  } names[] = {
      {"no-such-model.gguf", model_not_found},
      {"../../etc/passwd", invalid_argument},
      {"tiny-llama.gguf/..", invalid_argument},
      {"/etc/passwd", invalid_argument},
      {"/", invalid_argument},
  };
  for (const auto& n : names) {
    SCOPED_TRACE(n.name);
    graph g = 7;
    const wasi_nn_error rc = load_by_name(ctx_, n.name.c_str(), static_cast<uint32_t>(n.name.size()), &g);
    EXPECT_EQ(rc, n.code == invalid_argument ? kSecurity : n.code) << LastError();  // outside the grant
    EXPECT_EQ(g, kNone);
    ExpectNoHostFacts(LastError(), n.name);
  }
  graph g = 7;
  Refused(invalid_argument, load_by_name(ctx_, not_gguf.c_str(), static_cast<uint32_t>(not_gguf.size()), &g),
          "load_by_name", "GGUF", not_gguf);
}

}  // namespace
}  // namespace hostile
