// libFuzzer target: random sequences of seed-ABI calls (include/wasi_nn_backend.h) decoded from
// the fuzz input, on a tiny model (WASI_NN_FUZZ_MODEL; scripts/fuzz.sh passes one).
//
// The model is loaded once, by a backend that lives for the whole run; each input makes its own
// backend, loads the same file with the same settings (so it shares the loaded model and its
// engine: nothing heavy per input), runs up to kMaxOps calls and deinitialises it. Calls get
// handles from the ones this input created or arbitrary values, tensors with every shape of
// dimensions, prompts from the input's bytes, request JSON from a list of snippets (valid,
// malformed, out of range) or from the input itself, and output buffers of every capacity.
// Requests stay short: ctx_size 256, n_predict <= 4, at most kMaxComputes generations.
//
// Findings: a crash or sanitizer report, a code outside the documented set, a write past an
// output buffer's capacity (canary bytes), or *output_size wrong for the code returned.
#include "wasi_nn_backend.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr char kLoadConfig[] =
    R"({"ctx_size": 256, "n_parallel": 2, "n_predict": 4, "temperature": 0, "ignore_eos": true,
        "max_queue": 4})";
constexpr int kMaxOps = 24;
constexpr int kMaxComputes = 3;

// Request settings a caller might send at input index 1 or as run_inference's runtime config.
const char* const kSnippets[] = {
    "{}",
    R"({"n_predict": 2})",
    R"({"n_predict": 4, "temperature": 0.8, "seed": 7})",
    R"({"n_predict": 1, "stop": ["a", "the"]})",
    R"({"n_predict": 3, "top_k": 1, "top_p": 0.5})",
    R"({"n_predict": 2, "reset": true})",
    R"({"n_predict": 2, "mode": "raw"})",
    R"({"n_predict": 2, "grammar": "root ::= \"a\""})",
    R"({"n_predict": 2, "json_schema": {"type": "string"}})",
    R"({"n_predict": 2, "logit_bias": [[1, -5.0]]})",
    R"({"n_predict": 2, "context_shift": false})",
    R"({"n_predict": 2, "priority": 100})",
    R"({"n_predict": 2, "timeout_ms": 1})",
    R"({"n_predict": 1000000})",
    R"({"temperature": -1})",
    R"({"ctx_size": 4096})",
    R"({"unknown_key": 1})",
    R"({"n_predict": "four"})",
    R"({"lora": "/etc/passwd"})",
    R"([1, 2, 3])",
    R"({"n_predict": 2,)",
    "",
    "\xff\xfe{",
    "null",
    R"({"sampling": {"temperature": 0.5}, "n_predict": 1})",
    // llama.cpp aborted on the first and leaked on the second (found by LeakSanitizer).
    R"({"n_predict": 2, "grammar": "%llguidance {}\nstart: \"a\""})",
    R"({"n_predict": 2, "grammar": "root ::= undefined"})",
};
constexpr size_t kNumSnippets = sizeof kSnippets / sizeof kSnippets[0];

// Reads the fuzz input one value at a time; zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool empty() const { return p_ == end_; }
  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
    return v;
  }
  std::string bytes(size_t max) {
    size_t n = byte() % (max + 1);
    n = std::min<size_t>(n, end_ - p_);
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

const char* model_path() {
  const char* p = std::getenv("WASI_NN_FUZZ_MODEL");
  return p ? p : "";
}

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "abi_fuzz: broken promise: %s\n", what);
    std::abort();
  }
}

bool documented(wasi_nn_error rc) {
  switch (rc) {
    case success:
    case invalid_argument:
    case invalid_encoding:
    case timeout:
    case runtime_error:
    case unsupported_operation:
    case too_large:
    case not_found:
    case security:
    case context_full:
    case prompt_tool_long:
    case model_not_found: return true;
    default: return false;
  }
}

struct Run {
  void* ctx = nullptr;
  graph g = WASI_NN_NO_HANDLE;
  std::vector<graph_execution_context> execs;
  int computes = 0;
};

uint32_t pick_exec(Run& run, Input& in) {
  uint8_t b = in.byte();
  if (b < 224 && !run.execs.empty()) return run.execs[b % run.execs.size()];
  switch (b % 4) {
    case 0: return 0;
    case 1: return WASI_NN_NO_HANDLE;
    case 2: return 1000 + b;
    default: return in.u32();
  }
}

// A request JSON: a snippet, or (rarely) raw bytes from the input when they cannot ask for a
// long generation.
std::string pick_json(Input& in) {
  uint8_t b = in.byte();
  if (b < 240) return kSnippets[b % kNumSnippets];
  std::string s = in.bytes(48);
  for (const char* slow : {"pred", "tokens", "timeout", "t_max"}) {
    if (s.find(slow) != std::string::npos) return "{}";
  }
  return s;
}

// Calls set_input (or run_inference, when `run_it`) with a tensor shaped from the input.
wasi_nn_error send_tensor(Run& run, Input& in, bool run_it) {
  const uint32_t exec = pick_exec(run, in);
  const uint8_t shape = in.byte();
  const uint32_t index = shape & 0x80 ? in.byte() % 3 : (shape & 0x40 ? 1 : 0);
  std::string text = index == 1 && (shape & 0x20) ? pick_json(in) : in.bytes(40);
  // The prompt's own buffer, sized exactly, so ASan sees any read past it.
  std::vector<uint8_t> data(text.begin(), text.end());
  uint32_t dims_buf[3] = {static_cast<uint32_t>(data.size()), 1, 1};
  tensor_dimensions dims{dims_buf, 1};
  tensor t{&dims, fp32, data.data()};
  std::string nul_terminated;
  switch (shape % 8) {
    case 0:  // no dimensions: a NUL-terminated string
      nul_terminated = text;
      t.dimensions = nullptr;
      t.data = reinterpret_cast<uint8_t*>(nul_terminated.data());
      break;
    case 1:
      dims.size = 0;
      t.data = reinterpret_cast<uint8_t*>(nul_terminated.data());
      break;
    case 2:
      dims_buf[0] = 0x40000000u;
      dims_buf[1] = 0x40000000u;
      dims.size = 2;
      break;  // overflow
    case 3: dims.buf = nullptr; break;
    case 4: t.data = nullptr; break;
    case 5: dims.size = 100; break;                                       // more dimensions than the limit
    case 6: dims_buf[0] = static_cast<uint32_t>(data.size() / 2); break;  // a shorter length
    default: break;
  }
  if (data.empty() && shape % 8 != 0 && shape % 8 != 1) t.data = nullptr;
  if (!run_it) return set_input(run.ctx, exec, index, &t);
  if (++run.computes > kMaxComputes) return success;
  std::string config = pick_json(in);
  const uint32_t cap = in.byte() % 4 == 0 ? in.byte() % 8 : 256;
  std::vector<uint8_t> out(cap + 8, 0xA5);
  uint32_t size = cap;
  wasi_nn_error rc =
      run_inference(run.ctx, exec, index, &t, cap ? out.data() : nullptr, &size,
                    in.byte() & 1 ? config.c_str() : nullptr, in.byte() & 1 ? 0 : static_cast<uint32_t>(config.size()));
  for (size_t i = cap; i < out.size(); ++i) check(out[i] == 0xA5, "run_inference wrote past capacity");
  if (rc == success) check(size <= cap, "run_inference: *output_size beyond capacity");
  if (rc == too_large) check(size > cap, "run_inference: too_large with a size that fits");
  return rc;
}

wasi_nn_error read_output(Run& run, Input& in) {
  const uint32_t exec = pick_exec(run, in);
  const uint32_t index = in.byte() % 3;
  const uint8_t c = in.byte();
  const uint32_t cap = c < 64 ? c % 9 : (c < 128 ? 64 : 4096);
  std::vector<uint8_t> out(cap + 8, 0xA5);
  uint32_t size = cap;
  const bool null_out = cap == 0 && (c & 1);
  wasi_nn_error rc = get_output(run.ctx, exec, index, null_out ? nullptr : out.data(), &size);
  for (size_t i = cap; i < out.size(); ++i) check(out[i] == 0xA5, "get_output wrote past capacity");
  if (rc == success) check(size <= cap, "get_output: *output_size beyond capacity");
  if (rc == too_large) {
    check(size > cap, "get_output: too_large with a size that fits");
    for (size_t i = 0; i < cap; ++i) check(out[i] == 0xA5, "get_output wrote on too_large");
  }
  if (rc != success && rc != too_large) check(size == 0, "get_output: size not cleared on failure");
  return rc;
}

wasi_nn_error one_call(Run& run, Input& in) {
  switch (in.byte() % 12) {
    case 0: {
      graph_execution_context e = 7;
      const uint8_t b = in.byte();
      graph g = b < 200 ? run.g : (b & 1 ? WASI_NN_NO_HANDLE : b);
      wasi_nn_error rc = init_execution_context(run.ctx, g, &e);
      check(rc == success ? e != WASI_NN_NO_HANDLE : e == WASI_NN_NO_HANDLE, "exec handle output");
      if (rc == success) run.execs.push_back(e);
      return rc;
    }
    case 1: {
      std::string id = in.bytes(12);
      graph_execution_context e = 7;
      wasi_nn_error rc = init_execution_context_with_session_id(run.ctx, id.c_str(), &e);
      if (rc == success) run.execs.push_back(e);
      return rc;
    }
    case 2:
    case 3: return send_tensor(run, in, false);
    case 4: {
      const uint32_t exec = pick_exec(run, in);
      if (++run.computes > kMaxComputes) return success;
      return compute(run.ctx, exec);
    }
    case 5:
    case 6: return read_output(run, in);
    case 7: return send_tensor(run, in, true);
    case 8: return close_execution_context(run.ctx, pick_exec(run, in));
    case 9: {  // the calling thread's last error, through a NULL or live ctx
      char buf[64];
      uint32_t size = in.byte() % 65;
      return get_output(in.byte() & 1 ? nullptr : run.ctx, WASI_NN_NO_HANDLE, in.byte() % 2,
                        reinterpret_cast<uint8_t*>(buf), &size);
    }
    case 10: {  // loads that must fail fast: missing, a directory, empty, garbage names
      static const char* const kNames[] = {"/nonexistent/model.gguf", "/tmp", "", "/dev/null", "../../etc/passwd"};
      const char* name = kNames[in.byte() % 5];
      graph g = 7;
      wasi_nn_error rc = load_by_name(run.ctx, name, 0, &g);
      check(rc != success && g == WASI_NN_NO_HANDLE, "bad load succeeded");
      return rc;
    }
    default: {  // calls with a ctx that is not live
      static int dummy;
      void* bad = in.byte() & 1 ? nullptr : &dummy;
      graph_execution_context e = 7;
      wasi_nn_error rc = init_execution_context(bad, run.g, &e);
      check(rc == invalid_argument, "a bad ctx was accepted");
      return rc;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("WASI_NN_LOG_LEVEL", "none", 0);
  if (!*model_path()) {
    std::fprintf(stderr, "abi_fuzz: set WASI_NN_FUZZ_MODEL to a tiny GGUF (scripts/fuzz.sh does)\n");
    std::exit(2);
  }
  // The backend that keeps the model and its engine loaded for the whole run.
  static void* keeper = nullptr;
  graph g;
  if (init_backend(&keeper) != success ||
      load_by_name_with_config(keeper, model_path(), 0, kLoadConfig, 0, &g) != success) {
    std::fprintf(stderr, "abi_fuzz: cannot load %s\n", model_path());
    std::exit(2);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  Run run;
  check(init_backend(&run.ctx) == success, "init_backend");
  check(load_by_name_with_config(run.ctx, model_path(), 0, kLoadConfig, 0, &run.g) == success,
        "load of the fuzz model");
  for (int op = 0; op < kMaxOps && !in.empty(); ++op) {
    check(documented(one_call(run, in)), "a code outside the documented set");
  }
  check(deinit_backend(run.ctx) == success, "deinit_backend");
  check(deinit_backend(run.ctx) == invalid_argument, "a second deinit_backend");
  return 0;
}
