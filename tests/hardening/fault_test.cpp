// Faults inside the core: a disk that fills up while evicted conversations are saved, and a
// context that cannot be allocated. Each must end in a clear code (or a lost cache, never a
// lost conversation) and leave the engine serving the next request.
//
// A full disk is simulated with RLIMIT_FSIZE (writes past the limit fail with EFBIG, exactly
// where ENOSPC would), which needs no mount privileges; SIGXFSZ is ignored meanwhile.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <string>

#include "core/backend/backend.h"
#include "core/base/error.h"
#include "core/engine/kv_store.h"
#include "support/core_helpers.h"
#include "support/memory_cap.h"

namespace wasi_nn {
namespace {

using test::generate;
using test::model_path;

// Files written by this process may not grow past `bytes` while it lives.
class FullDisk {
 public:
  explicit FullDisk(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    rlimit lim = saved_;
    lim.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &lim);
  }
  ~FullDisk() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

SavedSequence seq_of(size_t n_tokens, size_t n_bytes, uint8_t fill) {
  SavedSequence s;
  for (size_t i = 0; i < n_tokens; ++i) s.tokens.push_back(static_cast<llama_token>(i + fill));
  s.state.assign(n_bytes, fill);
  return s;
}

TEST(FaultDiskFull, KvStoreDropsWhatCannotBeWrittenAndKeepsTheRest) {
  test::ScratchDir scratch;
  KvStore store(1500, scratch.dir(), 1 << 20);
  {
    FullDisk full(512);  // a spill file needs ~1 KiB: it is cut short
    store.put(1, seq_of(5, 1000, 1));
    store.put(2, seq_of(5, 1000, 2));  // pushes 1 out of memory: the spill fails
  }
  SavedSequence out;
  EXPECT_FALSE(store.take(1, &out));  // lost the cache...
  EXPECT_EQ(store.disk_bytes(), 0u);  // ...and left no partial file counted
  ASSERT_TRUE(store.take(2, &out));   // the entry still in memory is intact
  EXPECT_EQ(out.state, seq_of(5, 1000, 2).state);
  // With room again, spilling works.
  store.put(3, seq_of(5, 1000, 3));
  store.put(4, seq_of(5, 1000, 4));
  ASSERT_TRUE(store.take(3, &out));
  EXPECT_EQ(out.state, seq_of(5, 1000, 3).state);
}

// A one-sequence engine that keeps at most 1 MiB of evicted KV states in memory and spills the
// rest to kv_save_dir (a backend-scope key), on a disk that is full. Long prompts (~400 tokens,
// ~200 KiB of KV each on the tiny model) make the oldest state spill after a few evictions.
constexpr char kSpillLoad[] =
    R"({"ctx_size": 512, "n_parallel": 1, "threads": 2, "temperature": 0, "n_predict": 6,
        "kv_save_budget_mb": 1, "kv_save_disk_budget_mb": 64})";

std::string long_prompt(const std::string& topic) {
  std::string s;
  for (int i = 0; i < 40; ++i) s += topic + " and the river went on, ";
  return s;
}

TEST(FaultDiskFull, EvictedConversationContinuesIdenticallyWhenItsSaveFails) {
  test::ScratchDir scratch;
  HostBackend b(R"({"kv_save_dir": ")" + scratch.dir() + "\"}");
  b.load_by_name(model_path("tiny-llama"), kSpillLoad);
  uint32_t s = b.init_session("a");
  auto t1 = generate(b, s, long_prompt("a fox"));
  test::Output t2;
  {
    FullDisk full(256);
    for (int i = 0; i < 8; ++i) {  // each evicts the one before; "a" is pushed out to disk
      uint32_t other = b.init_session("other-" + std::to_string(i));
      generate(b, other, long_prompt("story " + std::to_string(i)));
    }
    t2 = generate(b, s, "And then?");  // "a" comes back without its cache
  }
  EXPECT_EQ(t2.meta["restored_tokens"], 0) << t2.meta.dump();
  // Promised: the conversation, not the cache. Same answer as without any eviction.
  HostBackend ref;
  ref.load_by_name(model_path("tiny-llama"), kSpillLoad);
  uint32_t r = ref.init_session("a");
  EXPECT_EQ(generate(ref, r, long_prompt("a fox")).text, t1.text);
  EXPECT_EQ(generate(ref, r, "And then?").text, t2.text);
  // And the engine goes on serving, spilling again once the disk has room.
  uint32_t c = b.init_session("c");
  EXPECT_FALSE(generate(b, c, "Next request").text.empty());
}

TEST(FaultAlloc, HugeContextIsOutOfMemoryAndTheNextLoadWorks) {
  HostBackend b;
  try {
    test::AddressSpaceCap cap;  // fail at once, not after filling the machine
    b.load_by_name(model_path("tiny-phi3"), R"({"ctx_size": 1048576, "n_parallel": 256})");
    FAIL() << "a 128 GiB KV cache was allocated";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::OutOfMemory) << e.what();
    EXPECT_NE(std::string(e.what()).find("n_parallel 256"), std::string::npos) << e.what();
  }
  uint32_t g = b.load_by_name(model_path("tiny-phi3"),
                              R"({"ctx_size": 256, "n_parallel": 1, "n_predict": 4, "ignore_eos": true})");
  uint32_t c = b.init_execution_context(g);
  EXPECT_EQ(generate(b, c, "Hello").meta["output_tokens"], 4);
}

}  // namespace
}  // namespace wasi_nn
