// make-tiny-model: writes a GGUF language model with a real tokenizer and deterministic random
// weights, so tests can load, tokenize, template and generate without downloading a model.
//
// The tokenizer (every tokenizer.* key) is copied from a vocab-only GGUF such as the ones
// llama.cpp ships in models/. The hyperparameters, tensor names and shapes are the ones the
// llama.cpp loader requires for the chosen architecture (src/models/{llama,qwen2,phi3,bert}.cpp;
// bert is a tiny encoder for embedding tests: non-causal, mean pooling, no output head; with
// --pooling rank it carries a classification head and scores (query, document) pairs).
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
const char * kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim "
    "+ '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

// Qwen/Qwen2-7B-Instruct (ChatML with a default system turn)
const char * kChatMLTemplate =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n' }}{% endif %}{{'<|im_start|>' "
    "+ message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

// microsoft/Phi-3.5-mini-instruct (llama.cpp models/templates/microsoft-Phi-3.5-mini-instruct.jinja)
const char * kPhi3Template =
    "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}"
    "{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}"
    "{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}"
    "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

// ---- Options ---------------------------------------------------------------------------------

enum class Arch { Llama, Qwen2, Phi3, Bert };

struct Options {
    std::string vocab, out, arch_name = "llama", preset, name;
    std::string type_name = "f16";
    std::string chat_template;      // empty: the family default
    bool        chat_template_set = false;
    int64_t     n_layer = 2, n_embd = 64, n_head = 4, n_head_kv = 4, n_ff = 128, ctx = 4096;
    uint64_t    seed = 42;
    double      spread = -1;        // < 0: 0.2 * sqrt(64 / n_embd), see spread_for()
    double      rope_base = -1;     // < 0: the family default
    bool        tied = true;        // output.weight omitted, token_embd reused (as Qwen2-0.5B)
    bool        rank = false;       // bert only: classification head, rank pooling (a reranker)
    int         threads = 0;        // 0: hardware concurrency
};

// Realistic shapes for benchmarks (from the published config.json of each model).
struct Preset {
    const char * name; const char * arch;
    int64_t n_layer, n_embd, n_head, n_head_kv, n_ff, ctx; double rope_base; bool tied;
};
const Preset kPresets[] = {
    {"llama3-1b", "llama", 16, 2048, 32, 8, 8192, 8192, 500000.0, true},   // Llama-3.2-1B
    {"llama3-8b", "llama", 32, 4096, 32, 8, 14336, 8192, 500000.0, false}, // Llama-3-8B
};

const char * kUsage =
    "usage: make-tiny-model --vocab VOCAB.gguf --out OUT.gguf [options]\n"
    "  --arch llama|qwen2|phi3|bert  architecture (default llama; bert: an embedding encoder)\n"
    "  --preset llama3-1b|llama3-8b  realistic shape (sets arch and sizes; flags after it override)\n"
    "  --n-layer N --n-embd N --n-head N --n-head-kv N --n-ff N   (default 2, 64, 4, 4, 128)\n"
    "  --ctx N                     training context length (default 4096)\n"
    "  --seed N                    weight seed (default 42)\n"
    "  --spread X                  weights uniform in [-X, X] (default 0.2 * sqrt(64 / n_embd))\n"
    "  --rope-base X               rope.freq_base (default llama 500000, qwen2 1e6, phi3 10000)\n"
    "  --type f32|f16|bf16|q8_0|q4_0  type of the 2-D weights (default f16); norms stay f32\n"
    "  --tied | --untied           share token_embd as output (default tied)\n"
    "  --pooling mean|rank         bert only: mean (an embedder, default) or rank (a reranker\n"
    "                              with a classification head that outputs one score)\n"
    "  --chat-template TEXT | --chat-template-file F | --no-chat-template\n"
    "  --name NAME                 general.name (default: the output file's stem)\n"
    "  --threads N                 generation threads (default: all cores)\n";

void apply_preset(Options & o, const std::string & name) {
    for (const Preset & p : kPresets) {
        if (name != p.name) continue;
        o.preset = name; o.arch_name = p.arch; o.n_layer = p.n_layer; o.n_embd = p.n_embd;
        o.n_head = p.n_head; o.n_head_kv = p.n_head_kv; o.n_ff = p.n_ff; o.ctx = p.ctx;
        o.rope_base = p.rope_base; o.tied = p.tied;
        return;
    }
    throw std::runtime_error("--preset: unknown preset '" + name + "' (llama3-1b, llama3-8b)");
}

bool parse_pooling(const std::string & v) {
    if (v == "mean") return false;
    if (v == "rank") return true;
    throw std::runtime_error("--pooling: unknown pooling '" + v + "' (mean, rank)");
}

Options parse_args(int argc, char ** argv) {
    Options o;
    for (tiny::ArgReader r(argc, argv, kUsage); r.next();) {
        const std::string & a = r.flag();
        if (a == "--vocab") o.vocab = r.value();
        else if (a == "--out") o.out = r.value();
        else if (a == "--arch") o.arch_name = r.value();
        else if (a == "--preset") apply_preset(o, r.value());
        else if (a == "--name") o.name = r.value();
        else if (a == "--type") o.type_name = r.value();
        else if (a == "--n-layer") o.n_layer = r.int_value();
        else if (a == "--n-embd") o.n_embd = r.int_value();
        else if (a == "--n-head") o.n_head = r.int_value();
        else if (a == "--n-head-kv") o.n_head_kv = r.int_value();
        else if (a == "--n-ff") o.n_ff = r.int_value();
        else if (a == "--ctx") o.ctx = r.int_value();
        else if (a == "--seed") o.seed = (uint64_t) r.int_value();
        else if (a == "--threads") o.threads = (int) r.int_value();
        else if (a == "--spread") o.spread = r.number_value();
        else if (a == "--rope-base") o.rope_base = r.number_value();
        else if (a == "--tied") o.tied = true;
        else if (a == "--untied") o.tied = false;
        else if (a == "--pooling") o.rank = parse_pooling(r.value());
        else if (a == "--chat-template") { o.chat_template = r.value(); o.chat_template_set = true; }
        else if (a == "--chat-template-file") { o.chat_template = tiny::read_text_file(r.value()); o.chat_template_set = true; }
        else if (a == "--no-chat-template") { o.chat_template.clear(); o.chat_template_set = true; }
        else r.unknown();
    }
    if (o.vocab.empty() || o.out.empty()) throw std::runtime_error("--vocab and --out are required (see --help)");
    if (o.n_layer < 1 || o.n_embd < 1 || o.n_head < 1 || o.n_head_kv < 1 || o.n_ff < 1 || o.ctx < 1)
        throw std::runtime_error("sizes must be at least 1");
    if (o.n_embd % o.n_head != 0) throw std::runtime_error("--n-embd must be a multiple of --n-head");
    if (o.n_head % o.n_head_kv != 0) throw std::runtime_error("--n-head must be a multiple of --n-head-kv");
    if ((o.n_embd / o.n_head) % 2 != 0) throw std::runtime_error("head size (n_embd / n_head) must be even for RoPE");
    if (o.rank && o.arch_name != "bert") throw std::runtime_error("--pooling rank needs --arch bert");
    return o;
}

Arch arch_from_name(const std::string & s) {
    if (s == "llama") return Arch::Llama;
    if (s == "qwen2") return Arch::Qwen2;
    if (s == "phi3") return Arch::Phi3;
    if (s == "bert") return Arch::Bert;
    throw std::runtime_error("--arch: unknown architecture '" + s + "' (llama, qwen2, phi3, bert)");
}

struct TypeInfo { const char * name; ggml_type type; llama_ftype ftype; };
const TypeInfo kTypes[] = {
    {"f32", GGML_TYPE_F32, LLAMA_FTYPE_ALL_F32},   {"f16", GGML_TYPE_F16, LLAMA_FTYPE_MOSTLY_F16},
    {"bf16", GGML_TYPE_BF16, LLAMA_FTYPE_MOSTLY_BF16}, {"q8_0", GGML_TYPE_Q8_0, LLAMA_FTYPE_MOSTLY_Q8_0},
    {"q4_0", GGML_TYPE_Q4_0, LLAMA_FTYPE_MOSTLY_Q4_0},
};

const TypeInfo & type_from_name(const std::string & s) {
    for (const TypeInfo & t : kTypes) if (s == t.name) return t;
    throw std::runtime_error("--type: unknown type '" + s + "' (f32, f16, bf16, q8_0, q4_0; use llama-quantize for others)");
}

// Uniform half-width: 0.2 at width 64 gives varied greedy tokens (0.02 repeats one token);
// scaling by sqrt(64 / n_embd) keeps activations of realistic shapes at the same magnitude,
// far from f16 overflow in GPU matmuls.
double spread_for(const Options & o) {
    return o.spread >= 0 ? o.spread : 0.2 * std::sqrt(64.0 / (double) o.n_embd);
}

// ---- Tensor plan -----------------------------------------------------------------------------

// Collects the plan: 2-D weights take --type; 1-D tensors (norms, biases) and the few matrices
// the graph adds to f32 data stay f32.
struct Plan {
    ggml_type               weight_type;
    float                   spread;
    std::vector<TensorSpec> t;

    void weight(const std::string & name, int64_t ne0, int64_t ne1) { t.push_back({name, {ne0, ne1}, Init::Random, weight_type, spread}); }
    void matrix_f32(const std::string & name, int64_t ne0, int64_t ne1) { t.push_back({name, {ne0, ne1}, Init::Random, GGML_TYPE_F32, spread}); }
    void vec(const std::string & name, int64_t n, Init init = Init::Random) { t.push_back({name, {n}, init, GGML_TYPE_F32, spread}); }
};

// The tensors the loader requires (plus the biases real Qwen2 checkpoints carry), in the order
// convert_hf_to_gguf.py writes them.
// BERT (src/models/bert.cpp): learned positions and token types, layer norms with biases after
// attention and after the FFN, biases everywhere, and no output head. A reranker adds the
// classification head of *ForSequenceClassification checkpoints (bge-reranker): cls is the dense
// layer (tanh), cls.output projects to one score.
void plan_bert(Plan & p, const Options & o, int64_t n_vocab) {
    const int64_t e = o.n_embd;
    p.weight("token_embd.weight", e, n_vocab);
    p.matrix_f32("token_types.weight", e, 2);
    p.weight("position_embd.weight", e, o.ctx);
    p.vec("token_embd_norm.weight", e, Init::Ones);
    p.vec("token_embd_norm.bias", e);
    for (int64_t i = 0; i < o.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        for (const char * m : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
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
        p.weight("cls.output.weight", e, 1);
        p.vec("cls.output.bias", 1);
    }
}

void plan_decoder(Plan & p, Arch arch, const Options & o, int64_t n_vocab) {
    const int64_t head = o.n_embd / o.n_head;
    const int64_t n_q = head * o.n_head, n_kv = head * o.n_head_kv;
    p.weight("token_embd.weight", o.n_embd, n_vocab);
    for (int64_t i = 0; i < o.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        p.vec(b + "attn_norm.weight", o.n_embd, Init::Ones);
        if (arch == Arch::Phi3) {
            p.weight(b + "attn_qkv.weight", o.n_embd, n_q + 2 * n_kv);
        } else {
            p.weight(b + "attn_q.weight", o.n_embd, n_q);
            p.weight(b + "attn_k.weight", o.n_embd, n_kv);
            p.weight(b + "attn_v.weight", o.n_embd, n_kv);
            if (arch == Arch::Qwen2) {
                p.vec(b + "attn_q.bias", n_q);
                p.vec(b + "attn_k.bias", n_kv);
                p.vec(b + "attn_v.bias", n_kv);
            }
        }
        p.weight(b + "attn_output.weight", n_q, o.n_embd);
        p.vec(b + "ffn_norm.weight", o.n_embd, Init::Ones);
        if (arch == Arch::Phi3) {
            // Phi-3 fuses gate and up into one [n_embd, 2*n_ff] matrix.
            p.weight(b + "ffn_up.weight", o.n_embd, 2 * o.n_ff);
        } else {
            p.weight(b + "ffn_gate.weight", o.n_embd, o.n_ff);
            p.weight(b + "ffn_up.weight", o.n_embd, o.n_ff);
        }
        p.weight(b + "ffn_down.weight", o.n_ff, o.n_embd);
    }
    p.vec("output_norm.weight", o.n_embd, Init::Ones);
    if (!o.tied) p.weight("output.weight", o.n_embd, n_vocab);
}

std::vector<TensorSpec> plan_tensors(Arch arch, const Options & o, int64_t n_vocab, ggml_type type, float spread) {
    Plan p{type, spread, {}};
    if (arch == Arch::Bert) plan_bert(p, o, n_vocab);
    else plan_decoder(p, arch, o, n_vocab);
    return p.t;
}

// ---- GGUF assembly ---------------------------------------------------------------------------

// Copies every tokenizer.* key of the vocab file; its general.* and <arch>.* keys describe the
// model the vocab came from, not the one we write.
int64_t copy_tokenizer(gguf_context * dst, const std::string & vocab_path) {
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
    return (int64_t) gguf_get_arr_n(tok.get(), id);
}

void set_hparams(gguf_context * g, Arch arch, const Options & o, const TypeInfo & ti) {
    const std::string a = o.arch_name;
    auto key = [&](const char * k) { return a + "." + k; };
    const double rope_base = o.rope_base >= 0 ? o.rope_base
                           : arch == Arch::Llama ? 500000.0 : arch == Arch::Qwen2 ? 1000000.0 : 10000.0;
    gguf_set_val_str(g, "general.architecture", a.c_str());
    gguf_set_val_str(g, "general.type", "model");
    gguf_set_val_str(g, "general.name", o.name.c_str());
    gguf_set_val_u32(g, "general.file_type", (uint32_t) ti.ftype);
    if (ggml_is_quantized(ti.type)) gguf_set_val_u32(g, "general.quantization_version", GGML_QNT_VERSION);
    gguf_set_val_u32(g, key("context_length").c_str(), (uint32_t) o.ctx);
    gguf_set_val_u32(g, key("embedding_length").c_str(), (uint32_t) o.n_embd);
    gguf_set_val_u32(g, key("block_count").c_str(), (uint32_t) o.n_layer);
    gguf_set_val_u32(g, key("feed_forward_length").c_str(), (uint32_t) o.n_ff);
    gguf_set_val_u32(g, key("attention.head_count").c_str(), (uint32_t) o.n_head);
    gguf_set_val_u32(g, key("attention.head_count_kv").c_str(), (uint32_t) o.n_head_kv);
    if (arch == Arch::Bert) {  // an encoder: every token sees every other; mean-pooled vectors
        gguf_set_val_f32(g, key("attention.layer_norm_epsilon").c_str(), 1e-12f);
        gguf_set_val_bool(g, key("attention.causal").c_str(), false);
        gguf_set_val_u32(g, key("pooling_type").c_str(),
                         (uint32_t) (o.rank ? LLAMA_POOLING_TYPE_RANK : LLAMA_POOLING_TYPE_MEAN));
        return;
    }
    gguf_set_val_f32(g, key("attention.layer_norm_rms_epsilon").c_str(), arch == Arch::Qwen2 ? 1e-6f : 1e-5f);
    gguf_set_val_u32(g, key("rope.dimension_count").c_str(), (uint32_t) (o.n_embd / o.n_head));
    gguf_set_val_f32(g, key("rope.freq_base").c_str(), (float) rope_base);
}

const char * default_template(Arch arch) {
    switch (arch) {
        case Arch::Llama: return kLlama3Template;
        case Arch::Qwen2: return kChatMLTemplate;
        case Arch::Phi3:  return kPhi3Template;
        case Arch::Bert:  return "";  // an encoder has no chat
    }
    return "";
}

void run(Options o) {
    const auto t0 = std::chrono::steady_clock::now();
    const Arch arch = arch_from_name(o.arch_name);
    const TypeInfo & ti = type_from_name(o.type_name);
    if (o.name.empty()) o.name = tiny::stem(o.out);
    const float spread = (float) spread_for(o);

    tiny::GgufPtr g(gguf_init_empty());
    set_hparams(g.get(), arch, o, ti);
    const int64_t n_vocab = copy_tokenizer(g.get(), o.vocab);
    gguf_remove_key(g.get(), "tokenizer.chat_template");
    const std::string tmpl = o.chat_template_set ? o.chat_template : default_template(arch);
    if (!tmpl.empty()) gguf_set_val_str(g.get(), "tokenizer.chat_template", tmpl.c_str());

    const std::vector<TensorSpec> plan = plan_tensors(arch, o, n_vocab, ti.type, spread);
    const uint64_t n_params = tiny::write_gguf(g.get(), plan, o.seed, tiny::default_threads(o.threads), o.out);

    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fprintf(stderr, "make-tiny-model: wrote %s: %s%s, %lld layers, n_embd %lld, vocab %lld, %.2f M params, %s, spread %.4f, %.1f s\n",
            o.out.c_str(), o.arch_name.c_str(), o.rank ? " (reranker)" : "", (long long) o.n_layer, (long long) o.n_embd,
            (long long) n_vocab, n_params / 1e6, ti.name, spread, secs);
}

} // namespace

int main(int argc, char ** argv) {
    return tiny::run_main("make-tiny-model", [&] { run(parse_args(argc, argv)); });
}
