// libwasi_nn_backend.so: the original project's C ABI (include/wasi_nn_backend.h) as a thin
// shim over wasi_nn::Backend. Each entry point validates what it can, clears its outputs,
// calls the facade inside one guard, and maps the failure with to_code(), the only place this
// ABI's codes are chosen. It logs nothing itself: the core does.
#include "wasi_nn_backend.h"

#include <cstddef>
#include <cstring>
#include <string>
#include <utility>

#include "abi/shim.h"

namespace {

using wasi_nn::Backend;
using wasi_nn::ErrorKind;
using wasi_nn::abi::backend_of;
using wasi_nn::abi::clear_handle;
using wasi_nn::abi::require;
using wasi_nn::abi::text_arg;

// --- The contract with native hosts (docs/ABI.md, "The seed ABI"). ---
static_assert(sizeof(wasi_nn_error) == 4, "wasi_nn_error is an int-sized enum");
static_assert(success == 0 && invalid_argument == 1 && invalid_encoding == 2 && timeout == 3 && runtime_error == 4 &&
              unsupported_operation == 5 && too_large == 6 && not_found == 7 && security == 8 && unknown == 9);
static_assert(end_of_sequence == 100 && context_full == 101 && prompt_tool_long == 102 && model_not_found == 103);
static_assert(fp16 == 0 && fp32 == 1 && up8 == 2 && ip32 == 3 && sizeof(tensor_type) == 4);
static_assert(openvino == 0 && onnx == 1 && tensorflow == 2 && pytorch == 3 && tensorflowlite == 4 && ggml == 5 &&
              autodetect == 6 && unknown_backend == 7);
static_assert(cpu == 0 && gpu == 1 && tpu == 2);
static_assert(ggml == wasi_nn::abi::kEncodingGgml && autodetect == wasi_nn::abi::kEncodingAutodetect &&
              tpu == wasi_nn::abi::kLastTarget);
static_assert(sizeof(tensor_dimensions) == 16 && offsetof(tensor_dimensions, buf) == 0 &&
              offsetof(tensor_dimensions, size) == 8);
static_assert(sizeof(tensor_data) == 8);
static_assert(sizeof(tensor) == 24 && offsetof(tensor, dimensions) == 0 && offsetof(tensor, type) == 8 &&
              offsetof(tensor, data) == 16);
static_assert(sizeof(graph_builder) == 16 && offsetof(graph_builder, buf) == 0 && offsetof(graph_builder, size) == 8);
static_assert(sizeof(graph_builder_array) == 16 && offsetof(graph_builder_array, buf) == 0 &&
              offsetof(graph_builder_array, size) == 8);
static_assert(sizeof(graph) == 4 && sizeof(graph_execution_context) == 4);
static_assert(WASI_NN_NO_HANDLE == Backend::kNoContext);

// The one mapping from the core's error kinds to this ABI's codes. Where this ABI has no exact
// code: Busy -> timeout (the request could not start in time; retrying later may succeed),
// Cancelled -> runtime_error (the request stopped before it finished), OutOfMemory ->
// runtime_error (too_large is reserved for the output-buffer retry protocol). `unknown` is
// never returned: every failure has a kind.
wasi_nn_error to_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return invalid_argument;
    case ErrorKind::InvalidEncoding: return invalid_encoding;
    case ErrorKind::NotFound: return not_found;
    case ErrorKind::ModelNotFound: return model_not_found;
    case ErrorKind::Unsupported: return unsupported_operation;
    case ErrorKind::TooLarge: return too_large;
    case ErrorKind::PromptTooLong: return prompt_tool_long;
    case ErrorKind::ContextFull: return context_full;
    case ErrorKind::Busy: return timeout;
    case ErrorKind::Timeout: return timeout;
    case ErrorKind::Cancelled: return runtime_error;
    case ErrorKind::Security: return security;
    case ErrorKind::EndOfSequence: return end_of_sequence;
    case ErrorKind::OutOfMemory: return runtime_error;
    case ErrorKind::Runtime: return runtime_error;
  }
  return runtime_error;
}

// Every entry point's guard, with this ABI's mapping.
template <class... Args>
wasi_nn_error guarded(const void* ctx, const char* function, Args&&... args) {
  return wasi_nn::abi::guard(to_code, ctx, function, std::forward<Args>(args)...);
}

// The bytes of an input tensor: a NUL-terminated string when it has no dimensions, else the
// product of its dimensions (overflow-checked against the input limit).
std::string_view input_of(const tensor* input) {
  using wasi_nn::abi::kMaxInputBytes;
  require(input != nullptr, "input tensor is NULL");
  const uint8_t* data = input->data;
  require(data != nullptr, "the input tensor's data pointer is NULL");
  const tensor_dimensions* dims = input->dimensions;
  if (dims == nullptr || dims->size == 0) {
    size_t n = strnlen(reinterpret_cast<const char*>(data), kMaxInputBytes + 1);
    return wasi_nn::abi::input_bytes(data, n);
  }
  require(dims->buf != nullptr, "the input tensor has dimensions->size > 0 but a NULL buf");
  require(dims->size <= wasi_nn::abi::kMaxRank, "the input tensor has " + std::to_string(dims->size) +
                                                    " dimensions; at most " + std::to_string(wasi_nn::abi::kMaxRank) +
                                                    " are accepted (text: one, its bytes)");
  uint64_t bytes = 1;
  for (uint32_t i = 0; i < dims->size; ++i) {
    uint64_t d = dims->buf[i];
    require(d == 0 || bytes <= kMaxInputBytes / d, "the input tensor's dimensions multiply to more than the limit of " +
                                                       std::to_string(kMaxInputBytes) + " bytes");
    bytes *= d;
  }
  return wasi_nn::abi::input_bytes(data, bytes);
}

// Reads the output capacity from `*output_size`, clears it, and checks `output` against it.
size_t take_capacity(const uint8_t* output, uint32_t* output_size) {
  require(output_size != nullptr, "output_size is NULL: pass a pointer to the buffer capacity");
  size_t cap = *output_size;
  *output_size = 0;
  require(output != nullptr || cap == 0,
          "output is NULL but *output_size says it holds " + std::to_string(cap) + " bytes");
  return cap;
}

// Native hosts are trusted: any path loads, unless WASI_NN_PRELOAD / WASI_NN_MODEL_DIRS are set,
// which confine this ABI exactly like the WAMR one (core/model/model_access.h). Each backend
// reads them when init_backend* creates it.
constexpr wasi_nn::BackendOptions kHostBackend{wasi_nn::ModelAccess::Mode::Open};

wasi_nn_error create_backend(const char* function, void** ctx, std::string_view config) {
  return guarded(nullptr, function, [&] {
    require(ctx != nullptr, "ctx (where the new backend is stored) is NULL");
    *ctx = nullptr;
    *ctx = wasi_nn::abi::adopt_backend(std::make_unique<Backend>(kHostBackend, config));
  });
}

wasi_nn_error load_file(const char* function, void* ctx, const char* filename, uint32_t filename_len,
                        std::string_view config, graph* g) {
  return guarded(ctx, function, [&] {
    clear_handle(g, "g");
    auto backend = backend_of(ctx);
    require(filename != nullptr, "filename is NULL");
    std::string_view path = text_arg(filename, filename_len);
    require(!path.empty(), "filename is empty: pass the path of a GGUF model file");
    *g = backend->load_by_name(path, config);
  });
}

}  // namespace

extern "C" {

wasi_nn_error init_backend(void** ctx) { return create_backend("init_backend", ctx, {}); }

wasi_nn_error init_backend_with_config(void** ctx, const char* config, uint32_t config_len) {
  return create_backend("init_backend_with_config", ctx, text_arg(config, config_len));
}

wasi_nn_error deinit_backend(void* ctx) {
  return guarded(ctx, "deinit_backend", [&] { wasi_nn::abi::deinit(ctx); });
}

wasi_nn_error load(void* ctx, graph_builder_array* builder, graph_encoding encoding, execution_target target,
                   graph* g) {
  return guarded(ctx, "load", [&] {
    clear_handle(g, "g");
    auto backend = backend_of(ctx);
    *g = wasi_nn::abi::load_from_builders(*backend, builder, wasi_nn::abi::enum_value(encoding),
                                          wasi_nn::abi::enum_value(target));
  });
}

wasi_nn_error load_by_name(void* ctx, const char* filename, uint32_t filename_len, graph* g) {
  return load_file("load_by_name", ctx, filename, filename_len, {}, g);
}

wasi_nn_error load_by_name_with_config(void* ctx, const char* filename, uint32_t filename_len, const char* config,
                                       uint32_t config_len, graph* g) {
  return load_file("load_by_name_with_config", ctx, filename, filename_len, text_arg(config, config_len), g);
}

wasi_nn_error init_execution_context(void* ctx, graph g, graph_execution_context* exec_ctx) {
  return guarded(ctx, "init_execution_context", [&] {
    clear_handle(exec_ctx, "exec_ctx");
    *exec_ctx = backend_of(ctx)->init_execution_context(g);
  });
}

wasi_nn_error init_execution_context_with_session_id(void* ctx, const char* session_id,
                                                     graph_execution_context* exec_ctx) {
  return guarded(ctx, "init_execution_context_with_session_id", [&] {
    using wasi_nn::abi::kMaxSessionIdBytes;
    clear_handle(exec_ctx, "exec_ctx");
    auto backend = backend_of(ctx);
    require(session_id != nullptr, "session_id is NULL");
    size_t n = strnlen(session_id, kMaxSessionIdBytes + 1);
    require(n > 0, "session_id is empty: name the conversation");
    require(n <= kMaxSessionIdBytes, "session_id is longer than " + std::to_string(kMaxSessionIdBytes) + " bytes");
    *exec_ctx = backend->init_session(std::string_view(session_id, n));
  });
}

wasi_nn_error set_input(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor* input) {
  return guarded(ctx, "set_input", [&] {
    auto backend = backend_of(ctx);
    backend->set_input(exec_ctx, index, input_of(input));
  });
}

wasi_nn_error compute(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "compute", [&] { backend_of(ctx)->compute(exec_ctx); });
}

wasi_nn_error get_output(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor_data output,
                         uint32_t* output_size) {
  const bool last_error = exec_ctx == Backend::kNoContext;
  auto body = [&] {
    size_t cap = take_capacity(output, output_size);
    char* buf = reinterpret_cast<char*>(output);
    if (last_error) {
      auto backend = wasi_nn::abi::find_backend(ctx);
      *output_size = wasi_nn::abi::saturate_u32(backend ? backend->get_output(exec_ctx, index, buf, cap)
                                                        : wasi_nn::abi::copy_orphan_error(index, buf, cap));
      return;
    }
    *output_size = wasi_nn::abi::saturate_u32(backend_of(ctx)->get_output(exec_ctx, index, buf, cap));
  };
  return guarded(ctx, "get_output", body, output_size, /*record=*/!last_error);
}

wasi_nn_error compute_single(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "compute_single", [&] { backend_of(ctx)->compute_single(exec_ctx); });
}

wasi_nn_error get_output_single(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor_data output,
                                uint32_t* output_size) {
  auto body = [&] {
    size_t cap = take_capacity(output, output_size);
    *output_size = wasi_nn::abi::saturate_u32(
        backend_of(ctx)->get_output_single(exec_ctx, index, reinterpret_cast<char*>(output), cap));
  };
  return guarded(ctx, "get_output_single", body, output_size);
}

wasi_nn_error fini_single(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "fini_single", [&] { backend_of(ctx)->fini_single(exec_ctx); });
}

// `config_len` is not read: HyperBEAM's NIF calls this with seven arguments, so it holds whatever
// the caller's stack did. The config is read as a NUL-terminated string within a hard bound.
wasi_nn_error run_inference(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor* input,
                            tensor_data output, uint32_t* output_size, const char* runtime_config,
                            uint32_t /*config_len*/) {
  auto body = [&] {
    size_t cap = take_capacity(output, output_size);
    auto backend = backend_of(ctx);
    std::string_view bytes = input_of(input);
    std::string_view config = wasi_nn::abi::c_string_arg(runtime_config, "runtime_config");
    char* buf = reinterpret_cast<char*>(output);
    *output_size = wasi_nn::abi::saturate_u32(backend->run_inference(exec_ctx, index, bytes, config, buf, cap));
  };
  return guarded(ctx, "run_inference", body, output_size);
}

wasi_nn_error close_execution_context(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "close_execution_context", [&] { backend_of(ctx)->close_execution_context(exec_ctx); });
}

wasi_nn_error unload(void* ctx, graph g) {
  return guarded(ctx, "unload", [&] { backend_of(ctx)->unload(g); });
}

wasi_nn_error wasi_nn_stats(char* buf, uint32_t* size) {
  return guarded(
      nullptr, "wasi_nn_stats", [&] { wasi_nn::abi::copy_process_stats(buf, size); }, size);
}

wasi_nn_error wasi_nn_set_log_callback(wasi_nn_log_callback fn, void* user) {
  return guarded(nullptr, "wasi_nn_set_log_callback", [&] { wasi_nn::abi::set_log_callback(fn, user); });
}

}  // extern "C"
