//! Thin helpers over the wasmedge-wasi-nn crate, written the way WasmEdge's own examples use it
//! (fixed output buffers, U8 tensors, metadata through input and output index 1), plus the
//! check recorder every subcommand reports through.

use serde_json::Value;
use wasmedge_wasi_nn::{
    BackendError, Error, ExecutionTarget, Graph, GraphBuilder, GraphEncoding,
    GraphExecutionContext, TensorType,
};

/// WasmEdge's examples reserve 4096 tokens of about 6 bytes for a reply; embeddings need more
/// (the embedding example reserves 4096 * 20 + 128). One size covers both here.
pub const OUTPUT_BUFFER_SIZE: usize = 4096 * 20 + 128;

/// Loads `model` (an nn-preload alias) the way WasmEdge's examples do: GGML encoding, target
/// AUTO, the options as the load config (load_by_name_with_config).
pub fn load(model: &str, options: &Value) -> Result<Graph, Error> {
    GraphBuilder::new(GraphEncoding::Ggml, ExecutionTarget::AUTO)
        .config(options.to_string())
        .build_from_cache(model)
}

/// Loads `model` and opens an execution context, recording both steps as checks.
pub fn open(checks: &mut Checks, model: &str, options: &Value) -> Option<(Graph, GraphExecutionContext)> {
    let graph = checks.ok("load_by_name_with_config", load(model, options))?;
    let ctx = checks.ok("init_execution_context", graph.init_execution_context())?;
    Some((graph, ctx))
}

/// Sets input 0 (the prompt) as a U8 tensor of the prompt's bytes.
pub fn set_prompt(ctx: &mut GraphExecutionContext, prompt: &str) -> Result<(), Error> {
    let data = prompt.as_bytes();
    ctx.set_input(0, TensorType::U8, &[data.len()], data)
}

/// Sets input 0 with the dimensions [1] whatever the prompt's length, as WasmEdge's llava,
/// gemma-3 and llava-base64-stream examples do: the plugin never looks at them.
pub fn set_prompt_dims_one(ctx: &mut GraphExecutionContext, prompt: &str) -> Result<(), Error> {
    ctx.set_input(0, TensorType::U8, &[1], prompt.as_bytes())
}

/// Sets input 1 (metadata: settings as JSON text).
pub fn set_metadata(ctx: &mut GraphExecutionContext, json: &str) -> Result<(), Error> {
    let data = json.as_bytes();
    ctx.set_input(1, TensorType::U8, &[data.len()], data)
}

/// Reads output `index` as text.
pub fn get_text(ctx: &GraphExecutionContext, index: usize) -> Result<String, Error> {
    let mut buf = vec![0u8; OUTPUT_BUFFER_SIZE];
    let n = ctx.get_output(index, &mut buf)?;
    let n = n.min(buf.len());
    Ok(String::from_utf8_lossy(&buf[..n]).to_string())
}

/// Reads the piece of the last compute_single step (get_output_single, index 0).
pub fn get_piece(ctx: &GraphExecutionContext) -> Result<String, Error> {
    let mut buf = vec![0u8; 4096];
    let n = ctx.get_output_single(0, &mut buf)?;
    let n = n.min(buf.len());
    Ok(String::from_utf8_lossy(&buf[..n]).to_string())
}

/// Reads output 1 and parses it as JSON; Err holds what went wrong, for a check's detail.
pub fn metadata(ctx: &GraphExecutionContext) -> Result<Value, String> {
    let text = get_text(ctx, 1).map_err(|e| format!("get_output(1) failed: {}", describe(&e)))?;
    if text.is_empty() {
        return Err("get_output(1) returned 0 bytes".to_string());
    }
    serde_json::from_str(&text).map_err(|e| format!("output 1 is not JSON ({}): {}", e, text))
}

/// The WASI-NN error code behind an error (0 when it is not a backend error).
pub fn code(err: &Error) -> i32 {
    match err {
        Error::BackendError(b) => backend_code(b),
        Error::IoError(_) => 0,
    }
}

fn backend_code(b: &BackendError) -> i32 {
    match b {
        BackendError::InvalidArgument => 1,
        BackendError::InvalidEncoding => 2,
        BackendError::MissingMemory => 3,
        BackendError::Busy => 4,
        BackendError::RuntimeError => 5,
        BackendError::UnsupportedOperation => 6,
        BackendError::TooLarge => 7,
        BackendError::NotFound => 8,
        BackendError::EndOfSequence => 100,
        BackendError::ContextFull => 101,
        BackendError::PromptTooLong => 102,
        BackendError::ModelNotFound => 103,
        BackendError::UnknownError(c) => *c,
    }
}

/// "code N (text)" for messages.
pub fn describe(err: &Error) -> String {
    format!("code {} ({})", code(err), err)
}

/// The code a result carries: 0 for Ok.
pub fn result_code<T>(r: &Result<T, Error>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => code(e),
    }
}

/// Records named checks of WasmEdge's behaviour. Each prints one line, "ok NAME" or
/// "FAIL NAME: what was seen", so a test log lists every difference, not only the first.
pub struct Checks {
    total: u32,
    failed: u32,
}

impl Checks {
    pub fn new() -> Checks {
        Checks { total: 0, failed: 0 }
    }

    pub fn check(&mut self, name: &str, ok: bool, detail: &str) -> bool {
        self.total += 1;
        if ok {
            println!("ok {}", name);
        } else {
            self.failed += 1;
            println!("FAIL {}: {}", name, detail);
        }
        ok
    }

    /// Checks that `r` is Ok; returns the value when it is.
    pub fn ok<T>(&mut self, name: &str, r: Result<T, Error>) -> Option<T> {
        match r {
            Ok(v) => {
                self.check(name, true, "");
                Some(v)
            }
            Err(e) => {
                self.check(name, false, &format!("failed with {}", describe(&e)));
                None
            }
        }
    }

    /// Checks that `r` failed with WASI-NN code `want`.
    pub fn code<T>(&mut self, name: &str, r: &Result<T, Error>, want: i32) -> bool {
        let got = result_code(r);
        self.check(name, got == want, &format!("expected code {}, got {}", want, got))
    }

    /// Prints the summary line and returns the process exit status (0 when all passed).
    pub fn finish(&self, what: &str) -> i32 {
        println!("{}: {} checks, {} failed", what, self.total, self.failed);
        if self.failed == 0 {
            0
        } else {
            1
        }
    }
}

/// A JSON string literal of `s`, to print text on one line.
pub fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}
