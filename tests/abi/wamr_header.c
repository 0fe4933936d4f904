/* Compiles include/wasi_nn_llamacpp.h as C99 (-Wall -Wextra -Werror) and checks, in C, every
 * layout and value docs/ABI.md, "The WAMR ABI" fixes, and every prototype as WAMR calls it. */
#include "wasi_nn_llamacpp.h"

#include <stddef.h>

#define ABI_CHECK(cond) __extension__ _Static_assert(cond, #cond)

ABI_CHECK(sizeof(wasi_nn_error) == 4);
ABI_CHECK(success == 0 && invalid_argument == 1 && invalid_encoding == 2 && missing_memory == 3);
ABI_CHECK(busy == 4 && runtime_error == 5 && unsupported_operation == 6 && too_large == 7);
ABI_CHECK(not_found == 8);
ABI_CHECK(end_of_sequence == 100 && context_full == 101 && prompt_tool_long == 102);
ABI_CHECK(model_not_found == 103);
ABI_CHECK(fp16 == 0 && fp32 == 1 && fp64 == 2 && u8 == 3 && i32 == 4 && i64 == 5);
ABI_CHECK(openvino == 0 && onnx == 1 && tensorflow == 2 && pytorch == 3 && tensorflowlite == 4);
ABI_CHECK(ggml == 5 && autodetect == 6 && unknown_backend == 7);
ABI_CHECK(cpu == 0 && gpu == 1 && tpu == 2);
ABI_CHECK(sizeof(tensor_dimensions) == 16 && offsetof(tensor_dimensions, size) == 8);
ABI_CHECK(sizeof(tensor_data) == 16 && offsetof(tensor_data, buf) == 0);
ABI_CHECK(offsetof(tensor_data, size) == 8);
ABI_CHECK(sizeof(tensor) == 32 && offsetof(tensor, dimensions) == 0 && offsetof(tensor, type) == 8);
ABI_CHECK(offsetof(tensor, data) + offsetof(tensor_data, buf) == 16);
ABI_CHECK(offsetof(tensor, data) + offsetof(tensor_data, size) == 24);
ABI_CHECK(sizeof(graph_builder) == 16 && offsetof(graph_builder, size) == 8);
ABI_CHECK(sizeof(graph_builder_array) == 16 && offsetof(graph_builder_array, size) == 8);
ABI_CHECK(sizeof(graph) == 4 && sizeof(graph_execution_context) == 4);
ABI_CHECK(WASI_NN_NO_HANDLE == 0xFFFFFFFFu);

/* The 9 functions with the exact types WAMR's wasi_nn.c gives its dlsym'd pointers. */
struct wamr_abi_functions {
  wasi_nn_error (*init_backend)(void**);
  wasi_nn_error (*deinit_backend)(void*);
  wasi_nn_error (*load)(void*, graph_builder_array*, graph_encoding, execution_target, graph*);
  wasi_nn_error (*load_by_name)(void*, const char*, uint32_t, graph*);
  wasi_nn_error (*load_by_name_with_config)(void*, const char*, uint32_t, const char*, uint32_t, graph*);
  wasi_nn_error (*init_execution_context)(void*, graph, graph_execution_context*);
  wasi_nn_error (*set_input)(void*, graph_execution_context, uint32_t, tensor*);
  wasi_nn_error (*compute)(void*, graph_execution_context);
  wasi_nn_error (*get_output)(void*, graph_execution_context, uint32_t, tensor_data*, uint32_t*);
};

const struct wamr_abi_functions wamr_abi_functions = {
    init_backend,           deinit_backend, load,    load_by_name, load_by_name_with_config,
    init_execution_context, set_input,      compute, get_output};
