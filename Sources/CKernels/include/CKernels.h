#ifndef NETSWEEP_CKERNELS_H
#define NETSWEEP_CKERNELS_H

/// Small-row matrix products and vectorised elementwise kernels for NetSweep's engine.
///
/// Column-major throughout, like the engine. The products cover the shapes OpenBLAS handles
/// poorly: C (M × N) = alpha·A·op(B) + beta·C with M at most nsk_max_rows_*() — the tutorials'
/// narrow layers (12288 → 7, 20 → 7 → 5 → 1, 2 → 4 → 1). A is first packed into a zero-padded
/// M_pad × K panel (M_pad a multiple of the vector width), then each column of C is a sum of
/// the panel's columns scaled by B's entries, accumulated in vector registers. Column ranges
/// are independent, so callers may split [0, N) across threads after one pack.

#include <stddef.h>

/// Rows the packed product supports: 24 (double), 48 (float).
/// The kernels in use: "avx2" (AVX2 + FMA) or "baseline" (also with NETSWEEP_KERNELS=baseline).
const char *nsk_kernel_path(void);
int nsk_max_rows_d(void);
int nsk_max_rows_s(void);
/// Rows of the packed panel for M rows (M rounded up to the vector width).
int nsk_padded_rows_d(int m);
int nsk_padded_rows_s(int m);

/// packed[i + r·M_pad] = op(A)[i, r] for i < M, 0 for M ≤ i < M_pad; r < K.
/// op(A) = A (M × K, lda ≥ M) or Aᵀ (A is K × M, lda ≥ K).
void nsk_pack_d(int transA, int m, int k, const double *a, int lda, double *packed);
void nsk_pack_s(int transA, int m, int k, const float *a, int lda, float *packed);

/// Activations an epilogue applies (the engine's hidden activations).
enum {
    NSK_IDENTITY = 0,
    NSK_SIGMOID = 1,
    NSK_TANH = 2,
    NSK_RELU = 3,
    NSK_LEAKY_RELU = 4,
};

/// What happens to each result column while it is still in registers.
enum {
    /// C = alpha·P·op(B) + beta·C.
    NSK_PLAIN = 0,
    /// C = g(P·op(B) + bias), bias one value per row (the forward pass: Z = W·A + b, A = g(Z)).
    NSK_BIAS_ACTIVATION = 1,
    /// C = (P·op(B)) ⊙ g'(outputs), outputs = g(Z) laid out like C (the backward pass:
    /// dZ_prev = (Wᵀ·dZ) ⊙ g'(A_prev)).
    NSK_DERIVATIVE = 2,
};

typedef struct {
    int kind;
    int activation;
    double slope;            // leaky relu's slope
    const double *bias;      // NSK_BIAS_ACTIVATION: m values
    const double *outputs;   // NSK_DERIVATIVE: like C, leading dimension ldc
} nsk_epilogue_d;

typedef struct {
    int kind;
    int activation;
    float slope;
    const float *bias;
    const float *outputs;
} nsk_epilogue_s;

/// C[:, col0..<col1] = alpha·P·op(B)[:, col0..<col1] + beta·C (beta = 0 ignores C's contents),
/// or the epilogue's form (alpha and beta are then ignored).
/// P is a packed M_pad × K panel (lpanel = 0), or any M × K matrix with M a multiple of the
/// vector width and leading dimension lpanel ≥ M (A used in place, no packing);
/// op(B) = B (K × N, ldb ≥ K) or Bᵀ (B is N × K, ldb ≥ N).
void nsk_gemm_packed_d(int transB, int m, int n, int k, double alpha, const double *packed, int lpanel,
                       const double *b, int ldb, double beta, double *c, int ldc, int col0, int col1,
                       const nsk_epilogue_d *epilogue);
void nsk_gemm_packed_s(int transB, int m, int n, int k, float alpha, const float *packed, int lpanel,
                       const float *b, int ldb, float beta, float *c, int ldc, int col0, int col1,
                       const nsk_epilogue_s *epilogue);

/// One-row product, c[j] = alpha·Σ_r a[r]·b[r + j·ldb] + beta·c[j] for j < n, r < k (or the
/// epilogue's form): a contiguous row a, B column-major, a contiguous result row c.
void nsk_gemm_row_d(int n, int k, double alpha, const double *a, const double *b, int ldb, double beta,
                    double *c, const nsk_epilogue_d *epilogue);
void nsk_gemm_row_s(int n, int k, float alpha, const float *a, const float *b, int ldb, float beta,
                    float *c, const nsk_epilogue_s *epilogue);

/// out[i] = Σ_j a[i + j·lda] over j < n for i < m, each summed in NumPy's pairwise order
/// (bit-identical to np.sum along a contiguous axis), vectorised across rows.
void nsk_row_sums_d(int m, int n, const double *a, int lda, double *out);
void nsk_row_sums_s(int m, int n, const float *a, int lda, float *out);

/// b[j + i·ldb] = a[i + j·lda] for i < rows, j < cols: B (cols × rows) = Aᵀ, column-major.
void nsk_transpose_d(int rows, int cols, const double *a, int lda, double *b, int ldb);
void nsk_transpose_s(int rows, int cols, const float *a, int lda, float *b, int ldb);

/// out[i] = tanh(x[i]); |error| ≤ 1.1 ulp (1.2 in float, measured against exactly rounded
/// values), odd, exactly ±1 beyond |x| > 22 (float: 20); NaN stays NaN.
void nsk_tanh_d(const double *x, double *out, size_t count);
void nsk_tanh_s(const float *x, float *out, size_t count);
/// out[i] = exp(x[i]); ≤ 1 ulp for finite results, 0 below the underflow limit, +inf above.
void nsk_exp_d(const double *x, double *out, size_t count);
void nsk_exp_s(const float *x, float *out, size_t count);

#endif
