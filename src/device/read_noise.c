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

/* Philox4x32-10 (as nvm_philox) on `blocks` consecutive counters from k0, written out as 23-bit
 * uniforms (k + ½)/2^23, four per block: the rounds are a plain loop over blocks, so the compiler
 * runs several blocks per vector (integer operations only: the same bits on every width). */
static inline __attribute__((always_inline)) void uniforms(const nvm_stream *s, uint64_t k0, int blocks,
                                                           float *u)
{
    for (int b = 0; b < blocks; b++) {
        const uint64_t k = k0 + (uint64_t)b;
        uint32_t c0 = (uint32_t)k, c1 = (uint32_t)(k >> 32), c2 = s->tag, c3 = s->sub;
        uint32_t y0 = s->key[0], y1 = s->key[1];
        for (int r = 0; r < 10; r++) {
            const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
            c0 = (uint32_t)(p1 >> 32) ^ c1 ^ y0;
            c1 = (uint32_t)p1;
            c2 = (uint32_t)(p0 >> 32) ^ c3 ^ y1;
            c3 = (uint32_t)p0;
            y0 += 0x9E3779B9u;
            y1 += 0xBB67AE85u;
        }
        u[4 * b] = ((float)(c0 >> 9) + 0.5f) * 0x1.0p-23f;
        u[4 * b + 1] = ((float)(c1 >> 9) + 0.5f) * 0x1.0p-23f;
        u[4 * b + 2] = ((float)(c2 >> 9) + 0.5f) * 0x1.0p-23f;
        u[4 * b + 3] = ((float)(c3 >> 9) + 0.5f) * 0x1.0p-23f;
    }
}

/* nvm_read_normals' body, compiled once per instruction set: IEEE float operations in a fixed order
 * and no contraction (-ffp-contract=off), so every width gives the same bits. */
static inline __attribute__((always_inline)) void normals_body(const nvm_stream *s, uint64_t block, float *z,
                                                               int n)
{
    float u[CHUNK];
    for (int c0 = 0; c0 < n; c0 += CHUNK) {
        const int m = n - c0 < CHUNK ? n - c0 : CHUNK;
        uniforms(s, block + (uint64_t)c0 / 4, (m + 3) / 4, u);   /* CHUNK is a multiple of 4 */
        float *zc = z + c0;
        for (int i = 0; i < m; i++) {   /* Φ⁻¹(u) = √2·erfinv(2u - 1), 1 - x² = 4u(1 - u) */
            const float x = 2.0f * u[i] - 1.0f, w = -log_pos(4.0f * u[i] * (1.0f - u[i]));
            /* both branches on every lane, then a select: the loop stays one vector loop */
            const float c = erfinv_central(w), t = erfinv_tail(w);
            zc[i] = 1.41421356f * (w >= 5.0f ? t : c) * x;
        }
    }
}

static void normals_generic(const nvm_stream *s, uint64_t block, float *z, int n)
{
    normals_body(s, block, z, n);
}

#if defined(__x86_64__) || defined(__i386__)
#define READ_X86 1
__attribute__((target("avx2"))) static void normals_avx2(const nvm_stream *s, uint64_t block, float *z, int n)
{
    normals_body(s, block, z, n);
}
__attribute__((target("avx512f"))) static void normals_avx512(const nvm_stream *s, uint64_t block, float *z,
                                                               int n)
{
    normals_body(s, block, z, n);
}
#else
#define READ_X86 0
#endif

void nvm_read_normals(nvm_isa isa, const nvm_stream *s, uint64_t block, float *z, int n)
{
#if READ_X86
    if (isa == NVM_ISA_AVX512) {
        normals_avx512(s, block, z, n);
        return;
    }
    if (isa == NVM_ISA_AVX2) {
        normals_avx2(s, block, z, n);
        return;
    }
#endif
    (void)isa;
    normals_generic(s, block, z, n);
}

/* First block of a sample's normals in a layer: [layer 4 bits | sample 32 | output/4 26]. */
static uint64_t first_block(int layer, uint64_t sample)
{
    return ((uint64_t)(layer & 15) << 58) | ((sample & 0xFFFFFFFFu) << 26);
}

void nvm_read_noise_add(nvm_isa isa, float *y, const float *rows, int B, int P, int K, int N, int bias_row,
                        float std, const nvm_stream *s, int layer, uint64_t sample0, float *rstd)
{
    const size_t R = (size_t)B * P;
    enum { LANES = 8 };   /* rows summed side by side: each sum keeps its order, the chains overlap */
    size_t r = 0;
    for (; r + LANES <= R; r += LANES) {
        const float *x = rows + r * (size_t)K;
        double q[LANES];
        for (int j = 0; j < LANES; j++)
            q[j] = bias_row ? 1.0 : 0.0;
        for (int k = 0; k < K; k++)
            for (int j = 0; j < LANES; j++)
                q[j] += (double)x[(size_t)j * K + k] * x[(size_t)j * K + k];
        for (int j = 0; j < LANES; j++)
            rstd[r + j] = (float)(std * sqrt(q[j]));
    }
    for (; r < R; r++) {
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
            nvm_read_normals(isa, s, blk + (uint64_t)o0 / 4, z, m);
            for (int i = 0; i < m;) {   /* runs of one read's outputs: a plain loop each */
                const int run = N - j < m - i ? N - j : m - i;
                const float sd = sb[p];
                float *yo = yb + o0 + i;
                const float *zi = z + i;
                for (int t = 0; t < run; t++)
                    yo[t] += sd * zi[t];
                i += run, j += run;
                if (j == N)
                    j = 0, p++;
            }
        }
    }
}
