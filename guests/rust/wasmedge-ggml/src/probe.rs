//! `probe MODEL OPTIONS...`: loads MODEL once per OPTIONS object and prints the code each load
//! answers (`[probe] CODE OPTIONS`), unloading every graph that loaded. No checks: a tool to
//! survey which WasmEdge metadata keys a backend accepts (docs/COMPATIBILITY.md).

use crate::nn;
use serde_json::Value;

pub fn probe(model: &str, options: &[String]) -> i32 {
    for text in options {
        let opts: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("wasmedge-ggml: probe: not JSON ({}): {}", e, text);
                return 2;
            }
        };
        match nn::load(model, &opts) {
            Ok(graph) => {
                println!("[probe] 0 {}", opts);
                let _ = graph.unload();
            }
            Err(e) => println!("[probe] {} {}", nn::code(&e), opts),
        }
    }
    0
}
