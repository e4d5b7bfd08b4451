/* Philox known answers, moments of the variates, reproducibility and independence of streams. */
#include <stdlib.h>

#include "check.h"
#include "nvmsim/rng.h"

static void known_answers(void)
{
    /* Random123's kat_vectors for philox4x32-10. */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int t = 0; t < 3; t++) {
        uint32_t out[4];
        nvm_philox(kat[t], kat[t] + 4, out);
        for (int i = 0; i < 4; i++)
            CHECK(out[i] == kat[t][6 + i]);
    }
}

static void moments(void)
{
    const int n = 1000000;
    nvm_stream s = nvm_stream_make(42, NVM_RNG_DEGRADE, 0, 7);
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, u1 = 0, u2 = 0;
    for (int i = 0; i < n; i++) {
        double z = nvm_normal(&s, (uint64_t)i), u = nvm_uniform(&s, (uint64_t)i);
        m1 += z, m2 += z * z, m3 += z * z * z, m4 += z * z * z * z;
        u1 += u, u2 += u * u;
        CHECK(u >= 0 && u < 1);
    }
    m1 /= n, m2 /= n, m3 /= n, m4 /= n, u1 /= n, u2 /= n;
    /* Tolerances are about 5 standard errors for n = 1e6. */
    CHECK_NEAR(m1, 0.0, 0.005);
    CHECK_NEAR(m2, 1.0, 0.007);
    CHECK_NEAR(m3, 0.0, 0.02);
    CHECK_NEAR(m4, 3.0, 0.05);
    CHECK_NEAR(u1, 0.5, 0.0015);
    CHECK_NEAR(u2 - u1 * u1, 1.0 / 12, 0.0005);
}

static void reproducible(void)
{
    nvm_stream a = nvm_stream_make(1, NVM_RNG_DEGRADE, 2, 3), b = nvm_stream_make(1, NVM_RNG_DEGRADE, 2, 3);
    nvm_stream chip = nvm_stream_make(1, NVM_RNG_DEGRADE, 2, 4), base = nvm_stream_make(1, NVM_RNG_DEGRADE, 3, 3);
    nvm_stream seed = nvm_stream_make(2, NVM_RNG_DEGRADE, 2, 3), purpose = nvm_stream_make(1, NVM_RNG_INIT, 2, 3);
    int same = 0, diff_chip = 0, diff_base = 0, diff_seed = 0, diff_purpose = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        double x = nvm_normal(&a, i);
        same += x == nvm_normal(&b, i);
        diff_chip += x != nvm_normal(&chip, i);
        diff_base += x != nvm_normal(&base, i);
        diff_seed += x != nvm_normal(&seed, i);
        diff_purpose += x != nvm_normal(&purpose, i);
    }
    CHECK(same == 1000);
    CHECK(diff_chip == 1000 && diff_base == 1000 && diff_seed == 1000 && diff_purpose == 1000);
    /* Values do not depend on the order of access (counter-based). */
    double fwd = nvm_normal(&a, 5);
    CHECK(nvm_normal(&a, 999) != fwd);
    CHECK(fwd == nvm_normal(&a, 5));
}

static void permutation(void)
{
    enum { N = 1000 };
    int perm[N], seen[N] = {0}, fixed = 0;
    nvm_stream s = nvm_stream_make(9, NVM_RNG_SHUFFLE, 0, 0);
    nvm_permutation(&s, perm, N);
    for (int i = 0; i < N; i++) {
        CHECK(perm[i] >= 0 && perm[i] < N);
        if (perm[i] >= 0 && perm[i] < N)
            seen[perm[i]]++;
        fixed += perm[i] == i;
    }
    for (int i = 0; i < N; i++)
        CHECK(seen[i] == 1);
    CHECK(fixed < 10);   /* a random permutation has ~1 fixed point */
    /* Position of element 0 over many epochs is uniform: mean ≈ (N-1)/2. */
    double mean = 0;
    for (uint32_t e = 0; e < 400; e++) {
        nvm_stream t = nvm_stream_make(9, NVM_RNG_SHUFFLE, 0, e);
        nvm_permutation(&t, perm, N);
        for (int i = 0; i < N; i++)
            if (perm[i] == 0)
                mean += i / 400.0;
    }
    CHECK_NEAR(mean, (N - 1) / 2.0, 5 * 289 / 20.0);
}

int main(void)
{
    known_answers();
    moments();
    reproducible();
    permutation();
    return check_report("rng");
}
