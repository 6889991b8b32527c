// The kernels' bodies, compiled twice by kernels.c: once for AVX2 + FMA, once for the baseline
// x86-64 (or any other) target. Expects T (scalar), VT (vector of LANES T), IT (same-width
// integer vector), UT (unsigned integer scalar of T's width), TGT (function attribute) and
// NSK(name) (prefixed name) to be defined. Helpers are macros or always-inline functions
// without vector parameters, so that the baseline build keeps the ABI.

#define LOADV(p) ({ VT _v; __builtin_memcpy(&_v, (p), sizeof _v); _v; })
#define STOREV(p, v) do { VT _s = (v); __builtin_memcpy((p), &_s, sizeof _s); } while (0)
#define ASINT(v) ((IT)(v))
#define ASFLT(v) ((VT)(v))
#define SELECT(mask, a, b) ASFLT((ASINT(a) & (mask)) | (ASINT(b) & ~(mask)))

// ---------------------------------------------------------------------------------------------
// Packed small-row product.

TGT static void NSK(pack)(int transA, int m, int k, const T *a, int lda, T *packed) {
    const int mpad = (m + LANES - 1) / LANES * LANES;
    for (int r = 0; r < k; r++) {
        T *column = packed + (size_t)r * mpad;
        if (transA) {
            for (int i = 0; i < m; i++) column[i] = a[r + (size_t)i * lda];
        } else {
            const T *source = a + (size_t)r * lda;
            for (int i = 0; i < m; i++) column[i] = source[i];
        }
        for (int i = m; i < mpad; i++) column[i] = 0;
    }
}

// One block of CB columns of C: acc[v][cb] += P[:, r] · B(r, col + cb) over r < k, then
// out (mpad × CB, column-major) = acc.
#define DEFINE_BLOCK(V, CB)                                                                     \
    TGT __attribute__((always_inline)) static inline void NSK(block_##V##_##CB)(               \
        const int transB, int k, const T *packed, const T *b, int ldb, int col, T *out) {       \
        VT acc[V][CB];                                                                          \
        for (int v = 0; v < V; v++)                                                             \
            for (int j = 0; j < CB; j++) acc[v][j] = (VT){0};                                   \
        const T *column = packed;                                                               \
        for (int r = 0; r < k; r++, column += V * LANES) {                                      \
            VT p[V];                                                                            \
            for (int v = 0; v < V; v++) p[v] = LOADV(column + v * LANES);                       \
            for (int j = 0; j < CB; j++) {                                                      \
                const T s = transB ? b[(size_t)(col + j) + (size_t)r * ldb]                     \
                                   : b[(size_t)r + (size_t)(col + j) * ldb];                    \
                for (int v = 0; v < V; v++) acc[v][j] += p[v] * s;                              \
            }                                                                                   \
        }                                                                                       \
        for (int j = 0; j < CB; j++)                                                            \
            for (int v = 0; v < V; v++) STOREV(out + (size_t)j * V * LANES + v * LANES, acc[v][j]); \
    }

DEFINE_BLOCK(1, 8) DEFINE_BLOCK(1, 1)
DEFINE_BLOCK(2, 6) DEFINE_BLOCK(2, 1)
DEFINE_BLOCK(3, 4) DEFINE_BLOCK(3, 1)
DEFINE_BLOCK(4, 3) DEFINE_BLOCK(4, 1)
DEFINE_BLOCK(5, 2) DEFINE_BLOCK(5, 1)
DEFINE_BLOCK(6, 2) DEFINE_BLOCK(6, 1)

// C[:, col..<col+count] = alpha·out + beta·C for the m real rows of a block.
TGT __attribute__((always_inline)) static inline void NSK(store)(
    int m, int mpad, int count, const T *out, T alpha, T beta, T *c, int ldc, int col) {
    for (int j = 0; j < count; j++) {
        T *target = c + (size_t)(col + j) * ldc;
        const T *source = out + (size_t)j * mpad;
        if (beta == 0) {
            for (int i = 0; i < m; i++) target[i] = alpha * source[i];
        } else {
            for (int i = 0; i < m; i++) target[i] = alpha * source[i] + beta * target[i];
        }
    }
}

#define RUN_BLOCKS(V, CB)                                                                       \
    do {                                                                                        \
        int col = col0;                                                                         \
        for (; col + CB <= col1; col += CB) {                                                   \
            if (transB) NSK(block_##V##_##CB)(1, k, packed, b, ldb, col, out);                  \
            else NSK(block_##V##_##CB)(0, k, packed, b, ldb, col, out);                         \
            NSK(store)(m, mpad, CB, out, alpha, beta, c, ldc, col);                             \
        }                                                                                       \
        for (; col < col1; col++) {                                                             \
            if (transB) NSK(block_##V##_1)(1, k, packed, b, ldb, col, out);                     \
            else NSK(block_##V##_1)(0, k, packed, b, ldb, col, out);                            \
            NSK(store)(m, mpad, 1, out, alpha, beta, c, ldc, col);                              \
        }                                                                                       \
    } while (0)

TGT static void NSK(gemm_packed)(int transB, int m, int n, int k, T alpha, const T *packed,
                                 const T *b, int ldb, T beta, T *c, int ldc, int col0, int col1) {
    (void)n;
    const int vectors = (m + LANES - 1) / LANES;
    const int mpad = vectors * LANES;
    T out[6 * LANES * 8];
    switch (vectors) {
    case 1: RUN_BLOCKS(1, 8); break;
    case 2: RUN_BLOCKS(2, 6); break;
    case 3: RUN_BLOCKS(3, 4); break;
    case 4: RUN_BLOCKS(4, 3); break;
    case 5: RUN_BLOCKS(5, 2); break;
    case 6: RUN_BLOCKS(6, 2); break;
    default: break;
    }
}

// ---------------------------------------------------------------------------------------------
// exp and tanh.

// exp of one vector: x = n·ln2 + r, |r| ≤ ln2/2, exp(r) by its Taylor polynomial (Horner), then
// scaled by 2^n built in the exponent field. Below EXP_LO the result is 0, above EXP_HI +inf;
// NaN stays NaN.
#define VEXP(x, result)                                                                         \
    do {                                                                                        \
        VT _xp_x = (x);                                                                            \
        VT _xp_c = _xp_x;                                                                             \
        IT _xp_low = _xp_c < (VT){0} + EXP_LO;                                                        \
        IT _xp_high = _xp_c > (VT){0} + EXP_HI;                                                       \
        _xp_c = SELECT(_xp_low, (VT){0} + EXP_LO, _xp_c);                                                \
        _xp_c = SELECT(_xp_high, (VT){0} + EXP_HI, _xp_c);                                               \
        VT _xp_t = _xp_c * LOG2E + ROUNDER;                                                           \
        VT _xp_n = _xp_t - ROUNDER;                                                                   \
        VT _xp_r = _xp_c - _xp_n * LN2_HI;                                                               \
        _xp_r = _xp_r - _xp_n * LN2_LO;                                                                  \
        VT _xp_p = EXP_POLY(_xp_r);                                                                   \
        IT _xp_bits = (ASINT(_xp_t) + EXP_BIAS) << MANTISSA_BITS;                                     \
        VT _xp_e = _xp_p * ASFLT(_xp_bits);                                                              \
        _xp_e = SELECT(_xp_low, (VT){0}, _xp_e);                                                         \
        _xp_e = SELECT(_xp_high, (VT){0} + (T)__builtin_inf(), _xp_e);                                   \
        result = _xp_e;                                                                            \
    } while (0)

// out[i] = f(x[i]) for a vector macro f, the tail through a zero-padded vector.
#define DEFINE_MAP(name, VF)                                                                    \
    TGT static void NSK(name)(const T *x, T *out, size_t count) {                               \
        size_t i = 0;                                                                           \
        for (; i + LANES <= count; i += LANES) {                                                \
            VT y;                                                                               \
            VF(LOADV(x + i), y);                                                                \
            STOREV(out + i, y);                                                                 \
        }                                                                                       \
        if (i < count) {                                                                        \
            T tail[LANES] = {0};                                                                \
            for (size_t j = i; j < count; j++) tail[j - i] = x[j];                              \
            VT y;                                                                               \
            VF(LOADV(tail), y);                                                                 \
            STOREV(tail, y);                                                                    \
            for (size_t j = i; j < count; j++) out[j] = tail[j - i];                            \
        }                                                                                       \
    }

DEFINE_MAP(exp, VEXP)

// tanh of one vector, the Cephes way: for |x| < 0.625 x + x·x²·P(x²)/Q(x²); above,
// (e − 1)/(e + 1) with e = exp(2|x|) and x's sign (|x| > TANH_ONE gives ±1 exactly).
#define VTANH(x, result)                                                                        \
    do {                                                                                        \
        VT _x = (x);                                                                            \
        IT _sign = ASINT(_x) & SIGN_MASK;                                                       \
        VT _a = ASFLT(ASINT(_x) & ~SIGN_MASK);                                                  \
        VT _z = _x * _x;                                                                        \
        VT _pn, _qd;                                                                            \
        TANH_RATIONAL(_z, _pn, _qd);                                                            \
        VT _e;                                                                                  \
        VT _two = _a + _a;                                                                      \
        IT _one = _a > (VT){0} + TANH_ONE;                                                      \
        _two = SELECT(_one, (VT){0} + 2 * TANH_ONE, _two);                                      \
        VEXP(_two, _e);                                                                         \
        IT _big = _a >= (VT){0} + (T)0.625;                                                     \
        VT _num = SELECT(_big, _e - 1, _x * _qd + _x * _z * _pn);                               \
        VT _den = SELECT(_big, _e + 1, _qd);                                                    \
        VT _q = _num / _den;                                                                    \
        _q = SELECT(_one, (VT){0} + 1, _q);                                                     \
        _q = SELECT(_big, ASFLT(ASINT(_q) | _sign), _q);                                        \
        result = _q;                                                                            \
    } while (0)

DEFINE_MAP(tanh, VTANH)
