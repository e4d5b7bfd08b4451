/* Dense layers as GEMMs over the batch (convolutions reuse them on im2col rows). */
#include <string.h>

#include "layers.h"

void nvm_dense_forward(const float *in, const float *W, const float *b, int relu, float *out, int B, int K,
                       int N, nvm_compute *cx)
{
    nvm_gemm_bias(cx, 0, 0, B, N, K, in, K, W, N, b, relu, out, N);   /* out starts at b: no pass over out */
}

void nvm_dense_backward(const float *in, const float *W, const float *dout, float *dW, float *db,
                        float *din, int B, int K, int N, nvm_compute *cx)
{
    nvm_gemm(cx, 1, 0, K, N, B, in, K, dout, N, 1.0f, dW, N);
    for (int i = 0; i < B; i++)
        for (int j = 0; j < N; j++)
            db[j] += dout[(size_t)i * N + j];
    if (din)
        nvm_gemm(cx, 0, 1, B, K, N, dout, N, W, N, 0.0f, din, K);
}
