//! `llava-base64 MODEL IMAGE MMPROJ PROMPT [OPTIONS]`, as WasmEdge's llava-base64-stream
//! example: the image travels inside the prompt as <img src="data:image/...;base64,...">
//! (read here through WASI and encoded by the guest; the example hard-codes the base64), the
//! load config names only the projector, and the reply is streamed with compute_single.
//!
//! `llava-errors MODEL MMPROJ IMAGE OUTSIDE [OPTIONS]`: the codes a guest sees for image paths
//! and inline tags it may not use, then a good image on the same context.

use crate::chat::{greedy, stream_to_end};
use crate::media::{self, Format, PLACEHOLDER};
use crate::nn::{self, quoted, Checks};
use crate::vision::reply_on_new_context;
use serde_json::{json, Value};
use wasmedge_wasi_nn::{Graph, GraphExecutionContext};

/// Checks: the stream gives pieces and ends with EndOfSequence (100) or ContextFull (101);
/// compute() of the same prompt on a new context gives the streamed text, plus the token that
/// no longer fit when both ended with ContextFull (a stream does not hand that one out, as in
/// WasmEdge; with "n-predict", compute stops there and a stream does not, so one text need only
/// begin with the other); and the same file named by path ("image" in input 1, "<image>" in
/// the prompt) gives exactly compute's greedy text.
/// The path is the guest's IMAGE as is, so the host must grant its folder to both the guest
/// (--dir) and the plugin (--nn-dir), at the same path.
pub fn base64_stream(checks: &mut Checks, model: &str, image: &str, mmproj: &str, prompt: &str, options: &Value) {
    let bytes = match std::fs::read(image) {
        Ok(b) => b,
        Err(e) => {
            checks.check("read the image through WASI", false, &format!("{}: {}", image, e));
            return;
        }
    };
    let inline = Format::Llava.first(&media::image_tag(image, &bytes), prompt);
    let opts = media::load_options(options, mmproj, None);
    let (graph, mut ctx) = match nn::open(checks, model, &opts) {
        Some(x) => x,
        None => return,
    };
    if checks.ok("set_input(0) prompt with an inline image", Format::Llava.set_prompt(&mut ctx, &inline)).is_none() {
        return;
    }
    let (streamed, _pieces, end) = stream_to_end(checks, &mut ctx);
    checks.ok("fini_single", ctx.fini_single());
    if !greedy(&opts) {
        return;
    }
    let computed = reply_on_new_context(checks, &graph, "compute, inline image", None, &inline).unwrap_or_default();
    let agree = if opts.get("n-predict").is_some() {
        computed.starts_with(&streamed) || streamed.starts_with(&computed)
    } else if end == 101 {
        computed.starts_with(&streamed) && computed.len() > streamed.len()
    } else {
        computed == streamed
    };
    checks.check(
        "compute agrees with the stream (equal text at EOS, one more token at ContextFull)",
        !streamed.is_empty() && agree,
        &format!("streamed {}, computed {}", quoted(&streamed), quoted(&computed)),
    );
    let by_path = Format::Llava.first(PLACEHOLDER, prompt);
    let from_file = reply_on_new_context(checks, &graph, "compute, image by path", Some(image), &by_path);
    checks.check(
        "the image by path and inline give the same greedy text",
        from_file.as_deref() == Some(computed.as_str()),
        &format!("inline {}, by path {:?}", quoted(&computed), from_file),
    );
}

/// Checks, each on a new context of one graph loaded with MMPROJ: an "image" path outside the
/// host's grants (OUTSIDE) and one with a ".." component are refused at compute with
/// InvalidArgument (1, this backend's answer for a path outside the grants), a missing file
/// in IMAGE's granted folder with ModelNotFound (103); an <img> tag whose data is not base64,
/// and one that is not closed, with InvalidArgument (1). Then the last context, given IMAGE,
/// computes: a refused image leaves the context usable.
pub fn errors(checks: &mut Checks, model: &str, mmproj: &str, image: &str, outside: &str, options: &Value) {
    let opts = media::load_options(options, mmproj, None);
    let (graph, _ctx) = match nn::open(checks, model, &opts) {
        Some(x) => x,
        None => return,
    };
    let folder = media::folder_of(image);
    let placed = Format::Llava.first(PLACEHOLDER, "Describe the image.");
    let paths = [
        ("an image path outside the grants: InvalidArgument (1)", outside.to_string(), 1),
        ("an image path with a '..' component: InvalidArgument (1)", media::through_parent(image), 1),
        ("an image path in a granted folder naming no file: ModelNotFound (103)", format!("{}no-such-image.bmp", folder), 103),
    ];
    for (name, path, want) in paths.iter() {
        if let Some(mut ctx) = context_with(checks, &graph, Some(path)) {
            refused(checks, name, &mut ctx, &placed, *want);
        }
    }
    let tags = [
        ("an <img> tag whose data is not base64: InvalidArgument (1)", "<img src=\"data:image/bmp;base64,@@@@\">"),
        ("an <img> tag that is not closed: InvalidArgument (1)", "<img src=\"data:image/bmp;base64,Qk0="),
    ];
    let mut last = None;
    for (name, tag) in tags.iter() {
        if let Some(mut ctx) = context_with(checks, &graph, None) {
            refused(checks, name, &mut ctx, &Format::Llava.first(tag, "Describe the image."), 1);
            last = Some(ctx);
        }
    }
    if let Some(mut ctx) = last {
        let settings = json!({ "image": image }).to_string();
        let r = nn::set_metadata(&mut ctx, &settings)
            .and_then(|_| nn::set_prompt(&mut ctx, &placed))
            .and_then(|_| ctx.compute());
        checks.code("after a refused image, the same context computes with a good one", &r, 0);
    }
}

fn context_with(checks: &mut Checks, graph: &Graph, image: Option<&String>) -> Option<GraphExecutionContext> {
    let mut ctx = checks.ok("init_execution_context", graph.init_execution_context())?;
    if let Some(path) = image {
        let settings = json!({ "image": path }).to_string();
        checks.ok("set_input(1) image (read at compute)", nn::set_metadata(&mut ctx, &settings))?;
    }
    Some(ctx)
}

fn refused(checks: &mut Checks, name: &str, ctx: &mut GraphExecutionContext, prompt: &str, want: i32) {
    if checks.ok("set_input(0)", nn::set_prompt(ctx, prompt)).is_some() {
        checks.code(name, &ctx.compute(), want);
    }
}
