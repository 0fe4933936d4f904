/*
 * wasi_nn_backend.h: the C ABI of libwasi_nn_backend.so, the original wasi_nn_backend
 * project's ABI, used by native hosts (for example HyperBEAM) that dlopen the library and dlsym
 * the 13 functions below (plus the extensions marked so: streaming, unload, stats, log
 * callback). Names, enum values and struct layouts are an exact contract with those hosts
 * (docs/ABI.md, "The seed ABI"); they carry their own copy of these types, so nothing here may
 * change.
 *
 * Types and names clash on purpose with wasi_nn_llamacpp.h (WAMR's ABI) and with WAMR's own
 * wasi_nn_types.h: each defines its own wasi_nn_error, tensor, graph, ... exactly as its hosts
 * do. Include at most one of them in a translation unit; this header stops the build with an
 * #error when another one is already included.
 *
 * Conventions shared by every function below:
 *  - Return value: `success` (0) or a wasi_nn_error code. Every function returns; none aborts
 *    or throws, whatever it is given.
 *  - Outputs are cleared first (a handle output to WASI_NN_NO_HANDLE, `*ctx` to NULL,
 *    `*output_size` to 0) and hold a result only when the call returns `success` (get_output
 *    also on `too_large`, see there).
 *  - `ctx` is the value init_backend() or init_backend_with_config() stored: an opaque handle,
 *    not a pointer to dereference, never reused within the process. A NULL, unknown or already
 *    deinitialised `ctx` returns invalid_argument.
 *  - Thread-safety: every function may be called from many threads at once, on the same or on
 *    different contexts. compute() and run_inference() block the calling thread until that
 *    request has finished; the other calls do not wait for a running request.
 *  - Strings passed as (pointer, length) are read as: NULL means "none"; otherwise the length
 *    is strnlen(pointer, length) when length > 0, and strlen(pointer) when length is 0.
 *  - Last error message: after a call on `ctx` failed, get_output(ctx, WASI_NN_NO_HANDLE, 0,
 *    buf, &size) copies that backend context's last error message (what was wrong and what to
 *    do) into buf, with the same capacity rules as any other output. Messages belong to the
 *    backend context whose call failed: another context (another tenant) never sees them.
 *    A call that names no live context (a NULL or stale `ctx`, a failed init_backend()) keeps
 *    its message per thread: read it with `ctx` NULL on the same thread. Reading a message
 *    never replaces it, even when the buffer is too small.
 *  - Nothing the backend logs goes to stdout.
 */
#ifndef WASI_NN_BACKEND_H_
#define WASI_NN_BACKEND_H_

#if defined(WASI_NN_LLAMACPP_H_) || defined(WASI_NN_TYPES_H)
#error \
    "wasi_nn_backend.h defines the same type names as wasi_nn_llamacpp.h and WAMR's wasi_nn_types.h with other values; include only one of them per translation unit"
#endif

#include <stdint.h>

/* The export macro: default visibility for the ABI functions of a library built with hidden
 * visibility. Hosts that only include this header get the same (harmless) declaration. */
#ifndef WASI_NN_API
#if defined(__GNUC__) || defined(__clang__)
#define WASI_NN_API __attribute__((visibility("default")))
#else
#define WASI_NN_API
#endif
#endif

/* A graph or execution-context value that never names one. As the `exec_ctx` of get_output()
 * it selects the last error message (see above); on failure, handle outputs hold it. */
#ifndef WASI_NN_NO_HANDLE
#define WASI_NN_NO_HANDLE 0xFFFFFFFFu
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (an int-sized enum). Codes 100-103 carry their WasmEdge meanings. */
typedef enum {
  success = 0,
  invalid_argument = 1,      /* a NULL pointer, unknown ctx, malformed or out-of-range value */
  invalid_encoding = 2,      /* load(): encoding is neither ggml nor autodetect */
  timeout = 3,               /* the request did not finish, or could not start, in time */
  runtime_error = 4,         /* the engine failed; the last error message says how */
  unsupported_operation = 5, /* a valid request this backend does not do */
  too_large = 6,             /* the output buffer is too small; *output_size holds the need */
  not_found = 7,             /* unknown graph, execution context, input or output index */
  security = 8,              /* a path or resource outside what the host granted */
  unknown = 9,               /* reserved; not returned by this backend */
  end_of_sequence = 100,     /* streaming: nothing more to produce */
  context_full = 101,        /* the conversation no longer fits the context window */
  prompt_tool_long = 102,    /* (sic) one prompt alone exceeds the context window */
  model_not_found = 103      /* the model file is missing or unreadable */
} wasi_nn_error;

/* A tensor's shape: `size` dimensions in `buf`. */
typedef struct {
  uint32_t* buf;
  uint32_t size;
} tensor_dimensions;

/* Element types. They do not change how text inputs are read. */
#if defined(WASM_ENABLE_WASI_EPHEMERAL_NN) && WASM_ENABLE_WASI_EPHEMERAL_NN != 0
typedef enum { fp16 = 0, fp32, fp64, bf16, u8, i32, i64 } tensor_type;
#else
typedef enum { fp16 = 0, fp32 = 1, up8 = 2, ip32 = 3 } tensor_type;
#endif

/* A tensor's bytes. */
typedef uint8_t* tensor_data;

/* An input tensor (24 bytes: dimensions at 0, type at 8, data at 16). For text, `data` is a
 * NUL-terminated string when `dimensions` is NULL or has size 0; otherwise its byte count is
 * the product of the dimensions (for text: one dimension, the byte count). The backend copies
 * what it needs before the call returns; the caller keeps ownership of every pointer. */
typedef struct {
  tensor_dimensions* dimensions;
  tensor_type type;
  tensor_data data;
} tensor;

/* One part of a graph image, and an array of them (load()). Owned by the caller. */
typedef struct {
  uint8_t* buf;
  uint32_t size;
} graph_builder;

typedef struct {
  graph_builder* buf;
  uint32_t size;
} graph_builder_array;

/* A loaded model, and a conversation on one (ids are never reused within a ctx). */
typedef uint32_t graph;
typedef uint32_t graph_execution_context;

typedef enum {
  openvino = 0,
  onnx,
  tensorflow,
  pytorch,
  tensorflowlite,
  ggml = 5,
  autodetect = 6,
  unknown_backend
} graph_encoding;

typedef enum { cpu = 0, gpu, tpu } execution_target;

/* Creates a backend context with default settings and stores it in `*ctx` (NULL on failure).
 * The context is freed by deinit_backend(). Creating several is allowed and cheap: loaded
 * models are shared between contexts of the process. */
WASI_NN_API wasi_nn_error init_backend(void** ctx);

/* Like init_backend(), with a JSON object of backend-wide settings and default model settings
 * (`config`, `config_len` read as described above; NULL means defaults). Malformed JSON, an
 * unknown key, a value of the wrong type or out of range return invalid_argument; a key this
 * backend knows but does not implement returns unsupported_operation. Loads and requests are
 * checked as strictly, unless `config` says "profile": "wasmedge": then they are read in
 * WasmEdge's dialect (docs/COMPATIBILITY.md), as for wasm guests. */
WASI_NN_API wasi_nn_error init_backend_with_config(void** ctx, const char* config, uint32_t config_len);

/* Frees a backend context made by init_backend*(): its execution contexts are closed and its
 * graphs released (a model stays loaded while another context still uses it). Requests running
 * on `ctx` in other threads are cancelled (they return runtime_error); `ctx` is invalid
 * afterwards (calls with it, a second deinit_backend() included, return invalid_argument). The
 * memory is freed once the last call still inside the context has returned. */
WASI_NN_API wasi_nn_error deinit_backend(void* ctx);

/* Loads a model from memory. `encoding` must be ggml or autodetect (else invalid_encoding).
 * `target` must be cpu, gpu, tpu or 3 (WasmEdge's AUTO, which the wasmedge-wasi-nn crate sends;
 * else invalid_argument) but does not choose the device:
 * placement comes from the config (n_gpu_layers). `builder` holds 1 or 2 parts: the GGUF
 * image, then an optional JSON config of the model's settings. The bytes are copied; the
 * caller keeps them. Stores the new graph in `*g`. */
WASI_NN_API wasi_nn_error load(void* ctx, graph_builder_array* builder, graph_encoding encoding,
                               execution_target target, graph* g);

/* Loads (or shares an already loaded) GGUF model from the file `filename` (`filename_len`
 * read as described above) with default settings and stores the new graph in `*g`. The latest
 * successful load becomes the context's current model. A missing or unreadable file returns
 * model_not_found; a directory or a file that is not GGUF returns invalid_argument. */
WASI_NN_API wasi_nn_error load_by_name(void* ctx, const char* filename, uint32_t filename_len, graph* g);

/* Like load_by_name(), with a JSON config (model, context and default request settings, in
 * snake_case or WasmEdge's dash-case keys; NULL means defaults). Loading another path later
 * switches the current model. Config errors as for init_backend_with_config(). Always writes
 * `*g` when `g` is not NULL: the new graph, or WASI_NN_NO_HANDLE on failure. */
WASI_NN_API wasi_nn_error load_by_name_with_config(void* ctx, const char* filename, uint32_t filename_len,
                                                   const char* config, uint32_t config_len, graph* g);

/* Opens a new execution context (a conversation with its own history and KV sequence) on the
 * graph `g` and stores it in `*exec_ctx`. Close it with close_execution_context(). */
WASI_NN_API wasi_nn_error init_execution_context(void* ctx, graph g, graph_execution_context* exec_ctx);

/* Opens an execution context bound to the conversation named `session_id` (a NUL-terminated,
 * non-empty string of at most 256 bytes) on the context's current model: history and KV cache
 * are kept between calls and shared by every execution context opened with the same id. */
WASI_NN_API wasi_nn_error init_execution_context_with_session_id(void* ctx, const char* session_id,
                                                                 graph_execution_context* exec_ctx);

/* Sets input `index` of `exec_ctx`: 0 is the prompt (UTF-8 text without NUL bytes), 1 a JSON
 * object of settings for the next compute only. The bytes are read as described at `tensor`
 * (at least 1 byte, at most 64 MiB) and copied. Malformed text or settings return
 * invalid_argument at once; another index returns not_found. */
WASI_NN_API wasi_nn_error set_input(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor* input);

/* Generates for the inputs set so far. Blocks the caller until the request has finished.
 * Without a prompt (set_input index 0) it returns invalid_argument. A prompt that alone exceeds
 * the context window returns prompt_tool_long; a conversation that no longer fits (and that
 * context_shift may not shorten) returns context_full, while a generation that reaches the end
 * of the window succeeds with stop_reason context_full (docs/ABI.md); a compute already running
 * on the same conversation returns timeout.
 * On a model loaded with {"embedding": true} it computes the embedding of input 0 instead
 * (see docs/PARAMETERS.md, section Embeddings): output 0 then holds JSON
 * {"n_embedding": N, "embedding": [...]} or, with "embd_output": "f32", raw little-endian
 * floats; an input longer than one batch returns prompt_tool_long. */
WASI_NN_API wasi_nn_error compute(void* ctx, graph_execution_context exec_ctx);

/* Copies output `index` (0: the generated text, 1: a JSON object of metadata) into `output`.
 * `*output_size` is the capacity of `output` on entry; nothing is written past it. On success
 * `*output_size` holds the bytes written (a NUL follows the text when there is room; it is not
 * counted). When the output does not fit, returns too_large, writes nothing into `output`, and
 * sets `*output_size` to the byte count needed (without the NUL), so the caller can retry;
 * `output` may be NULL when the capacity is 0. With `exec_ctx` == WASI_NN_NO_HANDLE it copies
 * the last error message instead (see the top of this file). */
WASI_NN_API wasi_nn_error get_output(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor_data output,
                                     uint32_t* output_size);

/* Streaming, with WasmEdge's meaning (an extension to the original ABI).
 * compute_single runs the request set with set_input one step further and returns once new
 * text is available; get_output_single then copies that step's text (index 0; never half a
 * UTF-8 character nor the start of a possible stop string) or the metadata so far (index 1),
 * with get_output's buffer rules. When all text was handed out, compute_single returns
 * end_of_sequence (100). fini_single ends the stream (cancelling generation if it still runs),
 * adds the turn to the conversation and frees the stream's state; call it before the next
 * compute. Chunks concatenated equal the text a plain compute returns. */
WASI_NN_API wasi_nn_error compute_single(void* ctx, graph_execution_context exec_ctx);
WASI_NN_API wasi_nn_error get_output_single(void* ctx, graph_execution_context exec_ctx, uint32_t index,
                                            tensor_data output, uint32_t* output_size);
WASI_NN_API wasi_nn_error fini_single(void* ctx, graph_execution_context exec_ctx);

/* set_input(exec_ctx, index, input) + compute with `runtime_config` overriding settings for
 * this request only + get_output(exec_ctx, 0, output, output_size), in one call that blocks
 * until the request has finished. `runtime_config` is NULL or a NUL-terminated JSON string of at
 * most 1 MiB (no NUL within that: invalid_argument); `config_len` is not read, unlike the
 * (pointer, length) rule above: HyperBEAM's NIF calls this with seven arguments, so the value
 * is whatever its stack held. When the reply does not fit (too_large, *output_size = the size
 * needed) it is kept: get_output(exec_ctx, 0, ...) reads it, and repeating this same call (same
 * index, input and config) on that context with a larger buffer returns it without computing
 * again, so the turn is counted once; any other call on the context forgets it. */
WASI_NN_API wasi_nn_error run_inference(void* ctx, graph_execution_context exec_ctx, uint32_t index, tensor* input,
                                        tensor_data output, uint32_t* output_size, const char* runtime_config,
                                        uint32_t config_len);

/* Closes an execution context: a request running on it is cancelled, and the handle is invalid
 * afterwards (closing it again returns not_found). A session's conversation stays available to
 * the session's other and later execution contexts. */
WASI_NN_API wasi_nn_error close_execution_context(void* ctx, graph_execution_context exec_ctx);

/* Unloads the graph `g` (an extension; WasmEdge's `unload`). `g` is invalid afterwards: an
 * unknown or already unloaded graph returns not_found. Its execution contexts are finalized
 * (as by close_execution_context): a compute or run_inference running on one in another
 * thread is cancelled and returns runtime_error, its last error message saying the graph was
 * unloaded (one that finishes first returns success as usual); later calls with those contexts
 * return not_found with the same explanation.
 * Sessions on `g` move to the current model with their history, or are forgotten when `g` was
 * the current model. The model's memory is freed once its last user ends (a cancelled request
 * still returning, or another graph or backend context sharing the same model), so a host
 * swapping models can free the old one before deinit_backend(). */
WASI_NN_API wasi_nn_error unload(void* ctx, graph g);

/* Process-wide statistics for operators, as one JSON object (needs no ctx: it covers every
 * backend context and model of the process). `*size` is the capacity of `buf` on entry; the
 * contract is get_output's: on success `*size` holds the bytes written (a NUL follows when
 * there is room); when the JSON does not fit, returns too_large, writes nothing, and sets
 * `*size` to the bytes needed. Fields (all numbers unless noted):
 *   queue_depth, active_sequences, resident_sequences  over every engine of the process
 *   backends, sessions_held, plain_contexts             live backend contexts, named sessions,
 *                                                       execution contexts without a session
 *   saved_kv_bytes, saved_kv_disk_bytes                 evicted KV states kept (memory, disk)
 *   memory: {model_bytes, kv_bytes, process_rss_bytes}  weights, KV caches, resident set
 *   models: [{model, description, model_bytes, engines: [{ctx_size, n_parallel, queue_depth,
 *            active_sequences, resident_sequences, kv_bytes, saved_kv_states, saved_kv_bytes,
 *            saved_kv_disk_bytes}]}]                    one entry per loaded model
 *   counters: {requests_done, requests_failed, busy, timeouts, cancelled, tokens_in,
 *              tokens_cached, tokens_out}               totals since the library was loaded
 *   llama_cpp: {build_number, commit (a string)}
 * Thread-safe; the values are a snapshot, each read at the time of the call. */
WASI_NN_API wasi_nn_error wasi_nn_stats(char* buf, uint32_t* size);

/* Log levels passed to a log callback. */
#define WASI_NN_LOG_ERROR 1
#define WASI_NN_LOG_WARN 2
#define WASI_NN_LOG_INFO 3
#define WASI_NN_LOG_DEBUG 4

/* A host's log sink: `level` is one of WASI_NN_LOG_*, `line` one formatted log line (plain or
 * a JSON object, per log_format / WASI_NN_LOG_FORMAT) without its newline, valid only during
 * the call; `user` is the pointer given to wasi_nn_set_log_callback(). */
typedef void (*wasi_nn_log_callback)(int level, const char* line, void* user);

/* Sends every log line of the process (the backend's and llama.cpp's own, at the chosen
 * level) to `fn` instead of stderr or the log file; `fn` == NULL restores them. The callback
 * is called from any thread, one line at a time (never concurrently with itself), and must
 * not call this library (a line it causes is dropped; changing the callback from inside it
 * returns invalid_argument). When this function returns, the previous callback is no longer
 * running and is never called again. Process-wide for this library (each of the two libraries
 * links its own llama.cpp and has its own sink). Level, format and destination come from
 * WASI_NN_LOG_LEVEL / WASI_NN_LOG_FORMAT / WASI_NN_LOG_FILE, else the log_level / log_format /
 * log_file config keys (docs/PARAMETERS.md). Nothing is ever written to stdout. */
WASI_NN_API wasi_nn_error wasi_nn_set_log_callback(wasi_nn_log_callback fn, void* user);

#ifdef __cplusplus
}
#endif

#endif /* WASI_NN_BACKEND_H_ */
