// libwasi_nn_llamacpp.so: WAMR 2.4's wasi-nn backend ABI (include/wasi_nn_llamacpp.h) as a thin
// shim over wasi_nn::Backend. Each entry point validates what it can, clears its outputs,
// calls the facade inside one guard, and maps the failure with to_code(), the only place this
// ABI's codes are chosen. It logs nothing itself: the core does.
#include "wasi_nn_llamacpp.h"

#include <cstddef>
#include <cstdlib>
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

// --- The contract with WAMR 2.4's wasi_nn_types.h (docs/ABI.md, "The WAMR ABI"). ---
static_assert(sizeof(wasi_nn_error) == 4, "wasi_nn_error is an int-sized enum");
static_assert(success == 0 && invalid_argument == 1 && invalid_encoding == 2 && missing_memory == 3 && busy == 4 &&
              runtime_error == 5 && unsupported_operation == 6 && too_large == 7 && not_found == 8);
static_assert(end_of_sequence == 100 && context_full == 101 && prompt_tool_long == 102 && model_not_found == 103);
static_assert(fp16 == 0 && fp32 == 1 && fp64 == 2 && u8 == 3 && i32 == 4 && i64 == 5);
static_assert(openvino == 0 && onnx == 1 && tensorflow == 2 && pytorch == 3 && tensorflowlite == 4 && ggml == 5 &&
              autodetect == 6 && unknown_backend == 7);
static_assert(cpu == 0 && gpu == 1 && tpu == 2);
static_assert(ggml == wasi_nn::abi::kEncodingGgml && autodetect == wasi_nn::abi::kEncodingAutodetect &&
              tpu == wasi_nn::abi::kLastTarget);
static_assert(sizeof(graph_encoding) == 4 && sizeof(execution_target) == 4);
static_assert(sizeof(tensor_dimensions) == 16 && offsetof(tensor_dimensions, buf) == 0 &&
              offsetof(tensor_dimensions, size) == 8);
static_assert(sizeof(tensor_data) == 16 && offsetof(tensor_data, buf) == 0 && offsetof(tensor_data, size) == 8);
static_assert(sizeof(tensor) == 32 && offsetof(tensor, dimensions) == 0 && offsetof(tensor, type) == 8 &&
              offsetof(tensor, _pad) == 9 && offsetof(tensor, data) == 16 &&
              offsetof(tensor, data) + offsetof(tensor_data, buf) == 16 &&
              offsetof(tensor, data) + offsetof(tensor_data, size) == 24);
static_assert(sizeof(graph_builder) == 16 && offsetof(graph_builder, buf) == 0 && offsetof(graph_builder, size) == 8);
static_assert(sizeof(graph_builder_array) == 16 && offsetof(graph_builder_array, buf) == 0 &&
              offsetof(graph_builder_array, size) == 8);
static_assert(sizeof(graph) == 4 && sizeof(graph_execution_context) == 4);
static_assert(WASI_NN_NO_HANDLE == Backend::kNoContext);

// The one mapping from the core's error kinds to WAMR's codes. Where WAMR has no exact code:
// Timeout -> busy (the request did not finish in time; retrying later may succeed),
// Security -> invalid_argument (the guest named a path or resource outside what the host
// granted), Cancelled -> runtime_error (the request stopped before it finished).
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
    case ErrorKind::Busy: return busy;
    case ErrorKind::Timeout: return busy;
    case ErrorKind::Cancelled: return runtime_error;
    case ErrorKind::Security: return invalid_argument;
    case ErrorKind::EndOfSequence: return end_of_sequence;
    case ErrorKind::OutOfMemory: return missing_memory;
    case ErrorKind::Runtime: return runtime_error;
  }
  return runtime_error;
}

// Every entry point's guard, with this ABI's mapping.
template <class... Args>
wasi_nn_error guarded(const void* ctx, const char* function, Args&&... args) {
  return wasi_nn::abi::guard(to_code, ctx, function, std::forward<Args>(args)...);
}

// What guests may load by name: only models the host granted (core/model/model_access.h),
// read from the environment when init_backend creates the backend. Guests are written for
// WasmEdge's GGML plugin: they speak its dialect unless the host's config says "profile":
// "strict" (docs/COMPATIBILITY.md).
constexpr wasi_nn::BackendOptions kGuestBackend{wasi_nn::ModelAccess::Mode::Confined, wasi_nn::Profile::WasmEdge};

wasi_nn_error load_file(const char* function, void* ctx, const char* name, uint32_t name_len, std::string_view config,
                        graph* g) {
  return guarded(ctx, function, [&] {
    clear_handle(g, "g");
    auto backend = backend_of(ctx);
    require(name != nullptr, "name (the model path) is NULL");
    std::string_view path = text_arg(name, name_len);
    require(!path.empty(), "name is empty: pass the path of a GGUF model file");
    *g = backend->load_by_name(path, config);
  });
}

}  // namespace

extern "C" {

wasi_nn_error init_backend(void** ctx) {
  return guarded(nullptr, "init_backend", [&] {
    require(ctx != nullptr, "ctx (where the new backend is stored) is NULL");
    *ctx = nullptr;
    // WASI_NN_CONFIG: the host's default settings (JSON) for every backend and load; a guest's
    // load config overrides them key by key. wasi-nn-run sets it from --nn-config.
    const char* defaults = std::getenv("WASI_NN_CONFIG");
    *ctx = wasi_nn::abi::adopt_backend(std::make_unique<Backend>(kGuestBackend, defaults ? defaults : ""));
  });
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

wasi_nn_error load_by_name(void* ctx, const char* name, uint32_t name_len, graph* g) {
  return load_file("load_by_name", ctx, name, name_len, {}, g);
}

wasi_nn_error load_by_name_with_config(void* ctx, const char* name, uint32_t name_len, const char* config,
                                       uint32_t config_len, graph* g) {
  return load_file("load_by_name_with_config", ctx, name, name_len, text_arg(config, config_len), g);
}

wasi_nn_error init_execution_context(void* ctx, graph g, graph_execution_context* exec_ctx) {
  return guarded(ctx, "init_execution_context", [&] {
    clear_handle(exec_ctx, "exec_ctx");
    *exec_ctx = backend_of(ctx)->init_execution_context(g);
  });
}

wasi_nn_error set_input(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor* input) {
  return guarded(ctx, "set_input", [&] {
    auto backend = backend_of(ctx);
    require(input != nullptr, "input tensor is NULL");
    // Inputs 2 and up are media files (docs/MULTIMODAL.md): bytes, so a u8 tensor.
    if (index >= 2 && input->type != u8) {
      require(false, "input " + std::to_string(index) +
                         " is an image or audio file and must be a u8 tensor "
                         "(type 3), not type " +
                         std::to_string(input->type));
    }
    backend->set_input(exec_ctx, index, wasi_nn::abi::input_bytes(input->data.buf, input->data.size));
  });
}

wasi_nn_error compute(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "compute", [&] { backend_of(ctx)->compute(exec_ctx); });
}

wasi_nn_error get_output(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor_data* output,
                         uint32_t* output_size) {
  const bool last_error = exec_ctx == Backend::kNoContext;
  auto body = [&] {
    require(output_size != nullptr, "output_size is NULL");
    *output_size = 0;
    require(output != nullptr, "output (the tensor_data describing the buffer) is NULL");
    size_t cap = output->size;
    char* buf = reinterpret_cast<char*>(output->buf);
    require(buf != nullptr || cap == 0,
            "output->buf is NULL but output->size says it holds " + std::to_string(cap) + " bytes");
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

wasi_nn_error get_output_single(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor_data* output,
                                uint32_t* output_size) {
  auto body = [&] {
    require(output_size != nullptr, "output_size is NULL");
    *output_size = 0;
    require(output != nullptr, "output (the tensor_data describing the buffer) is NULL");
    char* buf = reinterpret_cast<char*>(output->buf);
    require(buf != nullptr || output->size == 0, "output->buf is NULL but output->size is not 0");
    *output_size = wasi_nn::abi::saturate_u32(backend_of(ctx)->get_output_single(exec_ctx, index, buf, output->size));
  };
  return guarded(ctx, "get_output_single", body, output_size);
}

wasi_nn_error fini_single(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "fini_single", [&] { backend_of(ctx)->fini_single(exec_ctx); });
}

wasi_nn_error unload(void* ctx, graph g) {
  return guarded(ctx, "unload", [&] { backend_of(ctx)->unload(g); });
}

wasi_nn_error finalize_execution_context(void* ctx, graph_execution_context exec_ctx) {
  return guarded(ctx, "finalize_execution_context", [&] { backend_of(ctx)->close_execution_context(exec_ctx); });
}

wasi_nn_error wasi_nn_stats(char* buf, uint32_t* size) {
  return guarded(
      nullptr, "wasi_nn_stats", [&] { wasi_nn::abi::copy_process_stats(buf, size); }, size);
}

wasi_nn_error wasi_nn_set_log_callback(wasi_nn_log_callback fn, void* user) {
  return guarded(nullptr, "wasi_nn_set_log_callback", [&] { wasi_nn::abi::set_log_callback(fn, user); });
}

wasi_nn_error wasi_nn_set_stream_sink(void* ctx, wasi_nn_stream_sink fn, void* user) {
  return guarded(ctx, "wasi_nn_set_stream_sink", [&] { backend_of(ctx)->set_stream_sink(fn, user); });
}

}  // extern "C"
