/* Eq. 1 degradation: identity at alpha = 0, E[g(w)/w] = 1 and std = alpha, only the feature extractor,
 * biases optional, and one eps per parameter per chip shared by every alpha. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nvmsim/noise.h"

int main(void)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_named(&a, "mlp3", NULL, 300, 28, 28, 1, 10, &e) == NVM_OK);
    float *w = nvm_alloc_floats(a.n_params), *g = nvm_alloc_floats(a.n_params),
          *h = nvm_alloc_floats(a.n_params);
    nvm_stream init = nvm_stream_make(3, NVM_RNG_INIT, 0, 300);
    nvm_arch_init(&a, w, &init);
    for (size_t i = 0; i < a.n_params; i++)   /* nonzero biases too, so they can be seen to change */
        if (w[i] == 0)
            w[i] = 0.01f;
    nvm_chip chip = {7, 0, 2, 1, 0};
    const nvm_noise gauss = {0};

    nvm_degrade(&a, w, g, &gauss, 0.0, &chip);
    CHECK(memcmp(w, g, a.n_params * sizeof(float)) == 0);

    const double alphas[] = {0.05, 0.3, 1.0};
    for (int k = 0; k < 3; k++) {
        double alpha = alphas[k], s1 = 0, s2 = 0;
        nvm_degrade(&a, w, g, &gauss, alpha, &chip);
        size_t n = a.fe_params;
        for (size_t i = 0; i < n; i++) {
            double r = (double)g[i] / w[i];
            s1 += r, s2 += r * r;
        }
        double mean = s1 / n, sd = sqrt(s2 / n - mean * mean);
        /* n ≈ 326k: the standard error of the mean is alpha/571, of the sd about alpha/808. */
        CHECK_NEAR(mean, 1.0, 5 * alpha / 571);
        CHECK_NEAR(sd, alpha, 5 * alpha / 808 + 1e-6);
        CHECK(memcmp(w + a.fe_params, g + a.fe_params, (a.n_params - a.fe_params) * sizeof(float)) == 0);
    }

    /* Common random numbers: the same eps_i at every alpha. */
    nvm_degrade(&a, w, g, &gauss, 0.2, &chip);
    nvm_degrade(&a, w, h, &gauss, 0.8, &chip);
    int same_eps = 0;
    for (size_t i = 0; i < 1000; i++) {
        double e1 = ((double)g[i] / w[i] - 1) / 0.2, e2 = ((double)h[i] / w[i] - 1) / 0.8;
        same_eps += fabs(e1 - e2) < 1e-3 * (1 + fabs(e1));
    }
    CHECK(same_eps == 1000);

    /* Another chip draws other eps. */
    nvm_chip other = chip;
    other.chip = 3;
    nvm_degrade(&a, w, h, &gauss, 0.2, &other);
    int differ = 0;
    for (size_t i = 0; i < a.fe_params; i++)
        differ += g[i] != h[i];
    CHECK(differ > (int)(a.fe_params * 0.99));

    /* --degrade-biases no: biases exact, weights get the same eps as with biases. */
    nvm_chip nob = chip;
    nob.degrade_biases = 0;
    nvm_degrade(&a, w, h, &gauss, 0.2, &nob);
    for (int t = 0; t < a.n_tensors; t++) {
        const nvm_tensor *T = &a.tensors[t];
        if (T->offset >= a.fe_params)
            continue;
        int exact = memcmp(h + T->offset, w + T->offset, T->count * sizeof(float)) == 0;
        int as_before = memcmp(h + T->offset, g + T->offset, T->count * sizeof(float)) == 0;
        CHECK(T->is_bias ? exact : as_before);
        if (T->is_bias)   /* with biases degraded they did change */
            CHECK(memcmp(g + T->offset, w + T->offset, T->count * sizeof(float)) != 0);
    }
    /* quant:B: at most 2^B values per tensor, spanning ±max|w|, each within half a step of w. */
    for (int bits = 1; bits <= 8; bits++) {
        nvm_noise q = {.bits = bits};
        nvm_degrade(&a, w, g, &q, 0.0, &chip);
        const nvm_tensor *T = &a.tensors[0];
        double m = 0, worst = 0;
        for (size_t i = 0; i < T->count; i++)
            m = fabs(w[i]) > m ? fabs(w[i]) : m;
        double step = 2 * m / ((1 << bits) - 1);
        int levels_ok = 1;
        for (size_t i = 0; i < T->count; i++) {
            double k = (g[i] + m) / step;
            levels_ok &= fabs(k - nearbyint(k)) < 1e-3 && k > -1e-3 && k < (1 << bits) - 1 + 1e-3;
            worst = fabs(g[i] - w[i]) > worst ? fabs(g[i] - w[i]) : worst;
        }
        CHECK(levels_ok);
        CHECK(worst <= step / 2 * (1 + 1e-5));
        CHECK(memcmp(w + a.fe_params, g + a.fe_params, (a.n_params - a.fe_params) * sizeof(float)) == 0);
        /* With alpha on top: (1 + alpha·eps)·q(w), eps the chip's usual draw. */
        const size_t i = 7;
        const float qw = g[i];   /* g still holds q(w) */
        nvm_degrade(&a, w, h, &q, 0.5, &chip);
        nvm_degrade(&a, w, g, &gauss, 0.5, &chip);
        double eps = ((double)g[i] / w[i] - 1) / 0.5;
        CHECK_NEAR(h[i], (1 + 0.5 * eps) * qw, 1e-5 * (1 + fabs(qw)));
    }
    /* quantmse:B, a property over many random tensors (normal bulk + a few outliers) and every B: at most
     * 2^B values, all within ±c for a range c <= max|w|, and a squared error never above max-abs's (max-abs
     * is one of the ranges searched) — strictly below it for heavy-tailed tensors at 2-4 bits. */
    {
        enum { N = 2000 };
        float *x = malloc(N * sizeof(float)), *qa = malloc(N * sizeof(float)), *qm = malloc(N * sizeof(float));
        int never_worse = 1, within = 1, fewer = 1, better = 0, trials = 0;
        for (int trial = 0; trial < 40; trial++) {
            nvm_stream s = nvm_stream_make(77, NVM_RNG_DEGRADE, (uint32_t)trial, 0);
            for (int i = 0; i < N; i++)
                x[i] = (float)(nvm_normal(&s, (uint64_t)i) * (i % 97 == 0 ? 6.0 : 1.0));
            for (int bits = 1; bits <= 8; bits++) {
                nvm_arch one = a;   /* a one-tensor view: tensor 0 of a, N long */
                one.n_tensors = 1;
                one.tensors[0] = (nvm_tensor){.offset = 0, .count = N, .rows = 1, .cols = N};
                one.fe_params = one.n_params = N;
                nvm_noise qmax = {.bits = bits}, qmse = {.bits = bits, .clip = 1};
                nvm_degrade(&one, x, qa, &qmax, 0.0, &chip);
                nvm_degrade(&one, x, qm, &qmse, 0.0, &chip);
                double c = nvm_quant_range(x, N, bits, 1), m = nvm_quant_range(x, N, bits, 0), ea = 0, em = 0;
                float lv[256];
                int nl = 0;
                for (int i = 0; i < N; i++) {
                    ea += (qa[i] - x[i]) * (double)(qa[i] - x[i]);
                    em += (qm[i] - x[i]) * (double)(qm[i] - x[i]);
                    within &= fabs(qm[i]) <= c * (1 + 1e-6);
                    int seen = 0;
                    for (int k = 0; k < nl && !seen; k++)
                        seen = lv[k] == qm[i];
                    if (!seen && nl < 256)
                        lv[nl++] = qm[i];
                    else if (!seen)
                        fewer = 0;
                }
                never_worse &= em <= ea * (1 + 1e-12) && c <= m;
                fewer &= nl <= (1 << bits);
                if (bits >= 2 && bits <= 4) {
                    trials++;
                    better += em < 0.9 * ea;
                }
            }
        }
        CHECK(never_worse);
        CHECK(within);
        CHECK(fewer);
        CHECK(better == trials);
        free(x);
        free(qa);
        free(qm);
    }
    nvm_noise q1;
    nvm_err e1;
    CHECK(nvm_noise_parse("quantmse:3", &q1, &e1) == NVM_OK && q1.bits == 3 && q1.clip == 1);
    CHECK(nvm_noise_parse("quantmse:0", &q1, &e1) == NVM_EUSAGE && nvm_noise_parse("quantmse", &q1, &e1) == NVM_EUSAGE);
    CHECK(nvm_noise_parse("quant:3", &q1, &e1) == NVM_OK && q1.clip == 0);
    CHECK(nvm_noise_parse("quant:3", &q1, &e1) == NVM_OK && q1.bits == 3);
    CHECK(nvm_noise_parse("quant:9", &q1, &e1) == NVM_EUSAGE && nvm_noise_parse("quant:", &q1, &e1) == NVM_EUSAGE);
    CHECK(nvm_noise_parse("gaus", &q1, &e1) == NVM_EUSAGE && strstr(e1.msg, "--noise gaus"));
    free(w);
    free(g);
    free(h);
    return check_report("noise");
}
