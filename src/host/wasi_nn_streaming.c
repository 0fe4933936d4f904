/*
 * WAMR's wasi-nn library (core/iwasm/libraries/wasi-nn/src/wasi_nn.c, unchanged) plus the
 * functions WasmEdge guests import from wasi_ephemeral_nn that WAMR's library does not:
 * compute_single, get_output_single, fini_single (streaming), unload and
 * finalize_execution_context. The host adds them here, and guards four of WAMR's own calls (see
 * backend_ready). They reach the instance's backend context through WAMR's own per-instance
 * state (which is private to wasi_nn.c, hence the #include), with the same locking and
 * guest-address checks as WAMR's get_output, and call the functions of the same
 * libwasi_nn_llamacpp.so WAMR loaded.
 */
#include "wasi_nn.c"

#include <dlfcn.h>

#include "wasi_nn_streaming.h"

typedef wasi_nn_error (*STEP_FN)(void *, graph_execution_context);
typedef wasi_nn_error (*GET_SINGLE_FN)(void *, graph_execution_context, uint32_t, tensor_data *,
                                       uint32_t *);

static STEP_FN compute_single_fn, fini_single_fn, unload_fn, finalize_fn;
static GET_SINGLE_FN get_output_single_fn;

/* The library is already loaded by WAMR when a guest has loaded a model; RTLD_NOLOAD finds that
 * same copy. Before that, the streaming calls have no backend to talk to. */
static bool
resolve_streaming(void)
{
    if (compute_single_fn && get_output_single_fn && fini_single_fn && unload_fn && finalize_fn)
        return true;
    void *lib = dlopen("libwasi_nn_llamacpp.so", RTLD_LAZY | RTLD_NOLOAD);
    if (!lib)
        return false;
    compute_single_fn = (STEP_FN)dlsym(lib, "compute_single");
    fini_single_fn = (STEP_FN)dlsym(lib, "fini_single");
    get_output_single_fn = (GET_SINGLE_FN)dlsym(lib, "get_output_single");
    /* graph and graph_execution_context are both uint32_t: one signature serves all four. */
    unload_fn = (STEP_FN)dlsym(lib, "unload");
    finalize_fn = (STEP_FN)dlsym(lib, "finalize_execution_context");
    return compute_single_fn && get_output_single_fn && fini_single_fn && unload_fn && finalize_fn;
}

enum handle_call { CALL_COMPUTE_SINGLE, CALL_FINI_SINGLE, CALL_UNLOAD, CALL_FINALIZE };

/* A call taking one handle (a graph or an execution context), on the instance's backend. */
/* The instance's WAMR state, locked, when a model was loaded in it; else NULL with the code
 * to answer in *res (invalid_argument: no model loaded yet in this instance). */
static WASINNContext *
lock_loaded(wasm_exec_env_t exec_env, wasi_nn_error *res)
{
    wasm_module_inst_t instance = wasm_runtime_get_module_inst(exec_env);
    if (!instance) {
        *res = runtime_error;
        return NULL;
    }
    WASINNContext *wasi_nn_ctx = lock_ctx(instance);
    if (wasi_nn_ctx == NULL) {
        *res = busy;
        return NULL;
    }
    if (!wasi_nn_ctx->is_backend_ctx_initialized) {
        unlock_ctx(wasi_nn_ctx);
        *res = invalid_argument;
        return NULL;
    }
    *res = success;
    return wasi_nn_ctx;
}

static wasi_nn_error
step(wasm_exec_env_t exec_env, uint32_t handle, enum handle_call call)
{
    wasi_nn_error res;
    WASINNContext *wasi_nn_ctx = lock_loaded(exec_env, &res);
    if (wasi_nn_ctx == NULL)
        return res;
    if (!resolve_streaming())
        res = invalid_argument;
    else {
        STEP_FN fns[] = { compute_single_fn, fini_single_fn, unload_fn, finalize_fn };
        res = fns[call](wasi_nn_ctx->backend_ctx, handle);
    }
    unlock_ctx(wasi_nn_ctx);
    return res;
}

static wasi_nn_error
wasi_nn_compute_single(wasm_exec_env_t exec_env, graph_execution_context ctx)
{
    return step(exec_env, ctx, CALL_COMPUTE_SINGLE);
}

static wasi_nn_error
wasi_nn_fini_single(wasm_exec_env_t exec_env, graph_execution_context ctx)
{
    return step(exec_env, ctx, CALL_FINI_SINGLE);
}

static wasi_nn_error
wasi_nn_unload(wasm_exec_env_t exec_env, graph g)
{
    return step(exec_env, g, CALL_UNLOAD);
}

static wasi_nn_error
wasi_nn_finalize_execution_context(wasm_exec_env_t exec_env, graph_execution_context ctx)
{
    return step(exec_env, ctx, CALL_FINALIZE);
}

static wasi_nn_error
wasi_nn_get_output_single(wasm_exec_env_t exec_env, graph_execution_context ctx, uint32_t index,
                          void *output, uint32_t output_len, uint32_t *output_size)
{
    wasi_nn_error res;
    WASINNContext *wasi_nn_ctx = lock_loaded(exec_env, &res);
    if (wasi_nn_ctx == NULL)
        return res;
    wasm_module_inst_t instance = wasm_runtime_get_module_inst(exec_env);
    res = invalid_argument;
    if (wasm_runtime_validate_native_addr(instance, output, output_len)
        && wasm_runtime_validate_native_addr(instance, output_size, (uint64)sizeof(uint32_t))
        && resolve_streaming()) {
        tensor_data tensor = { .buf = output, .size = output_len };
        res = get_output_single_fn(wasi_nn_ctx->backend_ctx, ctx, index, &tensor, output_size);
    }
    unlock_ctx(wasi_nn_ctx);
    return res;
}

/* WAMR 2.4.3's init_execution_context, set_input, compute and get_output call the backend's
 * function table without checking that a backend was loaded: called before this instance's
 * first load (or after libwasi_nn_llamacpp.so failed to load) they jump through a NULL pointer
 * and the host dies (one get_output as a guest's first call did it). Registered over WAMR's,
 * these answer invalid_argument then, like the streaming calls above, and otherwise call WAMR's
 * own functions. A backend, once initialised, stays so for the instance's life, so checking
 * before WAMR's call (which takes the lock again) is enough. */
static wasi_nn_error
backend_ready(wasm_exec_env_t exec_env)
{
    wasi_nn_error res;
    unlock_ctx(lock_loaded(exec_env, &res));
    if (res == invalid_argument)
        NN_WARN_PRINTF("wasi-nn call before any model was loaded in this instance");
    return res;
}

static wasi_nn_error
guarded_init_execution_context(wasm_exec_env_t exec_env, graph g, graph_execution_context *ctx)
{
    wasi_nn_error res = backend_ready(exec_env);
    return res != success ? res : wasi_nn_init_execution_context(exec_env, g, ctx);
}

static wasi_nn_error
guarded_set_input(wasm_exec_env_t exec_env, graph_execution_context ctx, uint32_t index,
                  tensor_wasm *input_tensor)
{
    wasi_nn_error res = backend_ready(exec_env);
    return res != success ? res : wasi_nn_set_input(exec_env, ctx, index, input_tensor);
}

static wasi_nn_error
guarded_compute(wasm_exec_env_t exec_env, graph_execution_context ctx)
{
    wasi_nn_error res = backend_ready(exec_env);
    return res != success ? res : wasi_nn_compute(exec_env, ctx);
}

static wasi_nn_error
guarded_get_output(wasm_exec_env_t exec_env, graph_execution_context ctx, uint32_t index,
                   void *output, uint32_t output_len, uint32_t *output_size)
{
    wasi_nn_error res = backend_ready(exec_env);
    return res != success ? res
                          : wasi_nn_get_output(exec_env, ctx, index, output, output_len, output_size);
}

static NativeSymbol streaming_symbols[] = {
    /* The same names and signatures as WAMR's wasi_ephemeral_nn table; registered later, so
     * WAMR resolves guests' imports to these. */
    { "init_execution_context", guarded_init_execution_context, "(i*)i", NULL },
    { "set_input", guarded_set_input, "(ii*)i", NULL },
    { "compute", guarded_compute, "(i)i", NULL },
    { "get_output", guarded_get_output, "(ii*i*)i", NULL },
    { "compute_single", wasi_nn_compute_single, "(i)i", NULL },
    { "get_output_single", wasi_nn_get_output_single, "(ii*i*)i", NULL },
    { "fini_single", wasi_nn_fini_single, "(i)i", NULL },
    { "unload", wasi_nn_unload, "(i)i", NULL },
    { "finalize_execution_context", wasi_nn_finalize_execution_context, "(i)i", NULL },
};

bool
wasi_nn_register_streaming(void)
{
    return wasm_runtime_register_natives("wasi_ephemeral_nn", streaming_symbols,
                                         sizeof(streaming_symbols) / sizeof(streaming_symbols[0]));
}
