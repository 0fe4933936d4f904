//! One-shot generation, as WasmEdge's llama, grammar, json-schema and test/unload examples do:
//! load_by_name_with_config, set_input, read output 1, compute, read outputs 0 and 1.

use crate::meta::{self, Counts};
use crate::nn::{self, quoted, Checks};
use serde_json::Value;

/// `generate MODEL PROMPT [OPTIONS]`: one compute; checks output 1 right after set_input and
/// after compute, and that setting the same input twice keeps input_tokens (WasmEdge's
/// test/set-input-twice). Prints the text as `[output] "..."`.
pub fn generate(checks: &mut Checks, model: &str, prompt: &str, options: &Value) -> Option<String> {
    let (_graph, mut ctx) = nn::open(checks, model, options)?;
    checks.ok("set_input(0) prompt", nn::set_prompt(&mut ctx, prompt))?;

    let before = nn::metadata(&ctx);
    meta::print("metadata after set_input", &before);
    let counts_in = meta::check_fields(checks, "after set_input", &before);
    if let Some(c) = counts_in {
        checks.check("input_tokens > 0 after set_input", c.input_tokens > 0, &format!("{:?}", c));
        checks.check(
            "output_tokens == 0 after set_input on a new context",
            c.output_tokens == 0,
            &format!("{:?}", c),
        );
    }

    checks.ok("compute", ctx.compute())?;
    let text = checks.ok("get_output(0)", nn::get_text(&ctx, 0))?;
    println!("[output] {}", quoted(&text));
    checks.check("output 0 is not empty", !text.is_empty(), "empty output");

    let after = nn::metadata(&ctx);
    meta::print("metadata after compute", &after);
    if let Some(c) = meta::check_fields(checks, "after compute", &after) {
        check_after_compute(checks, counts_in, c, options);
    }

    // WasmEdge's test/set-input-twice: the count depends on the prompt only.
    if checks.ok("set_input(0) again", nn::set_prompt(&mut ctx, prompt)).is_some() {
        let again = nn::metadata(&ctx).ok();
        let n = again.as_ref().and_then(|m| m.get("input_tokens")).and_then(Value::as_u64);
        let first = counts_in.map(|c| c.input_tokens);
        checks.check(
            "input_tokens unchanged when the same prompt is set twice",
            n.is_some() && n == first,
            &format!("first {:?}, second {:?}", first, n),
        );
    }
    Some(text)
}

fn check_after_compute(checks: &mut Checks, before: Option<Counts>, c: Counts, options: &Value) {
    checks.check("output_tokens > 0 after compute", c.output_tokens > 0, &format!("{:?}", c));
    if let Some(b) = before {
        checks.check(
            "input_tokens after compute == after set_input",
            b.input_tokens == c.input_tokens,
            &format!("{} vs {}", b.input_tokens, c.input_tokens),
        );
    }
    let ignore_eos = options.get("ignore-eos").and_then(Value::as_bool) == Some(true);
    if let (true, Some(n)) = (ignore_eos, options.get("n-predict").and_then(Value::as_u64)) {
        checks.check(
            "output_tokens == n-predict with ignore-eos",
            c.output_tokens == n,
            &format!("output_tokens {}, n-predict {}", c.output_tokens, n),
        );
    }
}

/// Load, one compute, output 0, without judging the metadata (for the subcommands that test
/// something else). Prints the text as `[output] "..."`.
pub fn complete(checks: &mut Checks, model: &str, prompt: &str, options: &Value) -> Option<String> {
    let (_graph, mut ctx) = nn::open(checks, model, options)?;
    checks.ok("set_input(0) prompt", nn::set_prompt(&mut ctx, prompt))?;
    checks.ok("compute", ctx.compute())?;
    let text = checks.ok("get_output(0)", nn::get_text(&ctx, 0))?;
    println!("[output] {}", quoted(&text));
    Some(text)
}

/// `raw MODEL PROMPT [OPTIONS]`: prints output 0 alone, byte for byte (to compare with another
/// generator), and nothing else on stdout.
pub fn raw(model: &str, prompt: &str, options: &Value) -> i32 {
    let graph = nn::load(model, options);
    let mut ctx = match graph.and_then(|g| g.init_execution_context()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("wasmedge-ggml: load/init failed: {}", nn::describe(&e));
            return 1;
        }
    };
    let r = nn::set_prompt(&mut ctx, prompt).and_then(|_| ctx.compute()).and_then(|_| nn::get_text(&ctx, 0));
    match r {
        Ok(text) => {
            print!("{}", text);
            0
        }
        Err(e) => {
            eprintln!("wasmedge-ggml: generation failed: {}", nn::describe(&e));
            1
        }
    }
}

/// Splits a trailing end-of-generation token's text ("<|im_end|>", "</s>", ...) off `text`:
/// WasmEdge's compute appends the EOS token's piece to output 0 before it stops.
pub fn split_eog(text: &str) -> (&str, &str) {
    let t = text.trim_end();
    if t.ends_with('>') {
        if let Some(start) = t.rfind('<') {
            let tail = &t[start..];
            if !tail.contains(char::is_whitespace) && tail.len() > 2 {
                return (&t[..start], tail);
            }
        }
    }
    (t, "")
}

/// `grammar MODEL PROMPT [OPTIONS]`: a GBNF grammar in the load config ("grammar") limits the
/// reply to "yes" or "no".
pub fn grammar(checks: &mut Checks, model: &str, prompt: &str, options: &Value) {
    let mut opts = options.clone();
    opts["grammar"] = Value::String("root ::= \"yes\" | \"no\"".to_string());
    if let Some(text) = complete(checks, model, prompt, &opts) {
        let (body, eog) = split_eog(&text);
        println!("[grammar] reply {} end {}", quoted(body), quoted(eog));
        checks.check("grammar: reply is yes or no", body == "yes" || body == "no", &quoted(&text));
    }
}

/// The schema of the json-schema subcommand: one required integer, nothing else, so even a
/// model with random weights completes it in a few tokens.
pub const SCHEMA: &str = r#"{"type": "object", "properties": {"answer": {"type": "integer"}}, "required": ["answer"], "additionalProperties": false}"#;

/// `json-schema MODEL PROMPT [OPTIONS]`: a JSON schema (as a string, like WasmEdge's
/// json-schema example) in the load config; the reply must parse and match it.
pub fn json_schema(checks: &mut Checks, model: &str, prompt: &str, options: &Value) {
    let mut opts = options.clone();
    opts["json-schema"] = Value::String(SCHEMA.to_string());
    if let Some(text) = complete(checks, model, prompt, &opts) {
        let (body, _) = split_eog(&text);
        let parsed: Result<Value, _> = serde_json::from_str(body);
        let ok = match &parsed {
            Ok(v) => v.get("answer").map_or(false, Value::is_i64) && v.as_object().map_or(0, |o| o.len()) == 1,
            Err(_) => false,
        };
        checks.check("json-schema: reply is {\"answer\": <integer>}", ok, &quoted(&text));
    }
}

/// `unload MODEL PROMPT [OPTIONS]`: WasmEdge's test/unload: load, generate and unload three
/// times; each round must work after the previous unload.
pub fn unload(checks: &mut Checks, model: &str, prompt: &str, options: &Value) {
    for round in 0..3 {
        let name = |what: &str| format!("round {}: {}", round, what);
        let graph = match checks.ok(&name("load"), nn::load(model, options)) {
            Some(g) => g,
            None => return,
        };
        println!("[unload] round {} loaded {}", round, graph);
        if let Some(mut ctx) = checks.ok(&name("init_execution_context"), graph.init_execution_context()) {
            if checks.ok(&name("set_input"), nn::set_prompt(&mut ctx, prompt)).is_some()
                && checks.ok(&name("compute"), ctx.compute()).is_some()
            {
                let text = nn::get_text(&ctx, 0).unwrap_or_default();
                checks.check(&name("output is not empty"), !text.is_empty(), "empty output");
            }
        }
        checks.ok(&name("unload"), graph.unload());
    }
}

/// `load-twice MODEL [OPTIONS]`: WasmEdge caches graphs by name: a second
/// load_by_name(_with_config) of a loaded name returns the same graph (its config ignored).
pub fn load_twice(checks: &mut Checks, model: &str, options: &Value) {
    let first = nn::load(model, options);
    let second = nn::load(model, options);
    if let (Ok(a), Ok(b)) = (&first, &second) {
        checks.check(
            "a second load of the same name returns the same graph",
            a.to_string() == b.to_string(),
            &format!("{} then {}", a, b),
        );
    } else {
        checks.check("two loads of the same name", false, "a load failed");
    }
}
