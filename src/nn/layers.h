/* Layer kernels (internal to src/nn). Shapes per call are in the comments; NHWC activations. */
#ifndef NVMSIM_LAYERS_H
#define NVMSIM_LAYERS_H

#include "nvmsim/net.h"

/* out[B×N] = in[B×K] · W[K×N] + b[N] (no activation) */
void nvm_dense_forward(const float *in, const float *W, const float *b, float *out, int B, int K,
                       int N, nvm_compute *cx);
/* dW[K×N] += inᵀ·dout, db[N] += Σ_rows dout, and (if din) din[B×K] = dout[B×N] · Wᵀ */
void nvm_dense_backward(const float *in, const float *W, const float *dout, float *dW, float *db,
                        float *din, int B, int K, int N, nvm_compute *cx);

/* col[B·OH·OW × k·k·C] = the k×k patches of in[B×H×W×C] (zeros outside the image) */
void nvm_im2col(const nvm_layer *L, const float *in, float *col, int B);
/* din[B×H×W×C] = Σ over patches of dcol[B·OH·OW × k·k·C] (the adjoint of nvm_im2col) */
void nvm_col2im(const nvm_layer *L, const float *dcol, float *din, int B);

/* out[B×H/2×W/2×C] = max over 2×2 windows of in[B×H×W×C] */
void nvm_maxpool_forward(const nvm_layer *L, const float *in, float *out, int B);
/* din[B×H×W×C] = dout routed to the first maximum of each window, 0 elsewhere */
void nvm_maxpool_backward(const nvm_layer *L, const float *in, const float *out, const float *dout,
                          float *din, int B);
/* The same, one element at a time (the reference the vector code is tested against) */
void nvm_maxpool_backward_ref(const nvm_layer *L, const float *in, const float *out, const float *dout,
                              float *din, int B);

/* Fast tanh (see forward.c); tests compare it with libm. */
float nvm_tanh(float x);

#endif
