/* 2×2 max-pooling, stride 2 (odd trailing rows/columns are dropped, as in PyTorch's default). */
#include <string.h>

#include "layers.h"

typedef float v4 __attribute__((vector_size(16)));
typedef int vi4 __attribute__((vector_size(16)));

static inline void store4(float *p, vi4 v)
{
    memcpy(p, &v, 16);
}

void nvm_maxpool_forward(const nvm_layer *L, const float *in, float *out, int B)
{
    const int W = L->in_w, C = L->in_c;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++) {
                const float *p = in + (((size_t)b * L->in_h + 2 * oy) * W + 2 * ox) * C;
                float *o = out + (((size_t)b * L->out_h + oy) * L->out_w + ox) * C;
                /* m = v > m ? v : m tap by tap (a NaN tap never wins, a NaN first tap stays), as bit
                 * masks on 4 channels: gcc keeps the scalar select as compares and branches. */
                int c = 0;
                for (; c + 4 <= C; c += 4) {
                    v4 m, v;
                    vi4 gt;
                    memcpy(&m, p + c, 16);
                    memcpy(&v, p + C + c, 16), gt = v > m, m = (v4)(((vi4)m & ~gt) | ((vi4)v & gt));
                    memcpy(&v, p + (size_t)W * C + c, 16), gt = v > m, m = (v4)(((vi4)m & ~gt) | ((vi4)v & gt));
                    memcpy(&v, p + (size_t)W * C + C + c, 16), gt = v > m;
                    store4(o + c, ((vi4)m & ~gt) | ((vi4)v & gt));
                }
                for (; c < C; c++) {
                    float m = p[c], v;
                    m = (v = p[C + c]) > m ? v : m;
                    m = (v = p[(size_t)W * C + c]) > m ? v : m;
                    m = (v = p[(size_t)W * C + C + c]) > m ? v : m;
                    o[c] = m;
                }
            }
}

void nvm_maxpool_backward(const nvm_layer *L, const float *in, const float *out, const float *dout,
                          float *din, int B)
{
    const int W = L->in_w, C = L->in_c;
    if (L->in_h % 2 || L->in_w % 2)   /* rows/columns outside every window get no gradient */
        memset(din, 0, (size_t)B * L->n_in * sizeof(float));
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++) {
                size_t base = (((size_t)b * L->in_h + 2 * oy) * W + 2 * ox) * C;
                size_t o = (((size_t)b * L->out_h + oy) * L->out_w + ox) * C;
                const float *p0 = in + base, *p1 = p0 + C, *p2 = p0 + (size_t)W * C;   /* else p3 */
                float *d0 = din + base, *d1 = d0 + C, *d2 = d0 + (size_t)W * C, *d3 = d2 + C;
                /* The first maximum of the window takes the gradient: r carries it until a tap equals
                 * the maximum and is 0 after that (in a window with a NaN nothing is equal, and the
                 * last tap gets it). GNU C vectors with bit masks, 4 channels at a time: gcc leaves the
                 * scalar form with branches (11 % of a CNN epoch), whatever the select spelling. */
                int c = 0;
                for (; c + 4 <= C; c += 4) {
                    v4 m, r, x;
                    memcpy(&m, out + o + c, 16), memcpy(&r, dout + o + c, 16);
                    vi4 ri = (vi4)r, e;
                    memcpy(&x, p0 + c, 16), e = x == m, store4(d0 + c, ri & e), ri &= ~e;
                    memcpy(&x, p1 + c, 16), e = x == m, store4(d1 + c, ri & e), ri &= ~e;
                    memcpy(&x, p2 + c, 16), e = x == m, store4(d2 + c, ri & e), ri &= ~e;
                    store4(d3 + c, ri);
                }
                for (; c < C; c++) {
                    float m = out[o + c], r = dout[o + c];
                    d0[c] = p0[c] == m ? r : 0.0f;
                    r = p0[c] == m ? 0.0f : r;
                    d1[c] = p1[c] == m ? r : 0.0f;
                    r = p1[c] == m ? 0.0f : r;
                    d2[c] = p2[c] == m ? r : 0.0f;
                    d3[c] = p2[c] == m ? 0.0f : r;
                }
            }
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
} pool_job;

static void forward_chunk(void *ctx, size_t b0, size_t b1)
{
    const pool_job *j = ctx;
    nvm_maxpool_forward(j->L, j->in + b0 * j->L->n_in, j->dst + b0 * j->L->n_out, (int)(b1 - b0));
}

static void backward_chunk(void *ctx, size_t b0, size_t b1)
{
    const pool_job *j = ctx;
    const size_t ni = j->L->n_in, no = j->L->n_out;
    nvm_maxpool_backward(j->L, j->in + b0 * ni, j->out + b0 * no, j->dout + b0 * no, j->dst + b0 * ni,
                         (int)(b1 - b0));
}

void nvm_maxpool_forward_mt(const nvm_layer *L, const float *in, float *out, int B, nvm_compute *cx)
{
    pool_job j = {L, in, NULL, NULL, out};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->n_in), forward_chunk, &j);
}

void nvm_maxpool_backward_mt(const nvm_layer *L, const float *in, const float *out, const float *dout,
                             float *din, int B, nvm_compute *cx)
{
    pool_job j = {L, in, out, dout, din};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->n_in), backward_chunk, &j);
}
