// make-tiny-lora: writes a LoRA adapter GGUF for a base model, in the layout llama.cpp's
// convert_lora_to_gguf.py produces (general.type "adapter", adapter.type "lora",
// adapter.lora.alpha, and for each adapted matrix W of shape [n_in, n_out] a pair
// <W>.lora_a [n_in, rank] and <W>.lora_b [rank, n_out], f32 as the converter's default).
//
// The shapes and the architecture are read from the base model file itself, so an adapter always
// matches the model it was made for. Weights are deterministic (tools/tiny_gguf.h) and large
// enough that scale 1 visibly changes greedy output while scale 0 leaves it untouched (llama.cpp
// adds scale * alpha / rank * B(A x) to W x).

#include "tiny_gguf.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using tiny::TensorSpec;

struct Options {
  std::string base, out, name;
  std::vector<std::string> targets = {"attn_q", "attn_v"};
  int64_t rank = 8;
  double alpha = 16.0;
  double spread = 0.5;
  uint64_t seed = 1;
};

const char* kUsage =
    "usage: make-tiny-lora --base MODEL.gguf --out ADAPTER.gguf [options]\n"
    "  --targets a,b,...  matrices to adapt, by the name inside each block (default attn_q,attn_v;\n"
    "                     e.g. attn_k, attn_output, attn_qkv, ffn_gate, ffn_up, ffn_down)\n"
    "  --rank N           LoRA rank (default 8)\n"
    "  --alpha X          adapter.lora.alpha (default 16; the effective scale is alpha / rank)\n"
    "  --spread X         lora_a and lora_b uniform in [-X, X] (default 0.5)\n"
    "  --seed N           weight seed (default 1)\n"
    "  --name NAME        general.name (default: the output file's stem)\n";

Options parse_args(int argc, char** argv) {
  Options o;
  for (tiny::ArgReader r(argc, argv, kUsage); r.next();) {
    const std::string& a = r.flag();
    if (a == "--base")
      o.base = r.value();
    else if (a == "--out")
      o.out = r.value();
    else if (a == "--name")
      o.name = r.value();
    else if (a == "--targets")
      o.targets = tiny::split_commas(r.value());
    else if (a == "--rank")
      o.rank = r.int_value();
    else if (a == "--alpha")
      o.alpha = r.number_value();
    else if (a == "--spread")
      o.spread = r.number_value();
    else if (a == "--seed")
      o.seed = (uint64_t)r.int_value();
    else
      r.unknown();
  }
  if (o.base.empty() || o.out.empty()) throw std::runtime_error("--base and --out are required (see --help)");
  if (o.rank < 1) throw std::runtime_error("--rank must be at least 1");
  if (o.targets.empty()) throw std::runtime_error("--targets names no matrix");
  return o;
}

// "blk.3.attn_q.weight" -> "attn_q"; empty for tensors outside the blocks.
std::string block_member(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return "";
  const size_t dot1 = name.find('.', 4);
  const size_t dot2 = name.rfind(".weight");
  if (dot1 == std::string::npos || dot2 == std::string::npos || dot2 != name.size() - 7 || dot2 <= dot1) return "";
  return name.substr(dot1 + 1, dot2 - dot1 - 1);
}

// One lora_a/lora_b pair per 2-D block matrix the targets name, in the base file's order.
std::vector<TensorSpec> plan_pairs(const Options& o, gguf_context* base, ggml_context* shapes) {
  std::vector<TensorSpec> plan;
  std::vector<bool> used(o.targets.size(), false);
  for (int64_t i = 0; i < gguf_get_n_tensors(base); ++i) {
    const std::string name = gguf_get_tensor_name(base, i);
    const std::string member = block_member(name);
    for (size_t t = 0; t < o.targets.size(); ++t) {
      if (member != o.targets[t]) continue;
      const ggml_tensor* w = ggml_get_tensor(shapes, name.c_str());
      if (ggml_n_dims(w) != 2) throw std::runtime_error(name + " is not a matrix; LoRA adapts matrices only");
      const float spread = (float)o.spread;
      plan.push_back({name + ".lora_a", {w->ne[0], o.rank}, tiny::Init::Random, GGML_TYPE_F32, spread});
      plan.push_back({name + ".lora_b", {o.rank, w->ne[1]}, tiny::Init::Random, GGML_TYPE_F32, spread});
      used[t] = true;
    }
  }
  for (size_t t = 0; t < o.targets.size(); ++t)
    if (!used[t])
      throw std::runtime_error("--targets: the base model has no block matrix named '" + o.targets[t] + "'");
  return plan;
}

void run(Options o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.name.empty()) o.name = tiny::stem(o.out);
  ggml_context* shapes_raw = nullptr;
  tiny::GgufPtr base = tiny::open_gguf(o.base, &shapes_raw);
  tiny::GgmlPtr shapes(shapes_raw);
  const int64_t arch_id = gguf_find_key(base.get(), "general.architecture");
  if (arch_id < 0) throw std::runtime_error("'" + o.base + "' has no general.architecture: not a model GGUF");
  const std::string arch = gguf_get_val_str(base.get(), arch_id);

  tiny::GgufPtr g(gguf_init_empty());
  gguf_set_val_str(g.get(), "general.architecture", arch.c_str());
  gguf_set_val_str(g.get(), "general.type", "adapter");
  gguf_set_val_str(g.get(), "general.name", o.name.c_str());
  gguf_set_val_u32(g.get(), "general.file_type", 0);  // LLAMA_FTYPE_ALL_F32
  gguf_set_val_str(g.get(), "adapter.type", "lora");
  gguf_set_val_f32(g.get(), "adapter.lora.alpha", (float)o.alpha);

  const std::vector<TensorSpec> plan = plan_pairs(o, base.get(), shapes.get());
  const uint64_t n_params = tiny::write_gguf(g.get(), plan, o.seed, 1, o.out);

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fprintf(stderr, "make-tiny-lora: wrote %s: %s, %zu matrices, rank %lld, alpha %.1f, %.3f M params, %.1f s\n",
          o.out.c_str(), arch.c_str(), plan.size() / 2, (long long)o.rank, o.alpha, n_params / 1e6, secs);
}

}  // namespace

int main(int argc, char** argv) {
  return tiny::run_main("make-tiny-lora", [&] { run(parse_args(argc, argv)); });
}
