// make-tiny-model: writes a GGUF language model with a real tokenizer and deterministic random
// weights, so tests can load, tokenize, template and generate without downloading a model.
//
// The tokenizer (every tokenizer.* key) is copied from a vocab-only GGUF such as the ones
// llama.cpp ships in models/. The hyperparameters, tensor names and shapes are the ones the
// llama.cpp loader requires for the chosen architecture (src/models/{llama,qwen2,qwen2vl,gemma3,
// phi3,bert}.cpp; bert is a tiny encoder for embedding tests: non-causal, mean pooling, no output
// head; with --pooling rank it carries a classification head and scores (query, document) pairs).
// qwen2vl and gemma3 are the text halves of vision-language pairs (make-tiny-mmproj writes the
// other half); --control-token gives a borrowed vocabulary the family's own media tokens.
// The same tool writes realistic shapes (--preset) for benchmarks: tensors are generated and
// written one block of rows at a time, so an 8B model never sits in memory.
//
// Weights depend only on (--seed, tensor name, row): the output is byte-identical across runs,
// thread counts and machines, which keeps greedy test output stable (tools/tiny_gguf.h).

#include "tiny_gguf.h"

#include "llama.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using tiny::Init;
using tiny::TensorSpec;

// ---- Chat templates -------------------------------------------------------------------------
// The default template is the real one of each family, copied verbatim from the published
// tokenizer_config.json of the named model (the same texts appear in llama.cpp's
// tests/test-chat-template.cpp and models/templates/). Short templates keep prompts predictable
// (no dates, no tool blocks) and are recognised by llama_chat_apply_template's built-in list.

// meta-llama/Meta-Llama-3-8B-Instruct
const char* kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
    "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

// Qwen/Qwen2-7B-Instruct (ChatML with a default system turn)
const char* kChatMLTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' "
    "+ message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

// Qwen/Qwen2-VL-7B-Instruct (ChatML with a default system turn; image and video parts of a
// structured message become <|vision_start|><|image_pad|><|vision_end|>)
const char* kQwen2VLTemplate =
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in "
    "messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful "
    "assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string "
    "%}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if "
    "content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = "
    "image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif "
    "%}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content "
    "%}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value "
    "}}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] "
    "}}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt "
    "%}<|im_start|>assistant\n{% endif %}";

// google/gemma-3-4b-it (a system turn is folded into the first user turn; the model speaks as
// "model"; image parts of a structured message become <start_of_image>)
const char* kGemma3Template =
    "{{ bos_token }}\n{%- if messages[0]['role'] == 'system' -%}\n    {%- if messages[0]['content'] is string "
    "-%}\n        {%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}\n    {%- else -%}\n        "
    "{%- set first_user_prefix = messages[0]['content'][0]['text'] + '\n\n' -%}\n    {%- endif -%}\n    {%- "
    "set loop_messages = messages[1:] -%}\n{%- else -%}\n    {%- set first_user_prefix = \"\" -%}\n    {%- "
    "set loop_messages = messages -%}\n{%- endif -%}\n{%- for message in loop_messages -%}\n    {%- if "
    "(message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n        {{ raise_exception(\"Conversation "
    "roles must alternate user/assistant/user/assistant/...\") }}\n    {%- endif -%}\n    {%- if "
    "(message['role'] == 'assistant') -%}\n        {%- set role = \"model\" -%}\n    {%- else -%}\n        "
    "{%- set role = message['role'] -%}\n    {%- endif -%}\n    {{ '<start_of_turn>' + role + '\n' + "
    "(first_user_prefix if loop.first else \"\") }}\n    {%- if message['content'] is string -%}\n        {{ "
    "message['content'] | trim }}\n    {%- elif message['content'] is iterable -%}\n        {%- for item in "
    "message['content'] -%}\n            {%- if item['type'] == 'image' -%}\n                {{ "
    "'<start_of_image>' }}\n            {%- elif item['type'] == 'text' -%}\n                {{ item['text'] | "
    "trim }}\n            {%- endif -%}\n        {%- endfor -%}\n    {%- else -%}\n        {{ "
    "raise_exception(\"Invalid content type\") }}\n    {%- endif -%}\n    {{ '<end_of_turn>\n' }}\n{%- endfor "
    "-%}\n{%- if add_generation_prompt -%}\n    {{'<start_of_turn>model\n'}}\n{%- endif -%}\n";

// microsoft/Phi-3.5-mini-instruct (llama.cpp models/templates/microsoft-Phi-3.5-mini-instruct.jinja)
const char* kPhi3Template =
    "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}"
    "{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}"
    "{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}"
    "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

// ---- Options ---------------------------------------------------------------------------------

enum class Arch { Llama, Qwen2, Qwen2VL, Gemma3, Phi3, Bert };

// A token of the vocabulary renamed and made a control token (--control-token ID=TEXT).
struct ControlToken {
  int64_t id;
  std::string text;
};

struct Options {
  std::string vocab, out, arch_name = "llama", preset, name;
  std::string type_name = "f16";
  std::string chat_template;  // empty: the family default
  bool chat_template_set = false;
  int64_t n_layer = 2, n_embd = 64, n_head = 4, n_head_kv = 4, n_ff = 128, ctx = 4096;
  uint64_t seed = 42;
  double spread = -1;               // < 0: 0.2 * sqrt(64 / n_embd), see spread_for()
  double rope_base = -1;            // < 0: the family default
  bool tied = true;                 // output.weight omitted, token_embd reused (as Qwen2-0.5B)
  bool rank = false;                // bert only: classification head, rank pooling (a reranker)
  std::vector<std::string> labels;  // with rank: a classifier with these output labels
  int threads = 0;                  // 0: hardware concurrency
  std::vector<ControlToken> control_tokens;
};

// Realistic shapes for benchmarks (from the published config.json of each model).
struct Preset {
  const char* name;
  const char* arch;
  int64_t n_layer, n_embd, n_head, n_head_kv, n_ff, ctx;
  double rope_base;
  bool tied;
};
const Preset kPresets[] = {
    {"llama3-1b", "llama", 16, 2048, 32, 8, 8192, 8192, 500000.0, true},    // Llama-3.2-1B
    {"llama3-8b", "llama", 32, 4096, 32, 8, 14336, 8192, 500000.0, false},  // Llama-3-8B
};

const char* kUsage =
    "usage: make-tiny-model --vocab VOCAB.gguf --out OUT.gguf [options]\n"
    "  --arch llama|qwen2|qwen2vl|gemma3|phi3|bert  architecture (default llama; bert: an\n"
    "                              embedding encoder; qwen2vl: M-RoPE; gemma3: sliding window)\n"
    "  --preset llama3-1b|llama3-8b  realistic shape (sets arch and sizes; flags after it override)\n"
    "  --n-layer N --n-embd N --n-head N --n-head-kv N --n-ff N   (default 2, 64, 4, 4, 128)\n"
    "  --ctx N                     training context length (default 4096)\n"
    "  --seed N                    weight seed (default 42)\n"
    "  --spread X                  weights uniform in [-X, X] (default 0.2 * sqrt(64 / n_embd))\n"
    "  --rope-base X               rope.freq_base (default llama 500000, qwen2/qwen2vl/gemma3 1e6,\n"
    "                              phi3 10000)\n"
    "  --type f32|f16|bf16|q8_0|q4_0  type of the 2-D weights (default f16); norms stay f32\n"
    "  --tied | --untied           share token_embd as output (default tied)\n"
    "  --pooling mean|rank         bert only: mean (an embedder, default) or rank (a reranker\n"
    "                              with a classification head that outputs one score)\n"
    "  --labels A,B,...            with --pooling rank: a classifier, one output per label\n"
    "                              (bert.classifier.output_labels)\n"
    "  --chat-template TEXT | --chat-template-file F | --no-chat-template\n"
    "  --control-token ID=TEXT     rename token ID of the vocabulary to TEXT and make it a control\n"
    "                              token (repeatable): a family's media tokens in a borrowed vocab\n"
    "  --name NAME                 general.name (default: the output file's stem)\n"
    "  --threads N                 generation threads (default: all cores)\n";

void apply_preset(Options& o, const std::string& name) {
  for (const Preset& p : kPresets) {
    if (name != p.name) continue;
    o.preset = name;
    o.arch_name = p.arch;
    o.n_layer = p.n_layer;
    o.n_embd = p.n_embd;
    o.n_head = p.n_head;
    o.n_head_kv = p.n_head_kv;
    o.n_ff = p.n_ff;
    o.ctx = p.ctx;
    o.rope_base = p.rope_base;
    o.tied = p.tied;
    return;
  }
  throw std::runtime_error("--preset: unknown preset '" + name + "' (llama3-1b, llama3-8b)");
}

bool parse_pooling(const std::string& v) {
  if (v == "mean") return false;
  if (v == "rank") return true;
  throw std::runtime_error("--pooling: unknown pooling '" + v + "' (mean, rank)");
}

ControlToken parse_control_token(const std::string& v) {
  const size_t eq = v.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
    throw std::runtime_error("--control-token: expected ID=TEXT, got '" + v + "'");
  return {tiny::parse_int("--control-token", v.substr(0, eq)), v.substr(eq + 1)};
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (tiny::ArgReader r(argc, argv, kUsage); r.next();) {
    const std::string& a = r.flag();
    if (a == "--vocab")
      o.vocab = r.value();
    else if (a == "--out")
      o.out = r.value();
    else if (a == "--arch")
      o.arch_name = r.value();
    else if (a == "--preset")
      apply_preset(o, r.value());
    else if (a == "--name")
      o.name = r.value();
    else if (a == "--type")
      o.type_name = r.value();
    else if (a == "--n-layer")
      o.n_layer = r.int_value();
    else if (a == "--n-embd")
      o.n_embd = r.int_value();
    else if (a == "--n-head")
      o.n_head = r.int_value();
    else if (a == "--n-head-kv")
      o.n_head_kv = r.int_value();
    else if (a == "--n-ff")
      o.n_ff = r.int_value();
    else if (a == "--ctx")
      o.ctx = r.int_value();
    else if (a == "--seed")
      o.seed = (uint64_t)r.int_value();
    else if (a == "--threads")
      o.threads = (int)r.int_value();
    else if (a == "--spread")
      o.spread = r.number_value();
    else if (a == "--rope-base")
      o.rope_base = r.number_value();
    else if (a == "--tied")
      o.tied = true;
    else if (a == "--untied")
      o.tied = false;
    else if (a == "--pooling")
      o.rank = parse_pooling(r.value());
    else if (a == "--labels")
      o.labels = tiny::split_commas(r.value());
    else if (a == "--chat-template") {
      o.chat_template = r.value();
      o.chat_template_set = true;
    } else if (a == "--chat-template-file") {
      o.chat_template = tiny::read_text_file(r.value());
      o.chat_template_set = true;
    } else if (a == "--no-chat-template") {
      o.chat_template.clear();
      o.chat_template_set = true;
    } else if (a == "--control-token")
      o.control_tokens.push_back(parse_control_token(r.value()));
    else
      r.unknown();
  }
  if (o.vocab.empty() || o.out.empty()) throw std::runtime_error("--vocab and --out are required (see --help)");
  if (o.n_layer < 1 || o.n_embd < 1 || o.n_head < 1 || o.n_head_kv < 1 || o.n_ff < 1 || o.ctx < 1)
    throw std::runtime_error("sizes must be at least 1");
  if (o.n_embd % o.n_head != 0) throw std::runtime_error("--n-embd must be a multiple of --n-head");
  if (o.n_head % o.n_head_kv != 0) throw std::runtime_error("--n-head must be a multiple of --n-head-kv");
  if ((o.n_embd / o.n_head) % 2 != 0) throw std::runtime_error("head size (n_embd / n_head) must be even for RoPE");
  if (o.rank && o.arch_name != "bert") throw std::runtime_error("--pooling rank needs --arch bert");
  if (!o.labels.empty() && !o.rank) throw std::runtime_error("--labels needs --pooling rank");
  return o;
}

Arch arch_from_name(const std::string& s) {
  if (s == "llama") return Arch::Llama;
  if (s == "qwen2") return Arch::Qwen2;
  if (s == "qwen2vl") return Arch::Qwen2VL;
  if (s == "gemma3") return Arch::Gemma3;
  if (s == "phi3") return Arch::Phi3;
  if (s == "bert") return Arch::Bert;
  throw std::runtime_error("--arch: unknown architecture '" + s + "' (llama, qwen2, qwen2vl, gemma3, phi3, bert)");
}

struct TypeInfo {
  const char* name;
  ggml_type type;
  llama_ftype ftype;
};
const TypeInfo kTypes[] = {
    {"f32", GGML_TYPE_F32, LLAMA_FTYPE_ALL_F32},       {"f16", GGML_TYPE_F16, LLAMA_FTYPE_MOSTLY_F16},
    {"bf16", GGML_TYPE_BF16, LLAMA_FTYPE_MOSTLY_BF16}, {"q8_0", GGML_TYPE_Q8_0, LLAMA_FTYPE_MOSTLY_Q8_0},
    {"q4_0", GGML_TYPE_Q4_0, LLAMA_FTYPE_MOSTLY_Q4_0},
};

const TypeInfo& type_from_name(const std::string& s) {
  for (const TypeInfo& t : kTypes)
    if (s == t.name) return t;
  throw std::runtime_error("--type: unknown type '" + s +
                           "' (f32, f16, bf16, q8_0, q4_0; use llama-quantize for others)");
}

// Uniform half-width: 0.2 at width 64 gives varied greedy tokens (0.02 repeats one token);
// scaling by sqrt(64 / n_embd) keeps activations of realistic shapes at the same magnitude,
// far from f16 overflow in GPU matmuls.
double spread_for(const Options& o) { return o.spread >= 0 ? o.spread : 0.2 * std::sqrt(64.0 / (double)o.n_embd); }

// ---- Tensor plan -----------------------------------------------------------------------------

// Collects the plan: 2-D weights take --type; 1-D tensors (norms, biases) and the few matrices
// the graph adds to f32 data stay f32.
struct Plan {
  ggml_type weight_type;
  float spread;
  std::vector<TensorSpec> t;

  void weight(const std::string& name, int64_t ne0, int64_t ne1) {
    t.push_back({name, {ne0, ne1}, Init::Random, weight_type, spread});
  }
  void matrix_f32(const std::string& name, int64_t ne0, int64_t ne1) {
    t.push_back({name, {ne0, ne1}, Init::Random, GGML_TYPE_F32, spread});
  }
  void vec(const std::string& name, int64_t n, Init init = Init::Random) {
    t.push_back({name, {n}, init, GGML_TYPE_F32, spread});
  }
};

// The tensors the loader requires (plus the biases real Qwen2 checkpoints carry), in the order
// convert_hf_to_gguf.py writes them.
// BERT (src/models/bert.cpp): learned positions and token types, layer norms with biases after
// attention and after the FFN, biases everywhere, and no output head. A reranker adds the
// classification head of *ForSequenceClassification checkpoints (bge-reranker): cls is the dense
// layer (tanh), cls.output projects to one score.
void plan_bert(Plan& p, const Options& o, int64_t n_vocab) {
  const int64_t e = o.n_embd;
  p.weight("token_embd.weight", e, n_vocab);
  p.matrix_f32("token_types.weight", e, 2);
  p.weight("position_embd.weight", e, o.ctx);
  p.vec("token_embd_norm.weight", e, Init::Ones);
  p.vec("token_embd_norm.bias", e);
  for (int64_t i = 0; i < o.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    for (const char* m : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      p.weight(b + m + ".weight", e, e);
      p.vec(b + m + ".bias", e);
    }
    p.vec(b + "attn_output_norm.weight", e, Init::Ones);
    p.vec(b + "attn_output_norm.bias", e);
    p.weight(b + "ffn_up.weight", e, o.n_ff);
    p.vec(b + "ffn_up.bias", o.n_ff);
    p.weight(b + "ffn_down.weight", o.n_ff, e);
    p.vec(b + "ffn_down.bias", e);
    p.vec(b + "layer_output_norm.weight", e, Init::Ones);
    p.vec(b + "layer_output_norm.bias", e);
  }
  if (o.rank) {
    p.weight("cls.weight", e, e);
    p.vec("cls.bias", e);
    const int64_t n_out = o.labels.empty() ? 1 : static_cast<int64_t>(o.labels.size());
    p.weight("cls.output.weight", e, n_out);
    p.vec("cls.output.bias", n_out);
  }
}

// Attention of one decoder block. Qwen2 (and Qwen2-VL, its text half) carry Q/K/V biases;
// Gemma 3 RMS-normalises each head of Q and K and normalises the attention output again.
void plan_attention(Plan& p, const std::string& b, Arch arch, const Options& o) {
  const int64_t head = o.n_embd / o.n_head;
  const int64_t n_q = head * o.n_head, n_kv = head * o.n_head_kv;
  if (arch == Arch::Phi3) {
    p.weight(b + "attn_qkv.weight", o.n_embd, n_q + 2 * n_kv);
  } else {
    p.weight(b + "attn_q.weight", o.n_embd, n_q);
    p.weight(b + "attn_k.weight", o.n_embd, n_kv);
    p.weight(b + "attn_v.weight", o.n_embd, n_kv);
    if (arch == Arch::Qwen2 || arch == Arch::Qwen2VL) {
      p.vec(b + "attn_q.bias", n_q);
      p.vec(b + "attn_k.bias", n_kv);
      p.vec(b + "attn_v.bias", n_kv);
    }
  }
  p.weight(b + "attn_output.weight", n_q, o.n_embd);
  if (arch == Arch::Gemma3) {
    p.vec(b + "post_attention_norm.weight", o.n_embd, Init::Ones);
    p.vec(b + "attn_k_norm.weight", head, Init::Ones);
    p.vec(b + "attn_q_norm.weight", head, Init::Ones);
  }
}

void plan_decoder(Plan& p, Arch arch, const Options& o, int64_t n_vocab) {
  p.weight("token_embd.weight", o.n_embd, n_vocab);
  for (int64_t i = 0; i < o.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    p.vec(b + "attn_norm.weight", o.n_embd, Init::Ones);
    plan_attention(p, b, arch, o);
    p.vec(b + "ffn_norm.weight", o.n_embd, Init::Ones);
    if (arch == Arch::Phi3) {
      // Phi-3 fuses gate and up into one [n_embd, 2*n_ff] matrix.
      p.weight(b + "ffn_up.weight", o.n_embd, 2 * o.n_ff);
    } else {
      p.weight(b + "ffn_gate.weight", o.n_embd, o.n_ff);
      p.weight(b + "ffn_up.weight", o.n_embd, o.n_ff);
    }
    p.weight(b + "ffn_down.weight", o.n_ff, o.n_embd);
    if (arch == Arch::Gemma3) p.vec(b + "post_ffw_norm.weight", o.n_embd, Init::Ones);
  }
  p.vec("output_norm.weight", o.n_embd, Init::Ones);
  if (!o.tied) p.weight("output.weight", o.n_embd, n_vocab);
}

std::vector<TensorSpec> plan_tensors(Arch arch, const Options& o, int64_t n_vocab, ggml_type type, float spread) {
  Plan p{type, spread, {}};
  if (arch == Arch::Bert)
    plan_bert(p, o, n_vocab);
  else
    plan_decoder(p, arch, o, n_vocab);
  return p.t;
}

// ---- GGUF assembly ---------------------------------------------------------------------------

// Copies every tokenizer.* key of the vocab file; its general.* and <arch>.* keys describe the
// model the vocab came from, not the one we write.
// --control-token: renames tokens of the copied vocabulary and marks them control tokens, so a
// borrowed vocabulary gets the media tokens of the family (Qwen2-VL's <|vision_start|> at the id
// Qwen2-VL gives it, where the Qwen2 vocabulary has a [PAD] placeholder) and mtmd's markers
// tokenize as one token each, as they do with the family's own tokenizer.
void apply_control_tokens(gguf_context* g, const std::vector<ControlToken>& renames) {
  if (renames.empty()) return;
  const int64_t tid = gguf_find_key(g, "tokenizer.ggml.tokens"), yid = gguf_find_key(g, "tokenizer.ggml.token_type");
  if (yid < 0 || gguf_get_arr_type(g, yid) != GGUF_TYPE_INT32)
    throw std::runtime_error("--control-token: the vocabulary has no int32 tokenizer.ggml.token_type array");
  const size_t n = gguf_get_arr_n(g, tid);
  std::vector<std::string> text(n);
  for (size_t i = 0; i < n; ++i) text[i] = gguf_get_arr_str(g, tid, i);
  const auto* t0 = static_cast<const int32_t*>(gguf_get_arr_data(g, yid));
  std::vector<int32_t> types(t0, t0 + n);
  for (const ControlToken& c : renames) {
    if (c.id < 0 || (size_t)c.id >= n)
      throw std::runtime_error("--control-token: id " + std::to_string(c.id) + " is outside the vocabulary (" +
                               std::to_string(n) + " tokens)");
    if (std::find(text.begin(), text.end(), c.text) != text.end())
      throw std::runtime_error("--control-token: '" + c.text + "' is already a token of the vocabulary");
    text[c.id] = c.text;
    types[c.id] = LLAMA_TOKEN_TYPE_CONTROL;
  }
  std::vector<const char*> ptrs(n);
  for (size_t i = 0; i < n; ++i) ptrs[i] = text[i].c_str();
  gguf_set_arr_str(g, "tokenizer.ggml.tokens", ptrs.data(), n);
  gguf_set_arr_data(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types.data(), n);
}

int64_t copy_tokenizer(gguf_context* dst, const std::string& vocab_path) {
  tiny::GgufPtr vocab = tiny::open_gguf(vocab_path);
  tiny::GgufPtr tok(gguf_init_empty());
  gguf_set_kv(tok.get(), vocab.get());
  for (int64_t i = gguf_get_n_kv(tok.get()) - 1; i >= 0; --i) {
    const std::string key = gguf_get_key(tok.get(), i);
    if (key.rfind("tokenizer.", 0) != 0) gguf_remove_key(tok.get(), key.c_str());
  }
  const int64_t id = gguf_find_key(tok.get(), "tokenizer.ggml.tokens");
  if (id < 0) throw std::runtime_error("'" + vocab_path + "' has no tokenizer.ggml.tokens: not a vocab GGUF");
  gguf_set_kv(dst, tok.get());
  return (int64_t)gguf_get_arr_n(tok.get(), id);
}

// M-RoPE: the rotated pairs of each head are split among time, height and width positions (a
// text token has the same value in all three). Qwen2-VL splits its 64 pairs 16/24/24; this keeps
// those proportions (8 pairs: 2/3/3). The fourth section is unused by Qwen2-VL.
void set_mrope_sections(gguf_context* g, const std::string& key, int64_t head) {
  const int32_t pairs = (int32_t)(head / 2), t = pairs / 4, h = (pairs - t) / 2;
  if (t < 1 || h < 1) throw std::runtime_error("qwen2vl needs a head size of at least 8 for M-RoPE sections");
  const int32_t sections[4] = {t, h, pairs - t - h, 0};
  gguf_set_arr_data(g, key.c_str(), GGUF_TYPE_INT32, sections, 4);
}

// Gemma 3 alternates local (sliding-window) and global layers, 5:1 in the published models. Two
// layers keep one of each (pattern 2: layer 0 local, layer 1 global) with Gemma 3 1B's window of
// 512, longer than any test prompt, so the window changes no output but the engine runs on
// llama.cpp's split (iSWA) cache as it does for a real Gemma 3.
void set_gemma3_attention(gguf_context* g, const std::string& a, int64_t head) {
  gguf_set_val_u32(g, (a + ".attention.key_length").c_str(), (uint32_t)head);
  gguf_set_val_u32(g, (a + ".attention.value_length").c_str(), (uint32_t)head);
  gguf_set_val_u32(g, (a + ".attention.sliding_window").c_str(), 512);
  gguf_set_val_u32(g, (a + ".attention.sliding_window_pattern").c_str(), 2);
}

void set_hparams(gguf_context* g, Arch arch, const Options& o, const TypeInfo& ti) {
  const std::string a = o.arch_name;
  auto key = [&](const char* k) { return a + "." + k; };
  const bool qwen_or_gemma = arch == Arch::Qwen2 || arch == Arch::Qwen2VL || arch == Arch::Gemma3;
  const double rope_base = o.rope_base >= 0      ? o.rope_base
                           : arch == Arch::Llama ? 500000.0
                           : qwen_or_gemma       ? 1000000.0
                                                 : 10000.0;
  gguf_set_val_str(g, "general.architecture", a.c_str());
  gguf_set_val_str(g, "general.type", "model");
  gguf_set_val_str(g, "general.name", o.name.c_str());
  gguf_set_val_u32(g, "general.file_type", (uint32_t)ti.ftype);
  if (ggml_is_quantized(ti.type)) gguf_set_val_u32(g, "general.quantization_version", GGML_QNT_VERSION);
  gguf_set_val_u32(g, key("context_length").c_str(), (uint32_t)o.ctx);
  gguf_set_val_u32(g, key("embedding_length").c_str(), (uint32_t)o.n_embd);
  gguf_set_val_u32(g, key("block_count").c_str(), (uint32_t)o.n_layer);
  gguf_set_val_u32(g, key("feed_forward_length").c_str(), (uint32_t)o.n_ff);
  gguf_set_val_u32(g, key("attention.head_count").c_str(), (uint32_t)o.n_head);
  gguf_set_val_u32(g, key("attention.head_count_kv").c_str(), (uint32_t)o.n_head_kv);
  if (arch == Arch::Bert) {  // an encoder: every token sees every other; mean-pooled vectors
    gguf_set_val_f32(g, key("attention.layer_norm_epsilon").c_str(), 1e-12f);
    gguf_set_val_bool(g, key("attention.causal").c_str(), false);
    gguf_set_val_u32(g, key("pooling_type").c_str(),
                     (uint32_t)(o.rank ? LLAMA_POOLING_TYPE_RANK : LLAMA_POOLING_TYPE_MEAN));
    if (!o.labels.empty()) {  // llama.cpp takes n_cls_out from the number of labels
      std::vector<const char*> names;
      for (const auto& l : o.labels) names.push_back(l.c_str());
      gguf_set_arr_str(g, key("classifier.output_labels").c_str(), names.data(), static_cast<int>(names.size()));
    }
    return;
  }
  gguf_set_val_f32(g, key("attention.layer_norm_rms_epsilon").c_str(), qwen_or_gemma ? 1e-6f : 1e-5f);
  gguf_set_val_u32(g, key("rope.dimension_count").c_str(), (uint32_t)(o.n_embd / o.n_head));
  gguf_set_val_f32(g, key("rope.freq_base").c_str(), (float)rope_base);
  if (arch == Arch::Qwen2VL) set_mrope_sections(g, key("rope.dimension_sections"), o.n_embd / o.n_head);
  if (arch == Arch::Gemma3) set_gemma3_attention(g, a, o.n_embd / o.n_head);
}

const char* default_template(Arch arch) {
  switch (arch) {
    case Arch::Llama: return kLlama3Template;
    case Arch::Qwen2: return kChatMLTemplate;
    case Arch::Qwen2VL: return kQwen2VLTemplate;
    case Arch::Gemma3: return kGemma3Template;
    case Arch::Phi3: return kPhi3Template;
    case Arch::Bert: return "";  // an encoder has no chat
  }
  return "";
}

void run(Options o) {
  const auto t0 = std::chrono::steady_clock::now();
  const Arch arch = arch_from_name(o.arch_name);
  const TypeInfo& ti = type_from_name(o.type_name);
  if (o.name.empty()) o.name = tiny::stem(o.out);
  const float spread = (float)spread_for(o);

  tiny::GgufPtr g(gguf_init_empty());
  set_hparams(g.get(), arch, o, ti);
  const int64_t n_vocab = copy_tokenizer(g.get(), o.vocab);
  apply_control_tokens(g.get(), o.control_tokens);
  gguf_remove_key(g.get(), "tokenizer.chat_template");
  const std::string tmpl = o.chat_template_set ? o.chat_template : default_template(arch);
  if (!tmpl.empty()) gguf_set_val_str(g.get(), "tokenizer.chat_template", tmpl.c_str());

  const std::vector<TensorSpec> plan = plan_tensors(arch, o, n_vocab, ti.type, spread);
  const uint64_t n_params = tiny::write_gguf(g.get(), plan, o.seed, tiny::default_threads(o.threads), o.out);

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fprintf(
      stderr,
      "make-tiny-model: wrote %s: %s%s, %lld layers, n_embd %lld, vocab %lld, %.2f M params, %s, spread %.4f, %.1f s\n",
      o.out.c_str(), o.arch_name.c_str(), o.rank ? " (reranker)" : "", (long long)o.n_layer, (long long)o.n_embd,
      (long long)n_vocab, n_params / 1e6, ti.name, spread, secs);
}

}  // namespace

int main(int argc, char** argv) {
  return tiny::run_main("make-tiny-model", [&] { run(parse_args(argc, argv)); });
}
