/* im2col / col2im for stride-1 k×k convolutions on NHWC tensors. */
#include <string.h>

#include "layers.h"

/* dst[0..n) = src[0..n): fixed-size copies, which the compiler inlines, instead of a memcpy call per
 * kernel row (9 floats for a 3×3 convolution of RGB: the calls cost more than the copying). */
static inline void copy_floats(float *dst, const float *src, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        memcpy(dst + i, src + i, 16 * sizeof(float));
    if (i + 8 <= n) {
        memcpy(dst + i, src + i, 8 * sizeof(float));
        i += 8;
    }
    if (i + 4 <= n) {
        memcpy(dst + i, src + i, 4 * sizeof(float));
        i += 4;
    }
    for (; i < n; i++)
        memcpy(dst + i, src + i, sizeof(float));
}

#define IM2COL_BODY(COPY)                                                                              \
    const int H = L->in_h, W = L->in_w, C = L->in_c, k = L->k, pad = L->pad;                           \
    const size_t rowlen = (size_t)k * k * C, kc = (size_t)k * C;                                       \
    for (int b = b0; b < b1; b++)                                                                      \
        for (int oy = 0; oy < L->out_h; oy++)                                                          \
            for (int ox = 0; ox < L->out_w; ox++) {                                                    \
                float *dst = col + (((size_t)b * L->out_h + oy) * L->out_w + ox) * rowlen;             \
                const int x0 = ox - pad, inside_x = x0 >= 0 && x0 + k <= W;                            \
                for (int ky = 0; ky < k; ky++, dst += kc) {                                            \
                    int iy = oy + ky - pad;                                                            \
                    if (iy >= 0 && iy < H && inside_x) {   /* a kernel row is k·C contiguous floats */ \
                        COPY(dst, in + (((size_t)b * H + iy) * W + x0) * C, kc);                       \
                        continue;                                                                      \
                    }                                                                                  \
                    for (int kx = 0; kx < k; kx++) {                                                   \
                        int ix = x0 + kx;                                                              \
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)                                    \
                            memset(dst + (size_t)kx * C, 0, (size_t)C * sizeof(float));                \
                        else                                                                           \
                            COPY(dst + (size_t)kx * C, in + (((size_t)b * H + iy) * W + ix) * C, (size_t)C); \
                    }                                                                                  \
                }                                                                                      \
            }

static void im2col_plain(const nvm_layer *L, const float *in, float *col, int b0, int b1)
{
    IM2COL_BODY(copy_floats)
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* 16-float pieces, the last one masked: a kernel row of an RGB convolution (9 floats) is one load and one
 * store instead of copy_floats' two and a scalar tail. */
__attribute__((target("avx512f"))) static inline void copy_avx512(float *dst, const float *src, size_t n)
{
    for (; n >= 16; n -= 16, dst += 16, src += 16)
        _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
    if (n > 0) {
        __mmask16 m = (__mmask16)((1u << n) - 1);
        _mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
    }
}

__attribute__((target("avx512f"))) static void im2col_avx512(const nvm_layer *L, const float *in, float *col, int b0,
                                                             int b1)
{
    const int kC = L->k * L->in_c;
    if (L->pad == 0 && kC < 16) {   /* every kernel row inside (RGB 3x3: 9 floats): one masked load each, */
        const __mmask16 m = (__mmask16)((1u << kC) - 1);   /* stored 16 wide: the next piece overwrites */
        const size_t rowlen = (size_t)L->k * kC, img = (size_t)L->in_h * L->in_w * L->in_c;   /* the tail */
        size_t pos = (size_t)b0 * L->out_h * L->out_w * rowlen;
        const size_t end = (size_t)b1 * L->out_h * L->out_w * rowlen;   /* this range's rows end there */
        for (int b = b0; b < b1; b++)
            for (int oy = 0; oy < L->out_h; oy++)
                for (int ox = 0; ox < L->out_w; ox++) {
                    const float *src = in + b * img + ((size_t)oy * L->in_w + ox) * L->in_c;
                    for (int ky = 0; ky < L->k; ky++, pos += kC, src += (size_t)L->in_w * L->in_c) {
                        __m512 v = _mm512_maskz_loadu_ps(m, src);
                        if (pos + 16 > end)
                            _mm512_mask_storeu_ps(col + pos, m, v);   /* nothing of ours after it */
                        else
                            _mm512_storeu_ps(col + pos, v);
                    }
                }
        return;
    }
    IM2COL_BODY(copy_avx512)
}
#endif

static void im2col_images(nvm_isa isa, const nvm_layer *L, const float *in, float *col, int b0, int b1)
{
#if defined(__x86_64__) || defined(__i386__)
    if (isa == NVM_ISA_AVX512) {
        im2col_avx512(L, in, col, b0, b1);
        return;
    }
#endif
    (void)isa;
    im2col_plain(L, in, col, b0, b1);
}

/* din[b0..b1) = the adjoint of im2col of dcol's rows of those images: for every din element, the adds
 * in (oy, ox, ky, kx) order. The channel loop runs on W-lane GNU vectors (each lane the scalar add), as
 * in maxpool.c: 4 lanes anywhere, 8 (AVX2) and 16 (AVX-512) on x86, whichever divides C. */
#define COL2IM_BODY(V, W)                                                                              \
    const int H = L->in_h, Wd = L->in_w, C = L->in_c, k = L->k, pad = L->pad;                          \
    memset(din + (size_t)b0 * H * Wd * C, 0, (size_t)(b1 - b0) * H * Wd * C * sizeof(float));          \
    const float *src = dcol + (size_t)b0 * L->out_h * L->out_w * k * k * C;                            \
    for (int b = b0; b < b1; b++)                                                                      \
        for (int oy = 0; oy < L->out_h; oy++)                                                          \
            for (int ox = 0; ox < L->out_w; ox++)                                                      \
                for (int ky = 0; ky < k; ky++) {                                                       \
                    int iy = oy + ky - pad;                                                            \
                    for (int kx = 0; kx < k; kx++, src += C) {                                         \
                        int ix = ox + kx - pad;                                                        \
                        if (iy < 0 || iy >= H || ix < 0 || ix >= Wd)                                   \
                            continue;                                                                  \
                        float *dst = din + (((size_t)b * H + iy) * Wd + ix) * C;                       \
                        int c = 0;                                                                     \
                        for (; c + (W) <= C; c += (W)) {                                               \
                            V x, y;                                                                    \
                            memcpy(&x, dst + c, sizeof x), memcpy(&y, src + c, sizeof y);              \
                            x += y;                                                                    \
                            memcpy(dst + c, &x, sizeof x);                                             \
                        }                                                                              \
                        for (; c < C; c++)                                                             \
                            dst[c] += src[c];                                                          \
                    }                                                                                  \
                }

typedef float v4 __attribute__((vector_size(16)));
static void col2im4(const nvm_layer *L, const float *dcol, float *din, int b0, int b1)
{
    COL2IM_BODY(v4, 4)
}

/* db[j] += Σ_i dout[i·ld + j] for j < N, rows i in order (as nvm_dense_backward), on blocks of 4, 2 or 1
 * W-lane vectors of columns, each held in registers over all M rows (one pass over dout for N ≤ 4W). */
#define DB_BODY(V, W)                                                                                  \
    int j = 0;                                                                                         \
    for (; j + 4 * (W) <= N; j += 4 * (W)) {                                                           \
        V s0, s1, s2, s3, x;                                                                           \
        memcpy(&s0, db + j, sizeof s0), memcpy(&s1, db + j + (W), sizeof s1);                          \
        memcpy(&s2, db + j + 2 * (W), sizeof s2), memcpy(&s3, db + j + 3 * (W), sizeof s3);            \
        for (int i = 0; i < M; i++) {                                                                  \
            const float *r = dout + (size_t)i * ld + j;                                                 \
            memcpy(&x, r, sizeof x), s0 += x;                                                          \
            memcpy(&x, r + (W), sizeof x), s1 += x;                                                    \
            memcpy(&x, r + 2 * (W), sizeof x), s2 += x;                                                \
            memcpy(&x, r + 3 * (W), sizeof x), s3 += x;                                                \
        }                                                                                              \
        memcpy(db + j, &s0, sizeof s0), memcpy(db + j + (W), &s1, sizeof s1);                          \
        memcpy(db + j + 2 * (W), &s2, sizeof s2), memcpy(db + j + 3 * (W), &s3, sizeof s3);            \
    }                                                                                                  \
    for (; j + 2 * (W) <= N; j += 2 * (W)) {                                                           \
        V s0, s1, x;                                                                                   \
        memcpy(&s0, db + j, sizeof s0), memcpy(&s1, db + j + (W), sizeof s1);                          \
        for (int i = 0; i < M; i++) {                                                                  \
            const float *r = dout + (size_t)i * ld + j;                                                 \
            memcpy(&x, r, sizeof x), s0 += x;                                                          \
            memcpy(&x, r + (W), sizeof x), s1 += x;                                                    \
        }                                                                                              \
        memcpy(db + j, &s0, sizeof s0), memcpy(db + j + (W), &s1, sizeof s1);                          \
    }                                                                                                  \
    for (; j + (W) <= N; j += (W)) {                                                                   \
        V s0, x;                                                                                       \
        memcpy(&s0, db + j, sizeof s0);                                                                \
        for (int i = 0; i < M; i++)                                                                    \
            memcpy(&x, dout + (size_t)i * ld + j, sizeof x), s0 += x;                                   \
        memcpy(db + j, &s0, sizeof s0);                                                                \
    }                                                                                                  \
    for (int i = 0; i < M && j < N; i++)                                                               \
        for (int jj = j; jj < N; jj++)                                                                 \
            db[jj] += dout[(size_t)i * ld + jj];

static void db4(const float *dout, int M, int N, size_t ld, float *db)
{
    DB_BODY(v4, 4)
}

#if defined(__x86_64__) || defined(__i386__)
#define CONV_X86 1
typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
__attribute__((target("avx2"))) static void col2im8(const nvm_layer *L, const float *dcol, float *din, int b0,
                                                    int b1)
{
    COL2IM_BODY(v8, 8)
}
__attribute__((target("avx512f"))) static void col2im16(const nvm_layer *L, const float *dcol, float *din, int b0,
                                                        int b1)
{
    COL2IM_BODY(v16, 16)
}
__attribute__((target("avx2"))) static void db8(const float *dout, int M, int N, size_t ld, float *db)
{
    DB_BODY(v8, 8)
}
__attribute__((target("avx512f"))) static void db16(const float *dout, int M, int N, size_t ld, float *db)
{
    DB_BODY(v16, 16)
}
#else
#define CONV_X86 0
#endif

static void col2im_images(nvm_isa isa, const nvm_layer *L, const float *dcol, float *din, int b0, int b1)
{
#if CONV_X86
    if (isa == NVM_ISA_AVX512 && L->in_c % 16 == 0) {
        col2im16(L, dcol, din, b0, b1);
        return;
    }
    if (isa >= NVM_ISA_AVX2 && L->in_c % 8 == 0) {
        col2im8(L, dcol, din, b0, b1);
        return;
    }
#endif
    (void)isa;
    col2im4(L, dcol, din, b0, b1);
}

/* db[N] += the sum of dout's M rows, each column over the rows in order: the same bits on every path and
 * for any split. Columns go to the pool in blocks of 16 (each a pass over its lines of dout). */
typedef struct {
    const float *dout;
    float *db;
    int M, N;
    nvm_isa isa;
} db_job;

static void db_task(void *ctx, int task, int worker)
{
    (void)worker;
    const db_job *j = ctx;
    const int j0 = 16 * task, n = j->N - j0 < 16 ? j->N - j0 : 16;
#if CONV_X86
    if (j->isa == NVM_ISA_AVX512) {
        db16(j->dout + j0, j->M, n, (size_t)j->N, j->db + j0);
        return;
    }
    if (j->isa == NVM_ISA_AVX2) {
        db8(j->dout + j0, j->M, n, (size_t)j->N, j->db + j0);
        return;
    }
#endif
    db4(j->dout + j0, j->M, n, (size_t)j->N, j->db + j0);
}

static void bias_grad(nvm_compute *cx, const float *dout, int M, int N, float *db)
{
    db_job j = {dout, db, M, N, nvm_compute_isa(cx)};
    if ((size_t)M * N < 65536)   /* a few microseconds: not worth a hand-over */
        for (int t = 0; t < (N + 15) / 16; t++)
            db_task(&j, t, 0);
    else
        nvm_pool_run(nvm_compute_pool(cx), (N + 15) / 16, db_task, &j);
}

void nvm_im2col(const nvm_layer *L, const float *in, float *col, int B)
{
    im2col_images(nvm_isa_detect(), L, in, col, 0, B);
}

void nvm_col2im(const nvm_layer *L, const float *dcol, float *din, int B)
{
    col2im_images(nvm_isa_detect(), L, dcol, din, 0, B);
}

typedef struct {
    const nvm_layer *L;
    const float *src;
    float *dst;
    nvm_isa isa;
} conv_job;

static void im2col_chunk(void *ctx, size_t b0, size_t b1)
{
    const conv_job *j = ctx;
    im2col_images(j->isa, j->L, j->src, j->dst, (int)b0, (int)b1);
}

static void col2im_chunk(void *ctx, size_t b0, size_t b1)
{
    const conv_job *j = ctx;
    col2im_images(j->isa, j->L, j->src, j->dst, (int)b0, (int)b1);
}

/* Chunks sized by the im2col rows of an image, the larger side of both copies. */
void nvm_im2col_mt(const nvm_layer *L, const float *in, float *col, int B, nvm_compute *cx)
{
    conv_job j = {L, in, col, nvm_compute_isa(cx)};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->out_h * L->out_w * L->k * L->k * L->in_c),
                   im2col_chunk, &j);
}

void nvm_col2im_mt(const nvm_layer *L, const float *dcol, float *din, int B, nvm_compute *cx)
{
    conv_job j = {L, dcol, din, nvm_compute_isa(cx)};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->out_h * L->out_w * L->k * L->k * L->in_c),
                   col2im_chunk, &j);
}

/* The convolution as a GEMM over its im2col matrix, which the GEMM packs strip by strip from the
 * image instead of reading a materialised col (see nvm_conv_src): same bits as im2col + dense. */
static nvm_conv_src conv_src(const nvm_layer *L, const float *in, int B)
{
    nvm_conv_src s = {in, B, L->in_h, L->in_w, L->in_c, L->k, L->pad, L->out_h, L->out_w};
    return s;
}

void nvm_conv_forward(const nvm_layer *L, const float *in, const float *W, const float *b, int relu, float *out,
                      int B, nvm_compute *cx)
{
    nvm_conv_src s = conv_src(L, in, B);
    nvm_gemm_conv(cx, &s, L->out_c, W, b, relu, out);
}

/* Images per chunk so that a chunk's im2col rows are about 128 K floats (512 KB): written and read again
 * while they are still in the core's L2. Depends on the shape only. */
static int col_chunk(const nvm_layer *L)
{
    size_t per = (size_t)L->out_h * L->out_w * L->k * L->k * L->in_c, n = ((size_t)128 << 10) / (per ? per : 1);
    n = n > 8 ? 8 : n;   /* ≥ 8 chunks in a batch of 64, for two or four threads to share evenly */
    return n < 1 ? 1 : n > 1 ? (int)(n & ~(size_t)1) : 1;
}

/* din of images [b0, b1) (task t: b0 = t·chunk): their rows of dcol = dout·Wᵀ, one GEMM on this worker,
 * then col2im of those rows while they are in its L2 (every dcol and din element is computed as by the
 * whole-batch GEMM and col2im: a GEMM element does not depend on the rows around it, and col2im
 * accumulates each din element from its own image's rows in the same order). */
typedef struct {
    const nvm_layer *L;
    const float *W, *dout;
    float *dcol, *din;
    nvm_compute *cx;
    int B, chunk;
} din_job;

static void din_task(void *ctx, int task, int worker)
{
    const din_job *j = ctx;
    const nvm_layer *L = j->L;
    const int P = L->out_h * L->out_w, K = L->k * L->k * L->in_c, N = L->out_c;
    const int b0 = task * j->chunk, b1 = b0 + j->chunk < j->B ? b0 + j->chunk : j->B;
    const size_t r0 = (size_t)b0 * P;
    nvm_gemm_worker(j->cx, worker, 0, 1, (b1 - b0) * P, K, N, j->dout + r0 * N, N, j->W, N, 0.0f,
                    j->dcol + r0 * K, K);
    col2im_images(nvm_compute_isa(j->cx), L, j->dcol, j->din, b0, b1);
}

void nvm_conv_backward(const nvm_layer *L, const float *in, const float *W, const float *dout, float *dW,
                       float *db, float *dcol, float *din, int B, nvm_compute *cx)
{
    const int P = L->out_h * L->out_w, M = B * P, K = L->k * L->k * L->in_c, N = L->out_c;
    const int chunk = col_chunk(L);
    nvm_conv_src s = conv_src(L, in, B);
    if (din) {
        nvm_gemm_conv_wgrad(cx, &s, N, dout, dW);
    } else {   /* the first layer: dcol is free, and its few input channels (RGB) would make the GEMM
                * pack the transposed operand element by element, slower than writing col. Written a chunk
                * of images at a time into the same L2-sized slice, each chunk's pixels continuing every
                * dW element's chain over the pixels in order (beta = 1), as one GEMM over the batch would. */
        for (int b0 = 0; b0 < B; b0 += chunk) {
            int nb = B - b0 < chunk ? B - b0 : chunk;
            nvm_im2col_mt(L, in + (size_t)b0 * L->n_in, dcol, nb, cx);
            nvm_gemm(cx, 1, 0, K, N, nb * P, dcol, K, dout + (size_t)b0 * P * N, N, 1.0f, dW, N);
        }
    }
    bias_grad(cx, dout, M, N, db);   /* as nvm_dense_backward: rows in order */
    if (din) {
        din_job j = {L, W, dout, dcol, din, cx, B, chunk};
        nvm_pool_run(nvm_compute_pool(cx), (B + chunk - 1) / chunk, din_task, &j);
    }
}
