// make-tiny-mmproj: writes a multimodal projector GGUF ("mmproj") that llama.cpp's mtmd library
// (tools/mtmd: clip.cpp, mtmd.cpp) loads next to a text model, with deterministic random weights.
//
//   --kind vision  a LLaVA-1.5 style image encoder: a CLIP ViT (class token, learned positions,
//                  pre-norm, quick-GELU MLP) and the two-layer "mlp" projector (mm.0, GELU, mm.2).
//                  Keys and tensors as tools/mtmd/legacy-models/convert_image_encoder_to_gguf.py
//                  writes them; the graph is tools/mtmd/models/llava.cpp. Like a converted
//                  LLaVA file, the last of the block_count layers is stored but not run (LLaVA
//                  takes the features of the penultimate layer).
//   --kind audio   an Ultravox style audio encoder: a Whisper encoder (two conv1d, learned
//                  positions, pre-norm blocks with no K bias, final norm) and the Ultravox
//                  projector (stack frames, RMS norm, SwiGLU, RMS norm, linear). Keys and
//                  tensors as conversion/ultravox.py writes them; the graph is
//                  tools/mtmd/models/whisper-enc.cpp. Neither needs special tokens in the text
//                  model's vocabulary, which is why these two types pair with tiny-llama.
//   --kind qwen2vl a Qwen2-VL image encoder (projector type qwen2vl_merger): a ViT with no class
//                  token and no learned positions (2-D M-RoPE inside attention), its Conv3D patch
//                  embedding split into two Conv2D kernels as the converter does, and the merger
//                  (LayerNorm, 2x2 patches concatenated, MLP). Keys and tensors as
//                  conversion/qwenvl.py writes them; the graph is tools/mtmd/models/qwen2vl.cpp.
//                  Pairs with a qwen2vl text model (M-RoPE positions for the image tokens).
//   --kind gemma3  a Gemma 3 image encoder: SigLIP (patch bias, learned positions, tanh GELU,
//                  post-norm), average pooling of the patch grid, RMS norm and one projection.
//                  Keys and tensors as conversion/gemma.py writes them; the graph is
//                  tools/mtmd/models/siglip.cpp. Pairs with a gemma3 text model, which attends to
//                  the image tokens without a causal mask.
//
// The projector's output width is read from the text model (--text), so the pair always matches.

#include "tiny_gguf.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using tiny::Init;
using tiny::TensorSpec;

enum class Kind { Vision, Audio, Qwen2VL, Gemma3 };

struct Options {
  std::string text, out, name;
  Kind kind = Kind::Vision;
  int64_t n_layer = 0, n_embd = 0, n_head = 0, n_ff = 0;  // the encoder; 0: the kind's default
  int64_t image_size = 32, patch_size = 0;                // vision; patch 0: the kind's default
  int64_t n_mel = 80, stack = 10;                         // audio
  double spread = 0.2;
  uint64_t seed = 42;
};

// Whisper's encoder sees 30 s windows: 3000 mel frames, halved by the stride-2 convolution.
constexpr int64_t kWhisperPositions = 1500;

const char* kUsage =
    "usage: make-tiny-mmproj --kind vision|audio|qwen2vl|gemma3 --text TEXT_MODEL.gguf --out MMPROJ.gguf\n"
    "       [options]   (vision: LLaVA-1.5 mlp; audio: Ultravox; qwen2vl, gemma3: those families)\n"
    "  --n-layer N --n-embd N --n-head N --n-ff N   encoder shape (images default 2, 32, 2, 64;\n"
    "                                              audio default 1, 64, 4, 128)\n"
    "  --image-size N --patch-size N   image input (default 32 and patch 8 for vision, 4 for qwen2vl\n"
    "                                  and gemma3, whose patches are merged 2x2: 16 image tokens)\n"
    "  --n-mel N --stack N             audio mel bins and frames stacked per token (default 80, 10:\n"
    "                                  150 audio tokens per 30 s window; must divide 1500)\n"
    "  --spread X                      weights uniform in [-X, X] (default 0.2)\n"
    "  --seed N                        weight seed (default 42)\n"
    "  --name NAME                     general.name (default: the output file's stem)\n";

// Images: a 2-block ViT of width 32; audio: a 1-block Whisper encoder of width 64.
void apply_default_shape(Options& o) {
  const bool v = o.kind != Kind::Audio;
  if (o.patch_size == 0) o.patch_size = o.kind == Kind::Vision ? 8 : 4;
  if (o.n_layer == 0) o.n_layer = v ? 2 : 1;
  if (o.n_embd == 0) o.n_embd = v ? 32 : 64;
  if (o.n_head == 0) o.n_head = v ? 2 : 4;
  if (o.n_ff == 0) o.n_ff = v ? 64 : 128;
}

Kind parse_kind(const std::string& k) {
  if (k == "vision") return Kind::Vision;
  if (k == "audio") return Kind::Audio;
  if (k == "qwen2vl") return Kind::Qwen2VL;
  if (k == "gemma3") return Kind::Gemma3;
  throw std::runtime_error("--kind: unknown kind '" + k + "' (vision, audio, qwen2vl, gemma3)");
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (tiny::ArgReader r(argc, argv, kUsage); r.next();) {
    const std::string& a = r.flag();
    if (a == "--kind")
      o.kind = parse_kind(r.value());
    else if (a == "--text")
      o.text = r.value();
    else if (a == "--out")
      o.out = r.value();
    else if (a == "--name")
      o.name = r.value();
    else if (a == "--n-layer")
      o.n_layer = r.int_value();
    else if (a == "--n-embd")
      o.n_embd = r.int_value();
    else if (a == "--n-head")
      o.n_head = r.int_value();
    else if (a == "--n-ff")
      o.n_ff = r.int_value();
    else if (a == "--image-size")
      o.image_size = r.int_value();
    else if (a == "--patch-size")
      o.patch_size = r.int_value();
    else if (a == "--n-mel")
      o.n_mel = r.int_value();
    else if (a == "--stack")
      o.stack = r.int_value();
    else if (a == "--spread")
      o.spread = r.number_value();
    else if (a == "--seed")
      o.seed = (uint64_t)r.int_value();
    else
      r.unknown();
  }
  if (o.text.empty() || o.out.empty()) throw std::runtime_error("--text and --out are required (see --help)");
  apply_default_shape(o);
  if (o.n_layer < 1 || o.n_embd < 1 || o.n_head < 1 || o.n_ff < 1 || o.stack < 1)
    throw std::runtime_error("sizes must be at least 1");
  if (o.n_embd % o.n_head != 0) throw std::runtime_error("--n-embd must be a multiple of --n-head");
  if (o.patch_size < 1 || o.image_size % o.patch_size != 0)
    throw std::runtime_error("--image-size must be a positive multiple of --patch-size");
  // Both merge 2x2 patches into one token: an image side must hold an even number of patches.
  if (o.kind != Kind::Vision && o.kind != Kind::Audio && o.image_size % (2 * o.patch_size) != 0)
    throw std::runtime_error("--image-size must be a multiple of twice --patch-size for qwen2vl and gemma3");
  // qwen2vl's graph rotates a quarter of each head by each of 4 position sections.
  if (o.kind == Kind::Qwen2VL && (o.n_embd / o.n_head) % 4 != 0)
    throw std::runtime_error("qwen2vl: the head size (--n-embd / --n-head) must be a multiple of 4");
  if (o.n_mel < 1 || o.n_mel > 256) throw std::runtime_error("--n-mel must be in [1, 256] (clip.cpp's limit)");
  // clip.cpp counts (3000 / stack) / 2 output tokens but its graph pads 1500 positions up to a
  // multiple of the stack: the two agree only when the stack divides 1500 (Ultravox's own 8
  // does not, and aborts with "Invalid number of output tokens").
  if (kWhisperPositions % o.stack != 0) throw std::runtime_error("--stack must divide 1500 (e.g. 4, 5, 10)");
  return o;
}

// The width the text model expects for each embedding it is fed.
int64_t text_width(const std::string& path) {
  tiny::GgufPtr g = tiny::open_gguf(path);
  const int64_t arch_id = gguf_find_key(g.get(), "general.architecture");
  if (arch_id < 0) throw std::runtime_error("'" + path + "' has no general.architecture: not a model GGUF");
  const std::string key = std::string(gguf_get_val_str(g.get(), arch_id)) + ".embedding_length";
  const int64_t id = gguf_find_key(g.get(), key.c_str());
  if (id < 0) throw std::runtime_error("'" + path + "' has no " + key);
  return (int64_t)gguf_get_val_u32(g.get(), id);
}

// Appends tensors with the converters' types: matrices and convolution kernels f16, vectors f32.
struct Plan {
  float spread;
  std::vector<TensorSpec> t;

  void f16(const std::string& name, std::vector<int64_t> ne) {
    t.push_back({name, std::move(ne), Init::Random, GGML_TYPE_F16, spread});
  }
  void f32(const std::string& name, std::vector<int64_t> ne, Init init = Init::Random) {
    t.push_back({name, std::move(ne), init, GGML_TYPE_F32, spread});
  }
  void norm(const std::string& prefix, int64_t n) {
    f32(prefix + ".weight", {n}, Init::Ones);
    f32(prefix + ".bias", {n});
  }
  void linear(const std::string& prefix, int64_t n_in, int64_t n_out, bool bias = true) {
    f16(prefix + ".weight", {n_in, n_out});
    if (bias) f32(prefix + ".bias", {n_out});
  }
  // The projector's last matrix: scaled so that its outputs (from inputs of about unit size)
  // are about as large as the text model's token embeddings (uniform in [-0.2, 0.2]). Larger
  // media embeddings drown the prompt: every answer becomes one token repeated.
  void output(const std::string& prefix, int64_t n_in, int64_t n_out, bool bias) {
    const float keep = spread;
    spread = 0.2f * std::sqrt(3.0f / (float)n_in);
    linear(prefix, n_in, n_out, bias);
    spread = keep;
  }
};

// One pre-norm transformer block as clip.cpp's build_vit / llava graph read it. Whisper has no
// bias on K.
void plan_block(Plan& p, const std::string& b, const Options& o, bool k_bias) {
  p.linear(b + "attn_k", o.n_embd, o.n_embd, k_bias);
  p.linear(b + "attn_v", o.n_embd, o.n_embd);
  p.linear(b + "attn_q", o.n_embd, o.n_embd);
  p.linear(b + "attn_out", o.n_embd, o.n_embd);
  p.norm(b + "ln1", o.n_embd);
  p.linear(b + "ffn_up", o.n_embd, o.n_ff);
  p.linear(b + "ffn_down", o.n_ff, o.n_embd);
  p.norm(b + "ln2", o.n_embd);
}

std::vector<TensorSpec> plan_vision(const Options& o, int64_t n_text) {
  Plan p{(float)o.spread, {}};
  const int64_t n_patches = (o.image_size / o.patch_size) * (o.image_size / o.patch_size);
  p.linear("mm.0", o.n_embd, n_text);
  p.output("mm.2", n_text, n_text, true);
  p.f32("v.class_embd", {o.n_embd});
  p.f16("v.patch_embd.weight", {o.patch_size, o.patch_size, 3, o.n_embd});
  p.f16("v.position_embd.weight", {o.n_embd, n_patches + 1});
  p.norm("v.pre_ln", o.n_embd);
  for (int64_t i = 0; i < o.n_layer; ++i) plan_block(p, "v.blk." + std::to_string(i) + ".", o, true);
  return p.t;
}

// Qwen2-VL: Conv3D patch embedding over 2 frames, stored as two Conv2D kernels (a still image is
// both frames); no patch bias, class token or learned positions; pre-norm LayerNorm blocks with
// biases everywhere; the merger's LayerNorm (ln_q, stored as v.post_ln), then each 2x2 group of
// patches concatenated (4 * n_embd) through Linear, GELU, Linear to the text width.
std::vector<TensorSpec> plan_qwen2vl(const Options& o, int64_t n_text) {
  Plan p{(float)o.spread, {}};
  const int64_t merged = 4 * o.n_embd;
  p.f16("v.patch_embd.weight", {o.patch_size, o.patch_size, 3, o.n_embd});
  p.f16("v.patch_embd.weight.1", {o.patch_size, o.patch_size, 3, o.n_embd});
  for (int64_t i = 0; i < o.n_layer; ++i) plan_block(p, "v.blk." + std::to_string(i) + ".", o, true);
  p.norm("v.post_ln", o.n_embd);
  p.linear("mm.0", merged, merged);
  p.output("mm.2", merged, n_text, true);
  return p.t;
}

// Gemma 3: SigLIP (patch embedding with bias and learned positions kept f32 as the converter
// does, post-norm, no pre-norm), then the projector: average pooling of the patch grid, RMS norm
// (its weight holds Gemma's 1 + w, as converted) and one matrix, stored [n_text, n_embd] because
// the graph multiplies by its transpose.
std::vector<TensorSpec> plan_gemma3(const Options& o, int64_t n_text) {
  Plan p{(float)o.spread, {}};
  const int64_t side = o.image_size / o.patch_size;
  p.f32("v.patch_embd.weight", {o.patch_size, o.patch_size, 3, o.n_embd});
  p.f32("v.patch_embd.bias", {o.n_embd});
  p.f32("v.position_embd.weight", {o.n_embd, side * side});
  for (int64_t i = 0; i < o.n_layer; ++i) plan_block(p, "v.blk." + std::to_string(i) + ".", o, true);
  p.norm("v.post_ln", o.n_embd);
  p.f32("mm.soft_emb_norm.weight", {o.n_embd}, Init::Ones);
  // Scaled like Plan::output, over the n_embd inputs each output sums.
  p.t.push_back({"mm.input_projection.weight",
                 {n_text, o.n_embd},
                 Init::Random,
                 GGML_TYPE_F16,
                 0.2f * std::sqrt(3.0f / (float)o.n_embd)});
  return p.t;
}

std::vector<TensorSpec> plan_audio(const Options& o, int64_t n_text) {
  Plan p{(float)o.spread, {}};
  // Conv biases are [1, n_embd]: the converter unsqueezes them to broadcast over frames.
  p.f16("a.conv1d.1.weight", {3, o.n_mel, o.n_embd});
  p.f32("a.conv1d.1.bias", {1, o.n_embd});
  p.f16("a.conv1d.2.weight", {3, o.n_embd, o.n_embd});
  p.f32("a.conv1d.2.bias", {1, o.n_embd});
  // f32: the graph adds a view of it to f32 activations, and ggml's CPU add takes no f16 operand.
  p.f32("a.position_embd.weight", {o.n_embd, kWhisperPositions});
  for (int64_t i = 0; i < o.n_layer; ++i) plan_block(p, "a.blk." + std::to_string(i) + ".", o, false);
  p.norm("a.post_ln", o.n_embd);
  // Ultravox: stacked frames -> RMS norm -> linear to 2*h -> SwiGLU (h) -> RMS norm -> linear.
  const int64_t stacked = o.n_embd * o.stack, hidden = n_text;
  p.f32("mm.a.norm_pre.weight", {stacked}, Init::Ones);
  p.linear("mm.a.mlp.1", stacked, 2 * hidden, false);
  p.f32("mm.a.norm_mid.weight", {hidden}, Init::Ones);
  p.output("mm.a.mlp.2", hidden, n_text, false);
  return p.t;
}

void set_common_keys(gguf_context* g, const Options& o, const char* prefix, int64_t n_text, float eps = 1e-5f) {
  const std::string k = std::string("clip.") + prefix + ".";
  gguf_set_val_str(g, "general.architecture", "clip");
  gguf_set_val_str(g, "general.type", "mmproj");
  gguf_set_val_str(g, "general.name", o.name.c_str());
  gguf_set_val_u32(g, "general.file_type", 1);  // mostly f16
  gguf_set_val_u32(g, (k + "embedding_length").c_str(), (uint32_t)o.n_embd);
  gguf_set_val_u32(g, (k + "feed_forward_length").c_str(), (uint32_t)o.n_ff);
  gguf_set_val_u32(g, (k + "block_count").c_str(), (uint32_t)o.n_layer);
  gguf_set_val_u32(g, (k + "attention.head_count").c_str(), (uint32_t)o.n_head);
  gguf_set_val_f32(g, (k + "attention.layer_norm_epsilon").c_str(), eps);
  gguf_set_val_u32(g, (k + "projection_dim").c_str(), (uint32_t)n_text);
}

// OpenAI CLIP's normalisation, which LLaVA-1.5 and Qwen2-VL use.
const float kClipMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
const float kClipStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

// What every image encoder of a converted model carries, with the family's normalisation.
void set_image_keys(gguf_context* g, const Options& o, int64_t n_text, const char* type, const float mean[3],
                    const float std_dev[3], float eps) {
  set_common_keys(g, o, "vision", n_text, eps);
  gguf_set_val_bool(g, "clip.has_vision_encoder", true);
  gguf_set_val_str(g, "clip.projector_type", type);
  gguf_set_val_u32(g, "clip.vision.image_size", (uint32_t)o.image_size);
  gguf_set_val_u32(g, "clip.vision.patch_size", (uint32_t)o.patch_size);
  gguf_set_arr_data(g, "clip.vision.image_mean", GGUF_TYPE_FLOAT32, mean, 3);
  gguf_set_arr_data(g, "clip.vision.image_std", GGUF_TYPE_FLOAT32, std_dev, 3);
}

void set_vision_keys(gguf_context* g, const Options& o, int64_t n_text) {
  set_image_keys(g, o, n_text, "mlp", kClipMean, kClipStd, 1e-5f);
  gguf_set_val_str(g, "general.description", "image encoder for LLaVA");
  gguf_set_val_bool(g, "clip.has_text_encoder", false);
  gguf_set_val_bool(g, "clip.has_llava_projector", true);
  gguf_set_val_bool(g, "clip.use_gelu", false);  // CLIP's quick GELU
}

// Qwen2-VL uses quick GELU (no use_gelu key). mtmd resizes an image to a multiple of
// 2 * patch_size and to at least 8 merged tokens; the 32x32 test image at patch 4 stays 32x32:
// 8x8 patches, 4x4 = 16 tokens.
void set_qwen2vl_keys(gguf_context* g, const Options& o, int64_t n_text) {
  set_image_keys(g, o, n_text, "qwen2vl_merger", kClipMean, kClipStd, 1e-6f);
}

// Gemma 3 normalises to [-1, 1] and uses tanh GELU. Its published encoder pools 64x64 patches
// 4x4 into 256 tokens; here 8x8 patches are pooled 2x2 into 16, written as the converter writes
// any factor other than 4 (Gemma's own tiny test model has one too). mtmd resizes every image to
// image_size.
void set_gemma3_keys(gguf_context* g, const Options& o, int64_t n_text) {
  static const float kHalf[3] = {0.5f, 0.5f, 0.5f};
  set_image_keys(g, o, n_text, "gemma3", kHalf, kHalf, 1e-6f);
  gguf_set_val_bool(g, "clip.use_gelu", true);
  gguf_set_val_u32(g, "clip.vision.projector.scale_factor", 2);
}

void set_audio_keys(gguf_context* g, const Options& o, int64_t n_text) {
  set_common_keys(g, o, "audio", n_text);
  gguf_set_val_bool(g, "clip.has_audio_encoder", true);
  gguf_set_val_str(g, "clip.projector_type", "ultravox");
  gguf_set_val_u32(g, "clip.audio.num_mel_bins", (uint32_t)o.n_mel);
  gguf_set_val_u32(g, "clip.audio.projector.stack_factor", (uint32_t)o.stack);
}

// Each kind: its keys, its tensors, and a name for the log line.
struct KindInfo {
  Kind kind;
  const char* label;
  void (*keys)(gguf_context*, const Options&, int64_t);
  std::vector<TensorSpec> (*plan)(const Options&, int64_t);
};
const KindInfo kKinds[] = {
    {Kind::Vision, "vision (mlp)", set_vision_keys, plan_vision},
    {Kind::Audio, "audio (ultravox)", set_audio_keys, plan_audio},
    {Kind::Qwen2VL, "vision (qwen2vl_merger)", set_qwen2vl_keys, plan_qwen2vl},
    {Kind::Gemma3, "vision (gemma3)", set_gemma3_keys, plan_gemma3},
};

void run(Options o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.name.empty()) o.name = tiny::stem(o.out);
  const int64_t n_text = text_width(o.text);
  const KindInfo& k =
      *std::find_if(std::begin(kKinds), std::end(kKinds), [&](const KindInfo& i) { return i.kind == o.kind; });
  tiny::GgufPtr g(gguf_init_empty());
  k.keys(g.get(), o, n_text);
  const uint64_t n_params = tiny::write_gguf(g.get(), k.plan(o, n_text), o.seed, 1, o.out);

  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fprintf(stderr, "make-tiny-mmproj: wrote %s: %s, %lld layers, n_embd %lld, output %lld, %.3f M params, %.1f s\n",
          o.out.c_str(), k.label, (long long)o.n_layer, (long long)o.n_embd, (long long)n_text, n_params / 1e6, secs);
}

}  // namespace

int main(int argc, char** argv) {
  return tiny::run_main("make-tiny-mmproj", [&] { run(parse_args(argc, argv)); });
}
