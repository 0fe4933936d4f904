// make-tiny-model: writes a GGUF language model with a real tokenizer and deterministic random
// weights, so tests can load, tokenize, template and generate without downloading a model.
//
// The tokenizer (every tokenizer.* key) is copied from a vocab-only GGUF such as the ones
// llama.cpp ships in models/. The hyperparameters, tensor names and shapes are the ones the
// llama.cpp loader requires for the chosen architecture (src/models/{llama,qwen2,phi3,bert}.cpp;
// bert is a tiny encoder for embedding tests: non-causal, mean pooling, no output head).
// The same tool writes realistic shapes (--preset) for benchmarks: tensors are generated and
// written one block of rows at a time, so an 8B model never sits in memory.
//
// Weights depend only on (--seed, tensor name, row): the output is byte-identical across runs,
// thread counts and machines, which keeps greedy test output stable.

#include "ggml.h"
#include "gguf.h"
#include "llama.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

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
    "  --chat-template TEXT | --chat-template-file F | --no-chat-template\n"
    "  --name NAME                 general.name (default: the output file's stem)\n"
    "  --threads N                 generation threads (default: all cores)\n";

int64_t parse_int(const std::string & flag, const std::string & v) {
    size_t pos = 0;
    long long x = 0;
    try { x = std::stoll(v, &pos); } catch (const std::exception &) { pos = 0; }
    if (pos != v.size() || x < 0) throw std::runtime_error(flag + ": expected a non-negative integer, got '" + v + "'");
    return x;
}

double parse_double(const std::string & flag, const std::string & v) {
    size_t pos = 0;
    double x = 0;
    try { x = std::stod(v, &pos); } catch (const std::exception &) { pos = 0; }
    if (pos != v.size() || !(x >= 0)) throw std::runtime_error(flag + ": expected a non-negative number, got '" + v + "'");
    return x;
}

std::string read_file(const std::string & path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + path + "'");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

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

Options parse_args(int argc, char ** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(a + ": missing value");
            return argv[++i];
        };
        if (a == "-h" || a == "--help") { fputs(kUsage, stdout); std::exit(0); }
        else if (a == "--vocab") o.vocab = value();
        else if (a == "--out") o.out = value();
        else if (a == "--arch") o.arch_name = value();
        else if (a == "--preset") apply_preset(o, value());
        else if (a == "--name") o.name = value();
        else if (a == "--type") o.type_name = value();
        else if (a == "--n-layer") o.n_layer = parse_int(a, value());
        else if (a == "--n-embd") o.n_embd = parse_int(a, value());
        else if (a == "--n-head") o.n_head = parse_int(a, value());
        else if (a == "--n-head-kv") o.n_head_kv = parse_int(a, value());
        else if (a == "--n-ff") o.n_ff = parse_int(a, value());
        else if (a == "--ctx") o.ctx = parse_int(a, value());
        else if (a == "--seed") o.seed = (uint64_t) parse_int(a, value());
        else if (a == "--threads") o.threads = (int) parse_int(a, value());
        else if (a == "--spread") o.spread = parse_double(a, value());
        else if (a == "--rope-base") o.rope_base = parse_double(a, value());
        else if (a == "--tied") o.tied = true;
        else if (a == "--untied") o.tied = false;
        else if (a == "--chat-template") { o.chat_template = value(); o.chat_template_set = true; }
        else if (a == "--chat-template-file") { o.chat_template = read_file(value()); o.chat_template_set = true; }
        else if (a == "--no-chat-template") { o.chat_template.clear(); o.chat_template_set = true; }
        else throw std::runtime_error("unknown option '" + a + "' (see --help)");
    }
    if (o.vocab.empty() || o.out.empty()) throw std::runtime_error("--vocab and --out are required (see --help)");
    if (o.n_layer < 1 || o.n_embd < 1 || o.n_head < 1 || o.n_head_kv < 1 || o.n_ff < 1 || o.ctx < 1)
        throw std::runtime_error("sizes must be at least 1");
    if (o.n_embd % o.n_head != 0) throw std::runtime_error("--n-embd must be a multiple of --n-head");
    if (o.n_head % o.n_head_kv != 0) throw std::runtime_error("--n-head must be a multiple of --n-head-kv");
    if ((o.n_embd / o.n_head) % 2 != 0) throw std::runtime_error("head size (n_embd / n_head) must be even for RoPE");
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

enum class Init { Ones, Random };

struct TensorSpec {
    std::string name;
    int64_t     ne0, ne1;   // ne1 == 0: a 1-D tensor (norms, biases), always f32
    Init        init;
    bool        f32 = false;  // kept f32 whatever --type says (the graph adds it to f32 data)
};

// The tensors the loader requires (plus the biases real Qwen2 checkpoints carry), in the order
// convert_hf_to_gguf.py writes them.
// BERT (src/models/bert.cpp): learned positions and token types, layer norms with biases after
// attention and after the FFN, biases everywhere, and no output head.
std::vector<TensorSpec> plan_bert(const Options & o, int64_t n_vocab) {
    const int64_t e = o.n_embd;
    std::vector<TensorSpec> t = {{"token_embd.weight", e, n_vocab, Init::Random},
                                 {"token_types.weight", e, 2, Init::Random, true},
                                 {"position_embd.weight", e, o.ctx, Init::Random},
                                 {"token_embd_norm.weight", e, 0, Init::Ones},
                                 {"token_embd_norm.bias", e, 0, Init::Random}};
    for (int64_t i = 0; i < o.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        for (const char * m : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
            t.push_back({b + m + ".weight", e, e, Init::Random});
            t.push_back({b + m + ".bias", e, 0, Init::Random});
        }
        t.push_back({b + "attn_output_norm.weight", e, 0, Init::Ones});
        t.push_back({b + "attn_output_norm.bias", e, 0, Init::Random});
        t.push_back({b + "ffn_up.weight", e, o.n_ff, Init::Random});
        t.push_back({b + "ffn_up.bias", o.n_ff, 0, Init::Random});
        t.push_back({b + "ffn_down.weight", o.n_ff, e, Init::Random});
        t.push_back({b + "ffn_down.bias", e, 0, Init::Random});
        t.push_back({b + "layer_output_norm.weight", e, 0, Init::Ones});
        t.push_back({b + "layer_output_norm.bias", e, 0, Init::Random});
    }
    return t;
}

std::vector<TensorSpec> plan_tensors(Arch arch, const Options & o, int64_t n_vocab) {
    if (arch == Arch::Bert) return plan_bert(o, n_vocab);
    const int64_t head = o.n_embd / o.n_head;
    const int64_t n_q = head * o.n_head, n_kv = head * o.n_head_kv;
    std::vector<TensorSpec> t;
    t.push_back({"token_embd.weight", o.n_embd, n_vocab, Init::Random});
    for (int64_t i = 0; i < o.n_layer; ++i) {
        const std::string b = "blk." + std::to_string(i) + ".";
        t.push_back({b + "attn_norm.weight", o.n_embd, 0, Init::Ones});
        if (arch == Arch::Phi3) {
            t.push_back({b + "attn_qkv.weight", o.n_embd, n_q + 2 * n_kv, Init::Random});
        } else {
            t.push_back({b + "attn_q.weight", o.n_embd, n_q, Init::Random});
            t.push_back({b + "attn_k.weight", o.n_embd, n_kv, Init::Random});
            t.push_back({b + "attn_v.weight", o.n_embd, n_kv, Init::Random});
            if (arch == Arch::Qwen2) {
                t.push_back({b + "attn_q.bias", n_q, 0, Init::Random});
                t.push_back({b + "attn_k.bias", n_kv, 0, Init::Random});
                t.push_back({b + "attn_v.bias", n_kv, 0, Init::Random});
            }
        }
        t.push_back({b + "attn_output.weight", n_q, o.n_embd, Init::Random});
        t.push_back({b + "ffn_norm.weight", o.n_embd, 0, Init::Ones});
        if (arch == Arch::Phi3) {
            // Phi-3 fuses gate and up into one [n_embd, 2*n_ff] matrix.
            t.push_back({b + "ffn_up.weight", o.n_embd, 2 * o.n_ff, Init::Random});
        } else {
            t.push_back({b + "ffn_gate.weight", o.n_embd, o.n_ff, Init::Random});
            t.push_back({b + "ffn_up.weight", o.n_embd, o.n_ff, Init::Random});
        }
        t.push_back({b + "ffn_down.weight", o.n_ff, o.n_embd, Init::Random});
    }
    t.push_back({"output_norm.weight", o.n_embd, 0, Init::Ones});
    if (!o.tied) t.push_back({"output.weight", o.n_embd, n_vocab, Init::Random});
    return t;
}

// ---- Deterministic weights -------------------------------------------------------------------

uint64_t splitmix64(uint64_t & s) {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string & s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    return h;
}

// One row of values; its own generator state makes rows independent of thread scheduling.
void fill_row(float * dst, int64_t n, Init init, uint64_t tensor_key, int64_t row, float spread) {
    if (init == Init::Ones) { std::fill(dst, dst + n, 1.0f); return; }
    uint64_t s = tensor_key ^ (0xD1B54A32D192ED03ull * (uint64_t) (row + 1));
    for (int64_t i = 0; i < n; ++i) {
        const float u = (float) (splitmix64(s) >> 40) * (1.0f / 16777216.0f); // [0, 1), 24 bits
        dst[i] = (2.0f * u - 1.0f) * spread;
    }
}

// Writes one tensor's data in blocks of rows (about 64 MiB of f32 at a time), converting each
// block to the tensor's type on several threads.
void write_tensor(FILE * f, const TensorSpec & spec, ggml_type type, uint64_t seed, float spread, int threads) {
    const int64_t n_per_row = spec.ne0, n_rows = std::max<int64_t>(spec.ne1, 1);
    const size_t  row_bytes = ggml_row_size(type, n_per_row);
    const int64_t block_rows = std::max<int64_t>(1, (64ll << 20) / (int64_t) (n_per_row * sizeof(float)));
    const uint64_t key = fnv1a(spec.name) ^ (seed * 0x9E3779B97F4A7C15ull);

    std::vector<float>   f32((size_t) (std::min(block_rows, n_rows) * n_per_row));
    std::vector<uint8_t> out(std::min(block_rows, n_rows) * row_bytes);
    for (int64_t r0 = 0; r0 < n_rows; r0 += block_rows) {
        const int64_t nr = std::min(block_rows, n_rows - r0);
        const int     nt = (int) std::max<int64_t>(1, std::min<int64_t>(threads, nr));
        std::vector<std::thread> pool;
        for (int t = 0; t < nt; ++t) {
            pool.emplace_back([&, t] {
                const int64_t a = nr * t / nt, b = nr * (t + 1) / nt;
                for (int64_t r = a; r < b; ++r)
                    fill_row(f32.data() + r * n_per_row, n_per_row, spec.init, key, r0 + r, spread);
                ggml_quantize_chunk(type, f32.data() + a * n_per_row, out.data() + a * row_bytes, 0, b - a, n_per_row, nullptr);
            });
        }
        for (std::thread & th : pool) th.join();
        if (fwrite(out.data(), 1, nr * row_bytes, f) != nr * row_bytes) throw std::runtime_error("write failed (disk full?)");
    }
}

// ---- GGUF assembly ---------------------------------------------------------------------------

struct GgufDeleter { void operator()(gguf_context * c) const { gguf_free(c); } };
struct GgmlDeleter { void operator()(ggml_context * c) const { ggml_free(c); } };
using GgufPtr = std::unique_ptr<gguf_context, GgufDeleter>;
using GgmlPtr = std::unique_ptr<ggml_context, GgmlDeleter>;

// Copies every tokenizer.* key of the vocab file; its general.* and <arch>.* keys describe the
// model the vocab came from, not the one we write.
int64_t copy_tokenizer(gguf_context * dst, const std::string & vocab_path) {
    gguf_init_params ip = {/*no_alloc =*/ true, /*ctx =*/ nullptr};
    GgufPtr vocab(gguf_init_from_file(vocab_path.c_str(), ip));
    if (!vocab) throw std::runtime_error("cannot read GGUF '" + vocab_path + "'");
    GgufPtr tok(gguf_init_empty());
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
        gguf_set_val_u32(g, key("pooling_type").c_str(), (uint32_t) LLAMA_POOLING_TYPE_MEAN);
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

std::string stem(const std::string & path) {
    std::string s = path.substr(path.find_last_of('/') + 1);
    const size_t dot = s.rfind(".gguf");
    return dot == std::string::npos ? s : s.substr(0, dot);
}

void run(Options o) {
    const auto t0 = std::chrono::steady_clock::now();
    const Arch arch = arch_from_name(o.arch_name);
    const TypeInfo & ti = type_from_name(o.type_name);
    if (o.name.empty()) o.name = stem(o.out);
    const int threads = o.threads > 0 ? o.threads : (int) std::max(1u, std::thread::hardware_concurrency());
    const float spread = (float) spread_for(o);

    GgufPtr g(gguf_init_empty());
    set_hparams(g.get(), arch, o, ti);
    const int64_t n_vocab = copy_tokenizer(g.get(), o.vocab);
    gguf_remove_key(g.get(), "tokenizer.chat_template");
    const std::string tmpl = o.chat_template_set ? o.chat_template : default_template(arch);
    if (!tmpl.empty()) gguf_set_val_str(g.get(), "tokenizer.chat_template", tmpl.c_str());

    // Tensor descriptors only (no_alloc): the data is streamed after the metadata.
    const std::vector<TensorSpec> plan = plan_tensors(arch, o, n_vocab);
    ggml_init_params cp = {(plan.size() + 1) * ggml_tensor_overhead(), nullptr, /*no_alloc =*/ true};
    GgmlPtr ctx(ggml_init(cp));
    std::vector<ggml_type> types;
    uint64_t n_params = 0;
    for (const TensorSpec & s : plan) {
        ggml_type type = s.ne1 == 0 || s.f32 ? GGML_TYPE_F32 : ti.type;
        if (s.ne0 % ggml_blck_size(type) != 0)
            throw std::runtime_error(s.name + ": row of " + std::to_string(s.ne0) + " is not a multiple of the " +
                                     ti.name + " block size " + std::to_string(ggml_blck_size(type)));
        ggml_tensor * t = s.ne1 == 0 ? ggml_new_tensor_1d(ctx.get(), type, s.ne0)
                                     : ggml_new_tensor_2d(ctx.get(), type, s.ne0, s.ne1);
        ggml_set_name(t, s.name.c_str());
        gguf_add_tensor(g.get(), t);
        types.push_back(type);
        n_params += (uint64_t) ggml_nelements(t);
    }

    // Write to a temporary name and rename at the end, so an interrupted run (or a build step
    // killed half-way) never leaves a truncated model that looks up to date.
    const std::string tmp = o.out + ".tmp";
    if (!gguf_write_to_file(g.get(), tmp.c_str(), /*only_meta =*/ true))
        throw std::runtime_error("cannot write '" + tmp + "'");
    std::unique_ptr<FILE, int (*)(FILE *)> f(fopen(tmp.c_str(), "ab"), fclose);
    if (!f) throw std::runtime_error("cannot append to '" + tmp + "'");
    const size_t align = gguf_get_alignment(g.get());
    static const uint8_t zeros[64] = {};
    for (size_t i = 0; i < plan.size(); ++i) {
        write_tensor(f.get(), plan[i], types[i], o.seed, spread, threads);
        // Each tensor's data starts on an alignment boundary (gguf_add_tensor's offsets).
        const size_t nbytes = ggml_row_size(types[i], plan[i].ne0) * (size_t) std::max<int64_t>(plan[i].ne1, 1);
        const size_t pad = GGML_PAD(nbytes, align) - nbytes;
        if (pad && fwrite(zeros, 1, pad, f.get()) != pad) throw std::runtime_error("write failed (disk full?)");
    }
    if (fclose(f.release()) != 0) throw std::runtime_error("write failed (disk full?)");
    if (std::rename(tmp.c_str(), o.out.c_str()) != 0) throw std::runtime_error("cannot rename to '" + o.out + "'");

    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fprintf(stderr, "make-tiny-model: wrote %s: %s, %lld layers, n_embd %lld, vocab %lld, %.2f M params, %s, spread %.4f, %.1f s\n",
            o.out.c_str(), o.arch_name.c_str(), (long long) o.n_layer, (long long) o.n_embd, (long long) n_vocab,
            n_params / 1e6, ti.name, spread, secs);
}

} // namespace

int main(int argc, char ** argv) {
    try {
        run(parse_args(argc, argv));
        return 0;
    } catch (const std::exception & e) {
        fprintf(stderr, "make-tiny-model: error: %s\n", e.what());
        return 1;
    }
}
