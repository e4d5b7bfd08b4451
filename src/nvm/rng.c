/* Philox4x32-10 (Salmon et al., SC'11) and the variates derived from it. */
#include "nvmsim/rng.h"

#include <math.h>

static void mulhilo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    *lo = (uint32_t)p;
}

void nvm_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        uint32_t hi0, lo0, hi1, lo1;
        mulhilo(0xD2511F53u, c0, &hi0, &lo0);
        mulhilo(0xCD9E8D57u, c2, &hi1, &lo1);
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

nvm_stream nvm_stream_make(uint64_t seed, nvm_rng_purpose purpose, uint32_t base, uint32_t sub)
{
    nvm_stream s = {{(uint32_t)seed, (uint32_t)(seed >> 32)},
                    ((uint32_t)purpose << 24) | (base & 0xFFFFFFu), sub};
    return s;
}

static void block(const nvm_stream *s, uint64_t index, uint32_t out[4])
{
    uint32_t ctr[4] = {(uint32_t)index, (uint32_t)(index >> 32), s->tag, s->sub};
    nvm_philox(ctr, s->key, out);
}

/* 53 bits from two words, mapped to [0, 1). */
static double u53(uint32_t hi, uint32_t lo)
{
    return (double)(((uint64_t)(hi >> 5) << 26) | (lo >> 6)) * 0x1.0p-53;
}

double nvm_uniform(const nvm_stream *s, uint64_t index)
{
    uint32_t r[4];
    block(s, index, r);
    return u53(r[0], r[1]);
}

double nvm_normal(const nvm_stream *s, uint64_t index)
{
    uint32_t r[4];
    block(s, index, r);
    double u1 = 1.0 - u53(r[0], r[1]);   /* (0, 1]: log is finite */
    double u2 = u53(r[2], r[3]);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void nvm_permutation(const nvm_stream *s, int *perm, int n)
{
    for (int i = 0; i < n; i++)
        perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)(nvm_uniform(s, (uint64_t)i) * (i + 1));
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
