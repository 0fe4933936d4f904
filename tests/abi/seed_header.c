/* Compiles include/wasi_nn_backend.h as C99 (-Wall -Wextra -Werror) and checks, in C, every
 * layout and value docs/ABI.md, "The seed ABI" fixes, and every prototype as a host would call it. */
#include "wasi_nn_backend.h"

#include <stddef.h>

#define ABI_CHECK(cond) __extension__ _Static_assert(cond, #cond)

ABI_CHECK(sizeof(wasi_nn_error) == 4);
ABI_CHECK(success == 0 && invalid_argument == 1 && invalid_encoding == 2 && timeout == 3);
ABI_CHECK(runtime_error == 4 && unsupported_operation == 5 && too_large == 6 && not_found == 7);
ABI_CHECK(security == 8 && unknown == 9);
ABI_CHECK(end_of_sequence == 100 && context_full == 101 && prompt_tool_long == 102);
ABI_CHECK(model_not_found == 103);
ABI_CHECK(fp16 == 0 && fp32 == 1 && up8 == 2 && ip32 == 3 && sizeof(tensor_type) == 4);
ABI_CHECK(openvino == 0 && onnx == 1 && tensorflow == 2 && pytorch == 3 && tensorflowlite == 4);
ABI_CHECK(ggml == 5 && autodetect == 6 && unknown_backend == 7);
ABI_CHECK(cpu == 0 && gpu == 1 && tpu == 2);
ABI_CHECK(sizeof(tensor_dimensions) == 16 && offsetof(tensor_dimensions, buf) == 0);
ABI_CHECK(offsetof(tensor_dimensions, size) == 8);
ABI_CHECK(sizeof(tensor_data) == 8);
ABI_CHECK(sizeof(tensor) == 24 && offsetof(tensor, dimensions) == 0);
ABI_CHECK(offsetof(tensor, type) == 8 && offsetof(tensor, data) == 16);
ABI_CHECK(sizeof(graph_builder) == 16 && offsetof(graph_builder, size) == 8);
ABI_CHECK(sizeof(graph_builder_array) == 16 && offsetof(graph_builder_array, size) == 8);
ABI_CHECK(sizeof(graph) == 4 && sizeof(graph_execution_context) == 4);
ABI_CHECK(WASI_NN_NO_HANDLE == 0xFFFFFFFFu);

/* The 13 functions with the exact types a host's dlsym'd pointers have. */
struct seed_abi_functions {
  wasi_nn_error (*init_backend)(void**);
  wasi_nn_error (*init_backend_with_config)(void**, const char*, uint32_t);
  wasi_nn_error (*deinit_backend)(void*);
  wasi_nn_error (*load)(void*, graph_builder_array*, graph_encoding, execution_target, graph*);
  wasi_nn_error (*load_by_name)(void*, const char*, uint32_t, graph*);
  wasi_nn_error (*load_by_name_with_config)(void*, const char*, uint32_t, const char*, uint32_t, graph*);
  wasi_nn_error (*init_execution_context)(void*, graph, graph_execution_context*);
  wasi_nn_error (*init_execution_context_with_session_id)(void*, const char*, graph_execution_context*);
  wasi_nn_error (*set_input)(void*, graph_execution_context, uint32_t, tensor*);
  wasi_nn_error (*compute)(void*, graph_execution_context);
  wasi_nn_error (*get_output)(void*, graph_execution_context, uint32_t, tensor_data, uint32_t*);
  wasi_nn_error (*run_inference)(void*, graph_execution_context, uint32_t, tensor*, tensor_data, uint32_t*, const char*,
                                 uint32_t);
  wasi_nn_error (*close_execution_context)(void*, graph_execution_context);
};

const struct seed_abi_functions seed_abi_functions = {init_backend,
                                                      init_backend_with_config,
                                                      deinit_backend,
                                                      load,
                                                      load_by_name,
                                                      load_by_name_with_config,
                                                      init_execution_context,
                                                      init_execution_context_with_session_id,
                                                      set_input,
                                                      compute,
                                                      get_output,
                                                      run_inference,
                                                      close_execution_context};
