/* Eq. 1 of the paper, g(w) = (1 + α·ε)·w, over the feature-extractor slice, optionally after rounding
 * every tensor to 2^B levels (limited programming resolution). */
#include "nvmsim/noise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/rng.h"

int nvm_noise_parse(const char *s, nvm_noise *n, nvm_err *e)
{
    char *end;
    n->pcm = n->clip = 0;
    if (strcmp(s, "gauss") == 0 || strcmp(s, "pcm") == 0) {
        n->bits = 0;
        n->pcm = s[0] == 'p';
        return NVM_OK;
    }
    n->clip = strncmp(s, "quantmse:", 9) == 0;
    if (strncmp(s, "quant:", 6) == 0 || n->clip) {
        const char *b0 = s + (n->clip ? 9 : 6);
        long b = strtol(b0, &end, 10);
        if (end != b0 && !*end && b >= 1 && b <= 8) {
            n->bits = (int)b;
            return NVM_OK;
        }
    }
    return nvm_fail(e, NVM_EUSAGE, "--noise %s: expected gauss, quant:B or quantmse:B with B = 1..8 bits, or pcm",
                    s);
}

int nvm_noise_parse_list(const char *s, nvm_noise **out, int *n, nvm_err *e)
{
    int count = 1;
    for (const char *p = s; *p; p++)
        count += *p == ',';
    if (count > 64)
        return nvm_fail(e, NVM_EUSAGE, "--noise: more than 64 noise models");
    if (!(*out = nvm_alloc((size_t)count, sizeof **out)))
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    *n = 0;
    for (const char *p = s;; p++) {
        char tok[32];
        size_t len = strcspn(p, ",");
        int rc = len < sizeof tok ? NVM_OK : nvm_fail(e, NVM_EUSAGE, "--noise %s: unreadable list", s);
        if (rc == NVM_OK) {
            memcpy(tok, p, len);
            tok[len] = '\0';
            rc = nvm_noise_parse(tok, &(*out)[(*n)++], e);
        }
        if (rc != NVM_OK) {
            free(*out);
            *out = NULL;
            return rc;
        }
        p += len;
        if (!*p)
            return NVM_OK;
    }
}

void nvm_noise_name(const nvm_noise *n, char out[16])
{
    if (n->pcm)
        snprintf(out, 16, "pcm");
    else if (n->bits)
        snprintf(out, 16, "%s:%d", n->clip ? "quantmse" : "quant", n->bits);
    else
        snprintf(out, 16, "gauss");
}

/* w[n] clipped to [-m, m] and rounded to the nearest of 2^bits levels -m, -m + step, ..., m
 * (step = 2m/(2^bits-1)); out may be NULL. Returns the squared error summed over w. */
static double quantize_at(const float *w, float *out, size_t n, int bits, double m)
{
    double step = 2 * m / ((1 << bits) - 1), sse = 0;
    for (size_t i = 0; i < n; i++) {
        double x = w[i] < -m ? -m : w[i] > m ? m : w[i];
        double q = -m + step * nearbyint((x + m) / step);
        sse += (q - w[i]) * (q - w[i]);
        if (out)
            out[i] = (float)q;
    }
    return sse;
}

double nvm_quant_range(const float *w, size_t n, int bits, int clip)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(w[i]) > m ? fabs(w[i]) : m;
    if (!clip || m == 0)
        return m;
    /* The range with the least squared error among m·k/256, k = 1..256 (k = 256 is max-abs, so it never
     * does worse): clipping a few outliers buys finer steps for the bulk of the weights. */
    double best = m, best_sse = quantize_at(w, NULL, n, bits, m);
    for (int k = 1; k < 256; k++) {
        double sse = quantize_at(w, NULL, n, bits, m * k / 256.0);
        if (sse < best_sse) {
            best_sse = sse;
            best = m * k / 256.0;
        }
    }
    return best;
}

static void quantize(const float *w, float *out, size_t n, int bits, int clip)
{
    double m = nvm_quant_range(w, n, bits, clip);
    if (m == 0)
        memcpy(out, w, n * sizeof(float));
    else
        quantize_at(w, out, n, bits, m);
}

nvm_stream nvm_chip_stream(const nvm_chip *c, nvm_rng_purpose p, uint32_t sub)
{
    return nvm_stream_make(c->seed, c->training ? (nvm_rng_purpose)(p | NVM_RNG_TRAINING) : p, c->base, sub);
}

void nvm_degrade(const nvm_arch *a, const float *clean, float *out, const nvm_noise *noise,
                 double alpha, const nvm_chip *chip)
{
    memcpy(out, clean, a->n_params * sizeof(float));
    nvm_stream s = nvm_chip_stream(chip, NVM_RNG_DEGRADE, chip->chip);
    for (int t = 0; t < a->n_tensors; t++) {
        const nvm_tensor *T = &a->tensors[t];
        if (T->offset >= a->fe_params || (T->is_bias && !chip->degrade_biases))
            continue;
        if (noise->bits)
            quantize(clean + T->offset, out + T->offset, T->count, noise->bits, noise->clip);
        for (size_t i = T->offset; i < T->offset + T->count; i++)   /* computed in double, rounded once */
            out[i] = (float)((1.0 + alpha * nvm_normal(&s, i)) * (double)out[i]);
    }
}

void nvm_degrade_slope(const nvm_arch *a, const float *clean, float *out, size_t lo, size_t hi,
                       const nvm_chip *chip)
{
    memset(out, 0, (hi - lo) * sizeof(float));
    nvm_stream s = nvm_chip_stream(chip, NVM_RNG_DEGRADE, chip->chip);
    for (int t = 0; t < a->n_tensors; t++) {   /* the tensors nvm_degrade degrades, clipped to [lo, hi) */
        const nvm_tensor *T = &a->tensors[t];
        if (T->offset >= a->fe_params || (T->is_bias && !chip->degrade_biases))
            continue;
        const size_t end = T->offset + T->count, t0 = T->offset > lo ? T->offset : lo, t1 = end < hi ? end : hi;
        for (size_t i = t0; i < t1; i++)
            out[i - lo] = (float)(nvm_normal(&s, i) * (double)clean[i]);
    }
}
