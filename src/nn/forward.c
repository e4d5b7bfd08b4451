/* The network as a straight sequence of layers: forward, backward, activations. */
#include <math.h>

#include "layers.h"

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

/* Activations run on the pool in fixed chunks of elements (each element on its own, so the split
 * changes nothing); a chunk of 16 K floats is a few microseconds. */
#define ACT_CHUNK 16384
typedef struct {
    nvm_act act;
    const float *y;
    float *x;
} act_job;

/* x[i0..i1) = act(x) */
static void act_forward_range(void *ctx, size_t i0, size_t i1)
{
    const act_job *j = ctx;
    float *x = j->x;
    if (j->act == NVM_ACT_TANH)
        for (size_t i = i0; i < i1; i++)
            x[i] = nvm_tanh(x[i]);
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
    act_job j = {act, NULL, x};
    if (act != NVM_ACT_NONE)
        nvm_for_chunks(cx, n, ACT_CHUNK, act_forward_range, &j);
}

static void act_backward(nvm_act act, const float *y, float *dy, size_t n, nvm_compute *cx)
{
    act_job j = {act, y, dy};
    if (act != NVM_ACT_NONE)
        nvm_for_chunks(cx, n, ACT_CHUNK, act_backward_range, &j);
}

void nvm_forward(const nvm_arch *a, const float *params, nvm_work *w, const float *input, int first,
                 int last, int B, nvm_compute *cx)
{
    for (int l = first; l < last; l++) {
        const nvm_layer *L = &a->layers[l];
        const float *Wt = params + L->w_off, *b = params + L->b_off, *in = l == first ? input : w->act[l];
        float *out = w->act[l + 1];
        switch (L->kind) {
        case NVM_DENSE:
            nvm_dense_forward(in, Wt, b, out, B, L->n_in, L->n_out, cx);
            break;
        case NVM_CONV:
            nvm_conv_forward(L, in, Wt, b, out, B, cx);
            break;
        case NVM_POOL:
            nvm_maxpool_forward_mt(L, in, out, B, cx);
            break;
        }
        act_forward(L->act, out, (size_t)B * L->n_out, cx);
    }
}

void nvm_backward(const nvm_arch *a, const float *params, float *grads, nvm_work *w, const float *input,
                  int first, int last, int B, nvm_compute *cx)
{
    for (int l = last - 1; l >= first; l--) {
        const nvm_layer *L = &a->layers[l];
        const float *Wt = params + L->w_off, *in = l == first ? input : w->act[l];
        float *dout = w->grad[l + 1], *din = l > first ? w->grad[l] : NULL;
        act_backward(L->act, w->act[l + 1], dout, (size_t)B * L->n_out, cx);
        switch (L->kind) {
        case NVM_DENSE:
            nvm_dense_backward(in, Wt, dout, grads + L->w_off, grads + L->b_off, din, B, L->n_in,
                               L->n_out, cx);
            break;
        case NVM_CONV:
            nvm_conv_backward(L, in, Wt, dout, grads + L->w_off, grads + L->b_off, w->dcol, din, B, cx);
            break;
        case NVM_POOL:
            if (din)
                nvm_maxpool_backward_mt(L, in, w->act[l + 1], dout, din, B, cx);
            break;
        }
    }
}
