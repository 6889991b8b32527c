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
// exp and tanh.

// exp of one vector: x = n·ln2 + r, |r| ≤ ln2/2, exp(r) by its Taylor polynomial (Horner), then
// scaled by 2^n built in the exponent field. Below EXP_LO the result is 0, above EXP_HI +inf;
// NaN stays NaN.
#define VEXP_CORE(x, result)                                                                    \
    do {                                                                                        \
        VT _xp_c = (x);                                                                         \
        VT _xp_t = _xp_c * LOG2E + ROUNDER;                                                     \
        VT _xp_n = _xp_t - ROUNDER;                                                             \
        VT _xp_r = _xp_c - _xp_n * LN2_HI;                                                      \
        _xp_r = _xp_r - _xp_n * LN2_LO;                                                         \
        VT _xp_p = EXP_POLY(_xp_r);                                                             \
        IT _xp_bits = (ASINT(_xp_t) + EXP_BIAS) << MANTISSA_BITS;                               \
        result = _xp_p * ASFLT(_xp_bits);                                                       \
    } while (0)

#define VEXP(x, result)                                                                         \
    do {                                                                                        \
        VT _xe_x = (x);                                                                         \
        IT _xe_low = _xe_x < (VT){0} + EXP_LO;                                                  \
        IT _xe_high = _xe_x > (VT){0} + EXP_HI;                                                 \
        VT _xe_c = SELECT(_xe_low, (VT){0} + EXP_LO, _xe_x);                                    \
        _xe_c = SELECT(_xe_high, (VT){0} + EXP_HI, _xe_c);                                      \
        VT _xe_e;                                                                               \
        VEXP_CORE(_xe_c, _xe_e);                                                                \
        _xe_e = SELECT(_xe_low, (VT){0}, _xe_e);                                                \
        _xe_e = SELECT(_xe_high, (VT){0} + (T)__builtin_inf(), _xe_e);                          \
        result = _xe_e;                                                                         \
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

// tanh of one vector through expm1, with no branch: u = expm1(y) for y = 2|x| (clamped at
// TANH_CLAMP, where the quotient rounds to exactly 1), then tanh|x| = u/(u + 2) with x's sign.
// expm1(y) = 2^n·(1 + p) − 1 = 2^n·p + (2^n − 1) for y = n·ln2 + r, |r| ≤ ln2/2, with
// p = expm1(r) = r + r²·P(r) (Taylor), so small |x| (n = 0) keep their relative accuracy. The
// roundings that matter are carried as low parts, each recovered exactly (Fast2Sum): r's
// (r + c = y − n·ln2), p's last addition, u's (u + u_lo = 2^n·p + (2^n − 1)) and the
// denominator's (d + d_lo = u + 2); the quotient of (u + u_lo)/(d + d_lo + u_lo) is then q
// corrected to first order, q + (u_lo·(1 − q) − q·d_lo)/d with 1/d = (1 − q)/2. NaN stays NaN
// (the clamp's comparison is false for it), −0 stays −0.
#define VTANH(x, result)                                                                        \
    do {                                                                                        \
        VT _x = (x);                                                                            \
        IT _sign = ASINT(_x) & SIGN_MASK;                                                       \
        VT _y = ASFLT(ASINT(_x) & ~SIGN_MASK);                                                  \
        _y = _y + _y;                                                                           \
        _y = SELECT(_y > (VT){0} + TANH_CLAMP, (VT){0} + TANH_CLAMP, _y);                       \
        VT _t = _y * LOG2E + ROUNDER;                                                           \
        VT _n = _t - ROUNDER;                                                                   \
        VT _hi = _y - _n * LN2_HI;                                                              \
        VT _lo = _n * LN2_LO;                                                                   \
        VT _r = _hi - _lo;                                                                      \
        VT _c = (_hi - _r) - _lo;                                                               \
        VT _tail = (_r * _r) * EXPM1_TAIL(_r);                                                  \
        VT _p = _r + _tail;                                                                     \
        VT _p_lo = ((_r - _p) + _tail) + _c * (1 + _p);                                         \
        VT _s = ASFLT((ASINT(_t) + (EXP_BIAS + 1)) << MANTISSA_BITS);                           \
        VT _a = _s - 1;                                                                         \
        VT _b = _s * _p;                                                                        \
        VT _u = _a + _b;                                                                        \
        VT _u_lo = ((_a - _u) + _b) + _s * _p_lo;                                               \
        VT _two = (VT){0} + 2;                                                                  \
        VT _d = _u + _two;                                                                      \
        VT _d_lo = (__builtin_elementwise_max(_u, _two) - _d) + __builtin_elementwise_min(_u, _two); \
        VT _q = _u / _d;                                                                        \
        VT _one_minus_q = 1 - _q;                                                               \
        _q = _q + (_u_lo * _one_minus_q - _q * _d_lo) * (_one_minus_q * (T)0.5);                \
        result = ASFLT(ASINT(_q) | _sign);                                                      \
    } while (0)

DEFINE_MAP(tanh, VTANH)

// ---------------------------------------------------------------------------------------------
// Row sums in NumPy's pairwise order (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum):
// below 8 terms a plain loop from 0; up to 128, eight partial sums r[k] over a[i + k] combined
// as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the leftover terms in order; above,
// the two halves (the first a multiple of 8) summed recursively. Every lane follows that order,
// so each row's sum is exactly the scalar one.

// Loads `lanes` (≤ LANES) consecutive values, zeros in the other lanes. Baseline: half a vector (a
// 4-unit layer in float) is one 16-byte load widened with zeros, not four lane inserts.
#undef WIDEN
#if LANES == 4
#define WIDEN(h) __builtin_shufflevector((h), (HT){0}, 0, 1, 2, 3)
#else
#define WIDEN(h) __builtin_shufflevector((h), (HT){0}, 0, 1, 2, 3, 4, 5, 6, 7)
#endif
#undef LOADN
#if NSK_MASKED
// AVX2: half a vector as below; any other partial count one masked load (vmaskmov; masked lanes
// are neither read nor faulted).
#define LOADN(p, lanes) ({ const T *_lp = (p); const int _ln = (lanes); VT _lv;                 \
    if (_ln == LANES) _lv = LOADV(_lp);                                                         \
    else if (_ln == LANES / 2) { HT _lh; __builtin_memcpy(&_lh, _lp, sizeof _lh); _lv = WIDEN(_lh); } \
    else _lv = MASKLOAD_AVX2(_lp, _ln);                                                         \
    _lv; })
#else
#define LOADN(p, lanes) ({ const T *_lp = (p); const int _ln = (lanes); VT _lv;                 \
    if (_ln == LANES) _lv = LOADV(_lp);                                                         \
    else if (_ln == LANES / 2) { HT _lh; __builtin_memcpy(&_lh, _lp, sizeof _lh); _lv = WIDEN(_lh); } \
    else { _lv = (VT){0}; for (int _l = 0; _l < _ln; _l++) _lv[_l] = _lp[_l]; }                 \
    _lv; })
#endif
// Stores the first `lanes` (≤ LANES) values of v, leaving what follows them untouched.
#undef LOWHALF
#if LANES == 4
#define LOWHALF(v) __builtin_shufflevector((v), (v), 0, 1)
#else
#define LOWHALF(v) __builtin_shufflevector((v), (v), 0, 1, 2, 3)
#endif
#undef CONCAT_HALVES
#if LANES == 4
#define CONCAT_HALVES(a, b) __builtin_shufflevector((a), (b), 0, 1, 2, 3)
#else
#define CONCAT_HALVES(a, b) __builtin_shufflevector((a), (b), 0, 1, 2, 3, 4, 5, 6, 7)
#endif
#define STOREN(p, v, lanes) do { T *_sp = (p); const int _sn = (lanes); VT _sv = (v);           \
    if (_sn == LANES) STOREV(_sp, _sv);                                                         \
    else if (_sn == LANES / 2) { HT _sh = LOWHALF(_sv); __builtin_memcpy(_sp, &_sh, sizeof _sh); } \
    else for (int _l = 0; _l < _sn; _l++) _sp[_l] = _sv[_l];                                    \
    } while (0)

// Rows i0 … i0 + lanes − 1 (a points at row i0 of column 0), columns 0 … n − 1.
TGT static void NSK(pairwise_rows)(const T *a, int lda, int lanes, int n, T *out) {
    VT result;
    if (n < 8) {
        result = (VT){0};
        for (int j = 0; j < n; j++) result += LOADN(a + (size_t)j * lda, lanes);
    } else if (n <= 128) {
        VT r[8];
        for (int q = 0; q < 8; q++) r[q] = LOADN(a + (size_t)q * lda, lanes);
        int j = 8;
        for (; j < n - n % 8; j += 8)
            for (int q = 0; q < 8; q++) r[q] += LOADN(a + (size_t)(j + q) * lda, lanes);
        result = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; j < n; j++) result += LOADN(a + (size_t)j * lda, lanes);
    } else {
        int half = n / 2;
        half -= half % 8;
        T first[LANES], second[LANES];
        NSK(pairwise_rows)(a, lda, lanes, half, first);
        NSK(pairwise_rows)(a + (size_t)half * lda, lda, lanes, n - half, second);
        result = LOADV(first) + LOADV(second);
    }
    STOREV(out, result);
}

// One contiguous row: the eight partial sums are 8 / LANES vectors of consecutive terms.
TGT static T NSK(pairwise_contiguous)(const T *a, int n) {
    if (n < 8) {
        T result = 0;
        for (int j = 0; j < n; j++) result += a[j];
        return result;
    }
    if (n <= 128) {
        VT r[8 / LANES > 0 ? 8 / LANES : 1];
        for (int q = 0; q < 8 / LANES; q++) r[q] = LOADV(a + q * LANES);
        int j = 8;
        for (; j < n - n % 8; j += 8)
            for (int q = 0; q < 8 / LANES; q++) r[q] += LOADV(a + j + q * LANES);
        T partial[8];
        for (int q = 0; q < 8 / LANES; q++) STOREV(partial + q * LANES, r[q]);
        T result = ((partial[0] + partial[1]) + (partial[2] + partial[3]))
                 + ((partial[4] + partial[5]) + (partial[6] + partial[7]));
        for (; j < n; j++) result += a[j];
        return result;
    }
    int half = n / 2;
    half -= half % 8;
    return NSK(pairwise_contiguous)(a, half) + NSK(pairwise_contiguous)(a + half, n - half);
}

TGT static void NSK(row_sums)(int m, int n, const T *a, int lda, T *out) {
    if (m == 1) {
        if (lda == 1) { out[0] = NSK(pairwise_contiguous)(a, n); return; }
        T one[LANES];
        NSK(pairwise_rows)(a, lda, 1, n, one);
        out[0] = one[0];
        return;
    }
    for (int i0 = 0; i0 < m; i0 += LANES) {
        const int lanes = m - i0 < LANES ? m - i0 : LANES;
        T sums[LANES];
        NSK(pairwise_rows)(a + i0, lda, lanes, n, sums);
        for (int l = 0; l < lanes; l++) out[i0 + l] = sums[l];
    }
}

// ---------------------------------------------------------------------------------------------
// Transpose: b[j + i·ldb] = a[i + j·lda] for i < rows, j < cols, in LANES × LANES blocks
// transposed in registers (LANES column loads, shuffles, LANES row stores).

#undef TRANSPOSE_BLOCK
#if LANES == 4
#define TRANSPOSE_BLOCK(r, o)                                                                   \
    do {                                                                                        \
        VT _t0 = __builtin_shufflevector(r[0], r[1], 0, 4, 2, 6);                               \
        VT _t1 = __builtin_shufflevector(r[0], r[1], 1, 5, 3, 7);                               \
        VT _t2 = __builtin_shufflevector(r[2], r[3], 0, 4, 2, 6);                               \
        VT _t3 = __builtin_shufflevector(r[2], r[3], 1, 5, 3, 7);                               \
        o[0] = __builtin_shufflevector(_t0, _t2, 0, 1, 4, 5);                                   \
        o[1] = __builtin_shufflevector(_t1, _t3, 0, 1, 4, 5);                                   \
        o[2] = __builtin_shufflevector(_t0, _t2, 2, 3, 6, 7);                                   \
        o[3] = __builtin_shufflevector(_t1, _t3, 2, 3, 6, 7);                                   \
    } while (0)
#else
#define TRANSPOSE_BLOCK(r, o)                                                                   \
    do {                                                                                        \
        VT _t[8], _u[8];                                                                        \
        for (int _p = 0; _p < 4; _p++) {                                                        \
            _t[2 * _p] = __builtin_shufflevector(r[2 * _p], r[2 * _p + 1], 0, 8, 1, 9, 4, 12, 5, 13);  \
            _t[2 * _p + 1] = __builtin_shufflevector(r[2 * _p], r[2 * _p + 1], 2, 10, 3, 11, 6, 14, 7, 15); \
        }                                                                                       \
        for (int _p = 0; _p < 2; _p++) {                                                        \
            _u[4 * _p] = __builtin_shufflevector(_t[4 * _p], _t[4 * _p + 2], 0, 1, 8, 9, 4, 5, 12, 13);      \
            _u[4 * _p + 1] = __builtin_shufflevector(_t[4 * _p], _t[4 * _p + 2], 2, 3, 10, 11, 6, 7, 14, 15); \
            _u[4 * _p + 2] = __builtin_shufflevector(_t[4 * _p + 1], _t[4 * _p + 3], 0, 1, 8, 9, 4, 5, 12, 13); \
            _u[4 * _p + 3] = __builtin_shufflevector(_t[4 * _p + 1], _t[4 * _p + 3], 2, 3, 10, 11, 6, 7, 14, 15); \
        }                                                                                       \
        for (int _p = 0; _p < 4; _p++) {                                                        \
            o[_p] = __builtin_shufflevector(_u[_p], _u[_p + 4], 0, 1, 2, 3, 8, 9, 10, 11);      \
            o[_p + 4] = __builtin_shufflevector(_u[_p], _u[_p + 4], 4, 5, 6, 7, 12, 13, 14, 15); \
        }                                                                                       \
    } while (0)
#endif

// Blocks go down LANES columns of A at a time, so that A is read as LANES sequential streams:
// going across A's columns instead would touch one line per column, and a column stride that is
// a multiple of 4 KiB (12288 doubles) maps all of them to the same cache sets.
TGT static void NSK(transpose)(int rows, int cols, const T *a, int lda, T *b, int ldb) {
    const int fullRows = rows / LANES * LANES;
    int j0 = 0;
    // Two blocks side by side: 2·LANES streams of A, and whole 64-byte lines of B per row.
    for (; j0 + 2 * LANES <= cols; j0 += 2 * LANES) {
        for (int i0 = 0; i0 < fullRows; i0 += LANES) {
            VT r[LANES], o[LANES], r2[LANES], o2[LANES];
            for (int l = 0; l < LANES; l++) r[l] = LOADV(a + i0 + (size_t)(j0 + l) * lda);
            for (int l = 0; l < LANES; l++) r2[l] = LOADV(a + i0 + (size_t)(j0 + LANES + l) * lda);
            TRANSPOSE_BLOCK(r, o);
            TRANSPOSE_BLOCK(r2, o2);
            for (int l = 0; l < LANES; l++) {
                STOREV(b + j0 + (size_t)(i0 + l) * ldb, o[l]);
                STOREV(b + j0 + LANES + (size_t)(i0 + l) * ldb, o2[l]);
            }
        }
        for (int i = fullRows; i < rows; i++)
            for (int l = 0; l < 2 * LANES; l++) b[j0 + l + (size_t)i * ldb] = a[i + (size_t)(j0 + l) * lda];
    }
    for (; j0 + LANES <= cols; j0 += LANES) {
        for (int i0 = 0; i0 < fullRows; i0 += LANES) {
            VT r[LANES], o[LANES];
            for (int l = 0; l < LANES; l++) r[l] = LOADV(a + i0 + (size_t)(j0 + l) * lda);
            TRANSPOSE_BLOCK(r, o);
            for (int l = 0; l < LANES; l++) STOREV(b + j0 + (size_t)(i0 + l) * ldb, o[l]);
        }
        for (int i = fullRows; i < rows; i++)
            for (int l = 0; l < LANES; l++) b[j0 + l + (size_t)i * ldb] = a[i + (size_t)(j0 + l) * lda];
    }
    for (; j0 < cols; j0++)
        for (int i = 0; i < rows; i++) b[j0 + (size_t)i * ldb] = a[i + (size_t)j0 * lda];
}

// ---------------------------------------------------------------------------------------------
// Packed small-row product.

TGT static void NSK(pack)(int transA, int m, int k, const T *a, int lda, T *packed) {
    const int mpad = (m + LANES - 1) / LANES * LANES;
    if (!transA && m == LANES / 2) {
        // Half a vector per column (a 4-unit layer in float): one load and one store each.
        for (int r = 0; r < k; r++) {
            HT half;
            __builtin_memcpy(&half, a + (size_t)r * lda, sizeof half);
            STOREV(packed + (size_t)r * LANES, WIDEN(half));
        }
        return;
    }
    // Column by column, a vector at a time: the padding rows are written as zeros by the
    // same vector stores (no per-column memset).
    for (int r = 0; r < k; r++) {
        T *column = packed + (size_t)r * mpad;
        for (int i0 = 0; i0 < mpad; i0 += LANES) {
            VT v = (VT){0};
            const int lanes = m - i0 < LANES ? m - i0 : LANES;
            if (transA) {
                for (int l = 0; l < lanes; l++) v[l] = a[r + (size_t)(i0 + l) * lda];
            } else {
                v = LOADN(a + (size_t)r * lda + i0, lanes);
            }
            STOREV(column + i0, v);
        }
    }
}

// One block of CB columns of C: acc[v][cb] += P[:, r] · B(r, col + cb) over r < k, then
// out (mpad × CB, column-major) = acc.
#define DEFINE_BLOCK(V, CB)                                                                     \
    TGT __attribute__((noinline)) static void NSK(block_##V##_##CB)(               \
        const int transB, int k, const T *packed, int ps, const T *b, int ldb, int col, T *out) { \
        VT acc[V][CB];                                                                          \
        for (int v = 0; v < V; v++)                                                             \
            for (int j = 0; j < CB; j++) acc[v][j] = (VT){0};                                   \
        const T *column = packed;                                                               \
        for (int r = 0; r < k; r++, column += ps) {                                             \
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

// One column of C with S independent partial sums over r (r mod S), added pairwise at the end:
// a single column's sum over a long k (dW = dZ·A_prevᵀ with few inputs: k = the batch) would
// otherwise wait on one chain of dependent FMAs.
#define DEFINE_COLUMN(V, S)                                                                     \
    TGT __attribute__((noinline)) static void NSK(block_##V##_1)(                               \
        const int transB, int k, const T *packed, int ps, const T *b, int ldb, int col, T *out) { \
        VT acc[S][V];                                                                           \
        for (int s = 0; s < S; s++)                                                             \
            for (int v = 0; v < V; v++) acc[s][v] = (VT){0};                                    \
        const T *source = transB ? b + col : b + (size_t)col * ldb;                             \
        const size_t step = transB ? (size_t)ldb : 1;                                           \
        int r = 0;                                                                              \
        for (; r + S <= k; r += S) {                                                            \
            for (int s = 0; s < S; s++) {                                                       \
                const T scale = source[(size_t)(r + s) * step];                                 \
                const T *column = packed + (size_t)(r + s) * ps;                                \
                for (int v = 0; v < V; v++) acc[s][v] += LOADV(column + v * LANES) * scale;     \
            }                                                                                   \
        }                                                                                       \
        for (; r < k; r++) {                                                                    \
            const T scale = source[(size_t)r * step];                                           \
            const T *column = packed + (size_t)r * ps;                                          \
            for (int v = 0; v < V; v++) acc[0][v] += LOADV(column + v * LANES) * scale;         \
        }                                                                                       \
        for (int width = 1; width < S; width *= 2)                                              \
            for (int s = 0; s + width < S; s += 2 * width)                                      \
                for (int v = 0; v < V; v++) acc[s][v] += acc[s + width][v];                     \
        for (int v = 0; v < V; v++) STOREV(out + v * LANES, acc[0][v]);                         \
    }

DEFINE_BLOCK(1, 8) DEFINE_COLUMN(1, 4)
DEFINE_BLOCK(2, 6) DEFINE_COLUMN(2, 4)
DEFINE_BLOCK(3, 3) DEFINE_COLUMN(3, 4)
DEFINE_BLOCK(4, 2) DEFINE_COLUMN(4, 2)
DEFINE_BLOCK(5, 2) DEFINE_COLUMN(5, 2)
DEFINE_BLOCK(6, 1)

// The activation g and its derivative (from the output a = g(z)) on one vector, as the
// engine's Swift code computes them (Activation.swift).
#define VACTIVATE(y, activation, slope)                                                         \
    do {                                                                                        \
        switch (activation) {                                                                   \
        case NSK_SIGMOID: {                                                                     \
            VT _e;                                                                              \
            VEXP(-(y), _e);                                                                     \
            y = 1 / (1 + _e);                                                                   \
            break;                                                                              \
        }                                                                                       \
        case NSK_TANH: {                                                                        \
            VT _h;                                                                              \
            VTANH(y, _h);                                                                       \
            y = _h;                                                                             \
            break;                                                                              \
        }                                                                                       \
        case NSK_RELU: y = SELECT(y > (VT){0}, y, (VT){0}); break;                              \
        case NSK_LEAKY_RELU: y = SELECT(y > (VT){0}, y, y * (slope)); break;                    \
        default: break;                                                                         \
        }                                                                                       \
    } while (0)

#define VDERIVATIVE(g, a, activation, slope)                                                    \
    do {                                                                                        \
        switch (activation) {                                                                   \
        case NSK_SIGMOID: g = g * (a) * (1 - (a)); break;                                       \
        case NSK_TANH: g = g * (1 - (a) * (a)); break;                                          \
        case NSK_RELU: g = SELECT((a) > (VT){0}, g, (VT){0}); break;                            \
        case NSK_LEAKY_RELU: g = SELECT((a) > (VT){0}, g, g * (slope)); break;                  \
        default: break;                                                                         \
        }                                                                                       \
    } while (0)

// Writes `count` result columns held in out (mpad × count) to C[:, col...], through the
// epilogue KIND with activation ACT (both compile-time constants at every call site, so each
// combination compiles to its own straight-line code). Whole vectors are stored as vectors; the
// last, partial one lane by lane.
TGT __attribute__((always_inline)) static inline void NSK(store)(
    const int KIND, const int ACT, int m, int mpad, int count, const T *out, T alpha, T beta, T *c,
    int ldc, int col, const T *outputsBase, const T *bias, T slope) {
    int j = 0;
    if (m == 1 && ldc == 1) {
        // One row (a single-unit layer): C is a contiguous row vector, so LANES columns at a
        // time are gathered into one vector, go through the epilogue together and are stored
        // with one vector store.
        for (; j + LANES <= count; j += LANES) {
            VT y;
            for (int l = 0; l < LANES; l++) y[l] = out[(size_t)(j + l) * mpad];
            T *target = c + (size_t)(col + j);
            if (KIND == NSK_BIAS_ACTIVATION) {
                y = y + bias[0];
                VACTIVATE(y, ACT, slope);
            } else if (KIND == NSK_DERIVATIVE) {
                VT a = LOADV(outputsBase + (size_t)(col + j));
                VDERIVATIVE(y, a, ACT, slope);
            } else {
                y = beta == 0 ? alpha * y : alpha * y + beta * LOADV(target);
            }
            STOREV(target, y);
        }
    }
    if (m == LANES / 2 && ldc == m) {
        // Half a vector per column (a 4-unit layer in float, 2 units in double): two adjacent
        // columns of C are one contiguous vector, so they go through the epilogue (tanh most)
        // together. Every operation is per lane: the same values as one column at a time.
        const VT pairedBias = KIND == NSK_BIAS_ACTIVATION ? CONCAT_HALVES(LOWHALF(LOADV(bias)), LOWHALF(LOADV(bias))) : (VT){0};
        for (; j + 2 <= count; j += 2) {
            VT y = CONCAT_HALVES(LOWHALF(LOADV(out + (size_t)j * mpad)), LOWHALF(LOADV(out + (size_t)(j + 1) * mpad)));
            T *target = c + (size_t)(col + j) * ldc;
            if (KIND == NSK_BIAS_ACTIVATION) {
                y = y + pairedBias;
                VACTIVATE(y, ACT, slope);
            } else if (KIND == NSK_DERIVATIVE) {
                VT a = LOADV(outputsBase + (size_t)(col + j) * ldc);
                VDERIVATIVE(y, a, ACT, slope);
            } else {
                y = beta == 0 ? alpha * y : alpha * y + beta * LOADV(target);
            }
            STOREV(target, y);
        }
    }
    for (; j < count; j++) {
        T *target = c + (size_t)(col + j) * ldc;
        const T *source = out + (size_t)j * mpad;
        const T *outputs = KIND == NSK_DERIVATIVE ? outputsBase + (size_t)(col + j) * ldc : 0;
        for (int i0 = 0; i0 < m; i0 += LANES) {
            const int lanes = m - i0 < LANES ? m - i0 : LANES;
            VT y = LOADV(source + i0);
            VT previous = (VT){0};
            if (KIND == NSK_DERIVATIVE || (KIND == NSK_PLAIN && beta != 0)) {
                const T *from = KIND == NSK_DERIVATIVE ? outputs + i0 : target + i0;
                previous = LOADN(from, lanes);
            }
            if (KIND == NSK_BIAS_ACTIVATION) {
                y = y + LOADV(bias + i0);
                VACTIVATE(y, ACT, slope);
            } else if (KIND == NSK_DERIVATIVE) {
                VDERIVATIVE(y, previous, ACT, slope);
            } else {
                y = beta == 0 ? alpha * y : alpha * y + beta * previous;
            }
            STOREN(target + i0, y, lanes);
        }
    }
}

#define RUN_COLUMNS(V, CB, KIND, ACT)                                                           \
    for (; col + CB <= col1; col += CB) {                                                       \
        if (transB) NSK(block_##V##_##CB)(1, k, packed, ps, b, ldb, col, out);                  \
        else NSK(block_##V##_##CB)(0, k, packed, ps, b, ldb, col, out);                         \
        NSK(store)(KIND, ACT, m, mpad, CB, out, alpha, beta, c, ldc, col, outputs, bias, slope); \
    }

#define RUN_BLOCKS(V, CB, KIND, ACT)                                                            \
    do {                                                                                        \
        int col = col0;                                                                         \
        RUN_COLUMNS(V, CB, KIND, ACT)                                                           \
        RUN_COLUMNS(V, 1, KIND, ACT)                                                            \
    } while (0)

// One RUN_BLOCKS per epilogue and activation.
#define RUN_EPILOGUES(V, CB)                                                                    \
    do {                                                                                        \
        switch (kind * 8 + activation) {                                                        \
        case NSK_BIAS_ACTIVATION * 8 + NSK_IDENTITY: RUN_BLOCKS(V, CB, NSK_BIAS_ACTIVATION, NSK_IDENTITY); break; \
        case NSK_BIAS_ACTIVATION * 8 + NSK_SIGMOID: RUN_BLOCKS(V, CB, NSK_BIAS_ACTIVATION, NSK_SIGMOID); break; \
        case NSK_BIAS_ACTIVATION * 8 + NSK_TANH: RUN_BLOCKS(V, CB, NSK_BIAS_ACTIVATION, NSK_TANH); break; \
        case NSK_BIAS_ACTIVATION * 8 + NSK_RELU: RUN_BLOCKS(V, CB, NSK_BIAS_ACTIVATION, NSK_RELU); break; \
        case NSK_BIAS_ACTIVATION * 8 + NSK_LEAKY_RELU: RUN_BLOCKS(V, CB, NSK_BIAS_ACTIVATION, NSK_LEAKY_RELU); break; \
        case NSK_DERIVATIVE * 8 + NSK_IDENTITY: RUN_BLOCKS(V, CB, NSK_DERIVATIVE, NSK_IDENTITY); break; \
        case NSK_DERIVATIVE * 8 + NSK_SIGMOID: RUN_BLOCKS(V, CB, NSK_DERIVATIVE, NSK_SIGMOID); break; \
        case NSK_DERIVATIVE * 8 + NSK_TANH: RUN_BLOCKS(V, CB, NSK_DERIVATIVE, NSK_TANH); break;   \
        case NSK_DERIVATIVE * 8 + NSK_RELU: RUN_BLOCKS(V, CB, NSK_DERIVATIVE, NSK_RELU); break;   \
        case NSK_DERIVATIVE * 8 + NSK_LEAKY_RELU: RUN_BLOCKS(V, CB, NSK_DERIVATIVE, NSK_LEAKY_RELU); break; \
        default: RUN_BLOCKS(V, CB, NSK_PLAIN, NSK_IDENTITY); break;                              \
        }                                                                                       \
    } while (0)

TGT static void NSK(gemm_packed)(int transB, int m, int n, int k, T alpha, const T *packed, int lpanel,
                                 const T *b, int ldb, T beta, T *c, int ldc, int col0, int col1,
                                 const EPILOGUE *epilogue) {
    (void)n;
    const int vectors = (m + LANES - 1) / LANES;
    const int mpad = vectors * LANES;
    const int ps = lpanel > 0 ? lpanel : mpad; // the panel's column stride
    const int kind = epilogue ? epilogue->kind : NSK_PLAIN;
    const int activation = kind == NSK_PLAIN ? NSK_IDENTITY : epilogue->activation;
    const T slope = kind == NSK_PLAIN ? 0 : epilogue->slope;
    const T *outputs = kind == NSK_DERIVATIVE ? epilogue->outputs : 0;
    T out[6 * LANES * 8]; // the largest block: V·LANES rows × CB columns (V·CB ≤ 12 here)
    T bias[6 * LANES] = {0};
    if (kind == NSK_BIAS_ACTIVATION)
        for (int i = 0; i < m; i++) bias[i] = epilogue->bias[i];
    switch (vectors) {
    case 1: RUN_EPILOGUES(1, 8); break;
    case 2: RUN_EPILOGUES(2, 6); break;
    case 3: RUN_EPILOGUES(3, 3); break;
    case 4: RUN_EPILOGUES(4, 2); break;
    case 5: RUN_EPILOGUES(5, 2); break;
    case 6: RUN_EPILOGUES(6, 1); break;
    default: break;
    }
}

// ---------------------------------------------------------------------------------------------
// One-row product: c[j] = epilogue(Σ_r a[r]·B(r, j)) for a contiguous row a (k values), B
// column-major (ldb ≥ k) and a contiguous result row c (a single-unit layer's Z = W·A_prev,
// whose packed panel would fill one lane of each vector). LANES columns at a time: one
// accumulator per column, vectorised along r, then reduced across lanes into one vector of
// LANES column sums, which goes through the epilogue together.

#undef HSUM_COLUMNS
#if LANES == 4
#define HSUM_COLUMNS(acc, y)                                                                    \
    do {                                                                                        \
        VT _h0 = __builtin_shufflevector(acc[0], acc[1], 0, 4, 2, 6)                            \
               + __builtin_shufflevector(acc[0], acc[1], 1, 5, 3, 7);                           \
        VT _h1 = __builtin_shufflevector(acc[2], acc[3], 0, 4, 2, 6)                            \
               + __builtin_shufflevector(acc[2], acc[3], 1, 5, 3, 7);                           \
        y = __builtin_shufflevector(_h0, _h1, 0, 1, 4, 5) + __builtin_shufflevector(_h0, _h1, 2, 3, 6, 7); \
    } while (0)
#else
#define HSUM_COLUMNS(acc, y)                                                                    \
    do {                                                                                        \
        VT _p[4], _q[2];                                                                        \
        for (int _k = 0; _k < 4; _k++)                                                          \
            _p[_k] = __builtin_shufflevector(acc[2 * _k], acc[2 * _k + 1], 0, 8, 2, 10, 4, 12, 6, 14) \
                   + __builtin_shufflevector(acc[2 * _k], acc[2 * _k + 1], 1, 9, 3, 11, 5, 13, 7, 15); \
        for (int _k = 0; _k < 2; _k++)                                                          \
            _q[_k] = __builtin_shufflevector(_p[2 * _k], _p[2 * _k + 1], 0, 1, 8, 9, 4, 5, 12, 13) \
                   + __builtin_shufflevector(_p[2 * _k], _p[2 * _k + 1], 2, 3, 10, 11, 6, 7, 14, 15); \
        y = __builtin_shufflevector(_q[0], _q[1], 0, 1, 2, 3, 8, 9, 10, 11)                     \
          + __builtin_shufflevector(_q[0], _q[1], 4, 5, 6, 7, 12, 13, 14, 15);                  \
    } while (0)
#endif

TGT static void NSK(gemm_row)(int n, int k, T alpha, const T *a, const T *b, int ldb, T beta, T *c,
                              const EPILOGUE *epilogue) {
    const int kind = epilogue ? epilogue->kind : NSK_PLAIN;
    const int activation = kind == NSK_PLAIN ? NSK_IDENTITY : epilogue->activation;
    const T slope = kind == NSK_PLAIN ? 0 : epilogue->slope;
    const T bias = kind == NSK_BIAS_ACTIVATION ? epilogue->bias[0] : 0;
    const int full = k / LANES * LANES, tail = k - full;
    VT tailWeights = LOADN(a + full, tail);
    // The column sums of one block: `COUNT` columns from j0 (a constant LANES for the full
    // blocks, so that the accumulators stay in registers; the last block's count otherwise).
#define ROW_BLOCK_SUMS(COUNT)                                                                   \
    for (int l = 0; l < (COUNT); l++) {                                                         \
        const T *column = b + (size_t)(j0 + l) * ldb;                                           \
        VT sum = (VT){0};                                                                       \
        for (int r = 0; r < full; r += LANES) sum += LOADV(a + r) * LOADV(column + r);          \
        if (tail) sum += tailWeights * LOADN(column + full, tail);                              \
        acc[l] = sum;                                                                           \
    }
    for (int j0 = 0; j0 < n; j0 += LANES) {
        const int columns = n - j0 < LANES ? n - j0 : LANES;
        VT acc[LANES];
        for (int l = 0; l < LANES; l++) acc[l] = (VT){0};
        if (columns == LANES && full == LANES && tail == 0) {
            // k = LANES (a 4-unit layer in double, 8 in float): one product a column.
            const VT weights = LOADV(a);
            for (int l = 0; l < LANES; l++) acc[l] = (VT){0} + weights * LOADV(b + (size_t)(j0 + l) * ldb);
        } else if (columns == LANES && full == 0) {
            // k < LANES: the weights are the tail vector.
            for (int l = 0; l < LANES; l++) acc[l] = (VT){0} + tailWeights * LOADN(b + (size_t)(j0 + l) * ldb, tail);
        } else if (columns == LANES) {
            ROW_BLOCK_SUMS(LANES)
        } else {
            ROW_BLOCK_SUMS(columns)
        }
#undef ROW_BLOCK_SUMS
        VT y;
        HSUM_COLUMNS(acc, y);
        VT previous = (VT){0};
        if (kind == NSK_DERIVATIVE) previous = LOADN(epilogue->outputs + j0, columns);
        else if (kind == NSK_PLAIN && beta != 0) previous = LOADN(c + j0, columns);
        if (kind == NSK_BIAS_ACTIVATION) {
            y = y + bias;
            VACTIVATE(y, activation, slope);
        } else if (kind == NSK_DERIVATIVE) {
            VDERIVATIVE(y, previous, activation, slope);
        } else {
            y = beta == 0 ? alpha * y : alpha * y + beta * previous;
        }
        STOREN(c + j0, y, columns);
    }
}
