/* Read noise: every device of an array reads as G + σ·g_max·ξ, so an output Σ_r x_r·(G+ - G-)/s gets
 * Gaussian noise of std √2·σ·g_max·‖x‖₂/s; drawn per output, from a counter, never stored.
 *
 * A CNN pass needs one normal per output of every analog layer and sample (~40k per CIFAR image), so
 * the normals come four per Philox block by inverting the normal CDF (M. Giles, "Approximating the
 * erfinv function", GPU Computing Gems, 2011: single-precision erfinv) with a branch-free log that the
 * compiler vectorises; only the rare tails (|z| > 2.8) go through sqrtf. Uniforms are 23-bit
 * (k + ½)/2^23, so |z| ≤ 5.3: the truncated tail has probability 1e-7. */
#include "nvmsim/device.h"

#include <math.h>
#include <string.h>

/* ln v for a normal positive float v, branch-free: v = m·2^e with m in [1, 2), ln v = (e + ½)·ln 2 +
 * ln(m/√2), and ln y = 2·atanh((y - 1)/(y + 1)) by its series (|t| ≤ 0.172: error below 1e-9). */
static float log_pos(float v)
{
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    const float e = (float)((int32_t)(b >> 23) - 127);
    const uint32_t mb = (b & 0x7FFFFFu) | 0x3F800000u;
    float m;
    memcpy(&m, &mb, sizeof m);
    const float y = m * 0.707106781f, t = (y - 1.0f) / (y + 1.0f), t2 = t * t;
    float p = 2.0f / 9;
    p = p * t2 + 2.0f / 7;
    p = p * t2 + 2.0f / 5;
    p = p * t2 + 2.0f / 3;
    p = p * t2 + 2.0f;
    return (e + 0.5f) * 0.693147181f + t * p;
}

/* Giles' erfinv for w = -ln(1 - x²) < 5 (|x| < 0.9966); returns erfinv(x)/x. */
static float erfinv_central(float w)
{
    const float v = w - 2.5f;
    float p = 2.81022636e-08f;
    p = 3.43273939e-07f + p * v;
    p = -3.5233877e-06f + p * v;
    p = -4.39150654e-06f + p * v;
    p = 0.00021858087f + p * v;
    p = -0.00125372503f + p * v;
    p = -0.00417768164f + p * v;
    p = 0.246640727f + p * v;
    return 1.50140941f + p * v;
}

/* The same for w ≥ 5 (the tails). */
static float erfinv_tail(float w)
{
    const float v = sqrtf(w) - 3.0f;
    float p = -0.000200214257f;
    p = 0.000100950558f + p * v;
    p = 0.00134934322f + p * v;
    p = -0.00367342844f + p * v;
    p = 0.00573950773f + p * v;
    p = -0.0076224613f + p * v;
    p = 0.00943887047f + p * v;
    p = 1.00167406f + p * v;
    return 2.83297682f + p * v;
}

enum { CHUNK = 256 };

void nvm_read_normals(const nvm_stream *s, uint64_t block, float *z, int n)
{
    float u[CHUNK], w[CHUNK];
    for (int c0 = 0; c0 < n; c0 += CHUNK) {
        const int m = n - c0 < CHUNK ? n - c0 : CHUNK;
        for (int i = 0; i < m; i += 4) {
            const uint64_t k = block + (uint64_t)(c0 + i) / 4;
            uint32_t ctr[4] = {(uint32_t)k, (uint32_t)(k >> 32), s->tag, s->sub}, r[4];
            nvm_philox(ctr, s->key, r);
            for (int j = 0; j < 4 && i + j < m; j++)
                u[i + j] = ((float)(r[j] >> 9) + 0.5f) * 0x1.0p-23f;
        }
        float *zc = z + c0;
        for (int i = 0; i < m; i++) {   /* Φ⁻¹(u) = √2·erfinv(2u - 1), 1 - x² = 4u(1 - u) */
            const float x = 2.0f * u[i] - 1.0f;
            w[i] = -log_pos(4.0f * u[i] * (1.0f - u[i]));
            zc[i] = 1.41421356f * erfinv_central(w[i]) * x;
        }
        for (int i = 0; i < m; i++)
            if (w[i] >= 5.0f)
                zc[i] = 1.41421356f * erfinv_tail(w[i]) * (2.0f * u[i] - 1.0f);
    }
}

/* First block of a sample's normals in a layer: [layer 4 bits | sample 32 | output/4 26]. */
static uint64_t first_block(int layer, uint64_t sample)
{
    return ((uint64_t)(layer & 15) << 58) | ((sample & 0xFFFFFFFFu) << 26);
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
    float z[CHUNK];
    for (int b = 0; b < B; b++) {
        float *yb = y + (size_t)b * per_sample;
        const float *sb = rstd + (size_t)b * P;
        const uint64_t blk = first_block(layer, sample0 + (uint64_t)b);
        int p = 0, j = 0;   /* read and output of yb[o0 + i], advanced without a division */
        for (int o0 = 0; o0 < per_sample; o0 += CHUNK) {   /* CHUNK is a multiple of 4 */
            const int m = per_sample - o0 < CHUNK ? per_sample - o0 : CHUNK;
            nvm_read_normals(s, blk + (uint64_t)o0 / 4, z, m);
            for (int i = 0; i < m; i++) {
                yb[o0 + i] += sb[p] * z[i];
                if (++j == N)
                    j = 0, p++;
            }
        }
    }
}
