// NetSweep's own kernels: small-row matrix products, exp and tanh, each built twice (AVX2 + FMA
// and the baseline target) and chosen once at run time from what the CPU supports.
#include "CKernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NSK_HAVE_AVX2_BUILD 1
#define TGT_AVX2 __attribute__((target("avx2,fma")))
#else
#define NSK_HAVE_AVX2_BUILD 0
#endif

// ---------------------------------------------------------------------------------------------
// Double precision: 4 lanes (one AVX2 register).
#define T double
#define LANES 4
#define EPILOGUE nsk_epilogue_d
typedef double nsk_vd __attribute__((vector_size(32)));
#define VT nsk_vd
typedef double nsk_hd __attribute__((vector_size(16)));
#define HT nsk_hd
// The first n (< LANES) values, zeros after them, without touching memory past them (AVX2 body only).
#define MASKLOAD_AVX2(p, n) \
    ((VT)_mm256_maskload_pd((p), _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3))))
typedef __typeof__((nsk_vd){0} < (nsk_vd){0}) nsk_vd_int;
#define IT nsk_vd_int
#define SIGN_MASK ((IT){0} + (long long)0x8000000000000000ULL)
#define EXP_LO -707.0
#define EXP_HI 709.782712893384
#define LOG2E 1.4426950408889634074
#define ROUNDER 0x1.8p52
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define EXP_BIAS 1022
#define MANTISSA_BITS 52
#define EXP_POLY(r) (2 * (1 + (r) * (1 + (r) * (1.0 / 2 + (r) * (1.0 / 6 + (r) * (1.0 / 24 + (r) * (1.0 / 120      \
    + (r) * (1.0 / 720 + (r) * (1.0 / 5040 + (r) * (1.0 / 40320 + (r) * (1.0 / 362880 + (r) * (1.0 / 3628800      \
    + (r) * (1.0 / 39916800 + (r) * (1.0 / 479001600 + (r) * (1.0 / 6227020800.0)))))))))))))))
#define TANH_CLAMP 44.0
#define EXPM1_TAIL(r) (1.0 / 2 + (r) * (1.0 / 6 + (r) * (1.0 / 24 + (r) * (1.0 / 120 + (r) * (1.0 / 720     \
    + (r) * (1.0 / 5040 + (r) * (1.0 / 40320 + (r) * (1.0 / 362880 + (r) * (1.0 / 3628800                   \
    + (r) * (1.0 / 39916800 + (r) * (1.0 / 479001600 + (r) * (1.0 / 6227020800.0))))))))))))

#define SUFFIX d
#include "kernels_instantiate.h"

// ---------------------------------------------------------------------------------------------
// Single precision: 8 lanes.
#define T float
#define LANES 8
#define EPILOGUE nsk_epilogue_s
typedef float nsk_vs __attribute__((vector_size(32)));
#define VT nsk_vs
typedef float nsk_hs __attribute__((vector_size(16)));
#define HT nsk_hs
#define MASKLOAD_AVX2(p, n) \
    ((VT)_mm256_maskload_ps((p), _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))))
typedef __typeof__((nsk_vs){0} < (nsk_vs){0}) nsk_vs_int;
#define IT nsk_vs_int
#define SIGN_MASK ((IT){0} + (int)0x80000000U)
#define EXP_LO -86.0f
#define EXP_HI 88.7228f
#define LOG2E 1.44269504088896341f
#define ROUNDER 0x1.8p23f
#define LN2_HI 0.693359375f
#define LN2_LO -2.12194440e-4f
#define EXP_BIAS 126
#define MANTISSA_BITS 23
#define EXP_POLY(r) (2 * (((((((1.9875691500E-4f * (r) + 1.3981999507E-3f) * (r) + 8.3334519073E-3f) * (r)    \
    + 4.1665795894E-2f) * (r) + 1.6666665459E-1f) * (r) + 5.0000001201E-1f) * (r) * (r) + (r) + 1)))
#define TANH_CLAMP 40.0f
#define EXPM1_TAIL(r) (0.5f + (r) * (1.0f / 6 + (r) * (1.0f / 24 + (r) * (1.0f / 120 + (r) * (1.0f / 720     \
    + (r) * (1.0f / 5040))))))

#define SUFFIX s
#include "kernels_instantiate.h"

// ---------------------------------------------------------------------------------------------
// Dispatch: AVX2 + FMA when the CPU has them.

// NETSWEEP_KERNELS=baseline takes the baseline path on any CPU, so that the tests (make test
// runs the engine's suite on each path) and a user checking a result can exercise the code a
// CPU without AVX2 runs.
static int nsk_use_avx2(void) {
#if NSK_HAVE_AVX2_BUILD
    // Atomic: runs on several threads call this at once (ThreadSanitizer found the plain int).
    // Every thread computes the same answer, so relaxed order suffices.
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        const char *forced = getenv("NETSWEEP_KERNELS");
        __builtin_cpu_init();
        value = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && !(forced && strcmp(forced, "baseline") == 0);
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
#else
    return 0;
#endif
}

const char *nsk_kernel_path(void) { return nsk_use_avx2() ? "avx2" : "baseline"; }

#if NSK_HAVE_AVX2_BUILD
#define DISPATCH(name, suffix, ...)                                                             \
    do {                                                                                        \
        if (nsk_use_avx2()) nsk_avx2_##name##_##suffix(__VA_ARGS__);                            \
        else nsk_base_##name##_##suffix(__VA_ARGS__);                                           \
    } while (0)
#else
#define DISPATCH(name, suffix, ...) nsk_base_##name##_##suffix(__VA_ARGS__)
#endif

int nsk_max_rows_d(void) { return 24; }
int nsk_max_rows_s(void) { return 48; }
int nsk_padded_rows_d(int m) { return (m + 3) / 4 * 4; }
int nsk_padded_rows_s(int m) { return (m + 7) / 8 * 8; }

void nsk_pack_d(int transA, int m, int k, const double *a, int lda, double *packed) {
    DISPATCH(pack, d, transA, m, k, a, lda, packed);
}
void nsk_pack_s(int transA, int m, int k, const float *a, int lda, float *packed) {
    DISPATCH(pack, s, transA, m, k, a, lda, packed);
}
void nsk_gemm_packed_d(int transB, int m, int n, int k, double alpha, const double *packed, int lpanel,
                       const double *b, int ldb, double beta, double *c, int ldc, int col0, int col1,
                       const nsk_epilogue_d *epilogue) {
    DISPATCH(gemm_packed, d, transB, m, n, k, alpha, packed, lpanel, b, ldb, beta, c, ldc, col0, col1, epilogue);
}
void nsk_gemm_packed_s(int transB, int m, int n, int k, float alpha, const float *packed, int lpanel,
                       const float *b, int ldb, float beta, float *c, int ldc, int col0, int col1,
                       const nsk_epilogue_s *epilogue) {
    DISPATCH(gemm_packed, s, transB, m, n, k, alpha, packed, lpanel, b, ldb, beta, c, ldc, col0, col1, epilogue);
}
void nsk_gemm_row_d(int n, int k, double alpha, const double *a, const double *b, int ldb, double beta,
                    double *c, const nsk_epilogue_d *epilogue) {
    DISPATCH(gemm_row, d, n, k, alpha, a, b, ldb, beta, c, epilogue);
}
void nsk_gemm_row_s(int n, int k, float alpha, const float *a, const float *b, int ldb, float beta,
                    float *c, const nsk_epilogue_s *epilogue) {
    DISPATCH(gemm_row, s, n, k, alpha, a, b, ldb, beta, c, epilogue);
}
void nsk_row_sums_d(int m, int n, const double *a, int lda, double *out) {
    DISPATCH(row_sums, d, m, n, a, lda, out);
}
void nsk_row_sums_s(int m, int n, const float *a, int lda, float *out) {
    DISPATCH(row_sums, s, m, n, a, lda, out);
}
void nsk_transpose_d(int rows, int cols, const double *a, int lda, double *b, int ldb) {
    DISPATCH(transpose, d, rows, cols, a, lda, b, ldb);
}
void nsk_transpose_s(int rows, int cols, const float *a, int lda, float *b, int ldb) {
    DISPATCH(transpose, s, rows, cols, a, lda, b, ldb);
}
void nsk_tanh_d(const double *x, double *out, size_t count) { DISPATCH(tanh, d, x, out, count); }
void nsk_tanh_s(const float *x, float *out, size_t count) { DISPATCH(tanh, s, x, out, count); }
void nsk_exp_d(const double *x, double *out, size_t count) { DISPATCH(exp, d, x, out, count); }
void nsk_exp_s(const float *x, float *out, size_t count) { DISPATCH(exp, s, x, out, count); }
