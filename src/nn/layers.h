/* Layer kernels (internal to src/nn). Shapes per call are in the comments; NHWC activations. */
#ifndef NVMSIM_LAYERS_H
#define NVMSIM_LAYERS_H

#include "nvmsim/net.h"

/* out[B×N] = in[B×K] · W[K×N] + b[N], then the ReLU if relu (no other activation) */
void nvm_dense_forward(const float *in, const float *W, const float *b, int relu, float *out, int B, int K,
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
/* The same on a given SIMD path (generic: 4-lane GNU vectors; avx2 8, avx512 16 lanes when C is a multiple),
 * all bit-identical; relu: din is also multiplied by the derivative of the ReLU whose outputs in are
 * (din = in > 0 ? din : 0, act_backward's expression), so the layer below needs no pass of its own.
 * The two functions above are these on nvm_isa_detect()'s path, without relu. */
void nvm_maxpool_forward_isa(nvm_isa isa, const nvm_layer *L, const float *in, float *out, int B);
void nvm_maxpool_backward_isa(nvm_isa isa, const nvm_layer *L, const float *in, const float *out,
                              const float *dout, float *din, int B, int relu);
/* The same two, one element at a time (the references the vector code is tested against) */
void nvm_maxpool_forward_ref(const nvm_layer *L, const float *in, float *out, int B);
void nvm_maxpool_backward_ref(const nvm_layer *L, const float *in, const float *out, const float *dout,
                              float *din, int B);

/* out[B·OH·OW × out_c] = conv(in) + b (then the ReLU if relu), as im2col + nvm_dense_forward bit for bit,
 * without writing col */
void nvm_conv_forward(const nvm_layer *L, const float *in, const float *W, const float *b, int relu, float *out,
                      int B, nvm_compute *cx);
/* dW += colᵀ·dout, db += Σ_rows dout and (if din) din = col2im(dout·Wᵀ) through dcol[B·OH·OW × k·k·C]:
 * as nvm_dense_backward on col + nvm_col2im bit for bit, col never written */
void nvm_conv_backward(const nvm_layer *L, const float *in, const float *W, const float *dout, float *dW,
                       float *db, float *dcol, float *din, int B, nvm_compute *cx);

/* The same four on cx's pool, images split into chunks of a fixed size (data movement only, so the
 * results are those of the one-thread functions for any thread count). */
void nvm_im2col_mt(const nvm_layer *L, const float *in, float *col, int B, nvm_compute *cx);
void nvm_col2im_mt(const nvm_layer *L, const float *dcol, float *din, int B, nvm_compute *cx);
void nvm_maxpool_forward_mt(const nvm_layer *L, const float *in, float *out, int B, nvm_compute *cx);
void nvm_maxpool_backward_mt(const nvm_layer *L, const float *in, const float *out, const float *dout,
                             float *din, int B, int relu, nvm_compute *cx);

/* Runs fn(ctx, i0, i1) over [0, n) cut into pieces of `chunk` (the last may be shorter) on cx's pool. */
typedef void nvm_range_fn(void *ctx, size_t i0, size_t i1);
void nvm_for_chunks(nvm_compute *cx, size_t n, size_t chunk, nvm_range_fn *fn, void *ctx);
/* Images per chunk so that a chunk moves about 32 K floats: large enough to outweigh handing it to
 * another thread, small enough to balance two. Depends on the shape only. */
size_t nvm_image_chunk(size_t floats_per_image);

/* Fast tanh (see forward.c); tests compare it with libm. */
float nvm_tanh(float x);
/* v[i] = nvm_tanh(v[i]) for i < n on the vector width of isa (4, 8 or 16 lanes): nvm_tanh's bits. */
void nvm_tanh_array(nvm_isa isa, float *v, size_t n);

#endif
