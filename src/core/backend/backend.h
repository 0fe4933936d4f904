// Backend: what one WASI-NN backend context (the `void *ctx` of both C ABIs) holds, as a C++
// facade the ABI shims call: the handle tables (graphs, execution contexts; ids never reused),
// the sessions named by id, the model-access policy, the tenant it acts for and its last error.
// It dispatches each verb to the object the handle names (ExecContext, Graph); it holds no
// logic of its own beyond that. Models live in the process-wide ModelRegistry and are shared
// with every other Backend that loads the same file and settings.
//
// Errors: every call throws wasi_nn::Error (core/base/error.h); the shims catch and map it.
// Thread-safety: every method may be called from many threads at once. compute() blocks its
// caller until the request finishes; other calls never wait for a running compute.
// Lifetime: the Backend must outlive nothing of its own: destroying it cancels its contexts'
// running requests, waits for them to leave, and drops its references to models.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/config/enums.h"
#include "core/model/model_access.h"

namespace wasi_nn {

class BackendImpl;

struct BackendOptions {
  // Which models load_by_name may open (model/model_access.h): Confined for guests (only what
  // the host granted), Open for a trusted native host (any path, unless a grant is configured).
  // Read from the environment when the Backend is created.
  ModelAccess::Mode access = ModelAccess::Mode::Confined;
  // The dialect of tenant configs when the host's config names no "profile": the WAMR library
  // (wasm guests) speaks WasmEdge's, the seed library strict (docs/COMPATIBILITY.md).
  Profile profile = Profile::Strict;
};

class Backend {
 public:
  // Handle value that never names a graph or context. get_output(kNoContext, 0, ...) returns
  // this backend's last error message, so hosts and guests can read it through the ABI.
  static constexpr uint32_t kNoContext = 0xFFFFFFFFu;

  // `config_json` may be empty; otherwise a JSON object of backend-wide and default model keys.
  // Throws InvalidArgument for a bad config or a malformed model grant in the environment.
  explicit Backend(const BackendOptions& options, std::string_view config_json = {});
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // Loads (or shares an already loaded) GGUF model named `name`, as the access policy allows
  // (Security outside the grant, ModelNotFound when missing). `config_json` may be empty.
  // Returns a new graph id. The latest successful load becomes the backend's current model,
  // which init_session() binds to.
  uint32_t load_by_name(std::string_view name, std::string_view config_json);
  // Loads a model from bytes in memory (a GGUF image); `config_json` as above.
  uint32_t load_from_bytes(std::string_view gguf_bytes, std::string_view config_json);

  // A new execution context on `graph`, holding its own conversation and KV sequence.
  uint32_t init_execution_context(uint32_t graph);
  // A new execution context bound to the session `session_id` on the current model: the
  // conversation (and its KV cache) is kept between calls and shared by every context opened
  // with the same id.
  uint32_t init_session(std::string_view session_id);

  // Index 0: the prompt (UTF-8 text). Index 1: a JSON object of settings for the next compute.
  void set_input(uint32_t ctx, uint32_t index, std::string_view bytes);
  // Generates for the inputs set so far. `runtime_json` (may be empty) overrides settings for
  // this request only, like input index 1.
  void compute(uint32_t ctx, std::string_view runtime_json = {});
  // Copies output `index` (0: text, 1: metadata JSON) into `buf` of capacity `cap`; returns the
  // bytes written. Writes a terminating NUL too when it fits (not counted). Throws TooLarge with
  // the size needed (NUL excluded) when the text does not fit, writing nothing.
  size_t get_output(uint32_t ctx, uint32_t index, char* buf, size_t cap);
  // Finalizes an execution context: a request running on it is cancelled (its caller gets
  // Cancelled) and the id is invalid afterwards (NotFound).
  void close_execution_context(uint32_t ctx);

  // Unloads `graph`: the id is invalid afterwards (a second unload answers NotFound). Its
  // execution contexts are finalized: a request running on one is cancelled (its caller gets
  // Cancelled, with a message naming the unload), and later calls with them answer NotFound
  // saying the graph was unloaded. Sessions on it move to the current model with their history
  // (forgotten when the unloaded graph was the current one). The model itself is freed when its
  // last user ends: a running request still draining, or another graph or backend sharing it.
  void unload(uint32_t graph);

  // Copies the process-wide statistics JSON (core/observe/stats.h) into `buf` with get_output's
  // contract (returns the bytes written; TooLarge with the size needed). Needs no backend.
  static size_t process_stats(char* buf, size_t cap);

  // Streaming, with WasmEdge's meaning. compute_single runs the request set with set_input one
  // step further: it returns once new text is available, readable with get_output_single
  // (index 0: that step's text; index 1: the metadata so far, final after the end). When all
  // text was handed out it throws EndOfSequence. fini_single ends the stream (cancelling it if
  // it still runs) and writes the turn to the conversation; call it before the next compute.
  void compute_single(uint32_t ctx, std::string_view runtime_json = {});
  size_t get_output_single(uint32_t ctx, uint32_t index, char* buf, size_t cap);
  void fini_single(uint32_t ctx);

  // Cancels every running request of this backend and refuses new calls (InvalidArgument).
  // deinit_backend calls it first, then destroys the Backend once no call is inside it.
  void shutdown();

  // run_inference of the seed ABI: set_input + compute (with `runtime_json`) + get_output(0).
  // When the reply does not fit `cap` it stays readable with get_output (TooLarge says so and
  // the size needed), and a retry of the same call (same index, input and config) on that
  // context returns it without a second turn. Any other input or compute forgets it.
  size_t run_inference(uint32_t ctx, uint32_t index, std::string_view input, std::string_view runtime_json, char* buf,
                       size_t cap);

  // The host's sink for stream_stdout pieces (core/session/stream_sink.h); NULL removes it.
  void set_stream_sink(void (*fn)(const char* piece, uint32_t len, void* user), void* user);

  // Who this backend context is, for log lines about its calls.
  uint64_t tenant_id() const;

  // This backend's last error message (the shims record every failed call here).
  void set_last_error(std::string message);
  std::string last_error() const;

 private:
  std::unique_ptr<BackendImpl> impl_;
};

}  // namespace wasi_nn
