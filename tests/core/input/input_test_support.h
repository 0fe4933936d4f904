// Helpers for the input-bound tests: running a call in a child process (to show an unchecked
// llama.cpp call crashing or overrunning, or a checked one fitting a small stack), expecting a
// refusal, building attack texts, reading llama.cpp's sample files.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "support/test_files.h"  // model_path, read_file

namespace wasi_nn::test {

struct ChildOutcome {
  bool finished = false;     // returned normally
  int signal = 0;            // killed by this signal (not by the timeout)
  bool timed_out = false;    // still running at the deadline (then killed)
  bool over_memory = false;  // its peak resident size went over the memory budget
  int exit_code = 0;
  double seconds = 0;
  // Crashed, ran past the deadline or went over the memory budget: what each limit prevents.
  bool overran() const { return signal != 0 || timed_out || over_memory; }
  std::string describe() const;
};

// Runs `fn` in a forked child on a thread with `stack_bytes` of stack (0: the default), with
// its address space capped at its current size plus `memory_bytes` and core dumps off; kills
// it after `timeout_ms`. A peak RSS above `memory_bytes` / 4 (512 MiB by default) counts as
// over_memory: more than any one request may take from a shared host.
ChildOutcome run_in_child(const std::function<void()>& fn, int timeout_ms = 10000, size_t stack_bytes = 0,
                          size_t memory_bytes = size_t(2) << 30);

// `open` repeated n times, then `middle`, then `close` n times.
std::string nested(size_t n, const std::string& open, const std::string& close, const std::string& middle = "");

std::vector<std::string> files_in(const std::string& dir, const std::string& suffix);

// The pinned llama.cpp source tree (grammars/, models/templates/).
std::string llama_dir();

}  // namespace wasi_nn::test

// Expects `stmt` to throw Error(InvalidArgument) whose message contains every one of `parts`.
#define EXPECT_REFUSED(stmt, ...)                                             \
  do {                                                                        \
    try {                                                                     \
      stmt;                                                                   \
      ADD_FAILURE() << "accepted: " #stmt;                                    \
    } catch (const ::wasi_nn::Error& e) {                                     \
      EXPECT_EQ(e.kind(), ::wasi_nn::ErrorKind::InvalidArgument) << e.what(); \
      for (const char* part : {__VA_ARGS__}) {                                \
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos)        \
            << "message lacks \"" << part << "\": " << e.what();              \
      }                                                                       \
    }                                                                         \
  } while (0)
