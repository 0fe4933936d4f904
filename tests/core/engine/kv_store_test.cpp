// KvStore: budgets, spilling to disk, reading back, and a disk that cannot take a file.
#include "core/engine/kv_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace wasi_nn {
namespace {

SavedSequence seq_of(size_t n_tokens, size_t n_bytes, uint8_t fill) {
  SavedSequence s;
  for (size_t i = 0; i < n_tokens; ++i) s.tokens.push_back(static_cast<llama_token>(i * 7 + fill));
  s.state.assign(n_bytes, fill);
  return s;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/wasi-nn-kv-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(KvStore, DisabledWithZeroBudget) {
  KvStore store(0, "", 0);
  store.put(1, seq_of(4, 100, 1));
  SavedSequence out;
  EXPECT_FALSE(store.take(1, &out));
}

TEST(KvStore, KeepsInMemoryAndTakeRemoves) {
  KvStore store(1 << 20, "", 0);
  store.put(7, seq_of(10, 1000, 3));
  EXPECT_EQ(store.entries(), 1u);
  SavedSequence out;
  ASSERT_TRUE(store.take(7, &out));
  EXPECT_EQ(out.tokens, seq_of(10, 1000, 3).tokens);
  EXPECT_EQ(out.state, seq_of(10, 1000, 3).state);
  EXPECT_FALSE(store.take(7, &out));
  EXPECT_EQ(store.memory_bytes(), 0u);
}

TEST(KvStore, OverBudgetWithoutDiskDropsTheOldest) {
  KvStore store(2500, "", 0);
  store.put(1, seq_of(0, 1000, 1));
  store.put(2, seq_of(0, 1000, 2));
  store.put(3, seq_of(0, 1000, 3));
  SavedSequence out;
  EXPECT_FALSE(store.take(1, &out));
  EXPECT_TRUE(store.take(2, &out));
  EXPECT_TRUE(store.take(3, &out));
}

TEST(KvStore, SpillsToDiskAndReadsBack) {
  const std::string dir = temp_dir();
  KvStore store(1500, dir, 1 << 20);
  store.put(1, seq_of(5, 1000, 1));
  store.put(2, seq_of(5, 1000, 2));  // pushes 1 to disk
  EXPECT_GT(store.disk_bytes(), 0u);
  SavedSequence out;
  ASSERT_TRUE(store.take(1, &out));
  EXPECT_EQ(out.state, seq_of(5, 1000, 1).state);
  EXPECT_EQ(out.tokens, seq_of(5, 1000, 1).tokens);
  EXPECT_EQ(store.disk_bytes(), 0u);  // the file is gone once taken
  rmdir(dir.c_str());
}

TEST(KvStore, UnwritableDirectoryDropsInsteadOfFailing) {
  KvStore store(1500, "/proc/definitely-not-writable", 1 << 20);
  store.put(1, seq_of(5, 1000, 1));
  store.put(2, seq_of(5, 1000, 2));
  SavedSequence out;
  EXPECT_FALSE(store.take(1, &out));  // lost the cache, nothing else
  EXPECT_TRUE(store.take(2, &out));
}

}  // namespace
}  // namespace wasi_nn
