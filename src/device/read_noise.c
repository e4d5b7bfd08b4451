/* Read noise: every device of an array reads as G + σ·g_max·ξ, so an output Σ_r x_r·(G+ - G-)/s gets
 * Gaussian noise of std √2·σ·g_max·‖x‖₂/s; drawn per output, from a counter, never stored. */
#include "nvmsim/device.h"

#include <math.h>

/* Counter of output pair o/2 of a sample in a layer: [layer 4 bits | sample 32 | o/2 27]; one Philox
 * block gives the normals of outputs o and o + 1 (cosine and sine of one Box-Muller pair). */
static uint64_t counter(int layer, uint64_t sample, int o)
{
    return ((uint64_t)(layer & 15) << 60) | ((sample & 0xFFFFFFFFu) << 27) | ((uint64_t)o >> 1);
}

void nvm_read_noise_add(float *y, const float *rows, int B, int P, int K, int N, int bias_row,
                        float std, const nvm_stream *s, int layer, uint64_t sample0, float *rstd)
{
    const size_t R = (size_t)B * P;
    for (size_t r = 0; r < R; r++) {
        const float *x = rows + r * (size_t)K;
        double q = bias_row ? 1.0 : 0.0;
        for (int k = 0; k < K; k++)
            q += (double)x[k] * x[k];
        rstd[r] = (float)(std * sqrt(q));
    }
    const int per_sample = P * N;
    for (int b = 0; b < B; b++) {
        float *yb = y + (size_t)b * per_sample;
        const float *sb = rstd + (size_t)b * P;
        for (int o = 0; o < per_sample; o += 2) {
            double xi[2];
            nvm_normal2(s, counter(layer, sample0 + (uint64_t)b, o), xi);
            yb[o] += (float)(sb[o / N] * xi[0]);
            if (o + 1 < per_sample)
                yb[o + 1] += (float)(sb[(o + 1) / N] * xi[1]);
        }
    }
}
