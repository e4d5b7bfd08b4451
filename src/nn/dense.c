/* Dense layers with tanh: forward and backward as GEMMs over the batch. */
#include <math.h>
#include <string.h>

#include "nvmsim/net.h"

/* out[B×N] = act(in[B×K] · W[K×N] + b[N]) */
static void dense_forward(const float *in, const float *W, const float *b, float *out, int B, int K,
                          int N, nvm_act act, nvm_compute *cx)
{
    for (int i = 0; i < B; i++)
        memcpy(out + (size_t)i * N, b, (size_t)N * sizeof(float));
    nvm_gemm(cx, 0, 0, B, N, K, in, K, W, N, 1.0f, out, N);
    if (act == NVM_ACT_TANH)
        for (size_t i = 0; i < (size_t)B * N; i++)
            out[i] = tanhf(out[i]);
}

/* Given dout[B×N] = dL/d(layer output) and the output itself, turns dout into dL/d(pre-activation)
 * in place, then: dW[K×N] += inᵀ·dout, db[N] += Σ_rows dout, and (if din) din[B×K] = dout · Wᵀ. */
static void dense_backward(const float *in, const float *W, const float *out, float *dout, float *dW,
                           float *db, float *din, int B, int K, int N, nvm_act act, nvm_compute *cx)
{
    if (act == NVM_ACT_TANH)
        for (size_t i = 0; i < (size_t)B * N; i++)
            dout[i] *= 1.0f - out[i] * out[i];
    nvm_gemm(cx, 1, 0, K, N, B, in, K, dout, N, 1.0f, dW, N);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++)
            db[j] += dout[(size_t)i * N + j];
    if (din)
        nvm_gemm(cx, 0, 1, B, K, N, dout, N, W, N, 0.0f, din, K);
}

void nvm_forward(const nvm_arch *a, const float *params, nvm_work *w, int first, int last, int B,
                 nvm_compute *cx)
{
    for (int l = first; l < last; l++) {
        const nvm_layer *L = &a->layers[l];
        dense_forward(w->act[l], params + L->w_off, params + L->b_off, w->act[l + 1], B, L->n_in,
                      L->n_out, L->act, cx);
    }
}

void nvm_backward(const nvm_arch *a, const float *params, float *grads, nvm_work *w, int first,
                  int last, int B, nvm_compute *cx)
{
    for (int l = last - 1; l >= first; l--) {
        const nvm_layer *L = &a->layers[l];
        dense_backward(w->act[l], params + L->w_off, w->act[l + 1], w->grad[l + 1],
                       grads + L->w_off, grads + L->b_off, l > first ? w->grad[l] : NULL,
                       B, L->n_in, L->n_out, L->act, cx);
    }
}
