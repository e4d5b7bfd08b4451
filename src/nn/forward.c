/* The network as a straight sequence of layers: forward, backward, activations. */
#include <math.h>

#include "layers.h"

void nvm_act_forward(nvm_act act, float *x, size_t n)
{
    if (act == NVM_ACT_TANH)
        for (size_t i = 0; i < n; i++)
            x[i] = tanhf(x[i]);
    else if (act == NVM_ACT_RELU)
        for (size_t i = 0; i < n; i++)
            x[i] = x[i] > 0 ? x[i] : 0;
}

void nvm_act_backward(nvm_act act, const float *y, float *dy, size_t n)
{
    if (act == NVM_ACT_TANH)
        for (size_t i = 0; i < n; i++)
            dy[i] *= 1.0f - y[i] * y[i];
    else if (act == NVM_ACT_RELU)
        for (size_t i = 0; i < n; i++)
            dy[i] = y[i] > 0 ? dy[i] : 0;
}

void nvm_forward(const nvm_arch *a, const float *params, nvm_work *w, int first, int last, int B,
                 nvm_compute *cx)
{
    for (int l = first; l < last; l++) {
        const nvm_layer *L = &a->layers[l];
        const float *Wt = params + L->w_off, *b = params + L->b_off;
        float *in = w->act[l], *out = w->act[l + 1];
        switch (L->kind) {
        case NVM_DENSE:
            nvm_dense_forward(in, Wt, b, out, B, L->n_in, L->n_out, cx);
            break;
        case NVM_CONV:
            nvm_im2col(L, in, w->col[l], B);
            nvm_dense_forward(w->col[l], Wt, b, out, B * L->out_h * L->out_w, L->k * L->k * L->in_c,
                              L->out_c, cx);
            break;
        case NVM_POOL:
            nvm_maxpool_forward(L, in, out, B);
            break;
        }
        nvm_act_forward(L->act, out, (size_t)B * L->n_out);
    }
}

void nvm_backward(const nvm_arch *a, const float *params, float *grads, nvm_work *w, int first,
                  int last, int B, nvm_compute *cx)
{
    for (int l = last - 1; l >= first; l--) {
        const nvm_layer *L = &a->layers[l];
        const float *Wt = params + L->w_off;
        float *dout = w->grad[l + 1], *din = l > first ? w->grad[l] : NULL;
        nvm_act_backward(L->act, w->act[l + 1], dout, (size_t)B * L->n_out);
        switch (L->kind) {
        case NVM_DENSE:
            nvm_dense_backward(w->act[l], Wt, dout, grads + L->w_off, grads + L->b_off, din, B, L->n_in,
                               L->n_out, cx);
            break;
        case NVM_CONV:
            nvm_dense_backward(w->col[l], Wt, dout, grads + L->w_off, grads + L->b_off,
                               din ? w->dcol : NULL, B * L->out_h * L->out_w, L->k * L->k * L->in_c,
                               L->out_c, cx);
            if (din)
                nvm_col2im(L, w->dcol, din, B);
            break;
        case NVM_POOL:
            if (din)
                nvm_maxpool_backward(L, w->act[l], w->act[l + 1], dout, din, B);
            break;
        }
    }
}
