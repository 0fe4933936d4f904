// run_sandboxed: runs work that may not finish, may exhaust memory or may crash (rendering a
// guest's Jinja chat template) in a forked child process, and returns what it produced.
//
// Why a process: llama.cpp's Jinja runtime has no limit or hook (common/jinja/runtime.cpp):
// `'x' * 10**11` loops appending, range(n) builds an n-element array, loops nest, a macro may
// call itself until the stack overflows, an array appended to itself recurses forever when
// printed. No static check can bound those, and a thread cannot be stopped safely. A child
// started by fork() inherits the model and the request as they are (no serialisation), runs
// under RLIMIT_AS (its current size plus `memory_bytes`), RLIMIT_CPU and RLIMIT_CORE = 0, with
// the default action for fatal signals, and is killed (SIGKILL) at `wall_ms`. Nothing the
// child does touches the parent: no lock is held meanwhile, so no other guest waits.
//
// Cost: fork() copies the page tables of the whole process, so it grows with its resident
// size (docs/INPUT_BOUNDS.md has measurements); it is paid only for guests' own templates.
// A child may inherit a lock another thread held at the fork (malloc is fork-safe, but e.g.
// a log mutex is not); it then blocks without using CPU and is killed at the deadline, and
// run_sandboxed tries once more when the child used less than a tenth of the time on CPU.
// Thread-safety: any thread; concurrent calls fork separate children.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace wasi_nn {

struct SandboxLimits {
  uint32_t wall_ms = 5000;
  size_t memory_bytes = 512u << 20;
  size_t output_bytes = 16u << 20;
};

// Runs `work` in a child process and returns its result. Throws Error(InvalidArgument) naming
// `what` ("chat_template") when the child ran past `wall_ms`, ran out of memory, was killed
// by a signal, returned more than `output_bytes`, or threw (the message carries its what()).
// Throws Error(Runtime) when no child could be started.
std::string run_sandboxed(const std::function<std::string()>& work, const SandboxLimits& limits,
                          const std::string& what);

}  // namespace wasi_nn
