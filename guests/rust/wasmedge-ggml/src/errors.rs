//! The error codes WasmEdge's GGML plugin answers, in the situations its examples handle:
//! PromptTooLong (102) and ContextFull (101) from compute, InvalidEncoding (2) for metadata that
//! is not JSON, InvalidArgument (1) for a metadata value of the wrong type or a compute without
//! input, TooLarge (7) for a small output buffer, NotFound (8) for a name nothing preloaded,
//! ModelNotFound (103) for a preloaded file that does not exist.

use crate::meta;
use crate::nn::{self, quoted, Checks};
use serde_json::{json, Value};
use wasmedge_wasi_nn::{ExecutionTarget, GraphBuilder, GraphEncoding};

/// `errors MODEL OPTIONS`: compute without input, a prompt longer than the context
/// (PromptTooLong is answered by compute, not set_input) and a too small output buffer.
/// OPTIONS should hold a small "ctx-size" (64 is plenty) and an "n-predict" that fits in it
/// (without one, WasmEdge's short compute would end in ContextFull).
pub fn errors(checks: &mut Checks, model: &str, options: &Value) {
    let ctx_size = options.get("ctx-size").and_then(Value::as_u64).unwrap_or(512);
    let (_graph, mut ctx) = match nn::open(checks, model, options) {
        Some(x) => x,
        None => return,
    };
    checks.code("compute before any set_input: InvalidArgument (1)", &ctx.compute(), 1);
    let long = "hello ".repeat(2 * ctx_size as usize);
    if checks.ok("set_input of a prompt longer than ctx-size", nn::set_prompt(&mut ctx, &long)).is_some() {
        checks.code("compute of a prompt longer than ctx-size: PromptTooLong (102)", &ctx.compute(), 102);
    }
    if checks.ok("set_input of a short prompt", nn::set_prompt(&mut ctx, "Once upon a time")).is_some()
        && checks.ok("compute of the short prompt", ctx.compute()).is_some()
    {
        let mut one = [0u8; 1];
        checks.code("get_output(0) into a 1-byte buffer: TooLarge (7)", &ctx.get_output(0, &mut one), 7);
    }
}

/// `metadata-errors MODEL [OPTIONS]`: input 1 that is not JSON is InvalidEncoding (2); a value
/// of the wrong type is InvalidArgument (1); an unknown key is ignored.
pub fn metadata_errors(checks: &mut Checks, model: &str, options: &Value) {
    let (_graph, mut ctx) = match nn::open(checks, model, options) {
        Some(x) => x,
        None => return,
    };
    checks.code("set_input(1) of text that is not JSON: InvalidEncoding (2)", &nn::set_metadata(&mut ctx, "{"), 2);
    checks.code(
        "set_input(1) with a value of the wrong type: InvalidArgument (1)",
        &nn::set_metadata(&mut ctx, r#"{"n-predict": "many"}"#),
        1,
    );
    checks.code(
        "set_input(1) with an unknown key: ignored (success)",
        &nn::set_metadata(&mut ctx, r#"{"no-such-key": 1}"#),
        0,
    );
}

/// `context-full MODEL OPTIONS`: a short prompt and more tokens to predict than the context
/// holds: compute answers ContextFull (101) and keeps the text generated until then.
/// OPTIONS should hold a small "ctx-size" (64 is plenty).
pub fn context_full(checks: &mut Checks, model: &str, options: &Value) {
    let ctx_size = options.get("ctx-size").and_then(Value::as_u64).unwrap_or(512);
    let (_graph, mut ctx) = match nn::open(checks, model, options) {
        Some(x) => x,
        None => return,
    };
    let settings = json!({"n-predict": 2 * ctx_size, "ignore-eos": true});
    if checks.ok("set_input(1) n-predict beyond the context", nn::set_metadata(&mut ctx, &settings.to_string())).is_none()
        || checks.ok("set_input(0) short prompt", nn::set_prompt(&mut ctx, "Once upon a time")).is_none()
    {
        return;
    }
    checks.code("compute beyond the context: ContextFull (101)", &ctx.compute(), 101);
    let text = nn::get_text(&ctx, 0).unwrap_or_default();
    println!("[context-full] output {}", quoted(&text));
    checks.check("ContextFull keeps the text generated so far", !text.is_empty(), "empty output 0");
    let c = meta::counts(&nn::metadata(&ctx));
    let (input, output) = c.map_or((0, 0), |c| (c.input_tokens, c.output_tokens));
    checks.check(
        "ContextFull: input_tokens + output_tokens reach the context size",
        output > 0 && input + output >= ctx_size && input + output <= ctx_size + 1,
        &format!("input_tokens {}, output_tokens {}, ctx-size {}", input, output, ctx_size),
    );
}

/// `load-unknown NAME`: NAME is not preloaded: WasmEdge answers NotFound (8).
pub fn load_unknown(checks: &mut Checks, name: &str) {
    let r = GraphBuilder::new(GraphEncoding::Ggml, ExecutionTarget::AUTO).build_from_cache(name);
    // WasmEdge's runtime answers NotFound (8) here; this backend answers ModelNotFound (103), as
    // for a preloaded file that is missing (docs/COMPATIBILITY.md, section 7).
    checks.code("load_by_name of a name nothing preloaded: ModelNotFound (103)", &r, 103);
}

/// `load-missing MODEL`: MODEL is preloaded with a file that does not exist (WasmEdge's
/// test/model-not-found): ModelNotFound (103).
pub fn load_missing(checks: &mut Checks, model: &str) {
    let r = GraphBuilder::new(GraphEncoding::Ggml, ExecutionTarget::AUTO).build_from_cache(model);
    checks.code("load_by_name of a preloaded file that does not exist: ModelNotFound (103)", &r, 103);
}

/// `load-bytes PATH`: load() of GGUF bytes read through WASI, with a JSON config as the second
/// builder, with target CPU and with AUTO (3), which the crate's examples pass. WasmEdge's
/// load() accepts CPU, GPU and TPU and refuses AUTO with InvalidArgument (1); this backend
/// accepts AUTO too, on purpose (docs/COMPATIBILITY.md), so this check is ours.
pub fn load_bytes(checks: &mut Checks, path: &str) {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            checks.check("read the model file", false, &format!("{}: {}", path, e));
            return;
        }
    };
    // Builder 1 is the load config: a short n-predict keeps the compute below short.
    let config = br#"{"n-predict": 8}"#;
    let build = |target| GraphBuilder::new(GraphEncoding::Ggml, target).build_from_bytes([&bytes[..], &config[..]]);
    let cpu = build(ExecutionTarget::CPU);
    checks.code("load(GGML, CPU) of GGUF bytes: success", &cpu, 0);
    if let Ok(g) = cpu {
        if let Some(mut ctx) = checks.ok("init_execution_context on the bytes-loaded graph", g.init_execution_context()) {
            if checks.ok("set_input", nn::set_prompt(&mut ctx, "Hello")).is_some() {
                checks.ok("compute", ctx.compute());
            }
        }
    }
    checks.code("load(GGML, AUTO) of GGUF bytes: success (WasmEdge: InvalidArgument)", &build(ExecutionTarget::AUTO), 0);
}
