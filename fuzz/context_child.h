// The child half of the context fuzzer: runs one case through the seed C ABI
// (include/wasi_nn_backend.h) in the current process, which the parent forked for it.
#pragma once

#include <string>

#include "context_case.h"

namespace context_fuzz {

// Exit status of a child whose case ran to the end with only documented codes. Any other exit,
// and any death by a signal, is a finding.
constexpr int kChildOk = 0;
// A code outside the header's set, or a broken promise of the ABI (see context_child.cpp).
constexpr int kChildBrokenPromise = 3;

// Runs `c` (its model file in the first of the ':'-separated `model_dir` folders that holds
// it, or the absolute path it names), writing one line to `report_fd` that lists the
// code each call returned ("init=0 load=1 ..."), and returns kChildOk or kChildBrokenPromise.
int run_case(const Case& c, const std::string& model_dir, int report_fd);

}  // namespace context_fuzz
