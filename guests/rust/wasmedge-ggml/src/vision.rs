//! `llava` / `qwen2vl` / `gemma-3 MODEL IMAGE MMPROJ OTHER_IMAGE PROMPT [OPTIONS]`: a two-turn
//! chat about one image, the way WasmEdge's llava, qwen2vl and gemma-3 examples hold it. The
//! load config names the projector and the image ("mmproj", "image": paths the plugin opens on
//! the host); the first turn puts "<image>" in the example's chat format; every turn resends the
//! whole conversation, the placeholder included, so each compute reads the image again.
//!
//! Checks: both turns answer; the second turn's input_tokens grows; a new context given the
//! second turn's prompt gives the same greedy reply (nothing is kept between computes), and one
//! told to use OTHER_IMAGE instead (set_input(1) {"image": OTHER_IMAGE}, which WasmEdge's
//! metadata also accepts) gives a different one: the second turn still looks at the image.

use crate::chat::greedy;
use crate::media::{self, Format, PLACEHOLDER};
use crate::meta;
use crate::nn::{self, quoted, Checks};
use serde_json::{json, Value};
use wasmedge_wasi_nn::{Graph, GraphExecutionContext};

/// The second turn's question: about the same image, which it does not send again.
pub const SECOND_QUESTION: &str = "What else do you see in the same picture?";

pub struct VisionArgs<'a> {
    pub model: &'a str,
    pub image: &'a str,
    pub mmproj: &'a str,
    pub other_image: &'a str,
    pub prompt: &'a str,
}

pub fn two_turns(checks: &mut Checks, format: Format, a: &VisionArgs, options: &Value) {
    let opts = media::load_options(options, a.mmproj, Some(a.image));
    let (graph, mut ctx) = match nn::open(checks, a.model, &opts) {
        Some(x) => x,
        None => return,
    };
    let first = format.first(PLACEHOLDER, a.prompt);
    let (reply0, tokens0) = match turn(checks, format, &mut ctx, 0, &first) {
        Some(r) => r,
        None => return,
    };
    let second = format.next(&format.with_reply(&first, &reply0), SECOND_QUESTION);
    let (reply1, tokens1) = match turn(checks, format, &mut ctx, 1, &second) {
        Some(r) => r,
        None => return,
    };
    checks.check(
        "turn 1: input_tokens grows with the resent conversation",
        tokens1 > tokens0,
        &format!("{} after {}", tokens1, tokens0),
    );
    if !greedy(&opts) {
        return;
    }
    let same = reply_on_new_context(checks, &graph, "the same image", None, &second);
    checks.check(
        "turn 1: a new context with the same image gives the same greedy reply",
        same.as_deref() == Some(reply1.as_str()),
        &format!("chat context {}, new context {:?}", quoted(&reply1), same),
    );
    let other = reply_on_new_context(checks, &graph, "another image", Some(a.other_image), &second);
    checks.check(
        "turn 1: another image (set_input(1) \"image\") gives another greedy reply",
        other.is_some() && other.as_deref() != Some(reply1.as_str()),
        &format!("both {}", quoted(&reply1)),
    );
}

/// One turn: set_input(0), compute, output 0 and the input_tokens output 1 reports after it.
fn turn(checks: &mut Checks, format: Format, ctx: &mut GraphExecutionContext, i: usize, prompt: &str) -> Option<(String, u64)> {
    checks.ok(&format!("turn {}: set_input(0)", i), format.set_prompt(ctx, prompt))?;
    checks.ok(&format!("turn {}: compute", i), ctx.compute())?;
    let reply = checks.ok(&format!("turn {}: get_output(0)", i), nn::get_text(ctx, 0))?;
    let after = nn::metadata(ctx);
    println!("[turn {}] {} reply={}", i, after.as_ref().map_or_else(|e| e.clone(), Value::to_string), quoted(&reply));
    checks.check(&format!("turn {}: the reply is not empty", i), !reply.trim().is_empty(), &quoted(&reply));
    let counts = meta::counts(&after);
    checks.check(&format!("turn {}: output 1 holds the token counts", i), counts.is_some(), &format!("{:?}", after));
    Some((reply, counts?.input_tokens))
}

/// The greedy reply of a new context of `graph` to `prompt`, with `image` set through input 1
/// first when given (else the load config's image applies). A compute that ends in ContextFull
/// (101) keeps its text, as WasmEdge's does: that counts as a reply.
pub fn reply_on_new_context(checks: &mut Checks, graph: &Graph, what: &str, image: Option<&str>, prompt: &str) -> Option<String> {
    let mut ctx = checks.ok(&format!("{}: new context", what), graph.init_execution_context())?;
    if let Some(path) = image {
        let settings = json!({ "image": path }).to_string();
        checks.ok(&format!("{}: set_input(1) image", what), nn::set_metadata(&mut ctx, &settings))?;
    }
    checks.ok(&format!("{}: set_input(0)", what), nn::set_prompt(&mut ctx, prompt))?;
    let r = ctx.compute();
    let code = nn::result_code(&r);
    checks.check(&format!("{}: compute (success or ContextFull)", what), code == 0 || code == 101, &format!("code {}", code));
    let reply = nn::get_text(&ctx, 0).ok()?;
    println!("[{}] reply={}", what, quoted(&reply));
    Some(reply)
}
