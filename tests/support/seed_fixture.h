// The fixture of the tests of libwasi_nn_backend.so's C ABI (the seed ABI), as a native host
// calls it: one backend context per test, reads of the last error message (through the
// context a call used, or through NULL for calls that named no live one), the loads most tests
// begin with (abi_fixture.h), prompt tensors. Used by tests/abi and tests/hardening. Include it
// instead of wasi_nn_backend.h, and never together with wamr_fixture.h: the two ABIs define the
// same type names.
#pragma once

#include "wasi_nn_backend.h"

#include <gtest/gtest.h>

#include <string>

namespace abi_fixture {

// The last error message of the backend context `ctx`; with `ctx` NULL, the calling thread's
// message of the last call that named no live context.
// A message longer than the first buffer (a tenant's 1 MiB name) is read again at its size.
inline std::string LastError(void* ctx) {
  std::string buf(4096, '\0');
  uint32_t size = buf.size();
  wasi_nn_error rc = get_output(ctx, WASI_NN_NO_HANDLE, 0, reinterpret_cast<uint8_t*>(buf.data()), &size);
  if (rc == too_large) {
    buf.resize(size);
    rc = get_output(ctx, WASI_NN_NO_HANDLE, 0, reinterpret_cast<uint8_t*>(buf.data()), &size);
  }
  EXPECT_EQ(rc, success);
  return rc == success ? buf.substr(0, size) : std::string();
}

}  // namespace abi_fixture

#include "support/abi_fixture.h"

namespace seed_test {

using namespace abi_fixture;

// A NUL-terminated prompt tensor (no dimensions).
inline tensor Text(const char* s) { return tensor{nullptr, fp32, (uint8_t*)s}; }

class SeedFixture : public Fixture {
 protected:
  // The backend still loads the model and generates, whatever came before.
  void ExpectStillServes() {
    graph_execution_context e = Open();
    tensor t = Text("Hello");
    char out[512];
    uint32_t size = sizeof out;
    EXPECT_EQ(run_inference(ctx_, e, 0, &t, (uint8_t*)out, &size, nullptr, 0), success) << LastError();
    EXPECT_GT(size, 0u);
    EXPECT_EQ(close_execution_context(ctx_, e), success);
  }
};

}  // namespace seed_test
