/* Fast layer kernels against their plain references, bit for bit: max-pool forward and backward (ties,
 * NaN, odd sizes, channel counts that are not a multiple of the vector width), im2col against its
 * definition, the pool-split (_mt) versions against the one-thread ones for 1-3 threads, and the
 * convolution GEMMs (im2col packed inside) against im2col + GEMM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nvmsim/pool.h"
#include "../src/nn/layers.h"

static uint32_t rng_state = 2463534242u;
static float frand(void)   /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) * 0x1p-23f - 1.0f;
}

static nvm_layer pool_layer(int H, int W, int C)
{
    nvm_layer L = {.kind = NVM_POOL, .in_h = H, .in_w = W, .in_c = C, .out_h = H / 2, .out_w = W / 2,
                   .out_c = C};
    L.n_in = H * W * C;
    L.n_out = L.out_h * L.out_w * C;
    return L;
}

enum { NCX = 4 };
static nvm_compute *cxs[NCX];   /* no pool, pools of 1, 2, 3 threads */

static void maxpool_matches_reference(void)
{
    const int shapes[][3] = {{4, 4, 1}, {6, 6, 4}, {5, 7, 3}, {30, 30, 32}, {13, 13, 64}, {8, 6, 13}, {6, 4, 8},
                             {4, 6, 16}, {5, 5, 48}, {4, 4, 24}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int B = 3;
        nvm_layer L = pool_layer(shapes[s][0], shapes[s][1], shapes[s][2]);
        size_t nin = (size_t)B * L.n_in, nout = (size_t)B * L.n_out;
        float *in = malloc(nin * sizeof *in), *out = malloc(nout * sizeof *out);
        float *dout = malloc(nout * sizeof *dout), *d1 = malloc(nin * sizeof *d1), *d2 = malloc(nin * sizeof *d2);
        for (size_t i = 0; i < nin; i++) {   /* few distinct values: many ties; a few NaN and -0 */
            float v = (float)(int)(3 * frand());
            in[i] = i % 97 == 5 ? NAN : i % 89 == 3 ? -0.0f : v;
        }
        for (size_t i = 0; i < nout; i++)
            dout[i] = frand();
        float *o2 = malloc(nout * sizeof *o2);
        nvm_maxpool_forward_ref(&L, in, o2, B);
        nvm_maxpool_forward(&L, in, out, B);
        CHECK(memcmp(out, o2, nout * sizeof *out) == 0);
        for (int c = 0; c < NCX; c++) {
            memset(o2, 0x7f, nout * sizeof *o2);
            nvm_maxpool_forward_mt(&L, in, o2, B, cxs[c]);
            CHECK(memcmp(out, o2, nout * sizeof *out) == 0);
        }
        for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {   /* every vector width */
            memset(o2, 0x7f, nout * sizeof *o2);
            nvm_maxpool_forward_isa((nvm_isa)isa, &L, in, o2, B);
            CHECK(memcmp(out, o2, nout * sizeof *out) == 0);
        }
        nvm_maxpool_backward_ref(&L, in, out, dout, d2, B);
        float *d2r = malloc(nin * sizeof *d2r);   /* and then act_backward's ReLU: in > 0 ? din : 0 */
        for (size_t i = 0; i < nin; i++)
            d2r[i] = in[i] > 0 ? d2[i] : 0;
        memset(d1, 0x7f, nin * sizeof *d1);   /* garbage: every element must be written */
        nvm_maxpool_backward(&L, in, out, dout, d1, B);
        CHECK(memcmp(d1, d2, nin * sizeof *d1) == 0);
        for (int relu = 0; relu <= 1; relu++) {
            for (int c = 0; c < NCX; c++) {
                memset(d1, 0x7f, nin * sizeof *d1);
                nvm_maxpool_backward_mt(&L, in, out, dout, d1, B, relu, cxs[c]);
                CHECK(memcmp(d1, relu ? d2r : d2, nin * sizeof *d1) == 0);
            }
            for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
                memset(d1, 0x7f, nin * sizeof *d1);
                nvm_maxpool_backward_isa((nvm_isa)isa, &L, in, out, dout, d1, B, relu);
                CHECK(memcmp(d1, relu ? d2r : d2, nin * sizeof *d1) == 0);
            }
        }
        free(in), free(out), free(o2), free(dout), free(d1), free(d2), free(d2r);
    }
}

static nvm_layer conv_layer(int H, int W, int C, int k, int pad, int OC)
{
    nvm_layer L = {.kind = NVM_CONV, .in_h = H, .in_w = W, .in_c = C, .k = k, .pad = pad, .out_c = OC};
    L.out_h = H + 2 * pad - k + 1;
    L.out_w = W + 2 * pad - k + 1;
    L.n_in = H * W * C;
    L.n_out = L.out_h * L.out_w * OC;
    return L;
}

/* im2col by its definition: col[(b,oy,ox)][(ky,kx,c)] = in[b][oy+ky-pad][ox+kx-pad][c], 0 outside. */
static float col_ref(const nvm_layer *L, const float *in, int b, int oy, int ox, int ky, int kx, int c)
{
    int iy = oy + ky - L->pad, ix = ox + kx - L->pad;
    if (iy < 0 || iy >= L->in_h || ix < 0 || ix >= L->in_w)
        return 0.0f;
    return in[(((size_t)b * L->in_h + iy) * L->in_w + ix) * L->in_c + c];
}

static void im2col_matches_reference(void)
{
    const int shapes[][5] = {{32, 32, 3, 3, 0}, {15, 15, 32, 3, 0}, {6, 6, 64, 3, 0}, {8, 9, 5, 3, 1},
                             {7, 7, 2, 5, 2}, {5, 6, 17, 1, 0}, {9, 9, 8, 5, 0}, {6, 5, 2, 1, 0}, {7, 7, 5, 3, 0},
                             {3, 3, 1, 3, 0}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int B = 5;
        nvm_layer L = conv_layer(shapes[s][0], shapes[s][1], shapes[s][2], shapes[s][3], shapes[s][4], 4);
        size_t rows = (size_t)B * L.out_h * L.out_w, rl = (size_t)L.k * L.k * L.in_c, nin = (size_t)B * L.n_in;
        float *in = malloc(nin * sizeof *in), *col = malloc(rows * rl * sizeof *col);
        float *col2 = malloc(rows * rl * sizeof *col), *din = malloc(nin * sizeof *din), *din2 = malloc(nin * sizeof *din);
        for (size_t i = 0; i < nin; i++)
            in[i] = frand();
        memset(col, 0x7f, rows * rl * sizeof *col);
        nvm_im2col(&L, in, col, B);
        int ok = 1;
        for (int b = 0; b < B; b++)
            for (int oy = 0; oy < L.out_h; oy++)
                for (int ox = 0; ox < L.out_w; ox++)
                    for (int ky = 0; ky < L.k; ky++)
                        for (int kx = 0; kx < L.k; kx++)
                            for (int c = 0; c < L.in_c; c++) {
                                size_t r = ((size_t)b * L.out_h + oy) * L.out_w + ox;
                                float v = col[r * rl + ((size_t)ky * L.k + kx) * L.in_c + c];
                                float want = col_ref(&L, in, b, oy, ox, ky, kx, c);
                                ok &= memcmp(&v, &want, sizeof v) == 0;
                            }
        CHECK(ok);
        for (size_t i = 0; i < rows * rl; i++)   /* now a gradient to scatter back */
            col[i] = frand();
        nvm_col2im(&L, col, din, B);
        for (int c = 0; c < NCX; c++) {
            memset(col2, 0x7f, rows * rl * sizeof *col2);
            nvm_im2col_mt(&L, in, col2, B, cxs[c]);
            memset(din2, 0x7f, nin * sizeof *din2);
            nvm_col2im_mt(&L, col, din2, B, cxs[c]);
            CHECK(memcmp(din, din2, nin * sizeof *din) == 0);
            float *ref = malloc(rows * rl * sizeof *ref);
            nvm_im2col(&L, in, ref, B);
            CHECK(memcmp(col2, ref, rows * rl * sizeof *ref) == 0);
            free(ref);
        }
        free(in), free(col), free(col2), free(din), free(din2);
    }
}

/* nvm_gemm_conv / nvm_gemm_conv_wgrad (im2col packed inside the GEMM, or read in place a kernel row at a
 * time for strips within an output row) against im2col followed by nvm_gemm_bias / nvm_gemm(ta = 1): the
 * same bits on every ISA path and pool. Shapes: RGB (C = 3, taps straddle the strips), C a multiple of 8,
 * odd C, 'same' padding, 5×5, 1×1, fewer rows or columns than a strip, more pixels than one k block, and
 * k·k·C over one k block with kernel rows across the k blocks (432 = 2 × 216, 144 per kernel row). */
static void conv_gemm_matches_im2col(void)
{
    const int shapes[][7] = {   /* H, W, C, k, pad, OC, B */
        {32, 32, 3, 3, 0, 32, 3}, {15, 15, 32, 3, 0, 64, 3}, {6, 6, 64, 3, 0, 64, 30}, {8, 9, 5, 3, 1, 7, 3},
        {7, 7, 2, 5, 2, 33, 2},   {5, 6, 17, 1, 0, 10, 2},  {3, 3, 3, 3, 0, 5, 1},   {4, 4, 2, 1, 0, 3, 1},
        {9, 9, 8, 5, 0, 16, 3},   {10, 10, 16, 3, 1, 20, 5}, {12, 20, 48, 3, 1, 40, 2}, {7, 30, 24, 3, 0, 70, 2}};
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
        nvm_pool *pools[3] = {NULL, nvm_pool_new(2), nvm_pool_new(3)};
        nvm_compute *cx[3];
        for (int p = 0; p < 3; p++)
            cx[p] = nvm_compute_new((nvm_isa)isa, pools[p]);
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int *d = shapes[s], B = d[6], N = d[5];
            nvm_layer L = conv_layer(d[0], d[1], d[2], d[3], d[4], N);
            const int M = B * L.out_h * L.out_w, K = L.k * L.k * L.in_c;
            float *in = malloc((size_t)B * L.n_in * sizeof *in), *col = malloc((size_t)M * K * sizeof *col);
            float *Wt = malloc((size_t)K * N * sizeof *Wt), *bias = malloc((size_t)N * sizeof *bias);
            float *dout = malloc((size_t)M * N * sizeof *dout), *R = malloc((size_t)M * N * sizeof *R);
            float *C = malloc((size_t)M * N * sizeof *C), *dW0 = malloc((size_t)K * N * sizeof *dW0);
            float *dWr = malloc((size_t)K * N * sizeof *dWr), *dW = malloc((size_t)K * N * sizeof *dW);
            for (size_t i = 0; i < (size_t)B * L.n_in; i++)
                in[i] = frand();
            for (size_t i = 0; i < (size_t)K * N; i++)
                Wt[i] = frand(), dW0[i] = frand();
            for (int i = 0; i < N; i++)
                bias[i] = frand();
            for (size_t i = 0; i < (size_t)M * N; i++)
                dout[i] = frand();
            nvm_im2col(&L, in, col, B);
            nvm_gemm_bias(cx[0], 0, 0, M, N, K, col, K, Wt, N, bias, 0, R, N);
            float *Rr = malloc((size_t)M * N * sizeof *Rr);   /* and the ReLU pass of act_forward */
            for (size_t i = 0; i < (size_t)M * N; i++)
                Rr[i] = R[i] > 0 ? R[i] : 0;
            memcpy(dWr, dW0, (size_t)K * N * sizeof *dWr);
            nvm_gemm(cx[0], 1, 0, K, N, M, col, K, dout, N, 1.0f, dWr, N);
            nvm_conv_src src = {in, B, L.in_h, L.in_w, L.in_c, L.k, L.pad, L.out_h, L.out_w};
            for (int p = 0; p < 3; p++) {
                for (int relu = 0; relu <= 1; relu++) {
                    memset(C, 0x7f, (size_t)M * N * sizeof *C);
                    nvm_gemm_conv(cx[p], &src, N, Wt, bias, relu, C);
                    CHECK(memcmp(C, relu ? Rr : R, (size_t)M * N * sizeof *C) == 0);
                }
                memcpy(dW, dW0, (size_t)K * N * sizeof *dW);
                nvm_gemm_conv_wgrad(cx[p], &src, N, dout, dW);
                CHECK(memcmp(dW, dWr, (size_t)K * N * sizeof *dW) == 0);
            }
            free(in), free(col), free(Wt), free(bias), free(dout), free(R), free(Rr), free(C), free(dW0), free(dWr),
                free(dW);
        }
        for (int p = 0; p < 3; p++) {
            nvm_compute_free(cx[p]);
            nvm_pool_free(pools[p]);
        }
    }
}

/* nvm_conv_backward (weight gradient from packed strips or, for the first layer, im2col a chunk of images
 * at a time; bias gradient on vectors; input gradient as a GEMM and col2im per chunk of images on the
 * pool's workers) against the plain composition on the whole batch: im2col, dW += colᵀ·dout, db += the
 * rows of dout in order, dcol = dout·Wᵀ, col2im by its scalar loops. Same bits on every ISA and pool. */
static void col2im_scalar(const nvm_layer *L, const float *dcol, float *din, int B)
{
    memset(din, 0, (size_t)B * L->n_in * sizeof *din);
    const float *src = dcol;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < L->out_h; oy++)
            for (int ox = 0; ox < L->out_w; ox++)
                for (int ky = 0; ky < L->k; ky++)
                    for (int kx = 0; kx < L->k; kx++, src += L->in_c) {
                        int iy = oy + ky - L->pad, ix = ox + kx - L->pad;
                        if (iy < 0 || iy >= L->in_h || ix < 0 || ix >= L->in_w)
                            continue;
                        for (int c = 0; c < L->in_c; c++)
                            din[(((size_t)b * L->in_h + iy) * L->in_w + ix) * L->in_c + c] += src[c];
                    }
}

static void conv_backward_matches_composition(void)
{
    const int shapes[][7] = {   /* H, W, C, k, pad, OC, B */
        {32, 32, 3, 3, 0, 32, 7}, {15, 15, 32, 3, 0, 64, 9}, {6, 6, 64, 3, 0, 64, 20}, {8, 9, 5, 3, 1, 7, 3},
        {7, 7, 16, 5, 2, 33, 4},  {5, 6, 17, 1, 0, 10, 2},  {10, 10, 8, 3, 1, 20, 5}};
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
        nvm_pool *pools[3] = {NULL, nvm_pool_new(2), nvm_pool_new(3)};
        nvm_compute *cx[3];
        for (int p = 0; p < 3; p++)
            cx[p] = nvm_compute_new((nvm_isa)isa, pools[p]);
        for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
            const int *d = shapes[sh], B = d[6], N = d[5];
            nvm_layer L = conv_layer(d[0], d[1], d[2], d[3], d[4], N);
            const int M = B * L.out_h * L.out_w, K = L.k * L.k * L.in_c;
            size_t nin = (size_t)B * L.n_in;
            float *in = malloc(nin * sizeof *in), *col = malloc((size_t)M * K * sizeof *col);
            float *Wt = malloc((size_t)K * N * sizeof *Wt), *dout = malloc((size_t)M * N * sizeof *dout);
            float *dW0 = malloc((size_t)(K + 1) * N * sizeof *dW0), *dWr = malloc((size_t)(K + 1) * N * sizeof *dWr);
            float *dW = malloc((size_t)(K + 1) * N * sizeof *dW), *dinr = malloc(nin * sizeof *dinr);
            float *din = malloc(nin * sizeof *din), *dcol = malloc((size_t)M * K * sizeof *dcol);
            for (size_t i = 0; i < nin; i++)
                in[i] = frand();
            for (size_t i = 0; i < (size_t)K * N; i++)
                Wt[i] = frand();
            for (size_t i = 0; i < (size_t)(K + 1) * N; i++)
                dW0[i] = frand();
            for (size_t i = 0; i < (size_t)M * N; i++)
                dout[i] = frand();
            /* the composition; dW and db side by side as in the parameter table */
            memcpy(dWr, dW0, (size_t)(K + 1) * N * sizeof *dWr);
            nvm_im2col(&L, in, col, B);
            nvm_gemm(cx[0], 1, 0, K, N, M, col, K, dout, N, 1.0f, dWr, N);
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                    dWr[(size_t)K * N + j] += dout[(size_t)i * N + j];
            nvm_gemm(cx[0], 0, 1, M, K, N, dout, N, Wt, N, 0.0f, col, K);
            col2im_scalar(&L, col, dinr, B);
            for (int p = 0; p < 3; p++)
                for (int first = 0; first <= 1; first++) {
                    memcpy(dW, dW0, (size_t)(K + 1) * N * sizeof *dW);
                    memset(din, 0x7f, nin * sizeof *din);
                    memset(dcol, 0x7f, (size_t)M * K * sizeof *dcol);
                    nvm_conv_backward(&L, in, Wt, dout, dW, dW + (size_t)K * N, dcol, first ? NULL : din, B, cx[p]);
                    CHECK(memcmp(dW, dWr, (size_t)(K + 1) * N * sizeof *dW) == 0);
                    if (!first)
                        CHECK(memcmp(din, dinr, nin * sizeof *din) == 0);
                }
            free(in), free(col), free(Wt), free(dout), free(dW0), free(dWr), free(dW), free(dinr), free(din), free(dcol);
        }
        for (int p = 0; p < 3; p++) {
            nvm_compute_free(cx[p]);
            nvm_pool_free(pools[p]);
        }
    }
}

int main(void)
{
    nvm_pool *pools[NCX] = {NULL, nvm_pool_new(1), nvm_pool_new(2), nvm_pool_new(3)};
    for (int c = 0; c < NCX; c++)
        cxs[c] = nvm_compute_new(nvm_isa_detect(), pools[c]);
    maxpool_matches_reference();
    im2col_matches_reference();
    conv_gemm_matches_im2col();
    conv_backward_matches_composition();
    for (int c = 0; c < NCX; c++) {
        nvm_compute_free(cxs[c]);
        nvm_pool_free(pools[c]);
    }
    return check_report("layers");
}
