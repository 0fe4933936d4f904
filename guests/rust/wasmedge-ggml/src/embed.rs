//! Embeddings the way WasmEdge's embedding example and LlamaEdge request them: {"embedding":
//! true} in the load config; compute on a text; output 0 is {"n_embedding": N, "embedding":
//! [N floats]}, normalised with the Euclidean norm by default (embd-normalize 2).

use crate::meta;
use crate::nn::{self, Checks};
use serde_json::Value;
use wasmedge_wasi_nn::GraphExecutionContext;

/// `embed MODEL OPTIONS TEXT...`: one embedding per text, on one execution context.
pub fn embed(checks: &mut Checks, model: &str, options: &Value, texts: &[String]) {
    let mut opts = options.clone();
    opts["embedding"] = Value::Bool(true);
    let (_graph, mut ctx) = match nn::open(checks, model, &opts) {
        Some(x) => x,
        None => return,
    };
    let mut vectors: Vec<Vec<f64>> = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        if let Some(v) = one(checks, &mut ctx, i, text) {
            vectors.push(v);
        }
    }
    if vectors.len() == 2 && texts[0] != texts[1] {
        checks.check("two different texts give different embeddings", vectors[0] != vectors[1], "identical vectors");
    }
}

fn one(checks: &mut Checks, ctx: &mut GraphExecutionContext, i: usize, text: &str) -> Option<Vec<f64>> {
    let name = |what: &str| format!("text {}: {}", i, what);
    checks.ok(&name("set_input"), nn::set_prompt(ctx, text))?;
    checks.ok(&name("compute"), ctx.compute())?;
    let raw = checks.ok(&name("get_output(0)"), nn::get_text(ctx, 0))?;
    let parsed: Result<Value, _> = serde_json::from_str(&raw);
    let doc = match parsed {
        Ok(v) => v,
        Err(e) => {
            let head: String = raw.chars().take(120).collect();
            checks.check(&name("output 0 is JSON"), false, &format!("{}: {}", e, head));
            return None;
        }
    };
    let n = doc.get("n_embedding").and_then(Value::as_u64);
    let values: Vec<f64> = doc
        .get("embedding")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let norm = values.iter().map(|x| x * x).sum::<f64>().sqrt();
    println!("[embedding {}] n_embedding={:?} values={} norm={:.6} first={:?}", i, n, values.len(), norm, values.first());
    checks.check(&name("n_embedding is an integer > 0"), n.map_or(false, |n| n > 0), &format!("{:?}", n));
    checks.check(
        &name("embedding holds n_embedding numbers"),
        n == Some(values.len() as u64),
        &format!("n_embedding {:?}, {} numbers", n, values.len()),
    );
    checks.check(&name("embedding has Euclidean norm 1"), (norm - 1.0).abs() < 1e-3, &format!("norm {}", norm));
    let after = nn::metadata(ctx);
    meta::print(&format!("metadata after embedding {}", i), &after);
    let c = meta::counts(&after);
    checks.check(&name("output 1 holds input_tokens > 0"), c.map_or(false, |c| c.input_tokens > 0), &format!("{:?}", c));
    Some(values)
}
