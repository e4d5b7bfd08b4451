/* im2col / col2im for stride-1 k×k convolutions on NHWC tensors. */
#include <string.h>

#include "layers.h"

void nvm_im2col(const nvm_layer *L, const float *in, float *col, int B)
{
    const int H = L->in_h, W = L->in_w, C = L->in_c, k = L->k, pad = L->pad;
    const size_t rowlen = (size_t)k * k * C, kc = (size_t)k * C;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++) {
                float *dst = col + (((size_t)b * L->out_h + oy) * L->out_w + ox) * rowlen;
                const int x0 = ox - pad, inside_x = x0 >= 0 && x0 + k <= W;
                for (int ky = 0; ky < k; ky++, dst += kc) {
                    int iy = oy + ky - pad;
                    if (iy >= 0 && iy < H && inside_x) {   /* a kernel row is k·C contiguous floats */
                        memcpy(dst, in + (((size_t)b * H + iy) * W + x0) * C, kc * sizeof(float));
                        continue;
                    }
                    for (int kx = 0; kx < k; kx++) {
                        int ix = x0 + kx;
                        if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                            memset(dst + (size_t)kx * C, 0, (size_t)C * sizeof(float));
                        else
                            memcpy(dst + (size_t)kx * C, in + (((size_t)b * H + iy) * W + ix) * C,
                                   (size_t)C * sizeof(float));
                    }
                }
            }
}

void nvm_col2im(const nvm_layer *L, const float *dcol, float *din, int B)
{
    const int H = L->in_h, W = L->in_w, C = L->in_c, k = L->k, pad = L->pad;
    memset(din, 0, (size_t)B * H * W * C * sizeof(float));
    const float *src = dcol;
    for (int b = 0; b < B; b++)
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
