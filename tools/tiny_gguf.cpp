#include "tiny_gguf.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace tiny {

namespace {

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// One row of values; its own generator state makes rows independent of thread scheduling.
void fill_row(float* dst, int64_t n, Init init, uint64_t tensor_key, int64_t row, float spread) {
  if (init == Init::Ones) {
    std::fill(dst, dst + n, 1.0f);
    return;
  }
  uint64_t s = tensor_key ^ (0xD1B54A32D192ED03ull * (uint64_t)(row + 1));
  for (int64_t i = 0; i < n; ++i) {
    const float u = (float)(splitmix64(s) >> 40) * (1.0f / 16777216.0f);  // [0, 1), 24 bits
    dst[i] = (2.0f * u - 1.0f) * spread;
  }
}

int64_t n_rows(const TensorSpec& spec) {
  int64_t n = 1;
  for (size_t i = 1; i < spec.ne.size(); ++i) n *= spec.ne[i];
  return n;
}

// Writes one tensor's data in blocks of rows (about 64 MiB of f32 at a time), converting each
// block to the tensor's type on several threads.
void write_tensor(FILE* f, const TensorSpec& spec, uint64_t seed, int threads) {
  const int64_t n_per_row = spec.ne[0], rows = n_rows(spec);
  const size_t row_bytes = ggml_row_size(spec.type, n_per_row);
  const int64_t block_rows = std::max<int64_t>(1, (64ll << 20) / (int64_t)(n_per_row * sizeof(float)));
  const uint64_t key = fnv1a(spec.name) ^ (seed * 0x9E3779B97F4A7C15ull);

  std::vector<float> f32((size_t)(std::min(block_rows, rows) * n_per_row));
  std::vector<uint8_t> out(std::min(block_rows, rows) * row_bytes);
  for (int64_t r0 = 0; r0 < rows; r0 += block_rows) {
    const int64_t nr = std::min(block_rows, rows - r0);
    const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(threads, nr));
    std::vector<std::thread> pool;
    for (int t = 0; t < nt; ++t) {
      pool.emplace_back([&, t] {
        const int64_t a = nr * t / nt, b = nr * (t + 1) / nt;
        for (int64_t r = a; r < b; ++r)
          fill_row(f32.data() + r * n_per_row, n_per_row, spec.init, key, r0 + r, spec.spread);
        ggml_quantize_chunk(spec.type, f32.data() + a * n_per_row, out.data() + a * row_bytes, 0, b - a, n_per_row,
                            nullptr);
      });
    }
    for (std::thread& th : pool) th.join();
    if (fwrite(out.data(), 1, nr * row_bytes, f) != nr * row_bytes)
      throw std::runtime_error("write failed (disk full?)");
  }
}

ggml_tensor* new_tensor(ggml_context* ctx, const TensorSpec& s) {
  if (s.ne.empty() || s.ne.size() > 4) throw std::runtime_error(s.name + ": a tensor has 1 to 4 dimensions");
  if (s.ne[0] % ggml_blck_size(s.type) != 0)
    throw std::runtime_error(s.name + ": row of " + std::to_string(s.ne[0]) + " is not a multiple of the " +
                             ggml_type_name(s.type) + " block size " + std::to_string(ggml_blck_size(s.type)));
  return ggml_new_tensor(ctx, s.type, (int)s.ne.size(), s.ne.data());
}

}  // namespace

uint64_t write_gguf(gguf_context* meta, const std::vector<TensorSpec>& plan, uint64_t seed, int threads,
                    const std::string& out) {
  // Tensor descriptors only (no_alloc): the data is streamed after the metadata.
  ggml_init_params cp = {(plan.size() + 1) * ggml_tensor_overhead(), nullptr, /*no_alloc =*/true};
  GgmlPtr ctx(ggml_init(cp));
  uint64_t n_params = 0;
  for (const TensorSpec& s : plan) {
    ggml_tensor* t = new_tensor(ctx.get(), s);
    ggml_set_name(t, s.name.c_str());
    gguf_add_tensor(meta, t);
    n_params += (uint64_t)ggml_nelements(t);
  }

  const std::string tmp = out + ".tmp";
  if (!gguf_write_to_file(meta, tmp.c_str(), /*only_meta =*/true))
    throw std::runtime_error("cannot write '" + tmp + "'");
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(tmp.c_str(), "ab"), fclose);
  if (!f) throw std::runtime_error("cannot append to '" + tmp + "'");
  const size_t align = gguf_get_alignment(meta);
  static const uint8_t zeros[64] = {};
  for (const TensorSpec& s : plan) {
    write_tensor(f.get(), s, seed, threads);
    // Each tensor's data starts on an alignment boundary (gguf_add_tensor's offsets).
    const size_t nbytes = ggml_row_size(s.type, s.ne[0]) * (size_t)n_rows(s);
    const size_t pad = GGML_PAD(nbytes, align) - nbytes;
    if (pad && fwrite(zeros, 1, pad, f.get()) != pad) throw std::runtime_error("write failed (disk full?)");
  }
  if (fclose(f.release()) != 0) throw std::runtime_error("write failed (disk full?)");
  if (std::rename(tmp.c_str(), out.c_str()) != 0) throw std::runtime_error("cannot rename to '" + out + "'");
  return n_params;
}

GgufPtr open_gguf(const std::string& path, ggml_context** tensors) {
  gguf_init_params ip = {/*no_alloc =*/true, /*ctx =*/tensors};
  GgufPtr g(gguf_init_from_file(path.c_str(), ip));
  if (!g) throw std::runtime_error("cannot read GGUF '" + path + "'");
  return g;
}

int default_threads(int requested) {
  return requested > 0 ? requested : (int)std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace tiny
