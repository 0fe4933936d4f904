// The fixture of the tests of libwasi_nn_llamacpp.so's C ABI (WAMR's backend ABI), as WAMR's
// wasi-nn library passes a guest's calls on: one backend context per test, reads of the last
// error message (through the context a call used, or through NULL for calls that named no
// live one), the loads most tests begin with (abi_fixture.h), guest tensors and outputs. Used
// by tests/abi and tests/hardening. Include it instead of wasi_nn_llamacpp.h, and never
// together with seed_fixture.h: the two ABIs define the same type names.
#pragma once

#include "wasi_nn_llamacpp.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace abi_fixture {

// The last error message of the backend context `ctx`; with `ctx` NULL, the calling thread's
// message of the last call that named no live context.
// A message longer than the first buffer (a tenant's 1 MiB name) is read again at its size.
inline std::string LastError(void* ctx) {
  std::string buf(4096, '\0');
  tensor_data out{reinterpret_cast<uint8_t*>(buf.data()), static_cast<uint32_t>(buf.size())};
  uint32_t size = 0;
  wasi_nn_error rc = get_output(ctx, WASI_NN_NO_HANDLE, 0, &out, &size);
  if (rc == too_large) {
    buf.resize(size);
    out = tensor_data{reinterpret_cast<uint8_t*>(buf.data()), size};
    rc = get_output(ctx, WASI_NN_NO_HANDLE, 0, &out, &size);
  }
  EXPECT_EQ(rc, success);
  return rc == success ? buf.substr(0, size) : std::string();
}

}  // namespace abi_fixture

#include "support/abi_fixture.h"

namespace wamr_test {

using namespace abi_fixture;

// A guest's u8 tensor: exactly the bytes of `s`, not NUL-terminated.
struct Input {
  explicit Input(std::string s) : bytes(std::move(s)), dim(bytes.size()) {
    t.dimensions = &dims;
    t.type = u8;
    t.data = tensor_data{(uint8_t*)bytes.data(), (uint32_t)bytes.size()};
  }
  Input(const Input&) = delete;  // `t` points into this object
  Input& operator=(const Input&) = delete;
  std::string bytes;
  uint32_t dim;
  tensor_dimensions dims{&dim, 1};
  tensor t{};
};

class WamrFixture : public Fixture {
 protected:
  // Output `index` of `e` (at most 64 KiB), asserting success.
  std::string Output(graph_execution_context e, uint32_t index) {
    std::vector<char> buf(1 << 16);
    tensor_data out{reinterpret_cast<uint8_t*>(buf.data()), static_cast<uint32_t>(buf.size())};
    uint32_t size = 0;
    EXPECT_EQ(get_output(ctx_, e, index, &out, &size), success) << LastError();
    return std::string(buf.data(), size);
  }

  // The backend still loads the model and generates, whatever came before.
  void ExpectStillServes() {
    graph_execution_context e = Open();
    Input in("Hello");
    ASSERT_EQ(set_input(ctx_, e, 0, &in.t), success) << LastError();
    ASSERT_EQ(compute(ctx_, e), success) << LastError();
    EXPECT_FALSE(Output(e, 0).empty());
    EXPECT_EQ(finalize_execution_context(ctx_, e), success);
  }
};

}  // namespace wamr_test
