// The matrix types of a model file, and whether they make its matrix multiplications give each
// row (token) the same bits however many rows share the call, on this build's CPU kernels with
// weight repacking off. Deterministic mode (docs/DETERMINISM.md) decodes the sampled tokens of
// all sequences in one call only then, else one sequence per call; the type histogram is part of
// its fingerprint.
#pragma once

#include <string>

namespace wasi_nn {

struct MatrixTypes {
  std::string histogram;          // 2-D+ tensors by type, e.g. "q4_Kx48 q6_Kx9"; "" if unread
  bool rows_independent = false;  // see read_matrix_types
};

// Reads the tensor types of the GGUF file at `path` (metadata only). rows_independent is true
// when every matrix has a type that ggml's CPU backend multiplies with its per-row vec_dot
// kernel whatever the batch: the k-quants (Q2_K to Q6_K), Q4_1 and Q5_1, on x86-64. False for
// F32, F16, BF16, Q4_0, Q5_0, Q8_0 and IQ4_NL (llamafile's sgemm takes calls of 2+ rows, vec_dot
// takes 1 row, and they round differently), for the i-quants with a panel gemm from 8 rows, for
// any other type, on other architectures (ARM's int8 matmul kernels pair rows), and when the
// file cannot be read.
MatrixTypes read_matrix_types(const std::string& path);

}  // namespace wasi_nn
