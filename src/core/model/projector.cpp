#include "core/model/projector.h"

#include <atomic>
#include <map>
#include <mutex>

#include "core/base/error.h"
#include "core/base/log.h"
#include "core/base/runtime.h"

namespace wasi_nn {
namespace {

// Projectors alive in the process, by projector file and text model: weak references only, so
// one is freed with its last graph (as ModelRegistry does for weights).
struct ProjectorTable {
  Mutex mu;
  std::map<std::string, std::weak_ptr<Projector>> live GUARDED_BY(mu);
};

ProjectorTable& table() {
  static ProjectorTable* t = new ProjectorTable();  // leaked: outlives static teardown
  return *t;
}

std::string quoted(const std::string& s) { return "'" + s.substr(0, 256) + "'"; }

// Every Projector object, shared or not: what stats report, so a missed sharing shows.
std::atomic<size_t> g_live{0};

}  // namespace

Projector::Projector(mtmd_context* ctx, std::shared_ptr<ModelWeights> weights, std::string name)
    : weights_(std::move(weights)), ctx_(ctx), name_(std::move(name)) {
  ++g_live;
}

Projector::~Projector() {
  if (ctx_) mtmd_free(ctx_);
  --g_live;
}

std::shared_ptr<Projector> Projector::acquire(const ModelSource& source, std::shared_ptr<ModelWeights> weights,
                                              int32_t threads) {
  static std::once_flag log_once;
  std::call_once(log_once, [] { mtmd_helper_log_set(llama_log_to_sink, nullptr); });  // never stdout
  ProjectorTable& t = table();
  MutexLock lock(t.mu);  // loads are serialised, as the model registry's are
  const std::string key = source.key() + "\n" + std::to_string(reinterpret_cast<uintptr_t>(weights.get()));
  if (auto p = t.live[key].lock()) return p;
  mtmd_context_params params = mtmd_context_params_default();
  params.use_gpu = weights->n_devices() > 0 && weights->n_gpu_layers() != 0;
  params.n_threads = threads > 0 ? threads : params.n_threads;
  params.print_timings = false;
  params.warmup = false;
  mtmd_context* ctx = mtmd_init_from_file(source.load_path().c_str(), weights->get(), params);
  if (!ctx) {
    fail(ErrorKind::InvalidArgument,
         "mmproj " + quoted(source.name()) + " could not be loaded as a multimodal projector for model '" +
             weights->name() +
             "': llama.cpp's mtmd refused it (not a projector GGUF, a projector type this "
             "llama.cpp does not know, or made for a model of another embedding width). Pair the model with "
             "its own mmproj file; WASI_NN_LOG_LEVEL=debug shows llama.cpp's reason");
  }
  std::shared_ptr<Projector> p(new Projector(ctx, std::move(weights), source.name()));
  t.live[key] = p;
  for (auto it = t.live.begin(); it != t.live.end();) it = it->second.expired() ? t.live.erase(it) : std::next(it);
  LOG_INFO("projector '%s' loaded (%s%s%s)", p->name_.c_str(), p->vision() ? "images" : "",
           p->vision() && p->audio() ? ", " : "", p->audio() ? "audio" : "");
  return p;
}

size_t Projector::live_count() { return g_live.load(); }

bool Projector::vision() const { return mtmd_support_vision(ctx_); }
bool Projector::audio() const { return mtmd_support_audio(ctx_); }

mtmd::bitmap Projector::bitmap(std::string_view bytes, bool is_audio, const std::string& what) const {
  if (is_audio && !audio()) {
    fail(ErrorKind::InvalidArgument, what + " is audio, but projector " + quoted(name_) +
                                         " takes images only; send an image, or load a model with an audio mmproj");
  }
  if (!is_audio && !vision()) {
    fail(ErrorKind::InvalidArgument, what + " is an image, but projector " + quoted(name_) +
                                         " takes audio only; send audio, or load a model with a vision mmproj");
  }
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  mtmd_helper_bitmap_wrapper w =
      mtmd_helper_bitmap_init_from_buf(ctx_, data, bytes.size(), /*placeholder=*/false, mtmd_helper_init_opt_default());
  mtmd::bitmap out(w.bitmap);
  if (!out.ptr) {
    fail(ErrorKind::InvalidArgument, what + " could not be decoded (its header is readable, its " +
                                         (is_audio ? "audio data" : "image data") + " is not); send an intact file");
  }
  return out;  // its id is the SHA-256 of the bytes (set by mtmd's helper): the KV cache's key
}

mtmd::input_chunks_ptr Projector::tokenize(const std::vector<std::string>& texts,
                                           const std::vector<const mtmd_bitmap*>& media) const {
  std::vector<mtmd_input_text> text_parts(texts.size());
  std::vector<mtmd_input_part> parts;
  for (size_t i = 0; i < texts.size(); ++i) {
    text_parts[i] = {texts[i].data(), texts[i].size(), /*add_special=*/false, /*parse_special=*/true};
    parts.push_back({&text_parts[i], nullptr});  // empty ones too, as llama-mtmd-cli
    if (i < media.size()) parts.push_back({nullptr, media[i]});
  }
  std::vector<const mtmd_input_part*> ptrs;
  for (const auto& p : parts) ptrs.push_back(&p);
  mtmd::input_chunks_ptr out(mtmd_input_chunks_init());
  // add_special: BOS as in any prompt (llama-mtmd-cli does the same on a first message).
  const int32_t rc = mtmd_tokenize_from_parts(ctx_, out.get(), ptrs.data(), ptrs.size(), /*add_special=*/true);
  if (rc != 0) {
    fail(ErrorKind::InvalidArgument, "the media could not be prepared for projector " + quoted(name_) +
                                         " (mtmd_tokenize returned " + std::to_string(rc) + "); send intact files");
  }
  return out;
}

int32_t Projector::eval(llama_context* ctx, const mtmd_input_chunk* chunk, llama_pos n_past, llama_seq_id seq,
                        int32_t n_batch) {
  // Held over the decode too: it reads the embeddings from the projector's output buffer.
  MutexLock lock(encode_mu_);
  const int32_t rc = mtmd_encode_chunk(ctx_, chunk);
  if (rc != 0) return rc;
  llama_pos new_n_past = n_past;
  return mtmd_helper_decode_image_chunk(ctx_, ctx, chunk, mtmd_get_output_embd(ctx_), n_past, seq, n_batch, &new_n_past,
                                        nullptr, nullptr);
}

}  // namespace wasi_nn
