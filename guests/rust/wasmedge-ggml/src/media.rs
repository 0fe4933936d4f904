//! What WasmEdge's vision examples (wasmedge-ggml/llava, llava-base64-stream, qwen2vl, gemma-3)
//! put in front of the GGML plugin: the projector and the image as paths in the load config
//! ("mmproj", "image"), a placeholder where the image goes in the prompt ("<image>"), the chat
//! format each example hard-codes, and llava-base64-stream's inline
//! <img src="data:image/...;base64,..."> tag. The image is read by the plugin from the host's
//! files, not through the guest; only the inline tag carries the bytes in the prompt.

use crate::nn;
use serde_json::{json, Value};
use wasmedge_wasi_nn::{Error, GraphExecutionContext};

/// The placeholder the examples write where the image goes.
pub const PLACEHOLDER: &str = "<image>";

/// The chat formats of the examples; each subcommand is named after its example.
#[derive(Clone, Copy)]
pub enum Format {
    Llava,
    Qwen2vl,
    Gemma3,
}

impl Format {
    pub fn from_command(cmd: &str) -> Option<Format> {
        match cmd {
            "llava" => Some(Format::Llava),
            "qwen2vl" => Some(Format::Qwen2vl),
            "gemma-3" => Some(Format::Gemma3),
            _ => None,
        }
    }

    /// Sets the prompt as the example does: [1] as the dimensions (llava, gemma-3), or the
    /// prompt's length (qwen2vl).
    pub fn set_prompt(self, ctx: &mut GraphExecutionContext, prompt: &str) -> Result<(), Error> {
        match self {
            Format::Qwen2vl => nn::set_prompt(ctx, prompt),
            _ => nn::set_prompt_dims_one(ctx, prompt),
        }
    }

    /// The first user turn, with the image (a placeholder or an inline tag) before the question.
    pub fn first(self, image: &str, question: &str) -> String {
        match self {
            // "<system_prompt>\nUSER:<image_embeddings>\n<textual_prompt>\nASSISTANT:"
            Format::Llava => format!("{}\nUSER:{}\n{}\nASSISTANT:", LLAVA_SYSTEM, image, question),
            Format::Qwen2vl => format!(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n\
                 <|vision_start|>{}<|vision_end|>{}<|im_end|>\n<|im_start|>assistant\n",
                image, question
            ),
            Format::Gemma3 => format!(
                "<start_of_turn>user\n<start_of_image>{}<end_of_image>{}<end_of_turn>\n<start_of_turn>model\n",
                image, question
            ),
        }
    }

    /// The conversation after the model's reply (trimmed, as the examples keep it).
    pub fn with_reply(self, saved: &str, reply: &str) -> String {
        match self {
            Format::Llava => format!("{} {}", saved, reply.trim()),
            Format::Qwen2vl => format!("{}{}<|im_end|>\n", saved, reply.trim()),
            Format::Gemma3 => format!("{}{}<end_of_turn>\n", saved, reply.trim()),
        }
    }

    /// A later user turn: text only; the image stays where the first turn put it.
    pub fn next(self, saved: &str, question: &str) -> String {
        match self {
            Format::Llava => format!("{}\nUSER: {}\nASSISTANT:", saved, question),
            Format::Qwen2vl => format!("{}<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n", saved, question),
            Format::Gemma3 => format!("{}<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n", saved, question),
        }
    }
}

const LLAVA_SYSTEM: &str =
    "You are a helpful, respectful and honest assistant. Always answer as short as possible, while being safe.";

/// The load config of the examples: their fixed keys (enable-log false, n-gpu-layers 0, a
/// ctx-size), then the subcommand's OPTIONS over them, then "mmproj" (and "image" when given).
pub fn load_options(options: &Value, mmproj: &str, image: Option<&str>) -> Value {
    let mut opts = json!({"enable-log": false, "n-gpu-layers": 0, "ctx-size": 2048});
    if let (Some(o), Some(given)) = (opts.as_object_mut(), options.as_object()) {
        for (k, v) in given {
            o.insert(k.clone(), v.clone());
        }
    }
    opts["mmproj"] = Value::from(mmproj);
    if let Some(path) = image {
        opts["image"] = Value::from(path);
    }
    opts
}

/// llava-base64-stream's inline image: <img src="data:image/TYPE;base64,DATA">, the type taken
/// from the file name's extension.
pub fn image_tag(path: &str, bytes: &[u8]) -> String {
    format!("<img src=\"data:image/{};base64,{}\">", mime_subtype(path), base64(bytes))
}

fn mime_subtype(path: &str) -> &'static str {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "png",
        "jpg" | "jpeg" => "jpeg",
        "gif" => "gif",
        "webp" => "webp",
        _ => "bmp",
    }
}

/// Standard base64 (RFC 4648, with '=' padding): a few lines instead of a crate.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity((bytes.len() + 2) / 3 * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((v >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The folder part of `path` ("" for a bare name), to name a missing file beside it.
pub fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i + 1])
}

/// The same file named through its folder's parent ("/m/../m/x.bmp" for "/m/x.bmp"): a path
/// that stays inside the folder but has a ".." component.
pub fn through_parent(path: &str) -> String {
    let folder = folder_of(path).trim_end_matches('/');
    let name = &path[folder_of(path).len()..];
    let last = folder.rsplit('/').next().unwrap_or("");
    format!("{}/../{}/{}", folder, last, name)
}
