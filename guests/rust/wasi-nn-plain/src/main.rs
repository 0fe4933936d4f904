//! wasi-nn-plain.wasm: a guest on the bytecodealliance `wasi-nn` crate (0.6.0, the witx API
//! that WAMR's wasi_ephemeral_nn module serves). It uses only what that crate offers: load
//! (bytes), load_by_name, init_execution_context, set_input, compute, get_output; no load
//! config, no streaming, no unload. The crate has no GGML encoding: its `Autodetec` (5) is the
//! value WAMR calls `ggml`.
//!
//!   wasi-nn-plain.wasm name  MODEL PROMPT   load_by_name(MODEL), one compute
//!   wasi-nn-plain.wasm bytes PATH PROMPT    load() of the file's bytes (encoding 5, target CPU)
//!
//! Prints `[output] "..."` (output 0 as a JSON string) and `[metadata] ...` (output 1), then
//! "wasi-nn-plain: ok". Exit status: 0; 1 when a call fails (its code on stderr); 2 on usage.

use wasi_nn::{ExecutionTarget, Graph, GraphBuilder, GraphEncoding, TensorType};

fn fail(what: &str, err: wasi_nn::Error) -> i32 {
    eprintln!("wasi-nn-plain: {} failed: {}", what, err);
    1
}

fn load(mode: &str, source: &str) -> Result<Graph, wasi_nn::Error> {
    let builder = GraphBuilder::new(GraphEncoding::Autodetec, ExecutionTarget::CPU);
    if mode == "bytes" {
        let bytes = std::fs::read(source)?;
        builder.build_from_bytes([&bytes])
    } else {
        builder.build_from_cache(source)
    }
}

fn read(ctx: &wasi_nn::GraphExecutionContext, index: usize) -> Result<String, wasi_nn::Error> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = ctx.get_output(index, &mut buf)?.min(buf.len());
    Ok(String::from_utf8_lossy(&buf[..n]).to_string())
}

/// A JSON string literal of `s` (quotes, backslashes and control characters escaped).
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn run(args: &[String]) -> i32 {
    if args.len() != 4 || (args[1] != "name" && args[1] != "bytes") {
        eprintln!("usage: wasi-nn-plain.wasm name MODEL PROMPT | bytes PATH PROMPT");
        return 2;
    }
    let graph = match load(&args[1], &args[2]) {
        Ok(g) => g,
        Err(e) => return fail("load", e),
    };
    let mut ctx = match graph.init_execution_context() {
        Ok(c) => c,
        Err(e) => return fail("init_execution_context", e),
    };
    let prompt = args[3].as_bytes();
    if let Err(e) = ctx.set_input(0, TensorType::U8, &[prompt.len()], prompt) {
        return fail("set_input", e);
    }
    if let Err(e) = ctx.compute() {
        return fail("compute", e);
    }
    let text = match read(&ctx, 0) {
        Ok(t) => t,
        Err(e) => return fail("get_output(0)", e),
    };
    println!("[output] {}", quoted(&text));
    match read(&ctx, 1) {
        Ok(m) => println!("[metadata] {}", m),
        Err(e) => return fail("get_output(1)", e),
    }
    println!("wasi-nn-plain: ok");
    0
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(run(&args));
}
