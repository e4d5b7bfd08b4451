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

static void im2col_images(const nvm_layer *L, const float *in, float *col, int b0, int b1)
{
    const int H = L->in_h, W = L->in_w, C = L->in_c, k = L->k, pad = L->pad;
    const size_t rowlen = (size_t)k * k * C, kc = (size_t)k * C;
    for (int b = b0; b < b1; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++) {
                float *dst = col + (((size_t)b * L->out_h + oy) * L->out_w + ox) * rowlen;
                const int x0 = ox - pad, inside_x = x0 >= 0 && x0 + k <= W;
                for (int ky = 0; ky < k; ky++, dst += kc) {
                    int iy = oy + ky - pad;
                    if (iy >= 0 && iy < H && inside_x) {   /* a kernel row is k·C contiguous floats */
                        copy_floats(dst, in + (((size_t)b * H + iy) * W + x0) * C, kc);
                        continue;
                    }
                    for (int kx = 0; kx < k; kx++) {
                        int ix = x0 + kx;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            memset(dst + (size_t)kx * C, 0, (size_t)C * sizeof(float));
                        else
                            copy_floats(dst + (size_t)kx * C, in + (((size_t)b * H + iy) * W + ix) * C,
                                        (size_t)C);
                    }
                }
            }
}

static void col2im_images(const nvm_layer *L, const float *dcol, float *din, int b0, int b1)
{
    const int H = L->in_h, W = L->in_w, C = L->in_c, k = L->k, pad = L->pad;
    memset(din + (size_t)b0 * H * W * C, 0, (size_t)(b1 - b0) * H * W * C * sizeof(float));
    const float *src = dcol + (size_t)b0 * L->out_h * L->out_w * k * k * C;
    for (int b = b0; b < b1; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++)
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy + ky - pad;
                    for (int kx = 0; kx < k; kx++, src += C) {
                        int ix = ox + kx - pad;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            continue;
                        float *dst = din + (((size_t)b * H + iy) * W + ix) * C;
                        for (int c = 0; c < C; c++)
                            dst[c] += src[c];
                    }
                }
}

void nvm_im2col(const nvm_layer *L, const float *in, float *col, int B)
{
    im2col_images(L, in, col, 0, B);
}

void nvm_col2im(const nvm_layer *L, const float *dcol, float *din, int B)
{
    col2im_images(L, dcol, din, 0, B);
}

typedef struct {
    const nvm_layer *L;
    const float *src;
    float *dst;
} conv_job;

static void im2col_chunk(void *ctx, size_t b0, size_t b1)
{
    const conv_job *j = ctx;
    im2col_images(j->L, j->src, j->dst, (int)b0, (int)b1);
}

static void col2im_chunk(void *ctx, size_t b0, size_t b1)
{
    const conv_job *j = ctx;
    col2im_images(j->L, j->src, j->dst, (int)b0, (int)b1);
}

/* Chunks sized by the im2col rows of an image, the larger side of both copies. */
void nvm_im2col_mt(const nvm_layer *L, const float *in, float *col, int B, nvm_compute *cx)
{
    conv_job j = {L, in, col};
    nvm_for_chunks(cx, (size_t)B, nvm_image_chunk((size_t)L->out_h * L->out_w * L->k * L->k * L->in_c),
                   im2col_chunk, &j);
}

void nvm_col2im_mt(const nvm_layer *L, const float *dcol, float *din, int B, nvm_compute *cx)
{
    conv_job j = {L, dcol, din};
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

void nvm_conv_backward(const nvm_layer *L, const float *in, const float *W, const float *dout, float *dW,
                       float *db, float *dcol, float *din, int B, nvm_compute *cx)
{
    const int M = B * L->out_h * L->out_w, K = L->k * L->k * L->in_c, N = L->out_c;
    nvm_conv_src s = conv_src(L, in, B);
    if (din) {
        nvm_gemm_conv_wgrad(cx, &s, N, dout, dW);
    } else {   /* the first layer: dcol is free, and its few input channels (RGB) would make the GEMM
                * pack the transposed operand element by element, slower than writing col once */
        nvm_im2col_mt(L, in, dcol, B, cx);
        nvm_gemm(cx, 1, 0, K, N, M, dcol, K, dout, N, 1.0f, dW, N);
    }
    for (int i = 0; i < M; i++)   /* as nvm_dense_backward: rows in order */
        for (int j = 0; j < N; j++)
            db[j] += dout[(size_t)i * N + j];
    if (din) {
        nvm_gemm(cx, 0, 1, M, K, N, dout, N, W, N, 0.0f, dcol, K);
        nvm_col2im_mt(L, dcol, din, B, cx);
    }
}
