//! Multi-turn chat and streaming the way WasmEdge's chat examples (llama, llama-stream, chatml)
//! and LlamaEdge drive the GGML plugin: the guest renders the whole conversation with the
//! model's template itself and sends all of it as input 0 on every turn; the plugin treats
//! input 0 as raw text and keeps no conversation state between computes.

use crate::generate::split_eog;
use crate::meta;
use crate::nn::{self, quoted, Checks};
use serde_json::Value;
use wasmedge_wasi_nn::{Graph, GraphExecutionContext};

const SYSTEM: &str = "You are a helpful assistant. Answer briefly.";

/// ChatML, as WasmEdge's chatml and qwen examples write it.
fn user_turn(text: &str) -> String {
    format!("<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n", text)
}

/// True when the options ask for greedy sampling (temp 0), so replies can be compared.
pub fn greedy(options: &Value) -> bool {
    options.get("temp").and_then(Value::as_f64) == Some(0.0)
}

/// `chat MODEL OPTIONS TURN...`: one execution context for the whole chat; each turn sends the
/// full conversation so far. Checks, per turn: input_tokens grows; a new execution context
/// given the same full prompt reports the same input_tokens and (when greedy) the same reply,
/// i.e. nothing of the earlier turns is kept by the backend.
pub fn chat(checks: &mut Checks, model: &str, options: &Value, turns: &[String]) {
    let (graph, mut ctx) = match nn::open(checks, model, options) {
        Some(x) => x,
        None => return,
    };
    let mut conversation = format!("<|im_start|>system\n{}<|im_end|>\n", SYSTEM);
    let mut last_input = 0u64;
    for (i, turn) in turns.iter().enumerate() {
        conversation.push_str(&user_turn(turn));
        let (reply, input_tokens) = match one_turn(checks, &mut ctx, i, &conversation) {
            Some(r) => r,
            None => return,
        };
        checks.check(
            &format!("turn {}: input_tokens grows with the resent conversation", i),
            input_tokens > last_input,
            &format!("{} after {}", input_tokens, last_input),
        );
        last_input = input_tokens;
        compare_fresh(checks, &graph, i, &conversation, input_tokens, &reply, greedy(options));
        conversation.push_str(split_eog(&reply).0);
        conversation.push_str("<|im_end|>\n");
    }
}

/// One turn on the chat's context: returns the reply and input_tokens (read after compute).
fn one_turn(checks: &mut Checks, ctx: &mut GraphExecutionContext, i: usize, prompt: &str) -> Option<(String, u64)> {
    checks.ok(&format!("turn {}: set_input", i), nn::set_prompt(ctx, prompt))?;
    checks.ok(&format!("turn {}: compute", i), ctx.compute())?;
    let reply = checks.ok(&format!("turn {}: get_output(0)", i), nn::get_text(ctx, 0))?;
    let after = nn::metadata(ctx);
    let counts = meta::counts(&after);
    println!("[turn {}] {:?} reply={}", i, counts, quoted(&reply));
    let counts = counts.or_else(|| {
        checks.check(&format!("turn {}: output 1 holds the token counts", i), false, &format!("{:?}", after));
        None
    })?;
    Some((reply, counts.input_tokens))
}

fn compare_fresh(checks: &mut Checks, graph: &Graph, i: usize, prompt: &str, input_tokens: u64, reply: &str, greedy: bool) {
    let mut fresh = match checks.ok(&format!("turn {}: new context", i), graph.init_execution_context()) {
        Some(c) => c,
        None => return,
    };
    if checks.ok(&format!("turn {}: new context set_input", i), nn::set_prompt(&mut fresh, prompt)).is_none()
        || checks.ok(&format!("turn {}: new context compute", i), fresh.compute()).is_none()
    {
        return;
    }
    let n = meta::counts(&nn::metadata(&fresh)).map(|c| c.input_tokens);
    checks.check(
        &format!("turn {}: a new context counts the same input_tokens", i),
        n == Some(input_tokens),
        &format!("chat context {}, new context {:?}", input_tokens, n),
    );
    if !greedy {
        return;
    }
    let again = nn::get_text(&fresh, 0).unwrap_or_default();
    checks.check(
        &format!("turn {}: a new context gives the same greedy reply", i),
        again == reply,
        &format!("chat context {}, new context {}", quoted(reply), quoted(&again)),
    );
}

/// The largest number of compute_single steps the stream subcommand takes: WasmEdge's plugin
/// does not apply n-predict to compute_single (LlamaEdge counts tokens itself), so without EOS
/// a stream ends only when the context is full.
const MAX_STEPS: usize = 4096;

/// `stream MODEL PROMPT [OPTIONS]`: compute_single / get_output_single until EndOfSequence
/// (100) or ContextFull (101), then fini_single; then a plain compute of the same prompt, whose
/// text must begin with the streamed text (equal but for the EOS piece compute appends).
pub fn stream(checks: &mut Checks, model: &str, prompt: &str, options: &Value) {
    let (_graph, mut ctx) = match nn::open(checks, model, options) {
        Some(x) => x,
        None => return,
    };
    if checks.ok("set_input(0) prompt", nn::set_prompt(&mut ctx, prompt)).is_none() {
        return;
    }
    let (streamed, pieces, _) = stream_to_end(checks, &mut ctx);
    let after = nn::metadata(&ctx);
    meta::print("metadata after stream", &after);
    if let Some(c) = meta::counts(&after) {
        checks.check(
            "stream: output_tokens counts every piece",
            c.output_tokens >= pieces as u64,
            &format!("output_tokens {}, pieces {}", c.output_tokens, pieces),
        );
        // WasmEdge never shifts the context: prompt and pieces together fit in ctx-size.
        if let Some(n_ctx) = options.get("ctx-size").and_then(Value::as_u64) {
            checks.check(
                "stream: prompt and pieces fit in ctx-size",
                c.input_tokens + pieces as u64 <= n_ctx,
                &format!("input_tokens {} + pieces {} > ctx-size {}", c.input_tokens, pieces, n_ctx),
            );
        }
    }
    checks.ok("fini_single", ctx.fini_single());
    if !greedy(options) || checks.ok("set_input(0) again", nn::set_prompt(&mut ctx, prompt)).is_none() {
        return;
    }
    let r = ctx.compute();
    checks.check(
        "compute after the stream: success or ContextFull",
        matches!(nn::result_code(&r), 0 | 101),
        &format!("code {}", nn::result_code(&r)),
    );
    let text = nn::get_text(&ctx, 0).unwrap_or_default();
    checks.check(
        "compute's text begins with the streamed text",
        !streamed.is_empty() && text.starts_with(&streamed),
        &format!("streamed {}, computed {}", quoted(&streamed), quoted(&text)),
    );
}

/// Streams to the end (run_stream), prints what came and checks that pieces came and that the
/// stream ended with EndOfSequence (100) or ContextFull (101).
pub fn stream_to_end(checks: &mut Checks, ctx: &mut GraphExecutionContext) -> (String, usize, i32) {
    let (streamed, pieces, end) = run_stream(ctx);
    println!("[stream] {} pieces, ended with code {}: {}", pieces, end, quoted(&streamed));
    checks.check("stream: at least one piece", pieces > 0, "no piece");
    checks.check(
        "stream: ends with EndOfSequence (100) or ContextFull (101)",
        end == 100 || end == 101,
        &format!("ended with code {} after {} pieces", end, pieces),
    );
    (streamed, pieces, end)
}

/// Runs compute_single to the end; returns the text, the number of pieces and the final code.
fn run_stream(ctx: &mut GraphExecutionContext) -> (String, usize, i32) {
    let mut text = String::new();
    for step in 0..MAX_STEPS {
        if let Err(e) = ctx.compute_single() {
            return (text, step, nn::code(&e));
        }
        match nn::get_piece(ctx) {
            Ok(piece) => text.push_str(&piece),
            Err(e) => return (text, step, nn::code(&e)),
        }
    }
    (text, MAX_STEPS, 0)
}
