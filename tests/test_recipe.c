/* Training recipes: --init torch against PyTorch's bounds and moments, he unchanged bit for bit; the
 * --train-noise parser; the noisy weights of a mini-batch against each model's formula (gauss: mean w,
 * std A·|w|; faults: the stuck share P and its on/off split; pcm: the device library's own chip for the
 * same key), fresh per mini-batch, deterministic and thread-independent; training through them
 * (straight-through: gauss:0 is plain training bit for bit); the provenance hash. Tolerances are 5
 * standard errors of the sample at hand. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "moments.h"
#include "nvmsim/device.h"
#include "nvmsim/train.h"

static uint64_t hash(const float *p, size_t n)
{
    return nvm_fnv1a(NVM_FNV0, p, n * sizeof(float));
}

/* ---- --init ---- */

static void init_he_unchanged(void)
{
    /* Golden hashes of nvm_arch_init before recipes existed (commit c79b6df): he is bit for bit as it was. */
    static const struct {
        const char *spec;
        int side, c;
        uint64_t hash;
    } GOLD[] = {{"t100-f10", 28, 1, 0xbc2cfe89fc461aa6ull}, {"c32-p-c64-p-c64-f64-f10", 32, 3, 0xc758c437333645f1ull}};
    for (int k = 0; k < 2; k++) {
        nvm_arch a;
        nvm_err e;
        CHECK(nvm_arch_parse(&a, "x", GOLD[k].spec, GOLD[k].side, GOLD[k].side, GOLD[k].c, 10, &e) == NVM_OK);
        float *p = nvm_alloc_floats(a.n_params), *q = nvm_alloc_floats(a.n_params);
        nvm_stream s = nvm_stream_make(1, NVM_RNG_INIT, 0, 100);
        nvm_arch_init(&a, p, &s);
        nvm_arch_init_with(&a, q, &s, NVM_INIT_HE);
        CHECK(hash(p, a.n_params) == GOLD[k].hash);
        CHECK(memcmp(p, q, a.n_params * sizeof(float)) == 0);
        free(p);
        free(q);
    }
    CHECK(strcmp(nvm_init_name(NVM_INIT_HE), "he") == 0 && strcmp(nvm_init_name(NVM_INIT_TORCH), "torch") == 0);
}

/* Every tensor (weights and biases) within ±1/√fan_in, mean 0 and E[x²] = 1/(3·fan_in), each value
 * (2u − 1)/√fan_in of the init stream at its own index. */
static void init_torch_moments(void)
{
    static const struct {
        const char *spec;
        int side, c;
    } NETS[] = {{"t100-f10", 28, 1}, {"t64-t64-f10", 28, 1}, {"c32-p-c64-p-c64-f64-f10", 32, 3}, {"c8k5s-p|c16-f10", 28, 1}};
    for (int k = 0; k < 4; k++) {
        nvm_arch a;
        nvm_err e;
        CHECK(nvm_arch_parse(&a, "x", NETS[k].spec, NETS[k].side, NETS[k].side, NETS[k].c, 10, &e) == NVM_OK);
        float *p = nvm_alloc_floats(a.n_params), *h = nvm_alloc_floats(a.n_params);
        nvm_stream s = nvm_stream_make(3, NVM_RNG_INIT, 1, 64);
        nvm_arch_init_with(&a, p, &s, NVM_INIT_TORCH);
        nvm_arch_init(&a, h, &s);
        int t = 0;
        for (int l = 0; l < a.n_layers; l++) {
            const nvm_layer *L = &a.layers[l];
            if (L->kind == NVM_POOL)
                continue;
            const double fan_in = L->kind == NVM_CONV ? (double)L->k * L->k * L->in_c : (double)L->n_in;
            const double lim = 1.0 / sqrt(fan_in);
            for (int part = 0; part < 2; part++, t++) {   /* the layer's weights, then its bias */
                const nvm_tensor *T = &a.tensors[t];
                CHECK(T->is_bias == part);
                acc m1 = {0}, m2 = {0};
                int inside = 1, formula = 1, nonzero = 0;
                for (size_t i = T->offset; i < T->offset + T->count; i++) {
                    inside &= fabs(p[i]) <= lim;
                    formula &= p[i] == (float)((2.0 * nvm_uniform(&s, i) - 1.0) * lim);
                    nonzero |= p[i] != 0;
                    acc_add(&m1, p[i]);
                    acc_add(&m2, (double)p[i] * p[i]);
                }
                CHECK(inside && formula && nonzero);
                CHECK_MEAN(m1, 0.0);
                /* E[x²] = L²/3 for x ~ U(±L), with Var(x²) = 4L⁴/45 */
                CHECK_NEAR(acc_mean(&m2), lim * lim / 3, 5 * sqrt(4 * pow(lim, 4) / 45 / m2.n));
                if (T->count >= 5000)   /* the large tensors: the variance to 3 % */
                    CHECK_NEAR(acc_var(&m1) * 3 * fan_in, 1.0, 0.03);
                if (part == 0)   /* the same uniforms as he, another limit */
                    CHECK(h[T->offset] == 0 || (p[T->offset] > 0) == (h[T->offset] > 0));
            }
        }
        free(p);
        free(h);
    }
}

/* ---- --train-noise: the spec ---- */

static void parse_specs(void)
{
    static const struct {
        const char *s;
        nvm_tnoise_model model;
        double level;
        const char *name;
    } GOOD[] = {{"none", NVM_TNOISE_NONE, 0, "none"},           {"gauss:0.3", NVM_TNOISE_GAUSS, 0.3, "gauss:0.3"},
                {"gauss:0", NVM_TNOISE_GAUSS, 0, "gauss:0"},       {"gauss:10", NVM_TNOISE_GAUSS, 10, "gauss:10"},
                {"pcm:1", NVM_TNOISE_PCM, 1, "pcm:1"},             {"pcm:.5", NVM_TNOISE_PCM, 0.5, "pcm:0.5"},
                {"faults:0.05", NVM_TNOISE_FAULTS, 0.05, "faults:0.05"}, {"faults:1", NVM_TNOISE_FAULTS, 1, "faults:1"},
                {"gauss:3e-1", NVM_TNOISE_GAUSS, 0.3, "gauss:0.3"},
                {"gauss:0.30000000000000004", NVM_TNOISE_GAUSS, 0.3, "gauss:0.3"}};
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        nvm_train_noise n = {NVM_TNOISE_PCM, 7, 1}, back = {0};
        nvm_err e;
        char name[32];
        CHECK(nvm_train_noise_parse(GOOD[i].s, &n, &e) == NVM_OK && n.model == GOOD[i].model &&
              n.level == GOOD[i].level && n.biases == 1);
        nvm_train_noise_name(&n, name);
        CHECK(strcmp(name, GOOD[i].name) == 0);
        if (strcmp(name, GOOD[i].name) != 0)
            fprintf(stderr, "%s named %s\n", GOOD[i].s, name);
        CHECK(nvm_train_noise_parse(name, &back, &e) == NVM_OK && back.model == n.model && back.level == n.level);
    }
    static const char *BAD[] = {"", "gauss", "gauss:", "gauss:x", "gauss:-0.1", "gauss:10.5", "gauss:nan", "gauss:inf",
                                "gauss:1e400", "gauss: 0.3", "gauss:+0.3", "gauss:0.3 ", "gauss:0x1p-2", "Gauss:0.3",
                                "faults:1.01", "pcm:11", "none:0", "None", "quant:3", "gauss:0.3:1", "gauss:0,3",
                                "pcm:.", "faults:", "gauss:0.3\n"};
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        nvm_train_noise n = {0};
        nvm_err e = {{0}};
        int rc = nvm_train_noise_parse(BAD[i], &n, &e);
        CHECK(rc == NVM_EUSAGE && strstr(e.msg, "--train-noise") && strstr(e.msg, "gauss:0.3"));
        if (rc != NVM_EUSAGE)
            fprintf(stderr, "accepted bad spec '%s'\n", BAD[i]);
    }
    /* recipe texts fit the model file's field, whatever the level */
    nvm_recipe r = {NVM_INIT_TORCH, {NVM_TNOISE_FAULTS, 0, 1}};
    nvm_err e;
    char t[NVM_RECIPE_LEN];
    CHECK(nvm_train_noise_parse("faults:1.23456789012345678e-300", &r.noise, &e) == NVM_OK);
    nvm_recipe_text(&r, t);
    CHECK(strcmp(t, "init=torch train-noise=faults:1.23456789012e-300 biases=yes") == 0);
    nvm_recipe d = {0};
    nvm_recipe_text(&d, t);
    CHECK(strcmp(t, "init=he train-noise=none") == 0 && nvm_recipe_is_default(&d) && !nvm_recipe_is_default(&r));
}

/* ---- --train-noise: the weights of a mini-batch ---- */

typedef struct {
    nvm_arch a;
    float *clean, *out, *ref;
    nvm_compute *c1, *c2;
    nvm_pool *pool;
} fixture;

static void fixture_init(fixture *f, const char *spec, int side, int ch)
{
    nvm_err e;
    CHECK(nvm_arch_parse(&f->a, "x", spec, side, side, ch, 10, &e) == NVM_OK);
    f->clean = nvm_alloc_floats(f->a.n_params);
    f->out = nvm_alloc_floats(f->a.n_params);
    f->ref = nvm_alloc_floats(f->a.n_params);
    nvm_stream s = nvm_stream_make(5, NVM_RNG_INIT, 0, 0);
    nvm_arch_init_with(&f->a, f->clean, &s, NVM_INIT_TORCH);   /* nonzero biases too */
    f->pool = nvm_pool_new(2);
    f->c1 = nvm_compute_new(nvm_isa_detect(), NULL);
    f->c2 = nvm_compute_new(nvm_isa_detect(), f->pool);
}

static void fixture_free(fixture *f)
{
    free(f->clean);
    free(f->out);
    free(f->ref);
    nvm_compute_free(f->c1);
    nvm_compute_free(f->c2);
    nvm_pool_free(f->pool);
}

/* The detector is exact; biases are left alone unless n->biases. Returns whether that holds. */
static int untouched_ok(const fixture *f, const nvm_train_noise *n)
{
    const nvm_arch *a = &f->a;
    int ok = memcmp(f->out + a->fe_params, f->clean + a->fe_params, (a->n_params - a->fe_params) * sizeof(float)) == 0;
    for (int t = 0; t < a->n_tensors; t++)
        if (a->tensors[t].is_bias && a->tensors[t].offset < a->fe_params && !n->biases)
            ok &= memcmp(f->out + a->tensors[t].offset, f->clean + a->tensors[t].offset,
                         a->tensors[t].count * sizeof(float)) == 0;
    return ok;
}

/* Same step, seed and base: the same bits, on one thread or two; another step, base or seed: other draws. */
static void check_keys(fixture *f, const nvm_train_noise *n)
{
    const nvm_arch *a = &f->a;
    const size_t P = a->n_params;
    nvm_train_noise_apply(a, f->clean, f->out, n, 9, 1, 17, f->c1);
    uint64_t h = hash(f->out, P);
    nvm_train_noise_apply(a, f->clean, f->ref, n, 9, 1, 17, f->c2);
    CHECK(memcmp(f->out, f->ref, P * sizeof(float)) == 0);
    nvm_train_noise_apply(a, f->clean, f->ref, n, 9, 1, 17, NULL);
    CHECK(hash(f->ref, P) == h);
    nvm_train_noise_apply(a, f->clean, f->ref, n, 9, 1, 18, f->c2);
    CHECK(hash(f->ref, P) != h);
    nvm_train_noise_apply(a, f->clean, f->ref, n, 9, 2, 17, f->c2);
    CHECK(hash(f->ref, P) != h);
    nvm_train_noise_apply(a, f->clean, f->ref, n, 10, 1, 17, f->c2);
    CHECK(hash(f->ref, P) != h);
    nvm_train_noise none = {NVM_TNOISE_NONE, 0, 1};
    nvm_train_noise_apply(a, f->clean, f->ref, &none, 9, 1, 17, f->c2);
    CHECK(memcmp(f->ref, f->clean, P * sizeof(float)) == 0);
}

static void gauss_moments(void)
{
    fixture f;
    fixture_init(&f, "t100-f10", 28, 1);   /* 78,500 feature-extractor parameters */
    const nvm_arch *a = &f.a;
    for (int biases = 0; biases < 2; biases++) {
        const nvm_train_noise n = {NVM_TNOISE_GAUSS, 0.3, biases};
        check_keys(&f, &n);
        acc r1 = {0}, r2 = {0}, cross = {0};
        for (uint32_t step = 0; step < 4; step++) {
            nvm_train_noise_apply(a, f.clean, f.out, &n, 9, 1, step, f.c2);
            CHECK(untouched_ok(&f, &n));
            if (step == 1)
                memcpy(f.ref, f.out, a->n_params * sizeof(float));
            for (size_t i = 0; i < a->fe_params; i++) {
                if (f.clean[i] == 0 || (!biases && i >= a->layers[0].b_off))
                    continue;
                double eps = ((double)f.out[i] / f.clean[i] - 1) / 0.3;   /* out = w·(1 + A·ε) */
                acc_add(&r1, eps);
                acc_add(&r2, eps * eps);
                if (step == 2)   /* a fresh ε per mini-batch: steps 1 and 2 are uncorrelated */
                    acc_add(&cross, eps * (((double)f.ref[i] / f.clean[i] - 1) / 0.3));
            }
        }
        CHECK_MEAN(r1, 0.0);                 /* mean w */
        CHECK_NEAR(acc_mean(&r2), 1.0, 5 * sqrt(2.0 / r2.n) + 1e-4);   /* std A·|w| (Var ε² = 2) */
        CHECK_MEAN(cross, 0.0);
        if (biases) {   /* the bias moved too */
            const size_t b = a->layers[0].b_off;
            CHECK(f.out[b] != f.clean[b]);
        }
    }
    const nvm_train_noise zero = {NVM_TNOISE_GAUSS, 0, 1};
    nvm_train_noise_apply(a, f.clean, f.out, &zero, 9, 1, 3, f.c2);   /* A = 0: the identity, exactly */
    CHECK(memcmp(f.out, f.clean, a->n_params * sizeof(float)) == 0);
    fixture_free(&f);
}

/* The device library's chip for the training key: (seed, base, chip = step, biases, training). */
static void train_chip(nvm_chip *c, uint64_t seed, uint32_t base, uint32_t step, int biases)
{
    *c = (nvm_chip){seed, base, step, biases, 1};
}

static void pcm_is_the_device_library(void)
{
    static const struct {
        const char *spec;
        int side, c;
    } NETS[] = {{"t100-f10", 28, 1}, {"c8-p-c16|p-f16-f10", 16, 3}};
    for (int k = 0; k < 2; k++) {
        fixture f;
        fixture_init(&f, NETS[k].spec, NETS[k].side, NETS[k].c);
        const nvm_arch *a = &f.a;
        for (int biases = 0; biases < 2; biases++) {
            const nvm_train_noise n = {NVM_TNOISE_PCM, 0.7, biases};
            check_keys(&f, &n);
            nvm_device d;
            nvm_device_defaults(&d);
            d.model = NVM_DEV_PCM;
            d.alpha = 0.7;
            nvm_chip chip;
            for (uint32_t step = 0; step < 3; step++) {
                train_chip(&chip, 9, 1, step, biases);
                nvm_train_noise_apply(a, f.clean, f.out, &n, 9, 1, step, f.c2);
                nvm_device_realise(a, f.clean, f.ref, &d, &chip);
                CHECK(memcmp(f.out, f.ref, a->n_params * sizeof(float)) == 0);
                CHECK(untouched_ok(&f, &n));
                chip.training = 0;   /* the chip under test of the same index draws something else */
                nvm_device_realise(a, f.clean, f.ref, &d, &chip);
                CHECK(memcmp(f.out, f.ref, a->fe_params * sizeof(float)) != 0);
            }
            /* every weight moved (programming noise on both devices of its pair) */
            size_t moved = 0;
            for (size_t i = 0; i < a->layers[0].b_off; i++)
                moved += f.out[i] != f.clean[i];
            CHECK(moved > a->layers[0].b_off * 99 / 100);
        }
        fixture_free(&f);
    }
}

static double stuck_level(nvm_fault fl, double g)
{
    return fl == NVM_FAULT_ON ? NVM_DEV_GMAX : fl == NVM_FAULT_OFF ? 0 : g;
}

static void faults_share(void)
{
    fixture f;
    fixture_init(&f, "t100-f10", 28, 1);
    const nvm_arch *a = &f.a;
    const double P = 0.2, F = NVM_STUCK_ON_DEFAULT;
    const nvm_train_noise n = {NVM_TNOISE_FAULTS, P, 1};
    check_keys(&f, &n);
    nvm_device d;
    nvm_device_defaults(&d);
    d.fault_rate = P;
    acc faulty = {0}, on = {0}, changed = {0};
    int formula = 1;
    for (uint32_t step = 0; step < 2; step++) {
        nvm_chip chip;
        train_chip(&chip, 9, 1, step, 1);
        nvm_train_noise_apply(a, f.clean, f.out, &n, 9, 1, step, f.c2);
        nvm_device_realise(a, f.clean, f.ref, &d, &chip);
        CHECK(memcmp(f.out, f.ref, a->n_params * sizeof(float)) == 0);
        CHECK(untouched_ok(&f, &n));
        const double s = nvm_device_scale(a, f.clean, 0, 1);
        for (size_t i = 0; i < a->fe_params; i++) {
            nvm_fault fp = nvm_device_fault(&chip, 2 * i, P, F), fm = nvm_device_fault(&chip, 2 * i + 1, P, F);
            for (int k = 0; k < 2; k++) {
                nvm_fault fl = k ? fm : fp;
                acc_add(&faulty, fl != NVM_FAULT_NONE);
                if (fl != NVM_FAULT_NONE)
                    acc_add(&on, fl == NVM_FAULT_ON);
            }
            const double w = f.clean[i];
            const float want = (float)((stuck_level(fp, s * (w > 0 ? w : 0)) - stuck_level(fm, s * (w < 0 ? -w : 0))) / s);
            formula &= fp == NVM_FAULT_NONE && fm == NVM_FAULT_NONE ? f.out[i] == f.clean[i] : f.out[i] == want;
            /* a weight is unchanged iff its active device is sound and its idle one not stuck on */
            acc_add(&changed, f.out[i] != f.clean[i]);
        }
    }
    CHECK(formula);
    CHECK_MEAN(faulty, P);
    CHECK_MEAN(on, F);
    CHECK_MEAN(changed, 1 - (1 - P) * (1 - P * F));
    fixture_free(&f);
}

/* ---- training through the noisy weights ---- */

static void blobs(float *x, uint8_t *y, int n, int dim, int classes)
{
    nvm_stream s = nvm_stream_make(77, NVM_RNG_SHUFFLE, 9, 9);
    for (int i = 0; i < n; i++) {
        y[i] = (uint8_t)(i % classes);
        for (int j = 0; j < dim; j++)
            x[(size_t)i * dim + j] = (float)((j % classes == y[i] ? 1.5 : 0.0) + 0.5 * nvm_normal(&s, (uint64_t)i * dim + j));
    }
}

static void training(void)
{
    enum { N = 240, DIM = 24 };
    static float x[N * DIM];
    static uint8_t y[N];
    blobs(x, y, N, DIM, 4);
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "x", "t40-f4", 1, 1, DIM, 4, &e) == NVM_OK);
    float *p0 = nvm_alloc_floats(a.n_params), *p1 = nvm_alloc_floats(a.n_params), *p2 = nvm_alloc_floats(a.n_params);
    nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, 40);
    nvm_arch_init(&a, p0, &init);
    nvm_pool *pool = nvm_pool_new(3);
    nvm_compute *c1 = nvm_compute_new(nvm_isa_detect(), NULL), *c3 = nvm_compute_new(nvm_isa_detect(), pool);
    const nvm_stream sh = nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0);
    nvm_train_opts plain = {.epochs = 3, .batch = 16, .lr = 0.05, .momentum = 0.9, .optim = NVM_SGD};
    nvm_train_opts o = plain;
    o.noise_seed = 1;
    memcpy(p1, p0, a.n_params * sizeof(float));
    CHECK(nvm_train(&a, p1, 0, x, y, N, &plain, sh, c1, NULL, NULL, &e) == NVM_OK);
    const uint64_t h_plain = hash(p1, a.n_params);
    /* gauss:0 computes with exactly the clean weights: plain training, bit for bit */
    o.recipe.noise = (nvm_train_noise){NVM_TNOISE_GAUSS, 0, 1};
    memcpy(p2, p0, a.n_params * sizeof(float));
    CHECK(nvm_train(&a, p2, 0, x, y, N, &o, sh, c3, NULL, NULL, &e) == NVM_OK && hash(p2, a.n_params) == h_plain);
    /* every model: thread-independent, and not the plain run */
    static const nvm_train_noise MODELS[] = {{NVM_TNOISE_GAUSS, 0.3, 1}, {NVM_TNOISE_PCM, 1, 0}, {NVM_TNOISE_FAULTS, 0.1, 1}};
    for (int k = 0; k < 3; k++) {
        o.recipe.noise = MODELS[k];
        memcpy(p1, p0, a.n_params * sizeof(float));
        memcpy(p2, p0, a.n_params * sizeof(float));
        CHECK(nvm_train(&a, p1, 0, x, y, N, &o, sh, c1, NULL, NULL, &e) == NVM_OK);
        CHECK(nvm_train(&a, p2, 0, x, y, N, &o, sh, c3, NULL, NULL, &e) == NVM_OK);
        CHECK(memcmp(p1, p2, a.n_params * sizeof(float)) == 0 && hash(p1, a.n_params) != h_plain);
        for (size_t i = 0; i < a.n_params; i++)   /* the clean weights are what was trained: finite, no noise kept */
            CHECK(isfinite(p1[i]));
    }
    /* the detector alone (as a sweep cell retrains it): train noise has nothing to act on */
    o.recipe.noise = (nvm_train_noise){NVM_TNOISE_GAUSS, 0.5, 1};
    float *feats = nvm_alloc_floats((size_t)N * 40);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 64) == NVM_OK);
    nvm_run_layers(&a, p0, 0, 1, x, N, feats, &w, c1);
    memcpy(p1, p0, a.n_params * sizeof(float));
    memcpy(p2, p0, a.n_params * sizeof(float));
    CHECK(nvm_train(&a, p1, 1, feats, y, N, &plain, sh, c1, NULL, NULL, &e) == NVM_OK);
    CHECK(nvm_train(&a, p2, 1, feats, y, N, &o, sh, c1, NULL, NULL, &e) == NVM_OK);
    CHECK(memcmp(p1, p2, a.n_params * sizeof(float)) == 0);
    /* more mini-batches than the key has room for: refused before any work */
    nvm_train_opts huge = o;
    huge.epochs = 1500000000;
    huge.batch = 80;   /* 3 mini-batches per epoch: 4.5e9 */
    e.msg[0] = 0;
    CHECK(nvm_train(&a, p1, 0, x, y, N, &huge, sh, c1, NULL, NULL, &e) == NVM_EUSAGE && strstr(e.msg, "2^32"));
    nvm_work_free(&w);
    free(feats);
    nvm_compute_free(c1);
    nvm_compute_free(c3);
    nvm_pool_free(pool);
    free(p0);
    free(p1);
    free(p2);
}

/* ---- provenance ---- */

static void provenance(void)
{
    /* The default recipe hashes as before recipes existed (commit c79b6df), so kept networks stay valid;
     * every other recipe hashes differently, so a kept network of another recipe is never reused. */
    static const struct {
        const char *spec;
        int side, c;
        uint64_t gold;
    } NETS[] = {{"t100-f10", 28, 1, 0xe808beb0bb488cd1ull}, {"c32-p-c64-p-c64-f64-f10", 32, 3, 0xec323c7acdeae2bfull}};
    for (int k = 0; k < 2; k++) {
        nvm_arch a;
        nvm_err e;
        CHECK(nvm_arch_parse(&a, "x", NETS[k].spec, NETS[k].side, NETS[k].side, NETS[k].c, 10, &e) == NVM_OK);
        nvm_train_opts o = {.epochs = 15, .batch = 32, .lr = 0.05, .momentum = 0.9, .optim = NVM_SGD};
        CHECK(nvm_train_provenance(&a, &o, 1, 2, 100, 0x1234) == NETS[k].gold);
        o.noise_seed = 99;   /* the keys are the seed and base, already in the hash */
        o.noise_base = 3;
        CHECK(nvm_train_provenance(&a, &o, 1, 2, 100, 0x1234) == NETS[k].gold);
        static const nvm_recipe R[] = {{NVM_INIT_TORCH, {NVM_TNOISE_NONE, 0, 1}}, {NVM_INIT_HE, {NVM_TNOISE_GAUSS, 0.3, 1}},
                                       {NVM_INIT_HE, {NVM_TNOISE_GAUSS, 0.3, 0}}, {NVM_INIT_HE, {NVM_TNOISE_GAUSS, 0.4, 1}},
                                       {NVM_INIT_HE, {NVM_TNOISE_GAUSS, 0, 1}},   {NVM_INIT_HE, {NVM_TNOISE_PCM, 0.3, 1}},
                                       {NVM_INIT_HE, {NVM_TNOISE_FAULTS, 0.3, 1}}, {NVM_INIT_TORCH, {NVM_TNOISE_GAUSS, 0.3, 1}}};
        enum { NR = sizeof R / sizeof R[0] };
        uint64_t h[NR];
        for (int i = 0; i < NR; i++) {
            o.recipe = R[i];
            h[i] = nvm_train_provenance(&a, &o, 1, 2, 100, 0x1234);
            CHECK(h[i] != NETS[k].gold);
            for (int j = 0; j < i; j++)
                CHECK(h[i] != h[j]);
        }
        o.recipe = (nvm_recipe){NVM_INIT_HE, {NVM_TNOISE_NONE, 0, 0}};   /* biases mean nothing without noise */
        CHECK(nvm_train_provenance(&a, &o, 1, 2, 100, 0x1234) == NETS[k].gold);
    }
}

int main(void)
{
    init_he_unchanged();
    init_torch_moments();
    parse_specs();
    gauss_moments();
    pcm_is_the_device_library();
    faults_share();
    training();
    provenance();
    return check_report("recipe");
}
