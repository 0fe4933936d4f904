//! Checks of output index 1, the metadata WasmEdge's GGML plugin returns: one flat JSON object
//! {"input_tokens": N, "output_tokens": N, "llama_build_number": N, "llama_commit": "..."},
//! readable at any time after init_execution_context. input_tokens is set by set_input (the
//! prompt's token count), output_tokens by compute (tokens generated, the EOS token included).

use crate::nn::Checks;
use serde_json::Value;

/// Token counts read from output 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Counts {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Checks the fields WasmEdge always writes, at top level, and returns the token counts.
/// `stage` names the moment ("after set_input", "after compute") in the check names.
pub fn check_fields(checks: &mut Checks, stage: &str, meta: &Result<Value, String>) -> Option<Counts> {
    let meta = match meta {
        Ok(v) => v,
        Err(why) => {
            checks.check(&format!("metadata {}: JSON object", stage), false, why);
            return None;
        }
    };
    checks.check(&format!("metadata {}: JSON object", stage), meta.is_object(), &meta.to_string());
    let input = meta.get("input_tokens").and_then(Value::as_u64);
    let output = meta.get("output_tokens").and_then(Value::as_u64);
    checks.check(
        &format!("metadata {}: input_tokens is an integer", stage),
        input.is_some(),
        &meta.to_string(),
    );
    checks.check(
        &format!("metadata {}: output_tokens is an integer", stage),
        output.is_some(),
        &meta.to_string(),
    );
    checks.check(
        &format!("metadata {}: llama_build_number is a top-level integer", stage),
        meta.get("llama_build_number").map_or(false, Value::is_u64),
        &meta.to_string(),
    );
    checks.check(
        &format!("metadata {}: llama_commit is a top-level string", stage),
        meta.get("llama_commit").map_or(false, Value::is_string),
        &meta.to_string(),
    );
    match (input, output) {
        (Some(i), Some(o)) => Some(Counts { input_tokens: i, output_tokens: o }),
        _ => None,
    }
}

/// The token counts of output 1 without judging its other fields (for subcommands that test
/// something else): None when output 1 is unavailable or lacks them.
pub fn counts(meta: &Result<Value, String>) -> Option<Counts> {
    let meta = meta.as_ref().ok()?;
    Some(Counts {
        input_tokens: meta.get("input_tokens").and_then(Value::as_u64)?,
        output_tokens: meta.get("output_tokens").and_then(Value::as_u64)?,
    })
}

/// Prints the metadata on one line, tagged, for the test log.
pub fn print(tag: &str, meta: &Result<Value, String>) {
    match meta {
        Ok(v) => println!("[{}] {}", tag, v),
        Err(why) => println!("[{}] unavailable: {}", tag, why),
    }
}
