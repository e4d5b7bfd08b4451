/* The network as a straight sequence of layers: forward, backward, activations. */
#include <math.h>
#include <string.h>

#include "layers.h"
#include "nvmsim/device.h"

/* tanh as a 13/6 rational function on [-7.905, 7.905] (the approximation Eigen uses): a few ulp from
 * libm's tanhf, branch-free so the loop vectorises (libm's tanhf was 40 % of a sweep cell). */
float nvm_tanh(float x)
{
    const float clamp = 7.90531110763549805f;
    float c = x > clamp ? clamp : x < -clamp ? -clamp : x, x2 = c * c;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    float t = c * p / q;
    return fabsf(x) < 0.0004f ? x : t;   /* tanh(x) = x to float precision there */
}

/* nvm_tanh on W-lane GNU vectors: the same operations in the same order on every lane (mul, add, div,
 * compares and bit selects; nothing contracted), so every width gives nvm_tanh's bits; gcc leaves the
 * scalar loop unvectorised (it was 10 % of an mlp2 sweep cell). */
#define TANH_BODY(V, VI, W)                                                                                size_t i = 0;                                                                                          for (; i + (W) <= n; i += (W)) {                                                                           V x, lim = (V){0} + 7.90531110763549805f, nlim = -lim;                                                 memcpy(&x, v + i, sizeof x);                                                                           VI hi = x > lim, lo = x < nlim;                                                                        V c = (V)((hi & (VI)lim) | (~hi & ((lo & (VI)nlim) | (~lo & (VI)x)))), x2 = c * c;                     V p = (V){0} + -2.76076847742355e-16f;                                                                 p = p * x2 + 2.00018790482477e-13f;                                                                    p = p * x2 + -8.60467152213735e-11f;                                                                   p = p * x2 + 5.12229709037114e-08f;                                                                    p = p * x2 + 1.48572235717979e-05f;                                                                    p = p * x2 + 6.37261928875436e-04f;                                                                    p = p * x2 + 4.89352455891786e-03f;                                                                    V q = (V){0} + 1.19825839466702e-06f;                                                                  q = q * x2 + 1.18534705686654e-04f;                                                                    q = q * x2 + 2.26843463243900e-03f;                                                                    q = q * x2 + 4.89352518554385e-03f;                                                                    V t = c * p / q, ax = (V)((VI)x & 0x7fffffff);                                                         VI small = ax < 0.0004f;                                                                               VI r = (small & (VI)x) | (~small & (VI)t);                                                             memcpy(v + i, &r, sizeof r);                                                                       }                                                                                                      for (; i < n; i++)                                                                                         v[i] = nvm_tanh(v[i]);

typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
static void tanh4(float *v, size_t n)
{
    TANH_BODY(v4f, v4i, 4)
}

#if defined(__x86_64__) || defined(__i386__)
#define ACT_X86 1
typedef float v8f __attribute__((vector_size(32)));
typedef int v8i __attribute__((vector_size(32)));
typedef float v16f __attribute__((vector_size(64)));
typedef int v16i __attribute__((vector_size(64)));
__attribute__((target("avx2"))) static void tanh8(float *v, size_t n)
{
    TANH_BODY(v8f, v8i, 8)
}
__attribute__((target("avx512f"))) static void tanh16(float *v, size_t n)
{
    TANH_BODY(v16f, v16i, 16)
}
#else
#define ACT_X86 0
#endif

void nvm_tanh_array(nvm_isa isa, float *v, size_t n)
{
#if ACT_X86
    if (isa == NVM_ISA_AVX512) {
        tanh16(v, n);
        return;
    }
    if (isa == NVM_ISA_AVX2) {
        tanh8(v, n);
        return;
    }
#endif
    (void)isa;
    tanh4(v, n);
}

/* Activations run on the pool in fixed chunks of elements (each element on its own, so the split
 * changes nothing); a chunk of 16 K floats is a few microseconds. */
#define ACT_CHUNK 16384
typedef struct {
    nvm_act act;
    const float *y;
    float *x;
    nvm_isa isa;
} act_job;

/* x[i0..i1) = act(x) */
static void act_forward_range(void *ctx, size_t i0, size_t i1)
{
    const act_job *j = ctx;
    float *x = j->x;
    if (j->act == NVM_ACT_TANH)
        nvm_tanh_array(j->isa, x + i0, i1 - i0);
    else if (j->act == NVM_ACT_RELU)
        for (size_t i = i0; i < i1; i++)
            x[i] = x[i] > 0 ? x[i] : 0;
}

/* dy[i0..i1) *= act'(·), computed from the activation's output y */
static void act_backward_range(void *ctx, size_t i0, size_t i1)
{
    const act_job *j = ctx;
    const float *y = j->y;
    float *dy = j->x;
    if (j->act == NVM_ACT_TANH)
        for (size_t i = i0; i < i1; i++)
            dy[i] *= 1.0f - y[i] * y[i];
    else if (j->act == NVM_ACT_RELU)
        for (size_t i = i0; i < i1; i++)
            dy[i] = y[i] > 0 ? dy[i] : 0;
}

static void act_forward(nvm_act act, float *x, size_t n, nvm_compute *cx)
{
    act_job j = {act, NULL, x, nvm_compute_isa(cx)};
    if (act != NVM_ACT_NONE)
        nvm_for_chunks(cx, n, ACT_CHUNK, act_forward_range, &j);
}

static void act_backward(nvm_act act, const float *y, float *dy, size_t n, nvm_compute *cx)
{
    act_job j = {act, y, dy, nvm_compute_isa(cx)};
    if (act != NVM_ACT_NONE)
        nvm_for_chunks(cx, n, ACT_CHUNK, act_backward_range, &j);
}

/* Whether layer descriptor d changes anything; if not, the layer runs the digital code unchanged. */
static int analog_on(const nvm_analog_layer *d)
{
    return d->dac_bits || d->adc_bits || d->read_std > 0 || (d->out_scale != 0 && d->out_scale != 1);
}

/* out[B × n_out] = the pre-activation output of dense or conv layer l (number l of the network) read
 * from an analog array as descriptor d says (see net.h); the conversions and noise are the kernels of
 * nvmsim/device.h. */
static void analog_layer(const nvm_layer *L, int l, const nvm_analog *an, const float *Wt,
                         const float *b, const float *in, float *out, int B, nvm_work *w,
                         nvm_compute *cx, uint64_t sample0)
{
    const nvm_analog_layer *d = &an->layer[l];
    const int scaled = d->out_scale != 0 && d->out_scale != 1;
    if (d->dac_bits) {   /* before im2col, so a convolution's zero padding stays exactly 0 */
        nvm_dac_quantize(nvm_compute_isa(cx), in, w->qin, (size_t)B * L->n_in, d->dac_bits, d->dac_max, d->dac_signed);
        in = w->qin;
    }
    const float *rows = in;   /* one row per array read: R reads of K inputs, N outputs each */
    int P = 1, K = L->n_in, N = L->n_out;
    if (L->kind == NVM_CONV) {
        /* The read-noise norms need the patches themselves: im2col into dcol (the digital path packs
         * them inside the GEMM and never materialises them; dcol is free outside the backward pass). */
        nvm_im2col(L, in, w->dcol, B);
        rows = w->dcol, P = L->out_h * L->out_w, K = L->k * L->k * L->in_c, N = L->out_c;
    }
    const int R = B * P, late_bias = !d->bias_on_array && (d->adc_bits || scaled);
    if (late_bias)   /* a digital bias joins after the ADC and the gain */
        nvm_gemm(cx, 0, 0, R, N, K, rows, K, Wt, N, 0.0f, out, N);
    else
        nvm_dense_forward(rows, Wt, b, 0, out, R, K, N, cx);
    if (d->read_std > 0) {
        nvm_stream s = an->read;
        s.sub |= an->pass & 0xFFu;
        nvm_read_noise_add(nvm_compute_isa(cx), out, rows, B, P, K, N, d->bias_on_array, d->read_std, &s, l, sample0,
                           w->rstd);
    }
    const size_t n = (size_t)R * N;
    if (d->adc_bits)
        nvm_adc_quantize(nvm_compute_isa(cx), out, n, d->adc_bits, d->adc_max);
    if (scaled)
        for (size_t i = 0; i < n; i++)
            out[i] *= d->out_scale;
    if (late_bias)
        for (int r = 0; r < R; r++)
            for (int j = 0; j < N; j++)
                out[(size_t)r * N + j] += b[j];
}

void nvm_forward(const nvm_arch *a, const float *params, nvm_work *w, const float *input, int first,
                 int last, int B, nvm_compute *cx)
{
    nvm_forward_an(a, params, w, input, first, last, B, cx, NULL, 0);
}

void nvm_forward_an(const nvm_arch *a, const float *params, nvm_work *w, const float *input, int first,
                    int last, int B, nvm_compute *cx, const nvm_analog *an, uint64_t sample0)
{
    for (int l = first; l < last; l++) {
        const nvm_layer *L = &a->layers[l];
        const float *Wt = params + L->w_off, *b = params + L->b_off, *in = l == first ? input : w->act[l];
        float *out = w->act[l + 1];
        if (an && L->kind != NVM_POOL && analog_on(&an->layer[l])) {
            analog_layer(L, l, an, Wt, b, in, out, B, w, cx, sample0);
            act_forward(L->act, out, (size_t)B * L->n_out, cx);
            continue;
        }
        const int relu = L->act == NVM_ACT_RELU;   /* applied by the GEMM as it stores (same bits) */
        switch (L->kind) {
        case NVM_DENSE:
            nvm_dense_forward(in, Wt, b, relu, out, B, L->n_in, L->n_out, cx);
            break;
        case NVM_CONV:
            nvm_conv_forward(L, in, Wt, b, relu, out, B, cx);
            break;
        case NVM_POOL:
            nvm_maxpool_forward_mt(L, in, out, B, cx);
            break;
        }
        if (!relu)
            act_forward(L->act, out, (size_t)B * L->n_out, cx);
    }
}

void nvm_forward_linear(const nvm_arch *a, const float *params, nvm_work *w, const float *p0, const float *p1,
                        double alpha, int last, int B, nvm_compute *cx)
{
    const nvm_layer *L = &a->layers[0];
    const size_t n = (size_t)B * L->n_out;
    float *z = w->act[1];
    if (alpha == 0)   /* exactly p0 (p0 + 0·p1 would turn a -0 into +0) */
        memcpy(z, p0, n * sizeof(float));
    else
        for (size_t i = 0; i < n; i++)
            z[i] = (float)((double)p0[i] + alpha * (double)p1[i]);
    act_forward(L->act, z, n, cx);
    if (last > 1)
        nvm_forward(a, params, w, z, 1, last, B, cx);
}

void nvm_backward(const nvm_arch *a, const float *params, float *grads, nvm_work *w, const float *input,
                  int first, int last, int B, nvm_compute *cx)
{
    int masked = 0;   /* grad[l + 1] already holds the ReLU's derivative (a pool below applied it) */
    for (int l = last - 1; l >= first; l--) {
        const nvm_layer *L = &a->layers[l];
        const float *Wt = params + L->w_off, *in = l == first ? input : w->act[l];
        float *dout = w->grad[l + 1], *din = l > first ? w->grad[l] : NULL;
        if (!masked)
            act_backward(L->act, w->act[l + 1], dout, (size_t)B * L->n_out, cx);
        masked = 0;
        switch (L->kind) {
        case NVM_DENSE:
            nvm_dense_backward(in, Wt, dout, grads + L->w_off, grads + L->b_off, din, B, L->n_in,
                               L->n_out, cx);
            break;
        case NVM_CONV:
            nvm_conv_backward(L, in, Wt, dout, grads + L->w_off, grads + L->b_off, w->dcol, din, B, cx);
            break;
        case NVM_POOL:
            if (din) {   /* and the ReLU of the layer below, if it has one (bit for bit act_backward) */
                masked = a->layers[l - 1].act == NVM_ACT_RELU;
                nvm_maxpool_backward_mt(L, in, w->act[l + 1], dout, din, B, masked, cx);
            }
            break;
        }
    }
}
