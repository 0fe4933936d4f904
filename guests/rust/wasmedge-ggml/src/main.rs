//! wasmedge-ggml.wasm: a WASI-NN guest written the way guests for WasmEdge's GGML plugin are
//! (its wasmedge-ggml examples, LlamaEdge), with the wasmedge-wasi-nn crate. Each subcommand
//! exercises one part of that API and checks the answers against WasmEdge's behaviour, one line
//! per check ("ok NAME" / "FAIL NAME: what was seen"), then a summary line.
//!
//!   wasmedge-ggml.wasm generate    MODEL PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm raw         MODEL PROMPT [OPTIONS]   (output 0 only, no checks)
//!   wasmedge-ggml.wasm chat        MODEL OPTIONS TURN [TURN...]
//!   wasmedge-ggml.wasm stream      MODEL PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm grammar     MODEL PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm json-schema MODEL PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm embed       MODEL OPTIONS TEXT [TEXT]
//!   wasmedge-ggml.wasm unload      MODEL PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm load-twice  MODEL [OPTIONS]
//!   wasmedge-ggml.wasm errors      MODEL OPTIONS
//!   wasmedge-ggml.wasm metadata-errors MODEL [OPTIONS]
//!   wasmedge-ggml.wasm context-full MODEL OPTIONS
//!   wasmedge-ggml.wasm load-unknown MODEL
//!   wasmedge-ggml.wasm load-missing MODEL
//!   wasmedge-ggml.wasm load-bytes  PATH
//!   wasmedge-ggml.wasm probe       MODEL OPTIONS...        (prints each load's code, no checks)
//!   wasmedge-ggml.wasm llava       MODEL IMAGE MMPROJ OTHER_IMAGE PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm qwen2vl     MODEL IMAGE MMPROJ OTHER_IMAGE PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm gemma-3     MODEL IMAGE MMPROJ OTHER_IMAGE PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm llava-base64 MODEL IMAGE MMPROJ PROMPT [OPTIONS]
//!   wasmedge-ggml.wasm llava-errors MODEL MMPROJ IMAGE OUTSIDE [OPTIONS]
//!
//! MODEL is a preloaded name (WasmEdge: --nn-preload NAME:GGML:AUTO:file.gguf). OPTIONS is the
//! JSON load config in WasmEdge's keys, e.g. '{"ctx-size": 512, "n-predict": 8, "temp": 0}'.
//! IMAGE, MMPROJ, OTHER_IMAGE are paths the backend opens on the host (WasmEdge's "image" and
//! "mmproj"; wasi-nn-run: --nn-dir or --nn-preload grants them); llava-base64 also reads IMAGE
//! itself, through WASI (--dir).
//! Exit status: 0 when every check passed, 1 when one failed, 2 on a usage error.

mod chat;
mod embed;
mod errors;
mod generate;
mod media;
mod meta;
mod nn;
mod probe;
mod vision;
mod vision_stream;

use serde_json::Value;

const USAGE: &str = "usage: wasmedge-ggml.wasm SUBCOMMAND MODEL ARGS... (subcommands: see the source's header)";

fn usage() -> i32 {
    eprintln!("{}", USAGE);
    2
}

/// Parses an OPTIONS argument (absent: an empty object).
fn options(arg: Option<&String>) -> Result<Value, String> {
    match arg {
        None => Ok(Value::Object(Default::default())),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(v) if v.is_object() => Ok(v),
            Ok(_) => Err(format!("OPTIONS must be a JSON object: {}", text)),
            Err(e) => Err(format!("OPTIONS is not JSON ({}): {}", e, text)),
        },
    }
}

/// The vision subcommands (their arguments come before OPTIONS); None for another subcommand.
fn run_vision(cmd: &str, model: &str, rest: &[String]) -> Option<i32> {
    let fixed = match cmd {
        "llava" | "qwen2vl" | "gemma-3" => 4,
        "llava-base64" | "llava-errors" => 3,
        _ => return None,
    };
    if rest.len() < fixed {
        return Some(usage());
    }
    let opts = match options(rest.get(fixed)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("wasmedge-ggml: {}", e);
            return Some(2);
        }
    };
    let mut checks = nn::Checks::new();
    let r = rest;
    match media::Format::from_command(cmd) {
        Some(format) => {
            let a = vision::VisionArgs { model, image: &r[0], mmproj: &r[1], other_image: &r[2], prompt: &r[3] };
            vision::two_turns(&mut checks, format, &a, &opts);
        }
        None if cmd == "llava-base64" => vision_stream::base64_stream(&mut checks, model, &r[0], &r[1], &r[2], &opts),
        None => vision_stream::errors(&mut checks, model, &r[0], &r[1], &r[2], &opts),
    }
    Some(checks.finish(cmd))
}

fn run(args: &[String]) -> i32 {
    if args.len() < 3 {
        return usage();
    }
    let (cmd, model) = (args[1].as_str(), args[2].as_str());
    let rest = &args[3..];
    if let Some(status) = run_vision(cmd, model, rest) {
        return status;
    }
    let mut checks = nn::Checks::new();
    // Subcommands with PROMPT [OPTIONS], then those with OPTIONS first.
    let prompt_first = ["generate", "raw", "stream", "grammar", "json-schema", "unload"];
    if prompt_first.contains(&cmd) {
        if rest.is_empty() {
            return usage();
        }
        let opts = match options(rest.get(1)) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("wasmedge-ggml: {}", e);
                return 2;
            }
        };
        let prompt = &rest[0];
        match cmd {
            "generate" => {
                generate::generate(&mut checks, model, prompt, &opts);
            }
            "raw" => return generate::raw(model, prompt, &opts),
            "stream" => chat::stream(&mut checks, model, prompt, &opts),
            "grammar" => generate::grammar(&mut checks, model, prompt, &opts),
            "json-schema" => generate::json_schema(&mut checks, model, prompt, &opts),
            _ => generate::unload(&mut checks, model, prompt, &opts),
        }
        return checks.finish(cmd);
    }
    match cmd {
        "probe" => return probe::probe(model, rest),
        "load-missing" => errors::load_missing(&mut checks, model),
        "load-unknown" => errors::load_unknown(&mut checks, model),
        "load-bytes" => errors::load_bytes(&mut checks, model),
        "chat" | "embed" | "errors" | "metadata-errors" | "context-full" | "load-twice" => {
            let opts = match options(rest.get(0)) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("wasmedge-ggml: {}", e);
                    return 2;
                }
            };
            let texts = if rest.len() > 1 { &rest[1..] } else { &rest[0..0] };
            match cmd {
                "chat" if !texts.is_empty() => chat::chat(&mut checks, model, &opts, texts),
                "embed" if !texts.is_empty() => embed::embed(&mut checks, model, &opts, texts),
                "errors" => errors::errors(&mut checks, model, &opts),
                "metadata-errors" => errors::metadata_errors(&mut checks, model, &opts),
                "context-full" => errors::context_full(&mut checks, model, &opts),
                "load-twice" => generate::load_twice(&mut checks, model, &opts),
                _ => return usage(),
            }
        }
        _ => return usage(),
    }
    checks.finish(cmd)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    std::process::exit(run(&args));
}
