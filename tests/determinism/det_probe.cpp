// det-probe: isolates one cause of run-to-run numeric divergence at a time, on llama.cpp
// directly (no engine, no scheduler), so each experiment changes exactly one thing.
//
// Every experiment computes a reference: sequence 0's prompt decoded alone in one ubatch, then
// `--steps` greedy tokens decoded one at a time, alone; the logits of every step are kept. The
// experiment then recomputes the same logits under one condition, feeding the reference's tokens
// (teacher forcing, so one step's difference does not change later inputs), and prints, per
// step, whether the logits are bit-identical and the largest absolute difference.
//
//   det-probe --model M.gguf [options] EXPERIMENT
//   experiments:
//     neighbours K   K other sequences decode one token each in the same batch as seq 0
//     chunks C       the prompt is decoded in chunks of C tokens (one llama_decode each)
//     reuse          the generated tokens' KV comes from decoding them one by one (the
//                    reference); the condition decodes prompt + generated tokens as one prompt
//                    and compares the logits of the last position
//     kvpad L        another sequence holding L tokens sits in the same (unified) KV cache
//     kvpad-batch L  ... and decodes a token in every call of seq 0's (n_kv padded to its length)
//     threads T      the condition runs with T threads
//     alone          the reference again (must be identical)
//     fingerprint    prints the determinism fingerprint of this build and --model (JSON): what
//                    must match for two runs to promise the same bytes (docs/DETERMINISM.md)
//     kernel TYPE K  no model: one ggml mul_mat of a [K x 64] TYPE matrix (f32, f16, bf16, q8_0,
//                    q4_0, q4_K, q6_K) with 1, 2, 3, 4, 8 columns; is column 0 the same?
//   options: --unified (one KV stream), --n-par N (sequences; default 8), --ubatch N,
//            --batch N, --threads N, --fa on|off, --kv f16|bf16|q8_0|f32, --no-repack,
//            --steps N (default 12), --prompt TEXT
//
// Exit status: 0 when every compared step is bit-identical, 1 when some differ, 2 on error.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <fstream>
#include <map>

#include "build-info.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"
#include "gguf.h"
#include "llama.h"

namespace {

struct Options {
  std::string model, experiment, prompt = "The history of the northern lighthouse keepers begins with a storm that";
  int arg = 0;
  bool unified = false, repack = true;
  int n_par = 8, n_batch = 512, n_ubatch = 512, threads = 2, steps = 12;
  std::string fa = "off", kv = "f16";
  std::string kernel_type;  // experiment "kernel": the matrix type
};

ggml_type kv_type(const std::string& s) {
  if (s == "f16") return GGML_TYPE_F16;
  if (s == "f32") return GGML_TYPE_F32;
  if (s == "bf16") return GGML_TYPE_BF16;
  if (s == "q8_0") return GGML_TYPE_Q8_0;
  throw std::runtime_error("--kv: f16, f32, bf16 or q8_0");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + ": missing value");
      return argv[++i];
    };
    if (a == "--model")
      o.model = next();
    else if (a == "--unified")
      o.unified = true;
    else if (a == "--no-repack")
      o.repack = false;
    else if (a == "--n-par")
      o.n_par = std::stoi(next());
    else if (a == "--batch")
      o.n_batch = std::stoi(next());
    else if (a == "--ubatch")
      o.n_ubatch = std::stoi(next());
    else if (a == "--threads")
      o.threads = std::stoi(next());
    else if (a == "--steps")
      o.steps = std::stoi(next());
    else if (a == "--fa")
      o.fa = next();
    else if (a == "--kv")
      o.kv = next();
    else if (a == "--prompt")
      o.prompt = next();
    else if (o.experiment.empty())
      o.experiment = a;
    else if (o.experiment == "kernel" && o.kernel_type.empty())
      o.kernel_type = a;
    else
      o.arg = std::stoi(a);
  }
  if (o.experiment != "kernel" && (o.model.empty() || o.experiment.empty()))
    throw std::runtime_error("usage: det-probe --model M.gguf [options] EXPERIMENT [ARG]");
  return o;
}

class Probe {
 public:
  Probe(llama_model* model, const Options& o, int threads) : model_(model), vocab_(llama_model_get_vocab(model)) {
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 1024 * o.n_par;
    cp.n_seq_max = o.n_par;
    cp.n_batch = o.n_batch;
    cp.n_ubatch = std::min(o.n_ubatch, o.n_batch);
    cp.kv_unified = o.unified;
    cp.n_threads = cp.n_threads_batch = threads;
    cp.flash_attn_type = o.fa == "on" ? LLAMA_FLASH_ATTN_TYPE_ENABLED : LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.type_k = cp.type_v = kv_type(o.kv);
    cp.no_perf = true;
    ctx_ = llama_init_from_model(model, cp);
    if (!ctx_) throw std::runtime_error("llama_init_from_model failed");
    n_vocab_ = llama_vocab_n_tokens(vocab_);
    n_batch_ = o.n_batch;
  }
  ~Probe() { llama_free(ctx_); }

  struct Tok {
    llama_token t;
    llama_seq_id s;
    llama_pos p;
    bool out;
  };

  // Decodes `toks` in one llama_decode; returns the logits of every output, in order.
  std::vector<std::vector<float>> decode(const std::vector<Tok>& toks) {
    llama_batch b = llama_batch_init(static_cast<int32_t>(toks.size()), 0, 1);
    for (const Tok& k : toks) {
      const int i = b.n_tokens++;
      b.token[i] = k.t;
      b.pos[i] = k.p;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = k.s;
      b.logits[i] = k.out;
    }
    const int rc = llama_decode(ctx_, b);
    llama_batch_free(b);
    if (rc != 0) throw std::runtime_error("llama_decode returned " + std::to_string(rc));
    std::vector<std::vector<float>> out;
    for (size_t i = 0; i < toks.size(); ++i) {
      if (!toks[i].out) continue;
      const float* l = llama_get_logits_ith(ctx_, static_cast<int32_t>(i));
      out.emplace_back(l, l + n_vocab_);
    }
    return out;
  }

  // Decodes `tokens` of sequence `s` from position `p0` in chunks of `chunk`; logits of the last.
  std::vector<float> prefill(const std::vector<llama_token>& tokens, llama_seq_id s, llama_pos p0, size_t chunk) {
    std::vector<float> last;
    for (size_t i = 0; i < tokens.size(); i += chunk) {
      std::vector<Tok> part;
      for (size_t j = i; j < std::min(tokens.size(), i + chunk); ++j) {
        part.push_back({tokens[j], s, static_cast<llama_pos>(p0 + j), j + 1 == tokens.size()});
      }
      auto out = decode(part);
      if (!out.empty()) last = out.back();
    }
    return last;
  }

  std::vector<llama_token> tokenize(const std::string& text) const {
    std::vector<llama_token> t(text.size() + 8);
    const int n = llama_tokenize(vocab_, text.c_str(), static_cast<int32_t>(text.size()), t.data(),
                                 static_cast<int32_t>(t.size()), true, false);
    t.resize(std::max(n, 0));
    return t;
  }

  static llama_token argmax(const std::vector<float>& l) {
    return static_cast<llama_token>(std::max_element(l.begin(), l.end()) - l.begin());
  }
  void clear() { llama_memory_clear(llama_get_memory(ctx_), true); }
  int n_batch() const { return n_batch_; }

 private:
  llama_model* model_;
  const llama_vocab* vocab_;
  llama_context* ctx_ = nullptr;
  int32_t n_vocab_ = 0;
  int n_batch_ = 0;
};

struct Reference {
  std::vector<llama_token> prompt, generated;
  std::vector<std::vector<float>> logits;  // [0] after the prompt, [i] after generated[i-1]
};

Reference run_reference(Probe& p, const std::string& text, int steps) {
  Reference r;
  r.prompt = p.tokenize(text);
  p.clear();
  r.logits.push_back(p.prefill(r.prompt, 0, 0, r.prompt.size()));
  for (int i = 0; i < steps; ++i) {
    const llama_token t = Probe::argmax(r.logits.back());
    r.generated.push_back(t);
    const llama_pos pos = static_cast<llama_pos>(r.prompt.size() + i);
    r.logits.push_back(p.decode({{t, 0, pos, true}})[0]);
  }
  return r;
}

// Returns false when any compared step differs.
bool report(const char* what, const Reference& ref, const std::vector<std::vector<float>>& got) {
  bool same_all = true;
  double worst = 0;
  int n_diff = 0;
  for (size_t i = 0; i < got.size() && i < ref.logits.size(); ++i) {
    double d = 0;
    const bool same = std::memcmp(got[i].data(), ref.logits[i].data(), got[i].size() * sizeof(float)) == 0;
    for (size_t v = 0; v < got[i].size(); ++v) d = std::max(d, std::fabs(double(got[i][v]) - ref.logits[i][v]));
    worst = std::max(worst, d);
    n_diff += same ? 0 : 1;
    same_all = same_all && same;
  }
  std::printf("%-28s steps %zu, differing %d, identical %s, max |dlogit| %.3g\n", what, got.size(), n_diff,
              same_all ? "yes" : "no", worst);
  return same_all;
}

// Teacher-forced decode of the reference's tokens; each step may add neighbour tokens.
std::vector<std::vector<float>> replay(Probe& p, const Reference& ref, int neighbours) {
  std::vector<std::vector<float>> got;
  p.clear();
  std::vector<std::vector<llama_token>> nb;
  for (int k = 1; k <= neighbours; ++k) {
    nb.push_back(
        p.tokenize("Neighbour " + std::to_string(k) + " talks about " + std::string(k * 3, 'x') + " and rivers"));
    p.prefill(nb.back(), k, 0, nb.back().size());
  }
  got.push_back(p.prefill(ref.prompt, 0, 0, ref.prompt.size()));
  for (size_t i = 0; i < ref.generated.size(); ++i) {
    std::vector<Probe::Tok> step{{ref.generated[i], 0, static_cast<llama_pos>(ref.prompt.size() + i), true}};
    for (int k = 1; k <= neighbours; ++k) {
      step.push_back({static_cast<llama_token>(100 + k), k, static_cast<llama_pos>(nb[k - 1].size() + i), true});
    }
    got.push_back(p.decode(step)[0]);
  }
  return got;
}

// One mul_mat on the CPU backend: A is [k x 64] of `type` (random), B is [k x n] f32 whose first
// column is always the same; returns column 0 of A^T B.
std::vector<float> mul_mat_col0(ggml_type type, int k, int n, int threads) {
  ggml_init_params ip = {64 * 1024 * 1024, nullptr, false};
  ggml_context* g = ggml_init(ip);
  ggml_tensor* a = ggml_new_tensor_2d(g, type, k, 64);
  ggml_tensor* b = ggml_new_tensor_2d(g, GGML_TYPE_F32, k, n);
  std::vector<float> af(static_cast<size_t>(k) * 64);
  uint32_t s = 12345;
  auto rnd = [&] {
    s = s * 1664525u + 1013904223u;
    return ((s >> 8) / 16777216.0f - 0.5f);
  };
  for (float& v : af) v = rnd();
  ggml_quantize_chunk(type, af.data(), a->data, 0, 64, k, nullptr);
  float* bd = static_cast<float*>(b->data);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < k; ++i) bd[j * k + i] = j == 0 ? std::sin(0.37f * i) : rnd();
  ggml_tensor* c = ggml_mul_mat(g, a, b);
  ggml_cgraph* gf = ggml_new_graph(g);
  ggml_build_forward_expand(gf, c);
  ggml_graph_compute_with_ctx(g, gf, threads);
  std::vector<float> out(static_cast<float*>(c->data), static_cast<float*>(c->data) + 64);
  ggml_free(g);
  return out;
}

int run_kernel(const std::string& type_name, int k, int threads) {
  ggml_type type = GGML_TYPE_COUNT;
  for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
    const char* nm = ggml_type_name(static_cast<ggml_type>(t));
    if (nm && type_name == nm) type = static_cast<ggml_type>(t);
  }
  if (type == GGML_TYPE_COUNT) throw std::runtime_error("unknown type " + type_name);
  const std::vector<float> ref = mul_mat_col0(type, k, 1, threads);
  bool all = true;
  for (int n : {2, 3, 4, 8, 16}) {
    const std::vector<float> got = mul_mat_col0(type, k, n, threads);
    double d = 0;
    for (int i = 0; i < 64; ++i) d = std::max(d, std::fabs(double(got[i]) - ref[i]));
    const bool same = std::memcmp(got.data(), ref.data(), 64 * sizeof(float)) == 0;
    all = all && same;
    std::printf("kernel %-5s k %-5d columns 1 vs %-2d identical %s, max |d| %.3g\n", type_name.c_str(), k, n,
                same ? "yes" : "no", d);
  }
  return all ? 0 : 1;
}

// FNV-1a 64 of a file (a prototype's stand-in for SHA-256, which the library would compute
// while loading the model).
std::string file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  uint64_t h = 0xcbf29ce484222325ull;
  while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 0x100000001b3ull;
  }
  char out[32];
  std::snprintf(out, sizeof out, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return out;
}

// The CPU backend's features: the ISA extensions its kernels were compiled for (and found at
// run time) and the kernel families built in (LLAMAFILE, REPACK, OPENMP, KLEIDIAI, AMX).
std::string cpu_features() {
  ggml_backend_reg_t reg = ggml_backend_reg_by_name("CPU");
  auto get = reg ? reinterpret_cast<ggml_backend_get_features_t>(
                       ggml_backend_reg_get_proc_address(reg, "ggml_backend_get_features"))
                 : nullptr;
  std::string out;
  for (ggml_backend_feature* f = get ? get(reg) : nullptr; f && f->name; ++f) {
    out += std::string(out.empty() ? "" : " ") + f->name +
           (std::string(f->value) == "1" ? "" : std::string("=") + f->value);
  }
  return out;
}

int run_fingerprint(const Options& o) {
  ggml_context* meta = nullptr;
  gguf_init_params ip = {true, &meta};
  gguf_context* g = gguf_init_from_file(o.model.c_str(), ip);
  if (!g) throw std::runtime_error("cannot read " + o.model);
  std::map<std::string, int> types;
  for (ggml_tensor* t = ggml_get_first_tensor(meta); t; t = ggml_get_next_tensor(meta, t)) {
    if (ggml_n_dims(t) >= 2) ++types[ggml_type_name(t->type)];
  }
  gguf_free(g);
  ggml_free(meta);
  std::string type_list;
  for (const auto& [name, n] : types) type_list += (type_list.empty() ? "" : " ") + name + "x" + std::to_string(n);
  std::printf(
      "{\n  \"llama_cpp\": \"%s (build %d)\",\n  \"compiler\": \"%s\",\n  \"target\": \"%s\",\n"
      "  \"ggml_cpu\": \"%s\",\n  \"model\": \"%s\",\n  \"matrix_types\": \"%s\",\n"
      "  \"numerics\": \"deterministic=1 repack=0 flash_attn=off cache_type_k=%s cache_type_v=%s "
      "kv_unified=0 n_gpu_layers=0\"\n}\n",
      llama_commit(), llama_build_number(), llama_compiler(), llama_build_target(), cpu_features().c_str(),
      file_digest(o.model).c_str(), type_list.c_str(), o.kv.c_str(), o.kv.c_str());
  return 0;
}

int run(const Options& o) {
  if (o.experiment == "fingerprint") {
    ggml_backend_load_all();
    return run_fingerprint(o);
  }
  if (o.experiment == "kernel") return run_kernel(o.kernel_type, o.arg, o.threads);
  llama_backend_init();
  llama_model_params mp = llama_model_default_params();
  mp.use_extra_bufts = o.repack;
  llama_model* model = llama_model_load_from_file(o.model.c_str(), mp);
  if (!model) throw std::runtime_error("cannot load " + o.model);
  Probe p(model, o, o.threads);
  const Reference ref = run_reference(p, o.prompt, o.steps);
  bool same = true;
  const std::string e = o.experiment;
  if (e == "alone") {
    same = report("alone again", ref, replay(p, ref, 0));
  } else if (e == "neighbours") {
    same = report(("neighbours " + std::to_string(o.arg)).c_str(), ref, replay(p, ref, o.arg));
  } else if (e == "chunks") {
    p.clear();
    std::vector<std::vector<float>> got{p.prefill(ref.prompt, 0, 0, std::max(1, o.arg))};
    for (size_t i = 0; i < ref.generated.size(); ++i) {
      got.push_back(p.decode({{ref.generated[i], 0, static_cast<llama_pos>(ref.prompt.size() + i), true}})[0]);
    }
    same = report(("prompt in chunks of " + std::to_string(o.arg)).c_str(), ref, got);
  } else if (e == "reuse") {
    // The reference decoded generated[0..n-2] one at a time; here they are part of one prompt.
    std::vector<llama_token> all = ref.prompt;
    all.insert(all.end(), ref.generated.begin(), ref.generated.end() - 1);
    p.clear();
    const std::vector<float> last = p.prefill(all, 0, 0, all.size());
    Reference tail = ref;
    tail.logits = {ref.logits[ref.generated.size() - 1]};
    same = report("generated tokens as prompt", tail, {last});
  } else if (e == "kvpad" || e == "kvpad-batch") {
    // kvpad-batch: the other sequence decodes in the same calls, so n_kv is padded to its length.
    const bool in_batch = e == "kvpad-batch";
    p.clear();
    std::vector<llama_token> other(o.arg, 1000);
    p.prefill(other, 1, 0, std::min<size_t>(other.size(), p.n_batch()));
    std::vector<std::vector<float>> got{p.prefill(ref.prompt, 0, 0, ref.prompt.size())};
    for (size_t i = 0; i < ref.generated.size(); ++i) {
      std::vector<Probe::Tok> step{{ref.generated[i], 0, static_cast<llama_pos>(ref.prompt.size() + i), true}};
      if (in_batch) step.push_back({1000, 1, static_cast<llama_pos>(other.size() + i), false});
      got.push_back(p.decode(step)[0]);
    }
    same = report(("other sequence of " + std::to_string(o.arg) + (in_batch ? " in batch" : "")).c_str(), ref, got);
  } else if (e == "threads") {
    Options o2 = o;
    Probe q(model, o2, o.arg);
    same = report(("threads " + std::to_string(o.arg)).c_str(), ref, replay(q, ref, 0));
  } else {
    throw std::runtime_error("unknown experiment '" + e + "'");
  }
  llama_model_free(model);
  return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "det-probe: %s\n", e.what());
    return 2;
  }
}
