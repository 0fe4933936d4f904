#include "core/model/row_invariance.h"

#include <map>

#include "ggml.h"
#include "gguf.h"

namespace wasi_nn {
namespace {

// Types whose CPU matmul is ggml_vec_dot_* for every row whatever the call's row count (x86-64,
// repacking off): not in llamafile_sgemm's switch, not in the IQ panel gemm's list
// (ggml-cpu/llamafile/sgemm.cpp, ggml-cpu/iqp.cpp at the pinned llama.cpp).
bool row_invariant_type(ggml_type t) {
  switch (t) {
    case GGML_TYPE_Q2_K:
    case GGML_TYPE_Q3_K:
    case GGML_TYPE_Q4_K:
    case GGML_TYPE_Q5_K:
    case GGML_TYPE_Q6_K:
    case GGML_TYPE_Q4_1:
    case GGML_TYPE_Q5_1: return true;
    default: return false;
  }
}

}  // namespace

MatrixTypes read_matrix_types(const std::string& path) {
  MatrixTypes out;
  ggml_context* meta = nullptr;
  gguf_init_params ip = {/*no_alloc =*/true, /*ctx =*/&meta};
  gguf_context* g = gguf_init_from_file(path.c_str(), ip);
  if (!g) return out;
  std::map<std::string, int> counts;
  bool all = true;
  for (ggml_tensor* t = ggml_get_first_tensor(meta); t; t = ggml_get_next_tensor(meta, t)) {
    // Vectors (norms, biases) are added or multiplied element-wise, never matrix-multiplied.
    if (ggml_n_dims(t) < 2) continue;
    ++counts[ggml_type_name(t->type)];
    all = all && row_invariant_type(t->type);
  }
  gguf_free(g);
  ggml_free(meta);
  for (const auto& [name, n] : counts)
    out.histogram += (out.histogram.empty() ? "" : " ") + name + "x" + std::to_string(n);
#if defined(__x86_64__)
  out.rows_independent = all && !counts.empty();
#else
  (void)all;
#endif
  return out;
}

}  // namespace wasi_nn
