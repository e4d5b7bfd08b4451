/* --alpha-gemm linear (nvmsim/cell.h): layer 0 of an Eq. 1 chip as P0 + α·P1 against the reference (one
 * GEMM on the programmed weights).
 *   Property test over random shapes, α, activations, bias settings and 1- or 2-layer feature
 *   extractors: every element of layer 0's pre-activation agrees within the rigorous bound
 *   |Δz| ≤ 2·γ(K+2)·S + u·|z|, S = Σ_k |x_k|·|w_k|·(1 + α|ε_k|) + |b|·(1 + α|e|), γ(n) = n·u/(1 − n·u),
 *   u = 2^-24 (each path is within γ(K+2)·S of the exact value; the sum rounds once more), and the
 *   features within that bound carried through the activation (1-Lipschitz, + 8 ulp of nvm_tanh) and
 *   the second layer. In practice max|Δ| / max|z| is about 1e-6 (printed); the test also checks ≤ 1e-5.
 *   α = 0: byte-identical to the reference. Cells: α = 0 byte-identical features, α > 0 close; the
 *   per-worker P1 cache never serves another chip, base or bias setting; conditions the fast path does
 *   not apply to (faults, read noise, quant, ADC, progressive, conv) give the reference's bits. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "toy_set.h"
#include "nvmsim/cell.h"

#define U (1.0 / 16777216.0)   /* unit roundoff of float, 2^-24 */

static double gamma_n(int n)
{
    return n * U / (1 - n * U);
}

static double urand(nvm_stream *s, uint64_t *k)
{
    return nvm_uniform(s, (*k)++);
}

/* Random block with nonzero biases (so degraded biases matter). */
static void random_block(const nvm_arch *a, float *p, nvm_stream *s, uint64_t *k)
{
    nvm_arch_init(a, p, s);
    for (int t = 0; t < a->n_tensors; t++)
        if (a->tensors[t].is_bias)
            for (size_t i = 0; i < a->tensors[t].count; i++)
                p[a->tensors[t].offset + i] = (float)(0.4 * (urand(s, k) - 0.5));
}

static double worst_ratio;   /* max over trials of max|Δz| / max|z| */

/* One trial of the property test. */
static void trial(nvm_stream *s, uint64_t *k, nvm_compute *cx)
{
    const int K = 1 + (int)(urand(s, k) * 300), N = 1 + (int)(urand(s, k) * 70), n = 1 + (int)(urand(s, k) * 150),
              two = urand(s, k) < 0.4, M = 1 + (int)(urand(s, k) * 40), biases = urand(s, k) < 0.5;
    const char act0 = urand(s, k) < 0.7 ? 't' : 'f';
    const double r = urand(s, k);
    const double alpha = r < 0.15 ? 0 : r < 0.3 ? 1e-3 : r < 0.45 ? 0.05 : 3 * urand(s, k);
    char spec[64];
    if (two)
        snprintf(spec, sizeof spec, "%c%d-t%d|f3", act0, N, M);
    else
        snprintf(spec, sizeof spec, "%c%d|f3", act0, N);
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", spec, 1, 1, K, 3, &e) == NVM_OK);
    CHECK(a.fe_layers == 1 + two);
    const int F = nvm_arch_features(&a);
    float *clean = nvm_alloc_floats(a.n_params), *chip = nvm_alloc_floats(a.n_params),
          *x = nvm_alloc_floats((size_t)n * K), *p0 = nvm_alloc_floats((size_t)n * N),
          *p1 = nvm_alloc_floats((size_t)n * N), *zr = nvm_alloc_floats((size_t)n * N),
          *slope = nvm_alloc_floats(a.layers[0].b_off + (size_t)N - a.layers[0].w_off),
          *fr = nvm_alloc_floats((size_t)n * F), *fl = nvm_alloc_floats((size_t)n * F);
    random_block(&a, clean, s, k);
    const int signed_x = urand(s, k) < 0.5;
    for (size_t i = 0; i < (size_t)n * K; i++) {   /* MNIST-like (many zeros) or signed inputs */
        const double v = urand(s, k);
        x[i] = signed_x ? (float)(2 * v - 1) : v < 0.5 ? 0.0f : (float)v;
    }
    nvm_device d;
    nvm_device_defaults(&d);
    d.alpha = alpha;
    const nvm_chip c = {.seed = 9, .base = 2, .chip = (uint32_t)(urand(s, k) * 1000), .degrade_biases = biases};
    CHECK(nvm_alpha_linear_applies(&a, &d, 0));
    nvm_device_realise(&a, clean, chip, &d, &c);
    const nvm_layer *L = &a.layers[0];
    nvm_degrade_slope(&a, clean, slope, L->w_off, L->b_off + (size_t)N, &c);
    const float *sw = slope, *sb = slope + (L->b_off - L->w_off);
    /* The reference: layer 0 and the features on the programmed block. */
    nvm_cell_preact0(&a, chip + L->w_off, chip + L->b_off, x, n, zr, cx);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 1 + (int)(urand(s, k) * 64)) == NVM_OK);   /* any chunking */
    nvm_run_layers(&a, chip, 0, a.fe_layers, x, n, fr, &w, cx);
    /* The fast path. */
    nvm_cell_preact0(&a, clean + L->w_off, clean + L->b_off, x, n, p0, cx);
    nvm_cell_preact0(&a, sw, sb, x, n, p1, cx);
    nvm_run_layers_linear(&a, chip, a.fe_layers, p0, p1, alpha, x, n, fl, &w, cx);
    if (alpha == 0)
        CHECK(memcmp(fr, fl, (size_t)n * F * sizeof(float)) == 0);
    /* Layer 0, element by element, and through the activation. */
    double zmax = 0, dmax = 0;
    int z_ok = 1, f_ok = 1;
    double *b0 = malloc((size_t)n * N * sizeof(double));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < N; j++) {
            const float *W = clean + L->w_off, *b = clean + L->b_off;
            double S = fabs(b[j]) + alpha * fabs(sb[j]);
            for (int q = 0; q < K; q++)
                S += fabs(x[(size_t)i * K + q]) * (fabs(W[(size_t)q * N + j]) + alpha * fabs(sw[(size_t)q * N + j]));
            const size_t o = (size_t)i * N + j;
            const double zl = (double)(float)((double)p0[o] + alpha * (double)p1[o]), dz = fabs(zl - zr[o]);
            const double bound = 2 * gamma_n(K + 2) * S + U * fabs(zl);
            z_ok &= dz <= bound;
            b0[o] = bound + (act0 == 't' ? 8 * U : 0);   /* nvm_tanh: 1-Lipschitz up to a few ulp */
            zmax = fabs(zr[o]) > zmax ? fabs(zr[o]) : zmax;
            dmax = dz > dmax ? dz : dmax;
            if (!two)
                f_ok &= fabs((double)fl[o] - fr[o]) <= b0[o];
        }
    CHECK(z_ok);
    if (two) {   /* layer 1 on the same weights: the input difference through |W2|, and both GEMMs' rounding */
        const nvm_layer *L1 = &a.layers[1];
        const float *W2 = chip + L1->w_off, *b2 = chip + L1->b_off;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < M; j++) {
                double spread = 0, mag = fabs(b2[j]);
                for (int q = 0; q < N; q++) {
                    const size_t o = (size_t)i * N + q;
                    const double z = fabs(zr[o]), hq = (act0 == 't' && z > 1 ? 1 : z) + b0[o];   /* ≥ |h| of either */
                    spread += b0[o] * fabs(W2[(size_t)q * M + j]);
                    mag += hq * fabs(W2[(size_t)q * M + j]);
                }
                const double bound = spread + 2 * gamma_n(N + 1) * mag + 8 * U;
                f_ok &= fabs((double)fl[(size_t)i * M + j] - fr[(size_t)i * M + j]) <= bound;
            }
    }
    CHECK(f_ok);
    if (!z_ok || !f_ok)
        fprintf(stderr, "  trial %s n=%d alpha=%g biases=%d: max|dz| %g, max|z| %g\n", spec, n, alpha, biases, dmax,
                zmax);
    if (zmax > 0 && dmax / zmax > worst_ratio)
        worst_ratio = dmax / zmax;
    free(b0);
    nvm_work_free(&w);
    free(clean);
    free(chip);
    free(x);
    free(p0);
    free(p1);
    free(zr);
    free(slope);
    free(fr);
    free(fl);
}

/* nvm_degrade_slope is d/dα of nvm_degrade: same ε, zeros where nvm_degrade leaves the clean value. */
static void check_slope(int biases)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "t7-t5|f3", 1, 1, 6, 3, &e) == NVM_OK);
    float *clean = nvm_alloc_floats(a.n_params), *out = nvm_alloc_floats(a.n_params),
          *sl = nvm_alloc_floats(a.n_params);
    nvm_stream s = nvm_stream_make(4, NVM_RNG_INIT, 1, 1);
    uint64_t k = 1u << 20;
    random_block(&a, clean, &s, &k);
    const nvm_chip c = {.seed = 3, .base = 1, .chip = 7, .degrade_biases = biases};
    const nvm_noise nz = {0};
    nvm_degrade(&a, clean, out, &nz, 0.7, &c);
    nvm_degrade_slope(&a, clean, sl, 0, a.n_params, &c);
    int ok = 1, zeros = 1;
    for (size_t i = 0; i < a.n_params; i++) {
        const double lin = (double)clean[i] + 0.7 * (double)sl[i];
        ok &= fabs(lin - out[i]) <= 2 * U * (fabs(clean[i]) + 0.7 * fabs(sl[i]));
        if (out[i] == clean[i])
            zeros &= sl[i] == 0 || clean[i] == 0;
    }
    CHECK(ok && zeros);
    for (size_t i = a.fe_params; i < a.n_params; i++)
        CHECK(sl[i] == 0);
    const nvm_layer *L = &a.layers[0];
    for (int j = 0; j < L->n_out; j++)
        CHECK((sl[L->b_off + j] != 0) == (biases && clean[L->b_off + j] != 0));
    /* A part [lo, hi) is that part of the whole. */
    float part[16];
    nvm_degrade_slope(&a, clean, part, 30, 46, &c);
    CHECK(memcmp(part, sl + 30, sizeof part) == 0);
    free(clean);
    free(out);
    free(sl);
}

/* ---- whole cells on a small in-memory set ---- */

typedef struct {
    nvm_arch a;
    float *clean, *p0;
    nvm_train_opts rt;
    double times[1];
    int comps[1], nd[1];
    nvm_cell_ctx lin, each;   /* the same cell context with and without P0 */
} cells;

static void cells_init(cells *c, const char *spec, const nvm_dataset *train, const nvm_dataset *test, int biases,
                       int progressive, int detector_new)
{
    nvm_err e;
    memset(c, 0, sizeof *c);
    CHECK(nvm_arch_parse(&c->a, "t", spec, 4, 4, 1, 4, &e) == NVM_OK);
    c->clean = nvm_alloc_floats(c->a.n_params);
    nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, 0);
    nvm_arch_init(&c->a, c->clean, &init);
    nvm_train_opts tr = {.epochs = 4, .batch = 8, .lr = 0.05, .momentum = 0.9, .optim = NVM_SGD};
    c->rt = (nvm_train_opts){.epochs = 2, .batch = 8, .lr = 0.02, .momentum = 0.9, .optim = NVM_SGD};
    nvm_compute *cx = nvm_compute_new(nvm_isa_detect(), NULL);
    CHECK(nvm_train(&c->a, c->clean, 0, train->x, train->y, train->n, &tr, nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0),
                    cx, NULL, NULL, &e) == NVM_OK);
    c->comps[0] = 1;
    c->nd[0] = detector_new ? 5 : 0;
    c->each = (nvm_cell_ctx){.a = &c->a, .clean = c->clean, .train = train, .test = test, .retrain = &c->rt,
                             .times = c->times, .n_time = 1, .comps = c->comps, .n_comp = 1,
                             .progressive = progressive, .detector_new = detector_new, .nd = c->nd, .n_nd = 1,
                             .seed = 3, .base = 1, .degrade_biases = biases};
    c->lin = c->each;
    if (c->a.layers[0].kind == NVM_DENSE) {
        c->p0 = nvm_alloc_floats(nvm_cell_linear_floats(&c->a, train->n, test->n));
        nvm_cell_p0(&c->each, c->p0, cx);
        c->lin.p0 = c->p0;
    }
    nvm_compute_free(cx);
}

static void cells_free(cells *c)
{
    free(c->clean);
    free(c->p0);
}

typedef struct {
    double deg, ret;
    float *ftrain, *ftest;   /* copies of the cell's features */
} outcome;

static outcome cell(const nvm_cell_ctx *c, nvm_cell_scratch *s, const nvm_device *d, uint32_t chip)
{
    outcome o = {-1, -1, NULL, NULL};
    nvm_err e;
    CHECK(nvm_cell_run(c, *d, chip, s, &o.deg, &o.ret, &e) == NVM_OK);
    const size_t F = (size_t)nvm_arch_features(c->a), a = (size_t)c->train->n * F, b = (size_t)c->test->n * F;
    o.ftrain = nvm_alloc_floats(a);
    o.ftest = nvm_alloc_floats(b);
    memcpy(o.ftrain, s->ftrain, a * sizeof(float));
    memcpy(o.ftest, s->ftest, b * sizeof(float));
    return o;
}

static int same(const nvm_cell_ctx *c, const outcome *x, const outcome *y)
{
    const size_t F = (size_t)nvm_arch_features(c->a);
    return x->deg == y->deg && x->ret == y->ret &&
           memcmp(x->ftrain, y->ftrain, (size_t)c->train->n * F * sizeof(float)) == 0 &&
           memcmp(x->ftest, y->ftest, (size_t)c->test->n * F * sizeof(float)) == 0;
}

static double maxdiff(const float *p, const float *q, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs((double)p[i] - q[i]) > m ? fabs((double)p[i] - q[i]) : m;
    return m;
}

static void outcome_free(outcome *o)
{
    free(o->ftrain);
    free(o->ftest);
}

/* Linear against each for one condition: byte-identical when it must be (α = 0, or the fast path does
 * not apply), else features within 1e-5 (tanh/ReLU outputs of size ~1) and accuracy within 2 samples. */
static void compare(const char *spec, const nvm_dataset *tr, const nvm_dataset *te, int biases, int progressive,
                    int detector_new, const nvm_device *d, int identical)
{
    cells c;
    cells_init(&c, spec, tr, te, biases, progressive, detector_new);
    nvm_cell_scratch sl, se;
    CHECK(nvm_cell_scratch_init(&sl, &c.lin, nvm_isa_detect()) == NVM_OK);
    CHECK(nvm_cell_scratch_init(&se, &c.each, nvm_isa_detect()) == NVM_OK);
    CHECK((sl.p1 != NULL) == (c.a.layers[0].kind == NVM_DENSE) && se.p1 == NULL);
    outcome ol = cell(&c.lin, &sl, d, 2), oe = cell(&c.each, &se, d, 2);
    const size_t F = (size_t)nvm_arch_features(&c.a);
    if (identical) {
        CHECK(same(&c.lin, &ol, &oe));
    } else {
        CHECK(maxdiff(ol.ftrain, oe.ftrain, (size_t)tr->n * F) <= 1e-5);
        CHECK(maxdiff(ol.ftest, oe.ftest, (size_t)te->n * F) <= 1e-5);
        CHECK(fabs(ol.deg - oe.deg) <= 2.0 / te->n + 1e-12 && fabs(ol.ret - oe.ret) <= 2.0 / te->n + 1e-12);
    }
    outcome_free(&ol);
    outcome_free(&oe);
    nvm_cell_scratch_free(&sl);
    nvm_cell_scratch_free(&se);
    cells_free(&c);
}

/* The P1 cache: a scratch that served other chips, bases or bias settings gives a fresh scratch's bits. */
static void check_cache(const nvm_dataset *tr, const nvm_dataset *te)
{
    cells c, c2;
    cells_init(&c, "t8-t8-f4", tr, te, 1, 0, 0);
    cells_init(&c2, "t8-t8-f4", tr, te, 0, 0, 0);
    nvm_device d;
    nvm_device_defaults(&d);
    d.alpha = 0.5;
    nvm_cell_scratch s, f;
    CHECK(nvm_cell_scratch_init(&s, &c.lin, nvm_isa_detect()) == NVM_OK);
    outcome a1 = cell(&c.lin, &s, &d, 1), b1 = cell(&c.lin, &s, &d, 2);
    nvm_cell_ctx other = c.lin;
    other.base = 5;
    outcome ob = cell(&other, &s, &d, 1);
    outcome nb = cell(&c2.lin, &s, &d, 1);   /* biases exact: another P1 */
    d.alpha = 0.25;
    outcome a2 = cell(&c.lin, &s, &d, 1);
    d.alpha = 0.5;
    outcome a3 = cell(&c.lin, &s, &d, 1);
    CHECK(same(&c.lin, &a1, &a3));
    CHECK(!same(&c.lin, &a1, &b1) && !same(&c.lin, &a1, &ob) && !same(&c.lin, &a1, &nb) && !same(&c.lin, &a1, &a2));
    const outcome *got[4] = {&b1, &ob, &nb, &a2};
    const nvm_cell_ctx *ctx[4] = {&c.lin, &other, &c2.lin, &c.lin};
    const uint32_t chip[4] = {2, 1, 1, 1};
    const double al[4] = {0.5, 0.5, 0.5, 0.25};
    for (int i = 0; i < 4; i++) {   /* each as a fresh worker computes it */
        CHECK(nvm_cell_scratch_init(&f, ctx[i], nvm_isa_detect()) == NVM_OK);
        d.alpha = al[i];
        outcome fresh = cell(ctx[i], &f, &d, chip[i]);
        CHECK(same(ctx[i], got[i], &fresh));
        outcome_free(&fresh);
        nvm_cell_scratch_free(&f);
    }
    outcome *all[6] = {&a1, &b1, &ob, &nb, &a2, &a3};
    for (int i = 0; i < 6; i++)
        outcome_free(all[i]);
    nvm_cell_scratch_free(&s);
    cells_free(&c);
    cells_free(&c2);
}

int main(void)
{
    nvm_compute *cx = nvm_compute_new(nvm_isa_detect(), NULL);
    nvm_stream s = nvm_stream_make(21, NVM_RNG_INIT, 7, 7);
    uint64_t k = 0;
    for (int t = 0; t < 120; t++)
        trial(&s, &k, cx);
    CHECK(worst_ratio <= 1e-5);
    fprintf(stderr, "alpha-linear: worst max|dz|/max|z| over 120 random shapes: %.3g\n", worst_ratio);
    nvm_compute_free(cx);
    check_slope(1);
    check_slope(0);

    /* Where the fast path applies. */
    nvm_arch mlp, cnn, pool;
    nvm_err e;
    CHECK(nvm_arch_parse(&mlp, "t", "t8-t8-f4", 4, 4, 1, 4, &e) == NVM_OK);
    CHECK(nvm_arch_parse(&cnn, "t", "c4-f4", 4, 4, 1, 4, &e) == NVM_OK);
    CHECK(nvm_arch_parse(&pool, "t", "p-f8|f4", 4, 4, 1, 4, &e) == NVM_OK);
    nvm_device d;
    nvm_device_defaults(&d);
    d.alpha = 0.5;
    CHECK(nvm_alpha_linear_applies(&mlp, &d, 0) && !nvm_alpha_linear_applies(&mlp, &d, 1));
    CHECK(!nvm_alpha_linear_applies(&cnn, &d, 0) && !nvm_alpha_linear_applies(&pool, &d, 0));
    d.analog_all = 1;
    CHECK(nvm_alpha_linear_applies(&mlp, &d, 0));
    nvm_device x = d;
    x.fault_rate = 0.01;
    CHECK(!nvm_alpha_linear_applies(&mlp, &x, 0));
    x = d, x.read_sigma = 0.01;
    CHECK(!nvm_alpha_linear_applies(&mlp, &x, 0));
    x = d, x.adc_bits = 8;
    CHECK(!nvm_alpha_linear_applies(&mlp, &x, 0));
    x = d, x.dac_bits = 8;
    CHECK(!nvm_alpha_linear_applies(&mlp, &x, 0));
    x = d, x.model = NVM_DEV_QUANT, x.bits = 3;
    CHECK(!nvm_alpha_linear_applies(&mlp, &x, 0));
    x = d, x.model = NVM_DEV_PCM;
    CHECK(!nvm_alpha_linear_applies(&mlp, &x, 0));
    /* Too large for this machine: one usage error naming the flag (or fine where memory is unknown). */
    nvm_arch wide;
    CHECK(nvm_arch_parse(&wide, "t", "t100000-f10", 28, 28, 1, 10, &e) == NVM_OK);
    CHECK(nvm_cell_linear_floats(&wide, 60000, 10000) == 70000ull * 100000);
    const int big = nvm_cell_check_linear(&wide, 60000, 10000, 1, 256, &e);
    CHECK(big == NVM_OK || (big == NVM_EUSAGE && strstr(e.msg, "--alpha-gemm each") != NULL));
    CHECK(nvm_cell_check_linear(&mlp, 60000, 10000, 1, 2, &e) == NVM_OK);

    nvm_dataset train, test;
    make_set(&train, 96, 4, 1);
    make_set(&test, 64, 4, 2);
    static const char *SPECS[] = {"t8-f4", "f8-f4", "t8-t8-f4", "f8-t6|f4"};
    for (size_t i = 0; i < sizeof SPECS / sizeof SPECS[0]; i++)
        for (int biases = 0; biases < 2; biases++) {
            nvm_device_defaults(&d);
            compare(SPECS[i], &train, &test, biases, 0, 0, &d, 1);   /* α = 0: the reference's bits */
            d.alpha = 0.4;
            compare(SPECS[i], &train, &test, biases, 0, 0, &d, 0);
            compare(SPECS[i], &train, &test, biases, 0, 1, &d, 0);   /* --detector new */
            d.analog_all = 1;
            compare(SPECS[i], &train, &test, biases, 0, 0, &d, 0);   /* --analog all */
            d.analog_all = 0;
            compare(SPECS[i], &train, &test, biases, 1, 0, &d, 1);   /* progressive: the reference */
            x = d, x.fault_rate = 0.05;
            compare(SPECS[i], &train, &test, biases, 0, 0, &x, 1);
            x = d, x.read_sigma = 0.02;
            compare(SPECS[i], &train, &test, biases, 0, 0, &x, 1);
            x = d, x.model = NVM_DEV_QUANT, x.bits = 3;
            compare(SPECS[i], &train, &test, biases, 0, 0, &x, 1);
        }
    nvm_device_defaults(&d);
    d.alpha = 0.4;
    compare("c2-f4", &train, &test, 1, 0, 0, &d, 1);   /* conv first: never */
    check_cache(&train, &test);
    nvm_dataset_free(&train);
    nvm_dataset_free(&test);
    return check_report("alpha");
}
