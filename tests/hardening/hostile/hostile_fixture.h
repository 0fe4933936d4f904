// The hostile suite's fixture, written once for both C ABIs: every source in this folder is
// compiled twice, into hardening_hostile_seed_tests (WASI_NN_HOSTILE_SEED: libwasi_nn_backend.so,
// as a native host such as HyperBEAM calls it) and hardening_hostile_wamr_tests
// (WASI_NN_HOSTILE_WAMR: libwasi_nn_llamacpp.so, as WAMR passes a guest's calls on). The two ABIs
// differ in their tensor and output types, in a few codes and in how a host configures a backend
// context; this header hides exactly that (SetBytes, GetBytes, NewBackend, the k* codes).
//
// Every attack asserts three things (Hostile::Refused): the documented code, a last-error
// message that names the call and the caller's own input, with no host fact in it (a host path
// the caller did not give, free memory or disk), and that the same process then still serves a
// normal request (StillServes) on a graph loaded before the attack.
#pragma once

#if defined(WASI_NN_HOSTILE_SEED)
#include "support/seed_fixture.h"
#elif defined(WASI_NN_HOSTILE_WAMR)
#include "support/wamr_fixture.h"
#else
#error "compile with WASI_NN_HOSTILE_SEED or WASI_NN_HOSTILE_WAMR"
#endif

#include <nlohmann/json.hpp>

#include <string>

namespace hostile {

using namespace abi_fixture;
using json = nlohmann::json;
namespace files = wasi_nn::test;

#if defined(WASI_NN_HOSTILE_SEED)
// Codes that differ between the ABIs.
inline constexpr wasi_nn_error kSecurity = security;  // a host-only key, a path outside the grant
inline constexpr wasi_nn_error kBusy = timeout;       // a queue or a conversation is full / busy
inline constexpr wasi_nn_error kOutOfMemory = runtime_error;
using AbiFixture = seed_test::SeedFixture;
inline wasi_nn_error CloseContext(void* ctx, graph_execution_context e) { return close_execution_context(ctx, e); }
inline constexpr char kCloseName[] = "close_execution_context";
#else
inline constexpr wasi_nn_error kSecurity = invalid_argument;
inline constexpr wasi_nn_error kBusy = busy;
inline constexpr wasi_nn_error kOutOfMemory = missing_memory;
using AbiFixture = wamr_test::WamrFixture;
inline wasi_nn_error CloseContext(void* ctx, graph_execution_context e) { return finalize_execution_context(ctx, e); }
inline constexpr char kCloseName[] = "finalize_execution_context";
#endif

// Input `index` of `e` set to exactly `bytes` (NUL bytes included).
wasi_nn_error SetBytes(void* ctx, graph_execution_context e, uint32_t index, const std::string& bytes);
// Output `index` of `e` (at most `cap` bytes) into `*out`; with `single`, get_output_single.
wasi_nn_error GetBytes(void* ctx, graph_execution_context e, uint32_t index, std::string* out, uint32_t cap = 1 << 20,
                       bool single = false);

// A backend context as a host creates one for a tenant: under the operator's `limits` (a JSON
// object, or "" for none: WASI_NN_LIMITS while it is created) and the host's `config` (seed:
// init_backend_with_config; WAMR: WASI_NN_CONFIG). Null (with a test failure) when it fails.
void* NewBackend(const std::string& limits, const std::string& config = "");

// What a request returned.
struct Reply {
  wasi_nn_error code = success;
  const char* step = "";  // the call that answered `code`: "set_input" or "compute"
  std::string text;       // output 0 (empty on failure)
  json meta;              // output 1 (discarded when it is not JSON)
};

// Loads `path` with `config` (a JSON object); the graph in *g.
wasi_nn_error LoadAt(void* ctx, const std::string& path, const std::string& config, graph* g);
// set_input 0 (and 1, when `request` is not empty), compute, both outputs.
Reply Run(void* ctx, graph_execution_context e, const std::string& prompt, const std::string& request = "");

// Fails the test when `message` holds a fact of the host the caller did not give: the test
// models' directory, the working directory, /proc paths, a home directory, free memory, the
// machine's memory or the free space of `disk_dir` (when given). `given`: what the caller passed.
void ExpectNoHostFacts(const std::string& message, const std::string& given = "", const std::string& disk_dir = "");

// `open` x n + inner + `close` x n.
std::string Nest(int n, const std::string& open, const std::string& close, const std::string& inner = "");

// A tenant of its own (NewBackend), deinitialised when it goes.
class Tenant {
 public:
  explicit Tenant(const std::string& limits = "", const std::string& config = "") : ctx_(NewBackend(limits, config)) {}
  ~Tenant() {
    if (ctx_) deinit_backend(ctx_);
  }
  Tenant(const Tenant&) = delete;
  Tenant& operator=(const Tenant&) = delete;

  void* ctx() const { return ctx_; }
  wasi_nn_error Load(const json& config, const char* model = "tiny-llama", graph* g = nullptr);
  graph_execution_context Open(graph g);  // asserting success
  Reply Run(graph_execution_context e, const std::string& prompt, const std::string& request = "") {
    return hostile::Run(ctx_, e, prompt, request);
  }
  std::string LastError() const { return abi_fixture::LastError(ctx_); }
  graph last_graph() const { return graph_; }

 private:
  void* ctx_;
  graph graph_ = kNone;
};

class Hostile : public AbiFixture {
 protected:
  void SetUp() override;

  // The documented code `want`, a message "<function>: ..." holding `needle`, no host fact in
  // it, and the process still serves (StillServes). `given`: a path the caller passed.
  void Refused(wasi_nn_error want, wasi_nn_error got, const char* function, const std::string& needle,
               const std::string& given = "");
  // A normal request on the graph loaded in SetUp (a fresh context, closed after) generates.
  void StillServes();

  wasi_nn_error LoadAt(const std::string& path, const std::string& config, graph* g) {
    return hostile::LoadAt(ctx_, path, config, g);
  }
  wasi_nn_error LoadAt(const std::string& path, const json& config, graph* g) { return LoadAt(path, config.dump(), g); }
  // Loads `model` (a tiny model's name) with `config` and opens a context on it (asserting both).
  graph_execution_context OpenWith(const json& config, const char* model = "tiny-llama");
  Reply Run(graph_execution_context e, const std::string& prompt, const std::string& request = "") {
    return hostile::Run(ctx_, e, prompt, request);
  }

  // A load config small and deterministic enough for every attack.
  static json Small() {
    return {{"ctx_size", 512}, {"n_parallel", 2}, {"threads", 2}, {"n_predict", 4}, {"temperature", 0}};
  }

  graph normal_ = kNone;  // loaded in SetUp, served after every attack
};

}  // namespace hostile
