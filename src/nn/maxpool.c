/* 2×2 max-pooling, stride 2 (odd trailing rows/columns are dropped, as in PyTorch's default). */
#include <string.h>

#include "layers.h"

void nvm_maxpool_forward(const nvm_layer *L, const float *in, float *out, int B)
{
    const int W = L->in_w, C = L->in_c;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++) {
                const float *p = in + (((size_t)b * L->in_h + 2 * oy) * W + 2 * ox) * C;
                float *o = out + (((size_t)b * L->out_h + oy) * L->out_w + ox) * C;
                for (int c = 0; c < C; c++) {
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
                /* The first maximum of the window takes the gradient; selects, not branches, so
                 * the loop over channels vectorises. */
                for (int c = 0; c < C; c++) {
                    float m = out[o + c], g = dout[o + c];
                    int t0 = p0[c] == m, t1 = !t0 & (p1[c] == m), t2 = !(t0 | t1) & (p2[c] == m);
                    int t3 = !(t0 | t1 | t2);
                    d0[c] = t0 ? g : 0.0f;
                    d1[c] = t1 ? g : 0.0f;
                    d2[c] = t2 ? g : 0.0f;
                    d3[c] = t3 ? g : 0.0f;
                }
            }
}
