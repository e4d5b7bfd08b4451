/* 2×2 max-pooling, stride 2 (odd trailing rows/columns are dropped, as in PyTorch's default). */
#include <string.h>

#include "layers.h"

/* The vector loops are written once, as macros over a GNU vector type of W floats, and instantiated for
 * 4 lanes (SSE2 / NEON / scalar code: no target needed), and on x86 for 8 (AVX2) and 16 (AVX-512) lanes
 * in functions with those targets, chosen at run time like the GEMM kernels. Every lane is the scalar
 * expression of the reference functions (compares and bit selects only), so the widths agree bit for bit. */

/* m = v > m ? v : m tap by tap (a NaN tap never wins, a NaN first tap stays), as bit masks on W
 * channels: gcc keeps the scalar select as compares and branches. */
#define POOL_FWD_BODY(V, VI, W)                                                                        \
    const int Wd = L->in_w, C = L->in_c;                                                               \
    for (int b = 0; b < B; b++)                                                                        \
        for (int oy = 0; oy < L->out_h; oy++)                                                          \
            for (int ox = 0; ox < L->out_w; ox++) {                                                    \
                const float *p = in + (((size_t)b * L->in_h + 2 * oy) * Wd + 2 * ox) * C;              \
                float *o = out + (((size_t)b * L->out_h + oy) * L->out_w + ox) * C;                    \
                int c = 0;                                                                             \
                for (; c + (W) <= C; c += (W)) {                                                       \
                    V m, v;                                                                            \
                    VI gt;                                                                             \
                    memcpy(&m, p + c, sizeof m);                                                       \
                    memcpy(&v, p + C + c, sizeof v), gt = v > m, m = (V)(((VI)m & ~gt) | ((VI)v & gt)); \
                    memcpy(&v, p + (size_t)Wd * C + c, sizeof v), gt = v > m;                          \
                    m = (V)(((VI)m & ~gt) | ((VI)v & gt));                                             \
                    memcpy(&v, p + (size_t)Wd * C + C + c, sizeof v), gt = v > m;                      \
                    VI r = ((VI)m & ~gt) | ((VI)v & gt);                                               \
                    memcpy(o + c, &r, sizeof r);                                                       \
                }                                                                                      \
                for (; c < C; c++) {                                                                   \
                    float m = p[c], v;                                                                 \
                    m = (v = p[C + c]) > m ? v : m;                                                    \
                    m = (v = p[(size_t)Wd * C + c]) > m ? v : m;                                       \
                    m = (v = p[(size_t)Wd * C + C + c]) > m ? v : m;                                   \
                    o[c] = m;                                                                          \
                }                                                                                      \
            }

/* The first maximum of the window takes the gradient: r carries it until a tap equals the maximum and is
 * 0 after that (in a window with a NaN nothing is equal, and the last tap gets it). With relu (the
 * pooled values are a ReLU's outputs) each tap's gradient is then kept only where its value is > 0, as
 * act_backward does for the ReLU: din = in > 0 ? din : 0. GNU vectors with bit masks, W channels at a
 * time: gcc leaves the scalar form with branches (11 % of a CNN epoch), whatever the select spelling. */
#define POOL_BWD_BODY(V, VI, W)                                                                        \
    const int Wd = L->in_w, C = L->in_c;                                                               \
    const VI all = ~(VI){0};                                                                           \
    if (L->in_h % 2 || L->in_w % 2)   /* rows/columns outside every window get no gradient */          \
        memset(din, 0, (size_t)B * L->n_in * sizeof(float));                                           \
    for (int b = 0; b < B; b++)                                                                        \
        for (int oy = 0; oy < L->out_h; oy++)                                                          \
            for (int ox = 0; ox < L->out_w; ox++) {                                                    \
                size_t base = (((size_t)b * L->in_h + 2 * oy) * Wd + 2 * ox) * C;                      \
                size_t o = (((size_t)b * L->out_h + oy) * L->out_w + ox) * C;                          \
                const float *p0 = in + base, *p1 = p0 + C, *p2 = p0 + (size_t)Wd * C, *p3 = p2 + C;    \
                float *d0 = din + base, *d1 = d0 + C, *d2 = d0 + (size_t)Wd * C, *d3 = d2 + C;         \
                int c = 0;                                                                             \
                for (; c + (W) <= C; c += (W)) {                                                       \
                    V m, r, x, zero = {0};                                                             \
                    memcpy(&m, out + o + c, sizeof m), memcpy(&r, dout + o + c, sizeof r);             \
                    VI ri = (VI)r, e, t, k;                                                            \
                    memcpy(&x, p0 + c, sizeof x), e = x == m, k = relu ? x > zero : all;               \
                    t = ri & e & k, memcpy(d0 + c, &t, sizeof t), ri &= ~e;                            \
                    memcpy(&x, p1 + c, sizeof x), e = x == m, k = relu ? x > zero : all;               \
                    t = ri & e & k, memcpy(d1 + c, &t, sizeof t), ri &= ~e;                            \
                    memcpy(&x, p2 + c, sizeof x), e = x == m, k = relu ? x > zero : all;               \
                    t = ri & e & k, memcpy(d2 + c, &t, sizeof t), ri &= ~e;                            \
                    memcpy(&x, p3 + c, sizeof x), k = relu ? x > zero : all;                           \
                    t = ri & k, memcpy(d3 + c, &t, sizeof t);                                          \
                }                                                                                      \
                for (; c < C; c++) {                                                                   \
                    float m = out[o + c], r = dout[o + c], g0, g1, g2, g3;                             \
                    g0 = p0[c] == m ? r : 0.0f;                                                        \
                    r = p0[c] == m ? 0.0f : r;                                                         \
                    g1 = p1[c] == m ? r : 0.0f;                                                        \
                    r = p1[c] == m ? 0.0f : r;                                                         \
                    g2 = p2[c] == m ? r : 0.0f;                                                        \
                    g3 = p2[c] == m ? 0.0f : r;                                                        \
                    d0[c] = relu && !(p0[c] > 0) ? 0.0f : g0;                                          \
                    d1[c] = relu && !(p1[c] > 0) ? 0.0f : g1;                                          \
                    d2[c] = relu && !(p2[c] > 0) ? 0.0f : g2;                                          \
                    d3[c] = relu && !(p3[c] > 0) ? 0.0f : g3;                                          \
                }                                                                                      \
            }

typedef float v4 __attribute__((vector_size(16)));
typedef int vi4 __attribute__((vector_size(16)));

static void fwd4(const nvm_layer *L, const float *in, float *out, int B)
{
    POOL_FWD_BODY(v4, vi4, 4)
}

static void bwd4(const nvm_layer *L, const float *in, const float *out, const float *dout, float *din, int B,
                 int relu)
{
    POOL_BWD_BODY(v4, vi4, 4)
}

#if defined(__x86_64__) || defined(__i386__)
#define POOL_X86 1
typedef float v8 __attribute__((vector_size(32)));
typedef int vi8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
typedef int vi16 __attribute__((vector_size(64)));

__attribute__((target("avx2"))) static void fwd8(const nvm_layer *L, const float *in, float *out, int B)
{
    POOL_FWD_BODY(v8, vi8, 8)
}

__attribute__((target("avx2"))) static void bwd8(const nvm_layer *L, const float *in, const float *out,
                                                 const float *dout, float *din, int B, int relu)
{
    POOL_BWD_BODY(v8, vi8, 8)
}

__attribute__((target("avx512f"))) static void fwd16(const nvm_layer *L, const float *in, float *out, int B)
{
    POOL_FWD_BODY(v16, vi16, 16)
}

__attribute__((target("avx512f"))) static void bwd16(const nvm_layer *L, const float *in, const float *out,
                                                     const float *dout, float *din, int B, int relu)
{
    POOL_BWD_BODY(v16, vi16, 16)
}
#else
#define POOL_X86 0
#endif

void nvm_maxpool_forward_isa(nvm_isa isa, const nvm_layer *L, const float *in, float *out, int B)
{
#if POOL_X86
    if (isa == NVM_ISA_AVX512 && L->in_c % 16 == 0) {
        fwd16(L, in, out, B);
        return;
    }
    if (isa >= NVM_ISA_AVX2 && L->in_c % 8 == 0) {
        fwd8(L, in, out, B);
        return;
    }
#endif
    (void)isa;
    fwd4(L, in, out, B);
}

void nvm_maxpool_backward_isa(nvm_isa isa, const nvm_layer *L, const float *in, const float *out,
                              const float *dout, float *din, int B, int relu)
{
#if POOL_X86
    if (isa == NVM_ISA_AVX512 && L->in_c % 16 == 0) {
        bwd16(L, in, out, dout, din, B, relu);
        return;
    }
    if (isa >= NVM_ISA_AVX2 && L->in_c % 8 == 0) {
        bwd8(L, in, out, dout, din, B, relu);
        return;
    }
#endif
    (void)isa;
    bwd4(L, in, out, dout, din, B, relu);
}

void nvm_maxpool_forward(const nvm_layer *L, const float *in, float *out, int B)
{
    nvm_maxpool_forward_isa(nvm_isa_detect(), L, in, out, B);
}

void nvm_maxpool_backward(const nvm_layer *L, const float *in, const float *out, const float *dout,
                          float *din, int B)
{
    nvm_maxpool_backward_isa(nvm_isa_detect(), L, in, out, dout, din, B, 0);
}

void nvm_maxpool_backward_ref(const nvm_layer *L, const float *in, const float *out, const float *dout,
                              float *din, int B)
{
    const int W = L->in_w, C = L->in_c;
    memset(din, 0, (size_t)B * L->n_in * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++)
                for (int c = 0; c < C; c++) {
                    size_t o = (((size_t)b * L->out_h + oy) * L->out_w + ox) * C + c;
                    int t = 0;   /* the first tap equal to the maximum, else the last */
                    while (t < 3 &&
                           in[(((size_t)b * L->in_h + 2 * oy + t / 2) * W + 2 * ox + t % 2) * C + c] != out[o])
                        t++;
                    din[(((size_t)b * L->in_h + 2 * oy + t / 2) * W + 2 * ox + t % 2) * C + c] = dout[o];
                }
}

void nvm_maxpool_forward_ref(const nvm_layer *L, const float *in, float *out, int B)
{
    const int W = L->in_w, C = L->in_c;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++)
                for (int c = 0; c < C; c++) {
                    const float *p = in + (((size_t)b * L->in_h + 2 * oy) * W + 2 * ox) * C + c;
                    float m = p[0];
                    for (int t = 1; t < 4; t++) {
                        float v = p[((size_t)(t / 2) * W + t % 2) * C];
                        if (v > m)
                            m = v;
                    }
                    out[(((size_t)b * L->out_h + oy) * L->out_w + ox) * C + c] = m;
                }
}

/* Images are independent: a chunk is the batch functions on a slice of it. */
typedef struct {
    const nvm_layer *L;
    const float *in, *out, *dout;
    float *dst;
    nvm_isa isa;
    int relu;
} pool_job;

static void forward_chunk(void *ctx, size_t b0, size_t b1)
{
    const pool_job *j = ctx;
    nvm_maxpool_forward_isa(j->isa, j->L, j->in + b0 * j->L->n_in, j->dst + b0 * j->L->n_out, (int)(b1 - b0));
}

static void backward_chunk(void *ctx, size_t b0, size_t b1)
{
    const pool_job *j = ctx;
    const size_t ni = j->L->n_in, no = j->L->n_out;
    nvm_maxpool_backward_isa(j->isa, j->L, j->in + b0 * ni, j->out + b0 * no, j->dout + b0 * no, j->dst + b0 * ni,
                             (int)(b1 - b0), j->relu);
}

void nvm_maxpool_forward_mt(const nvm_layer *L, const float *in, float *out, int B, nvm_compute *cx)
{
    pool_job j = {L, in, NULL, NULL, out, nvm_compute_isa(cx), 0};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->n_in), forward_chunk, &j);
}

void nvm_maxpool_backward_mt(const nvm_layer *L, const float *in, const float *out, const float *dout,
                             float *din, int B, int relu, nvm_compute *cx)
{
    pool_job j = {L, in, out, dout, din, nvm_compute_isa(cx), relu};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->n_in), backward_chunk, &j);
}
