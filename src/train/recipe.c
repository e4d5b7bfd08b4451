/* Training recipes: the --train-noise spec, the recipe's text (model files, sidecars, provenance) and
 * the noisy weights of one mini-batch of hardware-aware training. */
#include "nvmsim/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/device.h"

static const struct {
    const char *name;
    nvm_tnoise_model model;
    double max;
} MODELS[] = {{"gauss", NVM_TNOISE_GAUSS, 10}, {"pcm", NVM_TNOISE_PCM, 10}, {"faults", NVM_TNOISE_FAULTS, 1}};

#define EXPECTED "expected none or MODEL:LEVEL: gauss:A (0 <= A <= 10), pcm:A (0 <= A <= 10) or faults:P " \
                 "(0 <= P <= 1), e.g. gauss:0.3"

int nvm_train_noise_parse(const char *s, nvm_train_noise *n, nvm_err *e)
{
    if (strcmp(s, "none") == 0) {
        n->model = NVM_TNOISE_NONE;
        n->level = 0;
        return NVM_OK;
    }
    const char *colon = strchr(s, ':');
    for (size_t i = 0; colon && i < sizeof MODELS / sizeof MODELS[0]; i++) {
        if (strlen(MODELS[i].name) != (size_t)(colon - s) || strncmp(s, MODELS[i].name, (size_t)(colon - s)) != 0)
            continue;
        const char *v = colon + 1;
        char *end;
        /* a plain decimal number: no sign, spaces, hex or inf/nan spellings that strtod would take */
        double x = (*v >= '0' && *v <= '9') || (*v == '.' && v[1] >= '0' && v[1] <= '9') ? strtod(v, &end) : -1;
        if (x < 0 || *end || !isfinite(x) || x > MODELS[i].max || strpbrk(v, "xXpP"))
            return nvm_fail(e, NVM_EUSAGE, "--train-noise %s: %s needs a level from 0 to %g; " EXPECTED, s,
                            MODELS[i].name, MODELS[i].max);
        char buf[40];
        snprintf(buf, sizeof buf, "%.12g", x);   /* as --alpha: 0.3 is 0.3, whatever digits follow the 12th */
        n->model = MODELS[i].model;
        n->level = strtod(buf, NULL);
        return NVM_OK;
    }
    return nvm_fail(e, NVM_EUSAGE, "--train-noise %s: %s", s, EXPECTED);
}

void nvm_train_noise_name(const nvm_train_noise *n, char out[32])
{
    if (n->model == NVM_TNOISE_NONE) {
        snprintf(out, 32, "none");
        return;
    }
    /* the level has at most 12 significant digits (nvm_train_noise_parse), so %.12g is exact: "10", "0.3" */
    snprintf(out, 32, "%s:%.12g", n->model == NVM_TNOISE_GAUSS ? "gauss" : n->model == NVM_TNOISE_PCM ? "pcm" : "faults",
             n->level);
}

void nvm_recipe_text(const nvm_recipe *r, char out[NVM_RECIPE_LEN])
{
    char nz[32];
    nvm_train_noise_name(&r->noise, nz);
    if (r->noise.model == NVM_TNOISE_NONE)
        snprintf(out, NVM_RECIPE_LEN, "init=%s train-noise=none", nvm_init_name(r->init));
    else
        snprintf(out, NVM_RECIPE_LEN, "init=%s train-noise=%s biases=%s", nvm_init_name(r->init), nz,
                 r->noise.biases ? "yes" : "no");
}

int nvm_recipe_is_default(const nvm_recipe *r)
{
    return r->init == NVM_INIT_HE && r->noise.model == NVM_TNOISE_NONE;
}

/* ---- the noisy weights of one mini-batch ---- */

enum { PART = 4096, ZBUF = 1024 };   /* parameters per pool task; normals per nvm_read_normals call */

typedef struct {
    const nvm_arch *a;
    const float *clean;
    float *out;
    const nvm_train_noise *n;
    nvm_stream gauss;                /* gauss: ε_i is normal i of this stream */
    nvm_device d;                    /* pcm, faults: the chip condition, realised by the device library */
    nvm_chip chip;
    double scales[NVM_MAX_LAYERS];
    nvm_isa isa;                     /* for nvm_read_normals (any gives the same bits) */
} noise_job;

/* out[lo, hi) under gauss:A; lo is a multiple of 4, so normal i is lane i % 4 of block i / 4 whatever
 * the split. */
static void gauss_part(const noise_job *j, size_t lo, size_t hi)
{
    const nvm_arch *a = j->a;
    const double A = j->n->level;
    float z[ZBUF];
    memcpy(j->out + lo, j->clean + lo, (hi - lo) * sizeof(float));
    for (size_t i0 = lo; i0 < hi; i0 += ZBUF) {
        const size_t i1 = hi - i0 < ZBUF ? hi : i0 + ZBUF;
        nvm_read_normals(j->isa, &j->gauss, i0 / 4, z, (int)(i1 - i0));
        for (int t = 0; t < a->n_tensors; t++) {
            const nvm_tensor *T = &a->tensors[t];
            if (T->offset >= a->fe_params || (T->is_bias && !j->n->biases))
                continue;
            size_t b = T->offset > i0 ? T->offset : i0, c = T->offset + T->count < i1 ? T->offset + T->count : i1;
            for (size_t i = b; i < c; i++)   /* in double, rounded once, as nvm_degrade */
                j->out[i] = (float)((1.0 + A * (double)z[i - i0]) * (double)j->clean[i]);
        }
    }
}

static void noise_task(void *ctx, int task, int worker)
{
    (void)worker;
    const noise_job *j = ctx;
    const size_t lo = (size_t)task * PART, hi = lo + PART < j->a->fe_params ? lo + PART : j->a->fe_params;
    if (j->n->model == NVM_TNOISE_GAUSS)
        gauss_part(j, lo, hi);
    else
        nvm_device_realise_part(j->a, j->clean, j->out, &j->d, &j->chip, j->scales, lo, hi);
}

void nvm_train_noise_apply(const nvm_arch *a, const float *clean, float *out, const nvm_train_noise *n,
                           uint64_t seed, uint32_t base, uint32_t step, nvm_compute *cx)
{
    const size_t fe = a->fe_params;
    memcpy(out + fe, clean + fe, (a->n_params - fe) * sizeof(float));   /* the detector: exact */
    if (n->model == NVM_TNOISE_NONE) {
        memcpy(out, clean, fe * sizeof(float));
        return;
    }
    noise_job j = {.a = a, .clean = clean, .out = out, .n = n, .isa = cx ? nvm_compute_isa(cx) : NVM_ISA_GENERIC};
    j.chip = (nvm_chip){seed, base, step, n->biases, 1};
    j.gauss = nvm_chip_stream(&j.chip, NVM_RNG_DEGRADE, step);
    nvm_device_defaults(&j.d);   /* the feature extractor analog, t = 0, the default stuck-on share */
    if (n->model == NVM_TNOISE_PCM) {
        j.d.model = NVM_DEV_PCM;
        j.d.alpha = n->level;
    } else if (n->model == NVM_TNOISE_FAULTS) {
        j.d.fault_rate = n->level;
    }
    if (n->model != NVM_TNOISE_GAUSS)
        nvm_device_scales(a, clean, &j.d, n->biases, j.scales);
    nvm_pool_run(cx ? nvm_compute_pool(cx) : NULL, (int)((fe + PART - 1) / PART), noise_task, &j);
}
