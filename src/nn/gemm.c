/* Single-precision GEMM, GotoBLAS style but packing only what must be: a register-tiled micro-kernel
 * computes an MR×NR tile of C per call, reading op(A) in place through (row, column) strides (this is
 * where ta is handled) and B in place when it is K×N; a transposed B is packed into NR-wide panels
 * per k block. Small products (M = 32 mini-batches) thereby skip the packing that would cost as much
 * as the arithmetic, and large ones stay L1/L2-resident through k blocking. One micro-kernel per ISA:
 *   AVX-512  8×32 (16 zmm accumulators, two 512-bit FMA pipes × 4-cycle latency need ≥ 8),
 *   AVX2     6×16 (12 ymm accumulators + 2 B vectors + 1 broadcast = 15 of 16 registers),
 *   generic  4×8  (plain C; mul then add, no FMA).
 *
 * Determinism: a micro-kernel call starts from C (or from 0 for the first k block when beta = 0) and
 * adds a(i,k)·b(k,j) for k ascending, so every C element is one sequential chain over k = 0..K-1
 * no matter how M, N and K are blocked or split into tasks. Results therefore depend only on the
 * ISA path (FMA or not), never on the thread count, the task grid or the block sizes; the AVX2 and
 * AVX-512 paths even agree bit for bit, and the generic path agrees with nvm_gemm_ref. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/gemm.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/common.h"

#if defined(__x86_64__) || defined(__i386__)
#define NVM_X86 1
#include <immintrin.h>
#else
#define NVM_X86 0
#endif

/* Blocking: k is cut into blocks of ≤ KC so that a B block (KC × NC floats ≤ 384 KiB) stays in L2
 * while MR×kc strips of A stay in L1; the task grid never makes a task wider than NC. */
#define KC_MAX 384
#define NC_MAX 256
#define MR_MAX 8
#define TASK_FLOPS 5e5     /* below ~2 µs of work a task is not worth handing to another thread */
#define MAX_TASKS 48
#define L2_FLOATS (128 * 1024)   /* an operand this size (512 KiB) is assumed to stay in L2 */

/* For tile rows r0 ≤ i < MR and columns j < nr ≤ NR:
 *   C[i-r0][j] = (load ? C[i-r0][j] : bias ? bias[j] : 0) + Σ_k a(i,k)·b(k,j), k ascending,
 * then, if relu, C[i-r0][j] = C[i-r0][j] > 0 ? C[i-r0][j] : 0 (the ReLU of act_forward, bit for bit); load
 * and relu are the bits K_LOAD and K_RELU of flags,
 * a(i,k) = a[i·rsa + k·csa] (read for all MR rows), b(k,j) = b[k·rsb + j] (read for j < nr only),
 * C[i][j] = c[i·ldc + j]. Rows below r0 are computed and dropped: a bottom-edge strip is shifted up to
 * end at row M, so it overlaps the previous strip instead of reading past the end of A. K_PADB (flags)
 * says b(k,j) is readable, and zero, for nr ≤ j < NR too: the tile then loads B unmasked. */
typedef void kernel_fn(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, ptrdiff_t rsb,
                       float *c, ptrdiff_t ldc, int flags, const float *bias, int r0, int nr);
#define K_LOAD 1
#define K_RELU 2
#define K_PADB 4

/* The transposing pack of one B panel: dst[k·NR + j] = src[j·ld + k] for k < kb, j < nr. */
typedef void pack_fn(float *dst, int NR, const float *src, ptrdiff_t ld, int kb, int nr);

typedef struct {
    int mr, nr;
    kernel_fn *fn;
    pack_fn *pack;
    int pad_edge;   /* the kernel is faster on a narrow right-edge panel of B zero-padded to NR (K_PADB) */
} kernel_info;

struct nvm_compute {
    nvm_isa isa;
    nvm_pool *pool;
    kernel_info kern;
    float *scratch;          /* per worker: packed B block, then a packed A edge strip */
    size_t scratch_stride;   /* floats per worker */
    nvm_step_log *log;       /* NULL unless nvm_compute_set_log */
};

/* ---- micro-kernels ---------------------------------------------------------------------------- */

#define GMR 4
#define GNR 8
static void kernel_generic(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, ptrdiff_t rsb,
                           float *c, ptrdiff_t ldc, int flags, const float *bias, int r0, int nr)
{
    const int load = flags & K_LOAD, relu = flags & K_RELU;
    if (r0 > 0 || nr < GNR) {   /* edge: element by element, only the rows and columns stored */
        for (int i = r0; i < GMR; i++)
            for (int j = 0; j < nr; j++) {
                float s = load ? c[(i - r0) * ldc + j] : bias ? bias[j] : 0.0f;
                for (int k = 0; k < kc; k++)
                    s += a[i * rsa + k * csa] * b[k * rsb + j];
                c[(i - r0) * ldc + j] = relu ? (s > 0 ? s : 0.0f) : s;
            }
        return;
    }
    /* GNU C vectors (SSE2 on x86-64, NEON on arm64, scalar code elsewhere) rather than loops: how
     * compilers vectorise the loop form varies wildly between gcc/clang and -O2/-O3 (3× either way).
     * Plain mul then add per lane, so each element is still one sequential chain over k. */
    typedef float v4 __attribute__((vector_size(16)));
    v4 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0};
    if (!load && bias) {
        memcpy(&c00, bias, 16), memcpy(&c01, bias + 4, 16);
        c10 = c20 = c30 = c00, c11 = c21 = c31 = c01;
    }
    if (load) {
        memcpy(&c00, c, 16), memcpy(&c01, c + 4, 16), memcpy(&c10, c + ldc, 16);
        memcpy(&c11, c + ldc + 4, 16), memcpy(&c20, c + 2 * ldc, 16), memcpy(&c21, c + 2 * ldc + 4, 16);
        memcpy(&c30, c + 3 * ldc, 16), memcpy(&c31, c + 3 * ldc + 4, 16);
    }
    for (int k = 0; k < kc; k++, a += csa, b += rsb) {
        v4 b0, b1, x;
        memcpy(&b0, b, 16), memcpy(&b1, b + 4, 16);
        x = (v4){a[0], a[0], a[0], a[0]}, c00 += x * b0, c01 += x * b1;
        x = (v4){a[rsa], a[rsa], a[rsa], a[rsa]}, c10 += x * b0, c11 += x * b1;
        x = (v4){a[2 * rsa], a[2 * rsa], a[2 * rsa], a[2 * rsa]}, c20 += x * b0, c21 += x * b1;
        x = (v4){a[3 * rsa], a[3 * rsa], a[3 * rsa], a[3 * rsa]}, c30 += x * b0, c31 += x * b1;
    }
    if (relu) {   /* x > 0 ? x : 0 lane by lane, as bit masks */
        typedef int vi4 __attribute__((vector_size(16)));
#define GRELU(v) v = (v4)((vi4)v & (v > (v4){0}))
        GRELU(c00), GRELU(c01), GRELU(c10), GRELU(c11), GRELU(c20), GRELU(c21), GRELU(c30), GRELU(c31);
#undef GRELU
    }
    memcpy(c, &c00, 16), memcpy(c + 4, &c01, 16), memcpy(c + ldc, &c10, 16);
    memcpy(c + ldc + 4, &c11, 16), memcpy(c + 2 * ldc, &c20, 16), memcpy(c + 2 * ldc + 4, &c21, 16);
    memcpy(c + 3 * ldc, &c30, 16), memcpy(c + 3 * ldc + 4, &c31, 16);
}

#if NVM_X86
/* Each x86 kernel is one tile function always inlined with constant flags, so the full tile (the hot
 * case) has no edge logic: `edge` tiles bound their columns by nr (masked loads and stores), and
 * nv = 1 halves the width for narrow right edges (N = 10, the last 4 columns of N = 100) instead of
 * computing a full tile of padding. Row i broadcasts a(i,k) and FMAs it into the row's accumulators;
 * rows 0-3 are addressed from a and rows 4-7 from a + 4·rsa, so each k costs two pointer increments,
 * not eight. */
#define X512_LD(p, m) (edge ? _mm512_maskz_loadu_ps((m), (p)) : _mm512_loadu_ps(p))
#define X512_ROW(i, p, off)                                                           \
    do {                                                                              \
        __m512 t_ = _mm512_set1_ps((p)[off]);                                         \
        c##i##0 = _mm512_fmadd_ps(t_, b0, c##i##0);                                   \
        if (nv > 1)                                                                   \
            c##i##1 = _mm512_fmadd_ps(t_, b1, c##i##1);                               \
    } while (0)
#define X512_LOAD(i)                                                                  \
    __m512 c##i##0 = z0, c##i##1 = z1;                                                \
    if (load && (i) >= r0) {                                                          \
        c##i##0 = X512_LD(c + ((i) - r0) * ldc, m0);                                  \
        if (nv > 1)                                                                   \
            c##i##1 = X512_LD(c + ((i) - r0) * ldc + 16, m1);                         \
    }
#define X512_ST(p, m, v) (edge ? _mm512_mask_storeu_ps((p), (m), (v)) : _mm512_storeu_ps((p), (v)))
#define X512_STORE(i)                                                                 \
    if ((i) >= r0) {                                                                  \
        if (relu) {   /* x > 0 ? x : +0 (NaN: +0), as act_forward */                  \
            c##i##0 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c##i##0, zr, _CMP_GT_OQ), c##i##0); \
            c##i##1 = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(c##i##1, zr, _CMP_GT_OQ), c##i##1); \
        }                                                                             \
        X512_ST(c + ((i) - r0) * ldc, m0, c##i##0);                                   \
        if (nv > 1)                                                                   \
            X512_ST(c + ((i) - r0) * ldc + 16, m1, c##i##1);                          \
    }

__attribute__((target("avx512f"), always_inline))
static inline void tile_avx512(const int edge, const int nv, int kc, const float *a, ptrdiff_t rsa,
                               ptrdiff_t csa, const float *b, ptrdiff_t rsb, float *c, ptrdiff_t ldc, int flags,
                               const float *bias, int r0, int nr)
{
    const int load = flags & K_LOAD, relu = flags & K_RELU;
    const __m512 zr = _mm512_setzero_ps();
    __mmask16 m0 = nr >= 16 ? 0xFFFF : (__mmask16)((1u << nr) - 1);
    __mmask16 m1 = nr >= 32 ? 0xFFFF : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
    __m512 z0 = _mm512_setzero_ps(), z1 = z0;   /* every row's start unless C is loaded */
    if (!load && bias) {
        z0 = X512_LD(bias, m0);
        if (nv > 1)
            z1 = X512_LD(bias + 16, m1);
    }
    X512_LOAD(0) X512_LOAD(1) X512_LOAD(2) X512_LOAD(3)
    X512_LOAD(4) X512_LOAD(5) X512_LOAD(6) X512_LOAD(7)
    const float *a4 = a + 4 * rsa;
    ptrdiff_t r2 = 2 * rsa, r3 = 3 * rsa;
    for (int k = 0; k < kc; k++, a += csa, a4 += csa, b += rsb) {
        __m512 b0 = X512_LD(b, m0), b1 = nv > 1 ? X512_LD(b + 16, m1) : b0;
        X512_ROW(0, a, 0);  X512_ROW(1, a, rsa);  X512_ROW(2, a, r2);  X512_ROW(3, a, r3);
        X512_ROW(4, a4, 0); X512_ROW(5, a4, rsa); X512_ROW(6, a4, r2); X512_ROW(7, a4, r3);
    }
    X512_STORE(0) X512_STORE(1) X512_STORE(2) X512_STORE(3)
    X512_STORE(4) X512_STORE(5) X512_STORE(6) X512_STORE(7)
    (void)zr;
}

__attribute__((target("avx512f")))
static void kernel_avx512(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, ptrdiff_t rsb,
                          float *c, ptrdiff_t ldc, int flags, const float *bias, int r0, int nr)
{
    if (nr == 32)
        tile_avx512(0, 2, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
    else if (nr > 16)
        tile_avx512(1, 2, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
    else
        tile_avx512(1, 1, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
}

/* AVX2 has no mask registers: vmaskmovps with lane masks from a sliding window over `ones`. A masked
 * load in the k loop halved the speed of an N = 10 product on Zen 1 (7.9 µs against 3.8 for N = 16 at
 * M = 32, K = 100), so with K_PADB the edge tile reads a zero-padded B panel unmasked (bfull) and only
 * its loads and stores of C and the bias stay masked. */
#define X256_LD(p, m) (edge ? _mm256_maskload_ps((p), (m)) : _mm256_loadu_ps(p))
#define X256_ROW(i, p, off)                                                           \
    do {                                                                              \
        __m256 t_ = _mm256_broadcast_ss((p) + (off));                                 \
        c##i##0 = _mm256_fmadd_ps(t_, b0, c##i##0);                                   \
        if (nv > 1)                                                                   \
            c##i##1 = _mm256_fmadd_ps(t_, b1, c##i##1);                               \
    } while (0)
#define X256_LOAD(i)                                                                  \
    __m256 c##i##0 = z0, c##i##1 = z1;                                                \
    if (load && (i) >= r0) {                                                          \
        c##i##0 = X256_LD(c + ((i) - r0) * ldc, m0);                                  \
        if (nv > 1)                                                                   \
            c##i##1 = X256_LD(c + ((i) - r0) * ldc + 8, m1);                          \
    }
/* Under bfull a narrow row goes out through a stack copy: vmaskmovps stores are slow on Zen 1 too. */
#define X256_ST(p, m, v)                                                              \
    do {                                                                              \
        if (!edge)                                                                    \
            _mm256_storeu_ps((p), (v));                                               \
        else if (!bfull)                                                              \
            _mm256_maskstore_ps((p), (m), (v));                                       \
        else                                                                          \
            store_part((p), (v), (m));                                                \
    } while (0)
#define X256_STORE(i)                                                                 \
    if ((i) >= r0) {                                                                  \
        if (relu) {   /* x > 0 ? x : +0 (NaN: +0), as act_forward */                  \
            c##i##0 = _mm256_and_ps(c##i##0, _mm256_cmp_ps(c##i##0, zr, _CMP_GT_OQ)); \
            c##i##1 = _mm256_and_ps(c##i##1, _mm256_cmp_ps(c##i##1, zr, _CMP_GT_OQ)); \
        }                                                                             \
        X256_ST(c + ((i) - r0) * ldc, m0, c##i##0);                                   \
        if (nv > 1)                                                                   \
            X256_ST(c + ((i) - r0) * ldc + 8, m1, c##i##1);                           \
    }

/* p[j] = v[j] for the lanes j whose mask is set (a prefix). */
__attribute__((target("avx2"), always_inline)) static inline void store_part(float *p, __m256 v, __m256i m)
{
    float t[8];
    int32_t mk[8];
    _mm256_storeu_ps(t, v);
    _mm256_storeu_si256((__m256i *)mk, m);
    for (int j = 0; j < 8 && mk[j]; j++)
        p[j] = t[j];
}

__attribute__((target("avx2,fma"), always_inline))
static inline void tile_avx2(const int edge, const int bfull, const int nv, int kc, const float *a, ptrdiff_t rsa,
                             ptrdiff_t csa, const float *b, ptrdiff_t rsb, float *c, ptrdiff_t ldc, int flags,
                             const float *bias, int r0, int nr)
{
    const int load = flags & K_LOAD, relu = flags & K_RELU;
    const __m256 zr = _mm256_setzero_ps();
    static const int32_t ones[24] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    __m256i m0 = _mm256_loadu_si256((const __m256i *)(ones + 16 - (nr < 8 ? nr : 8)));
    __m256i m1 = _mm256_loadu_si256((const __m256i *)(ones + 16 - (nr < 8 ? 0 : nr > 16 ? 8 : nr - 8)));
    __m256 z0 = _mm256_setzero_ps(), z1 = z0;   /* every row's start unless C is loaded */
    if (!load && bias) {
        z0 = X256_LD(bias, m0);
        if (nv > 1)
            z1 = X256_LD(bias + 8, m1);
    }
    X256_LOAD(0) X256_LOAD(1) X256_LOAD(2) X256_LOAD(3) X256_LOAD(4) X256_LOAD(5)
    const float *a3 = a + 3 * rsa;
    ptrdiff_t r2 = 2 * rsa;
    for (int k = 0; k < kc; k++, a += csa, a3 += csa, b += rsb) {
        __m256 b0 = bfull ? _mm256_loadu_ps(b) : X256_LD(b, m0);
        __m256 b1 = nv > 1 ? (bfull ? _mm256_loadu_ps(b + 8) : X256_LD(b + 8, m1)) : b0;
        X256_ROW(0, a, 0);  X256_ROW(1, a, rsa);  X256_ROW(2, a, r2);
        X256_ROW(3, a3, 0); X256_ROW(4, a3, rsa); X256_ROW(5, a3, r2);
    }
    X256_STORE(0) X256_STORE(1) X256_STORE(2) X256_STORE(3) X256_STORE(4) X256_STORE(5)
    (void)zr;
}

__attribute__((target("avx2,fma")))
static void kernel_avx2(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b, ptrdiff_t rsb,
                        float *c, ptrdiff_t ldc, int flags, const float *bias, int r0, int nr)
{
    const int padded = flags & K_PADB;
    if (nr == 16)
        tile_avx2(0, 0, 2, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
    else if (nr > 8 && padded)
        tile_avx2(1, 1, 2, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
    else if (nr > 8)
        tile_avx2(1, 0, 2, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
    else if (padded)
        tile_avx2(1, 1, 1, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
    else
        tile_avx2(1, 0, 1, kc, a, rsa, csa, b, rsb, c, ldc, flags, bias, r0, nr);
}
#endif

/* ---- transposing pack of B ---------------------------------------------------------------------- */

/* In chunks of 16 k, so that the lines being written stay in L1. */
static void pack_bt_generic(float *dst, int NR, const float *src, ptrdiff_t ld, int kb, int nr)
{
    for (int k0 = 0; k0 < kb; k0 += 16) {
        int k1 = kb - k0 < 16 ? kb : k0 + 16;
        for (int j = 0; j < nr; j++)
            for (int k = k0; k < k1; k++)
                dst[(size_t)k * NR + j] = src[j * ld + k];
    }
}

#if NVM_X86
/* 8×8 blocks transposed in registers (unpack, shuffle, lane permute), the ragged rest element-wise:
 * several times faster than the scalar pack, which otherwise dominates M = 32 products with tb. */
__attribute__((target("avx2")))
static void pack_bt_avx2(float *dst, int NR, const float *src, ptrdiff_t ld, int kb, int nr)
{
    int k8 = kb & ~7, j8 = nr & ~7;
    for (int k = 0; k < k8; k += 8)
        for (int j = 0; j < j8; j += 8) {
            const float *s = src + j * ld + k;
            __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ld), r2 = _mm256_loadu_ps(s + 2 * ld),
                   r3 = _mm256_loadu_ps(s + 3 * ld), r4 = _mm256_loadu_ps(s + 4 * ld),
                   r5 = _mm256_loadu_ps(s + 5 * ld), r6 = _mm256_loadu_ps(s + 6 * ld),
                   r7 = _mm256_loadu_ps(s + 7 * ld);
            __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
            __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
            __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
            __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
            r0 = _mm256_shuffle_ps(t0, t2, 0x44), r1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            r2 = _mm256_shuffle_ps(t1, t3, 0x44), r3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            r4 = _mm256_shuffle_ps(t4, t6, 0x44), r5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            r6 = _mm256_shuffle_ps(t5, t7, 0x44), r7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = dst + (size_t)k * NR + j;
            _mm256_storeu_ps(d, _mm256_permute2f128_ps(r0, r4, 0x20));
            _mm256_storeu_ps(d + NR, _mm256_permute2f128_ps(r1, r5, 0x20));
            _mm256_storeu_ps(d + 2 * NR, _mm256_permute2f128_ps(r2, r6, 0x20));
            _mm256_storeu_ps(d + 3 * NR, _mm256_permute2f128_ps(r3, r7, 0x20));
            _mm256_storeu_ps(d + 4 * NR, _mm256_permute2f128_ps(r0, r4, 0x31));
            _mm256_storeu_ps(d + 5 * NR, _mm256_permute2f128_ps(r1, r5, 0x31));
            _mm256_storeu_ps(d + 6 * NR, _mm256_permute2f128_ps(r2, r6, 0x31));
            _mm256_storeu_ps(d + 7 * NR, _mm256_permute2f128_ps(r3, r7, 0x31));
        }
    for (int k = k8; k < kb; k++)
        for (int j = 0; j < j8; j++)
            dst[(size_t)k * NR + j] = src[j * ld + k];
    if (j8 < nr)
        pack_bt_generic(dst + j8, NR, src + j8 * ld, ld, kb, nr - j8);
}
#endif

/* ---- ISA selection ------------------------------------------------------------------------------ */

/* What the CPU (and OS) supports, ignoring NVMSIM_ISA. */
static nvm_isa cpu_isa(void)
{
#if NVM_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return NVM_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return NVM_ISA_AVX2;
#endif
    return NVM_ISA_GENERIC;
}

nvm_isa nvm_isa_detect(void)
{
    nvm_isa isa = cpu_isa();
    const char *env = getenv("NVMSIM_ISA");
    if (env) {
        for (int i = NVM_ISA_GENERIC; i <= NVM_ISA_AVX512; i++)
            if (strcmp(env, nvm_isa_name((nvm_isa)i)) == 0 && (nvm_isa)i < isa)
                isa = (nvm_isa)i;
    }
    return isa;
}

const char *nvm_isa_name(nvm_isa isa)
{
    switch (isa) {
    case NVM_ISA_AVX512: return "avx512";
    case NVM_ISA_AVX2: return "avx2";
    default: return "generic";
    }
}

/* ---- compute context ---------------------------------------------------------------------------- */

nvm_compute *nvm_compute_new(nvm_isa isa, nvm_pool *pool)
{
    nvm_compute *cx = calloc(1, sizeof *cx);
    if (!cx)
        return NULL;
    if (isa > cpu_isa())   /* never run instructions the CPU lacks */
        isa = cpu_isa();
    cx->isa = isa;
    cx->pool = pool;
    cx->kern = (kernel_info){GMR, GNR, kernel_generic, pack_bt_generic, 0};
#if NVM_X86
    if (isa == NVM_ISA_AVX512)
        cx->kern = (kernel_info){8, 32, kernel_avx512, pack_bt_avx2, 0};
    else if (isa == NVM_ISA_AVX2)
        cx->kern = (kernel_info){6, 16, kernel_avx2, pack_bt_avx2, 1};
#endif
    /* Sizes are multiples of 16 floats, so every worker's pieces stay 64-byte aligned. */
    cx->scratch_stride = (size_t)KC_MAX * NC_MAX + (size_t)MR_MAX * KC_MAX;
    cx->scratch = nvm_alloc_floats(cx->scratch_stride * (size_t)nvm_pool_size(pool));
    if (!cx->scratch) {
        free(cx);
        return NULL;
    }
    return cx;
}

void nvm_compute_free(nvm_compute *cx)
{
    if (!cx)
        return;
    free(cx->scratch);
    free(cx);
}

nvm_isa nvm_compute_isa(const nvm_compute *cx)
{
    return cx->isa;
}

nvm_pool *nvm_compute_pool(const nvm_compute *cx)
{
    return cx ? cx->pool : NULL;
}

void nvm_compute_set_log(nvm_compute *cx, nvm_step_log *log)
{
    cx->log = log;
}

int nvm_compute_logging(const nvm_compute *cx)
{
    return cx && cx->log;
}

void nvm_compute_log_step(nvm_compute *cx, nvm_step_kind kind, int first, int last, int n, const float *x,
                          double t0, double c0)
{
    nvm_step_log *l = cx ? cx->log : NULL;
    if (!l)
        return;
    if (l->n == NVM_STEP_LOG_MAX) {
        l->dropped++;
        return;
    }
    l->step[l->n++] = (nvm_step){kind, first, last, n, x, nvm_now() - t0, nvm_thread_cpu() - c0};
}

/* ---- the im2col operand, packed strip by strip ------------------------------------------------ */

/* col(p, e) of a convolution: row p = (b, oy, ox), column e = (ky, kx, c). */
typedef struct {
    int b, oy, ox;
} pixel;

static pixel pixel_of(const nvm_conv_src *s, int p)
{
    int per = s->OH * s->OW, r = p % per;
    pixel q = {p / per, r / s->OW, r % s->OW};
    return q;
}

static void pixel_next(const nvm_conv_src *s, pixel *q)
{
    if (++q->ox == s->OW) {
        q->ox = 0;
        if (++q->oy == s->OH)
            q->oy = 0, q->b++;
    }
}

/* dst[0..n) = src[0..n) in fixed-size pieces the compiler inlines: a memcpy call per run (9 floats for
 * a 3×3 convolution of RGB, 8 per pixel in a weight gradient) costs more than the copy. */
static inline void copy_floats(float *dst, const float *src, int n)
{
    int i = 0;
    for (; i + 16 <= n; i += 16)
        memcpy(dst + i, src + i, 16 * sizeof(float));
    if (i + 8 <= n)
        memcpy(dst + i, src + i, 8 * sizeof(float)), i += 8;
    if (i + 4 <= n)
        memcpy(dst + i, src + i, 4 * sizeof(float)), i += 4;
    for (; i < n; i++)
        memcpy(dst + i, src + i, sizeof(float));
}

/* dst[0..e1-e0) = col(p, e0..e1) for the pixel q: runs of a kernel row (k·C floats) where the row lies
 * inside the image, else of one tap (C floats) or zeros. */
static void conv_row(const nvm_conv_src *s, pixel q, int e0, int e1, float *dst)
{
    const int C = s->C, kC = s->k * C, x0 = q.ox - s->pad, y0 = q.oy - s->pad;
    const int inside_x = x0 >= 0 && x0 + s->k <= s->W;
    if (e0 == 0 && e1 == s->k * kC && inside_x && y0 >= 0 && y0 + s->k <= s->H) {   /* the usual case */
        const float *src = s->in + (((size_t)q.b * s->H + y0) * s->W + x0) * C;
        for (int ky = 0; ky < s->k; ky++, src += (size_t)s->W * C)
            copy_floats(dst + ky * kC, src, kC);
        return;
    }
    for (int e = e0; e < e1;) {
        int ky = e / kC, r = e - ky * kC, iy = q.oy + ky - s->pad, n;
        const float *src = NULL;
        if (iy >= 0 && iy < s->H && inside_x) {
            n = kC - r;
            src = s->in + (((size_t)q.b * s->H + iy) * s->W + x0) * C + r;
        } else {
            int kx = r / C, c = r - kx * C, ix = x0 + kx;
            n = C - c;
            if (iy >= 0 && iy < s->H && ix >= 0 && ix < s->W)
                src = s->in + (((size_t)q.b * s->H + iy) * s->W + ix) * C + c;
        }
        if (n > e1 - e)
            n = e1 - e;
        if (src)
            copy_floats(dst + (e - e0), src, n);
        else
            memset(dst + (e - e0), 0, (size_t)n * sizeof(float));
        e += n;
    }
}

/* Forward operand: the strip's rows base..base+MR of col (rows < 0 are zero padding for M < MR),
 * columns pc..pc+kb, row-major into dst (row stride kb). */
#if NVM_X86
/* dst[0..n) = src[0..n) in 16-float pieces, the last one masked: one load and one store per kernel row of
 * an RGB convolution (9 floats), where copy_floats needs two and a scalar tail. */
__attribute__((target("avx512f"))) static inline void copy_avx512(float *dst, const float *src, int n)
{
    for (; n >= 16; n -= 16, dst += 16, src += 16)
        _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
    if (n > 0) {
        __mmask16 m = (__mmask16)((1u << n) - 1);
        _mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
    }
}

/* pack_conv_rows (below) on AVX-512 machines: rows whose taps all lie inside the image are copied a run
 * (a kernel row's part in [pc, pc + kb)) at a time with copy_avx512; the others go through conv_row. */
__attribute__((target("avx512f"))) static void pack_conv_rows_avx512(const nvm_conv_src *s, int base, int MR, int pc,
                                                                     int kb, float *dst)
{
    const int C = s->C, kC = s->k * C;
    pixel q = pixel_of(s, base);
    for (int ii = 0; ii < MR; ii++, pixel_next(s, &q)) {
        const int x0 = q.ox - s->pad, y0 = q.oy - s->pad;
        float *d = dst + (size_t)ii * kb;
        if (x0 < 0 || x0 + s->k > s->W || y0 < 0 || y0 + s->k > s->H) {
            conv_row(s, q, pc, pc + kb, d);
            continue;
        }
        const float *src = s->in + (((size_t)q.b * s->H + y0) * s->W + x0) * C;
        for (int e = pc, n; e < pc + kb; e += n, d += n) {
            int ky = e / kC, r = e - ky * kC;
            n = kC - r < pc + kb - e ? kC - r : pc + kb - e;
            copy_avx512(d, src + (size_t)ky * s->W * C + r, n);
        }
    }
}
#endif

static void pack_conv_rows(const nvm_conv_src *s, int base, int MR, int pc, int kb, float *dst, nvm_isa isa)
{
#if NVM_X86
    if (isa == NVM_ISA_AVX512 && base >= 0) {
        pack_conv_rows_avx512(s, base, MR, pc, kb, dst);
        return;
    }
#endif
    (void)isa;
    int first = base < 0 ? -base : 0;
    memset(dst, 0, (size_t)first * kb * sizeof(float));
    pixel q = pixel_of(s, base + first);
    for (int ii = first; ii < MR; ii++, pixel_next(s, &q))
        conv_row(s, q, pc, pc + kb, dst + (size_t)ii * kb);
}

/* Weight-gradient operand colᵀ: the strip's columns base..base+MR of col (< 0: zero), rows (pixels)
 * pc..pc+kb, as dst[kk·MR + ii]. When the MR columns lie in one kernel row (ky) they are contiguous in
 * the image for every pixel (taps kx, kx+1 are neighbours): as in every convolution whose kernel row
 * k·C is a multiple of MR, e.g. 96 for C = 32 with MR = 8 or 6. Then a pixel is one fixed-size copy,
 * and along an output row the source moves by C per pixel. Pixels whose taps reach into the padding,
 * and strips across kernel rows (RGB), go column by column through conv_row. */
static void pack_conv_cols(const nvm_conv_src *s, int base, int MR, int pc, int kb, float *dst)
{
    const int C = s->C, kC = s->k * C;
    pixel q = pixel_of(s, pc);
    if (base >= 0 && base / kC == (base + MR - 1) / kC) {
        const int ky = base / kC, r = base - ky * kC, kx0 = r / C, kx1 = (r + MR - 1) / C;
        for (int kk = 0; kk < kb;) {
            int run = s->OW - q.ox < kb - kk ? s->OW - q.ox : kb - kk;
            int iy = q.oy + ky - s->pad, x = q.ox - s->pad;
            float *d = dst + (size_t)kk * MR;
            if (iy >= 0 && iy < s->H && x + kx0 >= 0 && x + run - 1 + kx1 < s->W) {
                const float *src = s->in + (((size_t)q.b * s->H + iy) * s->W + x) * C + r;
                if (MR == 8)
                    for (int t = 0; t < run; t++)
                        memcpy(d + 8 * t, src + (size_t)t * C, 8 * sizeof(float));
                else if (MR == 6)
                    for (int t = 0; t < run; t++)
                        memcpy(d + 6 * t, src + (size_t)t * C, 6 * sizeof(float));
                else
                    for (int t = 0; t < run; t++)
                        copy_floats(d + (size_t)t * MR, src + (size_t)t * C, MR);
            } else {
                for (int t = 0; t < run; t++) {
                    pixel qt = {q.b, q.oy, q.ox + t};
                    conv_row(s, qt, base, base + MR, d + (size_t)t * MR);
                }
            }
            kk += run;
            q.ox += run - 1;
            pixel_next(s, &q);
        }
        return;
    }
    int first = base < 0 ? -base : 0;
    float row[MR_MAX];
    for (int kk = 0; kk < kb; kk++, pixel_next(s, &q)) {
        conv_row(s, q, base + first, base + MR, row + first);
        for (int ii = 0; ii < MR; ii++)
            dst[(size_t)kk * MR + ii] = ii < first ? 0.0f : row[ii];
    }
}

/* The forward operand's rows base..base+MR in place: when they are MR pixels of one output row whose taps
 * all lie inside the image, row ii of kernel row ky is MR·C... contiguous floats: col(base + ii, ky·kC + r)
 * = a0[ii·C + ky·W·C + r] for r < kC. A kernel call per kernel row then reads them with rsa = C, csa = 1
 * and nothing is packed. Returns a0, or NULL (rows across output rows or into the padding: packed). */
static const float *conv_rows_inplace(const nvm_conv_src *s, int base, int MR)
{
    pixel q = pixel_of(s, base);
    const int x0 = q.ox - s->pad, y0 = q.oy - s->pad;
    if (q.ox + MR > s->OW || x0 < 0 || x0 + MR - 1 + s->k > s->W || y0 < 0 || y0 + s->k > s->H)
        return NULL;
    return s->in + (((size_t)q.b * s->H + y0) * s->W + x0) * s->C;
}

/* ---- driver ------------------------------------------------------------------------------------- */

typedef struct {
    const nvm_compute *cx;
    int ta, tb, M, N, K, lda, ldb, ldc, beta1;
    const float *A, *B;
    const nvm_conv_src *conv;   /* non-NULL: op(A) is its im2col matrix (ta: transposed), A unused */
    const float *bias; /* NULL, or the row that C starts from (instead of beta·C) */
    int relu;          /* C = max(C, 0) as act_forward's ReLU once the last k block is added */
    float *C;
    int kc;            /* k block */
    int ms, ns;        /* MR-row strips and NR-column panels of C */
    int gm, gn;        /* task grid: gm × gn tasks, each a range of strips × a range of panels */
} gemm_job;

/* One task: C[strips s0..s1) × panels [p0..p1)] over all of K, k block by k block. A is read in
 * place, and so is B when it is K×N; a transposed B is packed per k block. */
static void gemm_task(void *ctx, int task, int worker)
{
    const gemm_job *g = ctx;
    const nvm_compute *cx = g->cx;
    const int MR = cx->kern.mr, NR = cx->kern.nr;
    kernel_fn *kern = cx->kern.fn;
    int tm = task / g->gn, tn = task % g->gn;
    int i0 = (int)((long long)g->ms * tm / g->gm) * MR, i1 = (int)((long long)g->ms * (tm + 1) / g->gm) * MR;
    int j0 = (int)((long long)g->ns * tn / g->gn) * NR, j1 = (int)((long long)g->ns * (tn + 1) / g->gn) * NR;
    if (i1 > g->M)
        i1 = g->M;
    if (j1 > g->N)
        j1 = g->N;
    float *bpack = cx->scratch + (size_t)worker * cx->scratch_stride;
    float *apack = bpack + (size_t)KC_MAX * NC_MAX;

    for (int pc = 0; pc < g->K; pc += g->kc) {
        int kb = g->K - pc < g->kc ? g->K - pc : g->kc;
        int flags = (g->beta1 || pc > 0 ? K_LOAD : 0) | (g->relu && pc + kb == g->K ? K_RELU : 0);
        const float *bias = pc == 0 ? g->bias : NULL;
        /* A narrow last panel (N = 10) zero-padded to NR where the kernel prefers it: packed with the
         * rest when B is transposed, else copied into the (then unused) pack buffer. */
        const int jn = j0 + (j1 - j0) / NR * NR, nn = j1 - jn;
        const int pad = cx->kern.pad_edge && nn > 0;
        float *bnarrow = g->tb ? bpack + (size_t)(jn - j0) * kb : bpack;
        if (pad)
            memset(bnarrow, 0, (size_t)kb * NR * sizeof(float));
        for (int j = j0; g->tb && j < j1; j += NR)   /* op(B) block as NR-wide panels, kb × NR each */
            cx->kern.pack(bpack + (size_t)(j - j0) * kb, NR, g->B + (size_t)j * g->ldb + pc, g->ldb, kb,
                          j1 - j < NR ? j1 - j : NR);
        if (pad && !g->tb)
            for (int k = 0; k < kb; k++)
                memcpy(bnarrow + (size_t)k * NR, g->B + (size_t)(pc + k) * g->ldb + jn, (size_t)nn * sizeof(float));
        for (int i = i0; i < i1; i += MR) {
            /* A bottom-edge strip is shifted up to end at row M (rows r0.. are this strip's); only
             * when M < MR are the rows copied into a zero-padded strip. */
            int r0 = i1 - i < MR ? MR - (i1 - i) : 0, ia = g->M >= MR ? i - r0 : i;
            const float *a;
            ptrdiff_t rsa = g->ta ? 1 : g->lda, csa = g->ta ? g->lda : 1;
            float *c = g->C + (size_t)i * g->ldc;
            const float *a0 = g->conv && !g->ta && g->M >= MR ? conv_rows_inplace(g->conv, i - r0, MR) : NULL;
            if (a0) {   /* the rows in place: one call per kernel row, each continuing the chains (K_LOAD) */
                const nvm_conv_src *cs = g->conv;
                const int kC = cs->k * cs->C;
                for (int j = j0; j < j1; j += NR) {
                    int nr = j1 - j < NR ? j1 - j : NR;
                    for (int e = pc, n; e < pc + kb; e += n) {
                        int ky = e / kC, r = e - ky * kC;
                        n = kC - r < pc + kb - e ? kC - r : pc + kb - e;
                        int f = (g->beta1 || e > 0 ? K_LOAD : 0) | (g->relu && e + n == g->K ? K_RELU : 0);
                        kern(n, a0 + (size_t)ky * cs->W * cs->C + r, cs->C, 1, g->B + (size_t)e * g->ldb + j, g->ldb,
                             c + j, g->ldc, f, e == 0 && bias ? bias + j : NULL, r0, nr);
                    }
                }
                continue;
            }
            if (g->conv) {   /* strip row ii is row i - r0 + ii of op(A) in both cases of the shift */
                if (g->ta)
                    pack_conv_cols(g->conv, i - r0, MR, pc, kb, apack), rsa = 1, csa = MR;
                else
                    pack_conv_rows(g->conv, i - r0, MR, pc, kb, apack, cx->isa), rsa = kb, csa = 1;
                a = apack;
            } else if (g->M < MR) {
                a = g->ta ? g->A + (size_t)pc * g->lda + ia : g->A + (size_t)ia * g->lda + pc;
                for (int k = 0; k < kb; k++)
                    for (int ii = 0; ii < MR; ii++)
                        apack[k * MR + ii] = ii >= r0 ? a[(ii - r0) * rsa + k * csa] : 0.0f;
                a = apack;
                rsa = 1;
                csa = MR;
            } else {
                a = g->ta ? g->A + (size_t)pc * g->lda + ia : g->A + (size_t)ia * g->lda + pc;
            }
            for (int j = j0; j < j1; j += NR) {
                int nr = j1 - j < NR ? j1 - j : NR;
                const float *bj = bias ? bias + j : NULL;
                if (pad && j == jn)
                    kern(kb, a, rsa, csa, bnarrow, NR, c + j, g->ldc, flags | K_PADB, bj, r0, nr);
                else if (g->tb)
                    kern(kb, a, rsa, csa, bpack + (size_t)(j - j0) * kb, NR, c + j, g->ldc, flags, bj, r0, nr);
                else
                    kern(kb, a, rsa, csa, g->B + (size_t)pc * g->ldb + j, g->ldb, c + j, g->ldc, flags, bj, r0,
                         nr);
            }
        }
    }
}

/* C = beta·C for the cases the kernels do not cover (K = 0, or beta other than 0 and 1). */
static void scale_c(int M, int N, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++)
            C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
}

/* worker < 0: the tasks run on cx's pool; else all of them on the calling thread with that worker's
 * scratch (a GEMM inside a pool task, which may not start another pool run). */
static void gemm_run(nvm_compute *cx, int worker, int ta, int tb, int M, int N, int K, const float *A, int lda,
                     const nvm_conv_src *conv, const float *B, int ldb, float beta, const float *bias, int relu,
                     float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0) {   /* C = bias or beta·C, then the ReLU */
        for (int i = 0; i < M; i++)
            if (bias)
                memcpy(C + (size_t)i * ldc, bias, (size_t)N * sizeof(float));
        if (!bias)
            scale_c(M, N, beta, C, ldc);
        for (int i = 0; relu && i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = C[(size_t)i * ldc + j] > 0 ? C[(size_t)i * ldc + j] : 0.0f;
        return;
    }
    if (beta != 0.0f && beta != 1.0f) {
        scale_c(M, N, beta, C, ldc);
        beta = 1.0f;
    }
    const int MR = cx->kern.mr, NR = cx->kern.nr;
    gemm_job g = {.cx = cx, .ta = ta, .tb = tb, .M = M, .N = N, .K = K, .lda = lda, .ldb = ldb,
                  .ldc = ldc, .beta1 = !bias && beta != 0.0f, .A = A, .B = B, .conv = conv, .bias = bias,
                  .relu = relu, .C = C};
    int nkb = (K + KC_MAX - 1) / KC_MAX;   /* equal k blocks: no short last block */
    g.kc = (K + nkb - 1) / nkb;
    g.ms = (M + MR - 1) / MR;
    g.ns = (N + NR - 1) / NR;

    /* Task grid. A task reads the rows of A and the columns of B it needs, so splitting M re-reads B
     * once per row group and splitting N re-reads A once per column group. That is cheap while the
     * re-read operand fits in L2; otherwise groups stay ≥ 64 rows or columns wide, except that up to 4
     * tasks are always allowed so that the weight gradients (K ≫ M, N) still run in parallel. When
     * neither operand fits in L2 (those weight gradients: im2col rows and output gradients of a whole
     * batch), every extra task streams one of them from memory again, so there are no more tasks than
     * threads (conv1's dW at batch 64 read 54 MB in 4 tasks). The grid may depend on the thread count
     * because results never depend on the grid (see the top of the file). A transposed B is packed
     * per task: row groups of ≥ 128 then amortise the packing. */
    double flops = 2.0 * M * N * K;
    int want = worker >= 0 ? 1 : flops / TASK_FLOPS > MAX_TASKS ? MAX_TASKS : (int)(flops / TASK_FLOPS);
    if ((double)K * N > L2_FLOATS && (double)K * M > L2_FLOATS && want > nvm_pool_size(cx->pool))
        want = nvm_pool_size(cx->pool);
    int min_strips = tb ? 128 / MR : (double)K * N > L2_FLOATS ? 64 / MR : 2;
    int min_panels = (double)K * M > L2_FLOATS ? 64 / NR : 1;
    g.gm = 1;
    g.gn = (g.ns * NR + NC_MAX - 1) / NC_MAX;
    while (g.gm * g.gn < want) {
        if (g.ms / (g.gm + 1) >= min_strips)
            g.gm++;
        else if (g.ns / (g.gn + 1) >= min_panels)
            g.gn++;
        else if (g.gm * g.gn < 4 && g.gm < g.ms)
            g.gm++;
        else if (g.gm * g.gn < 4 && g.gn < g.ns)
            g.gn++;
        else
            break;
    }
    if (worker >= 0)
        for (int t = 0; t < g.gm * g.gn; t++)
            gemm_task(&g, t, worker);
    else
        nvm_pool_run(cx->pool, g.gm * g.gn, gemm_task, &g);
}

void nvm_gemm(nvm_compute *cx, int ta, int tb, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_run(cx, -1, ta, tb, M, N, K, A, lda, NULL, B, ldb, beta, NULL, 0, C, ldc);
}

void nvm_gemm_worker(nvm_compute *cx, int worker, int ta, int tb, int M, int N, int K, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc)
{
    gemm_run(cx, worker, ta, tb, M, N, K, A, lda, NULL, B, ldb, beta, NULL, 0, C, ldc);
}

void nvm_gemm_bias(nvm_compute *cx, int ta, int tb, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, const float *bias, int relu, float *C, int ldc)
{
    gemm_run(cx, -1, ta, tb, M, N, K, A, lda, NULL, B, ldb, 0.0f, bias, relu, C, ldc);
}

void nvm_gemm_conv(nvm_compute *cx, const nvm_conv_src *s, int N, const float *Wt, const float *bias, int relu,
                   float *C)
{
    int M = s->B * s->OH * s->OW, K = s->k * s->k * s->C;
    gemm_run(cx, -1, 0, 0, M, N, K, NULL, K, s, Wt, N, 0.0f, bias, relu, C, N);
}

void nvm_gemm_conv_wgrad(nvm_compute *cx, const nvm_conv_src *s, int N, const float *dout, float *dW)
{
    int M = s->B * s->OH * s->OW, K = s->k * s->k * s->C;
    gemm_run(cx, -1, 1, 0, K, N, M, NULL, K, s, dout, N, 1.0f, NULL, 0, dW, N);
}

void nvm_gemm_ref(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float *c = C + (size_t)i * ldc + j;
            float s = beta == 0.0f ? 0.0f : beta * *c;
            for (int k = 0; k < K; k++)
                s += (ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            *c = s;
        }
}

/* ---- benchmarks --------------------------------------------------------------------------------- */

double nvm_gemm_bench(nvm_compute *cx, int ta, int tb, int M, int N, int K, double seconds)
{
    float *A = nvm_alloc_floats((size_t)M * K), *B = nvm_alloc_floats((size_t)K * N),
          *C = nvm_alloc_floats((size_t)M * N);
    double gflops = 0.0;
    if (A && B && C) {
        uint32_t s = 12345;
        for (size_t i = 0; i < (size_t)M * K; i++)
            A[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1p-24f - 0.5f;
        for (size_t i = 0; i < (size_t)K * N; i++)
            B[i] = (float)((s = s * 1664525u + 1013904223u) >> 8) * 0x1p-24f - 0.5f;
        int lda = ta ? M : K, ldb = tb ? K : N;
        nvm_gemm(cx, ta, tb, M, N, K, A, lda, B, ldb, 0.0f, C, N);   /* warm-up: caches, clocks, helpers */
        long calls = 0;
        double t0 = nvm_now(), t;
        do {
            nvm_gemm(cx, ta, tb, M, N, K, A, lda, B, ldb, 0.0f, C, N);
            calls++;
            t = nvm_now() - t0;
        } while (t < seconds || calls < 3);
        gflops = 2.0 * M * N * K * (double)calls / t * 1e-9;
    }
    free(A);
    free(B);
    free(C);
    return gflops;
}

/* Independent FMA chains (more than pipes × latency), so the loop runs at the FMA issue rate. Each
 * returns the flops done; the sum of the accumulators is stored so nothing is optimised away. The
 * generic path has no FMA: its "peak" is its own micro-kernel on L1-resident operands. */
#define PEAK_ITERS 20000000L
static double peak_generic(float *sink)
{
    enum { KC = 256 };
    volatile float scale = 1e-3f;   /* opaque, so the products cannot be folded at compile time */
    float a[GMR * KC], b[KC * GNR], c[GMR * GNR] = {0.0f};
    for (int i = 0; i < GMR * KC; i++)
        a[i] = scale * (float)(i % 7);
    for (int i = 0; i < KC * GNR; i++)
        b[i] = scale * (float)(i % 5);
    long calls = PEAK_ITERS / 256;
    kernel_fn *volatile kern = kernel_generic;   /* called as in nvm_gemm, not inlined and specialised */
    for (long n = 0; n < calls; n++)                /* load = 1: each call depends on the last */
        kern(KC, a, 1, GMR, b, GNR, c, GNR, 1, NULL, 0, GNR);
    *sink = c[0] + c[GMR * GNR - 1];
    return 2.0 * GMR * GNR * KC * (double)calls;
}

#if NVM_X86
/* Twelve named accumulators with distinct starts (an array would live in memory at -O2 and time the
 * store forwarding; equal starts would be merged by the compiler). */
#define PEAK_CHAINS(V, FMA, SET1)                                                     \
    V x0 = SET1(1.f), x1 = SET1(2.f), x2 = SET1(3.f), x3 = SET1(4.f), x4 = SET1(5.f), x5 = SET1(6.f); \
    V x6 = SET1(7.f), x7 = SET1(8.f), x8 = SET1(9.f), x9 = SET1(10.f), xa = SET1(11.f), xb = SET1(12.f); \
    for (long n = 0; n < PEAK_ITERS; n++) {                                           \
        x0 = FMA(x0, m, d); x1 = FMA(x1, m, d); x2 = FMA(x2, m, d); x3 = FMA(x3, m, d); \
        x4 = FMA(x4, m, d); x5 = FMA(x5, m, d); x6 = FMA(x6, m, d); x7 = FMA(x7, m, d); \
        x8 = FMA(x8, m, d); x9 = FMA(x9, m, d); xa = FMA(xa, m, d); xb = FMA(xb, m, d); \
    }

__attribute__((target("avx512f")))
static double peak_avx512(float *sink)
{
    volatile float mv = 0.999999f, dv = 1e-6f;   /* opaque, so nothing is folded at compile time */
    __m512 m = _mm512_set1_ps(mv), d = _mm512_set1_ps(dv);
    PEAK_CHAINS(__m512, _mm512_fmadd_ps, _mm512_set1_ps)
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(x0, x1), _mm512_add_ps(x2, x3)),
                             _mm512_add_ps(_mm512_add_ps(x4, x5), _mm512_add_ps(x6, x7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(x8, x9), _mm512_add_ps(xa, xb)));
    *sink = _mm512_reduce_add_ps(s);
    return 2.0 * 16 * 12 * (double)PEAK_ITERS;
}

__attribute__((target("avx2,fma")))
static double peak_avx2(float *sink)
{
    volatile float mv = 0.999999f, dv = 1e-6f;
    __m256 m = _mm256_set1_ps(mv), d = _mm256_set1_ps(dv);
    PEAK_CHAINS(__m256, _mm256_fmadd_ps, _mm256_set1_ps)
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(x0, x1), _mm256_add_ps(x2, x3)),
                             _mm256_add_ps(_mm256_add_ps(x4, x5), _mm256_add_ps(x6, x7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(x8, x9), _mm256_add_ps(xa, xb)));
    float v[8];
    _mm256_storeu_ps(v, s);
    *sink = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    return 2.0 * 8 * 12 * (double)PEAK_ITERS;
}
#endif

typedef struct {
    nvm_isa isa;
    double flops;
    float sink;
} peak_arg;

static void *peak_thread(void *arg)
{
    peak_arg *p = arg;
#if NVM_X86
    if (p->isa == NVM_ISA_AVX512) {
        p->flops = peak_avx512(&p->sink);
        return NULL;
    }
    if (p->isa == NVM_ISA_AVX2) {
        p->flops = peak_avx2(&p->sink);
        return NULL;
    }
#endif
    p->flops = peak_generic(&p->sink);
    return NULL;
}

double nvm_fma_peak(nvm_isa isa, int threads)
{
    if (isa > cpu_isa())
        isa = cpu_isa();
    if (threads < 1)
        threads = 1;
    if (threads > 256)
        threads = 256;
    peak_arg args[256];
    pthread_t tid[256];
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {   /* best of three: the first also ramps up the clock */
        double t0 = nvm_now(), flops = 0.0;
        int started = 1;
        for (int t = 0; t < threads; t++)
            args[t] = (peak_arg){.isa = isa};
        for (int t = 1; t < threads; t++, started++)
            if (pthread_create(&tid[t], NULL, peak_thread, &args[t]) != 0)
                break;
        peak_thread(&args[0]);
        for (int t = 1; t < started; t++)
            pthread_join(tid[t], NULL);
        double dt = nvm_now() - t0;
        for (int t = 0; t < started; t++)
            flops += args[t].flops;
        if (flops / dt * 1e-9 > best)
            best = flops / dt * 1e-9;
    }
    return best;
}

double nvm_fma_peak_cpu(nvm_isa isa)
{
    if (isa > cpu_isa())
        isa = cpu_isa();
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        peak_arg p = {.isa = isa};
        double c0 = nvm_thread_cpu();
        peak_thread(&p);
        double dt = nvm_thread_cpu() - c0;
        if (dt > 0 && p.flops / dt * 1e-9 > best)
            best = p.flops / dt * 1e-9;
    }
    return best;
}
