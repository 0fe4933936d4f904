/* wasi_nn_guest.h: the guest side of WASI-NN (module "wasi_ephemeral_nn", as WAMR 2.4 serves
 * it) for C programs compiled with `clang --target=wasm32-wasi`, plus small helpers for text
 * models served by wasi_nn_backend.
 *
 * The types below are the wasm32 layouts WAMR reads from guest memory (WAMR's
 * core/iwasm/libraries/wasi-nn/include/wasi_nn_types.h with WASM_ENABLE_WASI_EPHEMERAL_NN, and
 * tensor_wasm in src/utils/wasi_nn_app_native.h); the static asserts pin them. Every pointer
 * is a guest address; the host copies what it needs during the call and keeps no pointer into
 * guest memory afterwards, so buffers only need to live for the duration of the call.
 *
 * Conventions of wasi_nn_backend (docs in README.md and docs/PARAMETERS.md):
 *   - load_by_name(name): NAME is an alias granted by the host (`wasi-nn-run --nn-preload
 *     ALIAS:GGML:AUTO:/path/model.gguf`) or a model file inside a directory the host granted
 *     (`--nn-dir DIR`). load_by_name_with_config adds a JSON object of load settings.
 *   - Input index 0: the prompt, UTF-8 bytes (no terminating NUL needed: data_size counts the
 *     bytes). Input index 1: a JSON object of per-request settings for the next compute only
 *     (e.g. {"temperature": 0, "max_tokens": 64, "stop": ["\n"], "reset": true}).
 *   - Output index 0: the generated text. Output index 1: metadata JSON (input_tokens,
 *     cached_tokens, output_tokens, stop_reason, timings); after a failed compute it holds
 *     {"error": {"kind", "message"}}.
 *   - In chat mode (the default) every execution context keeps its conversation: each compute
 *     adds the prompt as a user turn and the reply as the assistant's turn. {"reset": true} at
 *     input 1 forgets it.
 *   - get_output(NN_LAST_ERROR_CTX, 0, ...) returns the message of this instance's last error.
 *   - get_output writes at most `capacity` bytes and sets *written to the bytes written. When
 *     the output does not fit it returns NN_ERR_TOO_LARGE (7) and sets *written to the size
 *     needed: grow the buffer and call again (the output is still there).
 *
 * Thread-safety: WAMR serializes the calls of one instance; a call made while another is in
 * progress on the same instance returns NN_ERR_BUSY.
 */
#ifndef WASI_NN_GUEST_H
#define WASI_NN_GUEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Error codes (WAMR 2.4's wasi_nn_error, wasi_ephemeral_nn flavour) ---------------- */
typedef enum {
  NN_SUCCESS = 0,
  NN_ERR_INVALID_ARGUMENT = 1,
  NN_ERR_INVALID_ENCODING = 2,
  NN_ERR_MISSING_MEMORY = 3,
  NN_ERR_BUSY = 4,
  NN_ERR_RUNTIME_ERROR = 5,
  NN_ERR_UNSUPPORTED_OPERATION = 6,
  NN_ERR_TOO_LARGE = 7, /* output buffer too small: *written holds the size needed */
  NN_ERR_NOT_FOUND = 8,
  NN_ERR_END_OF_SEQUENCE = 100,
  NN_ERR_CONTEXT_FULL = 101, /* the conversation filled the context: reset it */
  NN_ERR_PROMPT_TOO_LONG = 102,
  NN_ERR_MODEL_NOT_FOUND = 103,
} nn_error;

typedef enum { NN_TYPE_FP16 = 0, NN_TYPE_FP32, NN_TYPE_FP64, NN_TYPE_U8, NN_TYPE_I32, NN_TYPE_I64 } nn_tensor_type;
typedef enum {
  NN_ENCODING_OPENVINO = 0,
  NN_ENCODING_ONNX,
  NN_ENCODING_TENSORFLOW,
  NN_ENCODING_PYTORCH,
  NN_ENCODING_TENSORFLOWLITE,
  NN_ENCODING_GGML,
  NN_ENCODING_AUTODETECT,
} nn_graph_encoding;
typedef enum { NN_TARGET_CPU = 0, NN_TARGET_GPU, NN_TARGET_TPU } nn_execution_target;

typedef uint32_t nn_graph;
typedef uint32_t nn_exec_ctx;

/* get_output on this "context" returns the instance's last error message. */
#define NN_LAST_ERROR_CTX ((nn_exec_ctx)0xFFFFFFFFu)

/* ---- Layouts (wasm32: pointers are 4 bytes) ------------------------------------------- */
typedef struct {
  uint32_t* buf; /* rank entries; must point into guest memory even for text */
  uint32_t size; /* rank */
} nn_tensor_dimensions;

/* Dimensions are inline (not a pointer) in the ephemeral ABI. WAMR reads `type` as a 32-bit
 * enum, so the padding must be zero: build tensors with nn_text_tensor() or zero them. */
typedef struct {
  nn_tensor_dimensions dimensions;
  uint8_t type; /* nn_tensor_type */
  uint8_t _pad[3];
  uint8_t* data;
  uint32_t data_size; /* bytes */
} nn_tensor;

typedef struct {
  uint8_t* buf;
  uint32_t size;
} nn_graph_builder;

#if defined(__wasm32__)
_Static_assert(sizeof(nn_tensor_dimensions) == 8, "tensor_dimensions is 8 bytes in wasm32");
_Static_assert(sizeof(nn_tensor) == 20, "tensor is 20 bytes in wasm32");
_Static_assert(offsetof(nn_tensor, type) == 8, "tensor.type at 8");
_Static_assert(offsetof(nn_tensor, data) == 12, "tensor.data at 12");
_Static_assert(offsetof(nn_tensor, data_size) == 16, "tensor.data_size at 16");
_Static_assert(sizeof(nn_graph_builder) == 8, "graph_builder is 8 bytes in wasm32");
_Static_assert(sizeof(nn_error) == 4, "errors are i32");
#endif

/* ---- Imports --------------------------------------------------------------------------- */
#define NN_IMPORT(name) __attribute__((import_module("wasi_ephemeral_nn"), import_name(name)))

/* Loads a model from BUILDER_LEN byte buffers (what wasi_nn_backend accepts in them: its
 * README). The guests here use load_by_name instead. Signature (*iii*)i. */
nn_error nn_load(nn_graph_builder* builder, uint32_t builder_len, nn_graph_encoding encoding,
                 nn_execution_target target, nn_graph* g) NN_IMPORT("load");
/* Loads the model NAME (NAME_LEN bytes, no NUL needed). (*i*)i. */
nn_error nn_load_by_name(const char* name, uint32_t name_len, nn_graph* g) NN_IMPORT("load_by_name");
/* Same, with a JSON object of load settings (CONFIG_LEN bytes). (*i*i*)i. */
nn_error nn_load_by_name_with_config(const char* name, uint32_t name_len, const char* config, uint32_t config_len,
                                     nn_graph* g) NN_IMPORT("load_by_name_with_config");
/* A new execution context (a conversation) on graph G. (i*)i. */
nn_error nn_init_execution_context(nn_graph g, nn_exec_ctx* ctx) NN_IMPORT("init_execution_context");
/* Sets input INDEX of CTX (copied by the host). (ii*)i. */
nn_error nn_set_input(nn_exec_ctx ctx, uint32_t index, nn_tensor* tensor) NN_IMPORT("set_input");
/* Runs the request; blocks until the reply is complete. (i)i. */
nn_error nn_compute(nn_exec_ctx ctx) NN_IMPORT("compute");
/* Copies output INDEX into BUF (CAPACITY bytes); *WRITTEN receives the bytes written, or the
 * size needed with NN_ERR_TOO_LARGE. (ii*i*)i. */
nn_error nn_get_output(nn_exec_ctx ctx, uint32_t index, uint8_t* buf, uint32_t capacity, uint32_t* written)
    NN_IMPORT("get_output");

/* Streaming (WasmEdge's names; wasi-nn-run provides them, stock WAMR does not). compute_single
 * runs the request one step further and returns once new text is available, or
 * NN_ERR_END_OF_SEQUENCE when the reply is complete. (i)i. */
nn_error nn_compute_single(nn_exec_ctx ctx) NN_IMPORT("compute_single");
/* The text of the last step (index 0) or the metadata so far (index 1), as nn_get_output. */
nn_error nn_get_output_single(nn_exec_ctx ctx, uint32_t index, uint8_t* buf, uint32_t capacity, uint32_t* written)
    NN_IMPORT("get_output_single");
/* Ends the stream (cancelling it if it still runs) and adds the turn to the conversation. */
nn_error nn_fini_single(nn_exec_ctx ctx) NN_IMPORT("fini_single");

/* Unloads a graph (WasmEdge's names; wasi-nn-run provides them, stock WAMR does not): its
 * contexts are finalized (a running compute returns NN_ERR_RUNTIME_ERROR) and the model is
 * freed when its last user ends. (i)i. */
nn_error nn_unload(nn_graph g) NN_IMPORT("unload");
/* Finalizes an execution context (cancels a running compute); the handle is invalid after. (i)i. */
nn_error nn_finalize_execution_context(nn_exec_ctx ctx) NN_IMPORT("finalize_execution_context");

/* ---- Helpers --------------------------------------------------------------------------- */

/* A short name for an error code ("too_large", "context_full", ...). */
static inline const char* nn_error_name(nn_error e) {
  switch (e) {
    case NN_SUCCESS: return "success";
    case NN_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case NN_ERR_INVALID_ENCODING: return "invalid_encoding";
    case NN_ERR_MISSING_MEMORY: return "missing_memory";
    case NN_ERR_BUSY: return "busy";
    case NN_ERR_RUNTIME_ERROR: return "runtime_error";
    case NN_ERR_UNSUPPORTED_OPERATION: return "unsupported_operation";
    case NN_ERR_TOO_LARGE: return "too_large";
    case NN_ERR_NOT_FOUND: return "not_found";
    case NN_ERR_END_OF_SEQUENCE: return "end_of_sequence";
    case NN_ERR_CONTEXT_FULL: return "context_full";
    case NN_ERR_PROMPT_TOO_LONG: return "prompt_too_long";
    case NN_ERR_MODEL_NOT_FOUND: return "model_not_found";
  }
  return "unknown";
}

/* Loads NAME; CONFIG (a JSON object) may be NULL or empty for none. */
static inline nn_error nn_load_named(const char* name, const char* config, nn_graph* g) {
  if (config == NULL || config[0] == '\0') {
    return nn_load_by_name(name, (uint32_t)strlen(name), g);
  }
  return nn_load_by_name_with_config(name, (uint32_t)strlen(name), config, (uint32_t)strlen(config), g);
}

/* Sets input INDEX of CTX to SIZE bytes at DATA: a one-dimension u8 tensor (a text, or an image
 * or audio file as input 2, 3, ... of a multimodal model). */
static inline nn_error nn_set_bytes(nn_exec_ctx ctx, uint32_t index, const void* data, uint32_t size) {
  nn_tensor t;
  memset(&t, 0, sizeof t);
  t.dimensions.buf = &size;
  t.dimensions.size = 1;
  t.type = NN_TYPE_U8;
  t.data = (uint8_t*)data;
  t.data_size = size;
  return nn_set_input(ctx, index, &t);
}

/* Sets input INDEX of CTX to the bytes of TEXT (without its NUL). */
static inline nn_error nn_set_text(nn_exec_ctx ctx, uint32_t index, const char* text) {
  return nn_set_bytes(ctx, index, text, (uint32_t)strlen(text));
}

/* Copies output INDEX of CTX into BUF (CAP bytes, CAP >= 1) as a NUL-terminated string.
 * *LEN receives the text's length; with NN_ERR_TOO_LARGE it is the length needed (BUF then
 * holds an empty string). */
static inline nn_error nn_get_text(nn_exec_ctx ctx, uint32_t index, char* buf, uint32_t cap, uint32_t* len) {
  uint32_t n = 0;
  nn_error e = nn_get_output(ctx, index, (uint8_t*)buf, cap - 1, &n);
  *len = n;
  buf[e == NN_SUCCESS && n < cap ? n : 0] = '\0';
  return e;
}

/* Output INDEX of CTX as a malloc'ed NUL-terminated string, grown as needed (the caller
 * frees it). Returns NULL and sets *ERR on failure. */
static inline char* nn_get_text_alloc(nn_exec_ctx ctx, uint32_t index, nn_error* err) {
  uint32_t cap = 4096;
  for (int tries = 0; tries < 4; ++tries) {
    char* buf = (char*)malloc(cap);
    if (buf == NULL) {
      *err = NN_ERR_MISSING_MEMORY;
      return NULL;
    }
    uint32_t len = 0;
    nn_error e = nn_get_text(ctx, index, buf, cap, &len);
    if (e == NN_SUCCESS) {
      *err = e;
      return buf;
    }
    free(buf);
    if (e != NN_ERR_TOO_LARGE) {
      *err = e;
      return NULL;
    }
    cap = len + 1; /* the size needed, plus our NUL */
  }
  *err = NN_ERR_TOO_LARGE;
  return NULL;
}

/* Outputs 0 (the text) and 1 (the metadata JSON) of CTX, malloc'ed (the caller frees both). On
 * failure both are NULL, *FAILED names the output ("get_output(0)" or "get_output(1)") and the
 * error is returned. */
static inline nn_error nn_get_text_and_metadata(nn_exec_ctx ctx, char** text, char** meta, const char** failed) {
  nn_error e = NN_SUCCESS;
  *meta = NULL;
  *failed = "get_output(0)";
  if ((*text = nn_get_text_alloc(ctx, 0, &e)) == NULL) return e;
  *failed = "get_output(1)";
  if ((*meta = nn_get_text_alloc(ctx, 1, &e)) == NULL) {
    free(*text);
    *text = NULL;
  }
  return e;
}

/* The instance's last error message, in BUF (CAP bytes); "" when there is none. */
static inline const char* nn_last_error(char* buf, uint32_t cap) {
  uint32_t len = 0;
  if (nn_get_text(NN_LAST_ERROR_CTX, 0, buf, cap, &len) != NN_SUCCESS) buf[0] = '\0';
  return buf;
}

#ifdef __cplusplus
}
#endif

#endif /* WASI_NN_GUEST_H */
