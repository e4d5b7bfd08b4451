/* One cell: program the chip, read its features at the retraining time (K times with --retrain-reads),
 * retrain the detector on them (or, progressive, program the feature-extractor layers one at a time,
 * retraining every later layer after each), then measure at every time of use and drift-compensation
 * choice. Read passes (each a fresh draw of read noise) are numbered so every evaluation reads anew and
 * the same cell always reads the same. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/cell.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PASS_TRAIN 128                            /* + time index: the training set for a retraining */
#define PASS_STEP (PASS_TRAIN + NVM_MAX_TIMES)    /* + step: the training set for a progressive step */
_Static_assert(2 * (2 * NVM_MAX_TIMES) <= PASS_TRAIN, "test passes 2·col + 1 reach the training passes");
_Static_assert(PASS_STEP + NVM_MAX_LAYERS <= 256, "read passes are 8 bits");

uint32_t nvm_cell_pass_test(int col, int retrained)
{
    return 2 * (uint32_t)col + (retrained ? 1 : 0);
}

uint32_t nvm_cell_pass_train(int ti)
{
    return PASS_TRAIN + (uint32_t)ti;
}

uint32_t nvm_cell_pass_step(int step)
{
    return PASS_STEP + (uint32_t)step;
}

int nvm_prog_steps(const nvm_arch *a, nvm_prog_step steps[NVM_MAX_LAYERS])
{
    int n = 0;
    for (int l = 0; l < a->fe_layers; l++) {
        if (a->layers[l].kind == NVM_POOL)
            continue;
        int next = l + 1;
        while (next < a->fe_layers && a->layers[next].kind == NVM_POOL)
            next++;
        steps[n].layer = l;
        steps[n++].next = next;
    }
    return n;
}

void nvm_prog_view(const nvm_arch *a, int layer, nvm_arch *v)
{
    *v = *a;
    v->fe_layers = layer + 1;
    v->fe_params = nvm_arch_param_offset(a, layer + 1);
}

static int reads_of(const nvm_cell_ctx *c)
{
    return c->reads > 1 ? c->reads : 1;
}

size_t nvm_cell_retrain_floats(const nvm_arch *a, int n, int reads, int progressive)
{
    size_t width = (size_t)nvm_arch_features(a);
    if (progressive) {
        nvm_prog_step st[NVM_MAX_LAYERS];
        const int k = nvm_prog_steps(a, st);
        for (int i = 0; i + 1 < k; i++) {
            const size_t w = (size_t)a->layers[st[i].next].n_in;
            width = w > width ? w : width;
        }
    }
    return (size_t)(reads > 1 ? reads : 1) * (size_t)n * width;
}

/* This machine's memory in GB (0 if unknown). */
static double phys_gb(void)
{
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? 1e-9 * (double)pages * (double)page : 0;
#else
    return 0;
#endif
}

int nvm_cell_check_retrain(const nvm_arch *a, int n, int reads, int progressive, int workers, nvm_err *e)
{
    char flag[64];
    if (reads > 1)
        snprintf(flag, sizeof flag, "--retrain-reads %d", reads);
    else
        snprintf(flag, sizeof flag, "--detector %s", progressive ? "progressive" : "last");
    const unsigned long long rows = (unsigned long long)(reads > 1 ? reads : 1) * (unsigned long long)n;
    if (rows > INT_MAX)
        return nvm_fail(e, NVM_EUSAGE, "%s: %d reads of %d training samples are %llu rows, more than retraining "
                        "takes (2^31 - 1); use fewer reads or --train-limit", flag, reads, n, rows);
    const double gb = 1e-9 * ((double)nvm_cell_retrain_floats(a, n, reads, progressive) * sizeof(float) +
                              (reads > 1 ? (double)rows : 0.0));
    const double mem = phys_gb();
    if (mem > 0 && gb * workers > mem / 2)
        return nvm_fail(e, NVM_EUSAGE, "%s: the retraining inputs take %.2f GB per worker (%d worker%s: %.2f GB), "
                        "more than half of this machine's %.1f GB; use fewer reads, --threads or --train-limit",
                        flag, gb, workers, workers == 1 ? "" : "s", gb * workers, mem);
    return NVM_OK;
}

int nvm_alpha_linear_applies(const nvm_arch *a, const nvm_device *d, int progressive)
{
    return d->model == NVM_DEV_GAUSS && !(d->fault_rate > 0) && !(d->read_sigma > 0) && !d->adc_bits &&
           !d->dac_bits && !d->drift_comp && !progressive && a->fe_layers >= 1 && a->layers[0].kind == NVM_DENSE;
}

void nvm_cell_preact0(const nvm_arch *a, const float *W, const float *b, const float *x, int n, float *out,
                      nvm_compute *cx)
{
    const nvm_layer *L = &a->layers[0];
    nvm_gemm_bias(cx, 0, 0, n, L->n_out, L->n_in, x, L->n_in, W, L->n_out, b, 0, out, L->n_out);
}

size_t nvm_cell_linear_floats(const nvm_arch *a, int n_train, int n_test)
{
    return ((size_t)n_train + (size_t)n_test) * (size_t)a->layers[0].n_out;
}

void nvm_cell_p0(const nvm_cell_ctx *c, float *p0, nvm_compute *cx)
{
    const nvm_layer *L = &c->a->layers[0];
    const float *W = c->clean + L->w_off, *b = c->clean + L->b_off;
    nvm_cell_preact0(c->a, W, b, c->train->x, c->train->n, p0, cx);
    nvm_cell_preact0(c->a, W, b, c->test->x, c->test->n, p0 + (size_t)c->train->n * L->n_out, cx);
}

int nvm_cell_check_linear(const nvm_arch *a, int n_train, int n_test, int reads, int workers, nvm_err *e)
{
    const double cache = 1e-9 * (double)nvm_cell_linear_floats(a, n_train, n_test) * sizeof(float),
                 inputs = 1e-9 * (double)nvm_cell_retrain_floats(a, n_train, reads, 0) * sizeof(float),
                 gb = cache * (workers + 1) + inputs * workers, mem = phys_gb();
    if (mem > 0 && gb > mem / 2)
        return nvm_fail(e, NVM_EUSAGE, "--alpha-gemm linear: its layer-0 caches (%.2f GB each, one shared and one "
                        "per worker) and the retraining inputs take %.2f GB with %d worker%s, more than half of this "
                        "machine's %.1f GB; use --alpha-gemm each, fewer --threads or --train-limit", cache, gb,
                        workers, workers == 1 ? "" : "s", mem);
    return NVM_OK;
}

nvm_stream nvm_chip_shuffle(uint64_t seed, uint32_t base, uint32_t chip)
{
    return nvm_stream_make(seed, NVM_RNG_DET_SHUFFLE, base, chip << 16);
}

int nvm_cell_detector(nvm_arch *d, const nvm_arch *base, int nd, nvm_err *e)
{
    return nvm_arch_detector(d, nvm_arch_features(base), nd, base->layers[0].act, base->classes, e);
}

int nvm_cell_scratch_init(nvm_cell_scratch *s, const nvm_cell_ctx *c, nvm_isa isa)
{
    memset(s, 0, sizeof *s);
    const nvm_arch *a = c->a;
    size_t F = (size_t)nvm_arch_features(a);
    int max_nd = 0;
    for (int k = 0; k < c->n_nd; k++)
        max_nd = c->nd[k] > max_nd ? c->nd[k] : max_nd;
    nvm_arch d;
    if (c->detector_new && nvm_cell_detector(&d, a, max_nd, NULL) != NVM_OK)
        return NVM_ERUNTIME;
    const int K = reads_of(c), n = c->train->n;
    s->det_params = c->detector_new ? d.n_params : 0;
    s->cx = nvm_compute_new(isa, NULL);
    s->chip = nvm_alloc_floats(a->n_params);
    s->ref = nvm_alloc_floats(a->n_params);
    s->rclean = nvm_alloc_floats(a->n_params);
    s->rchip = nvm_alloc_floats(a->n_params);
    s->ftrain = nvm_alloc_floats(nvm_cell_retrain_floats(a, n, K, c->progressive));
    s->ftest = nvm_alloc_floats((size_t)c->test->n * F);
    s->det = nvm_alloc_floats(s->det_params * (size_t)(c->n_nd > 0 ? c->n_nd : 1));
    if (c->p0) {   /* the chip's P1 and layer 0's slope (--alpha-gemm linear) */
        const nvm_layer *L0 = &a->layers[0];
        s->p1 = nvm_alloc_floats(nvm_cell_linear_floats(a, n, c->test->n));
        s->p1_w = nvm_alloc_floats(L0->b_off + (size_t)L0->n_out - L0->w_off);
        if (!s->p1 || !s->p1_w)
            return NVM_ERUNTIME;
    }
    if (K > 1 && (s->ylab = nvm_alloc((size_t)K * (size_t)n, 1)) != NULL)
        for (int r = 0; r < K; r++)   /* every read of sample i keeps its label */
            memcpy(s->ylab + (size_t)r * n, c->train->y, (size_t)n);
    if (nvm_work_init(&s->work, a, nvm_eval_batch(a)) != NVM_OK || !s->cx || !s->chip || !s->ref || !s->rclean ||
        !s->rchip || !s->ftrain || !s->ftest || !s->det || (K > 1 && !s->ylab))
        return NVM_ERUNTIME;
    return NVM_OK;
}

void nvm_cell_scratch_free(nvm_cell_scratch *s)
{
    nvm_compute_free(s->cx);
    nvm_work_free(&s->work);
    free(s->chip);
    free(s->ref);
    free(s->rclean);
    free(s->rchip);
    free(s->ftrain);
    free(s->ftest);
    free(s->det);
    free(s->ylab);
    free(s->p1);
    free(s->p1_w);
    memset(s, 0, sizeof *s);
}

/* P1 of chip into s->p1, unless it holds that chip's already (the cells of a chip are consecutive, so
 * a worker computes it about once per chip). Logged as layer-0 passes over the two sets. */
static void ensure_p1(const nvm_cell_ctx *c, const nvm_chip *chip, nvm_cell_scratch *s)
{
    const nvm_chip *k = &s->p1_key;
    if (s->p1_clean == c->clean && k->seed == chip->seed && k->base == chip->base && k->chip == chip->chip &&
        k->degrade_biases == chip->degrade_biases && k->training == chip->training)
        return;
    const nvm_arch *a = c->a;
    const nvm_layer *L = &a->layers[0];
    nvm_degrade_slope(a, c->clean, s->p1_w, L->w_off, L->b_off + (size_t)L->n_out, chip);
    const float *W = s->p1_w, *b = s->p1_w + (L->b_off - L->w_off);
    const nvm_dataset *set[2] = {c->train, c->test};
    float *out = s->p1;
    for (int i = 0; i < 2; i++) {
        const int logging = nvm_compute_logging(s->cx);
        const double t0 = logging ? nvm_now() : 0, c0 = logging ? nvm_thread_cpu() : 0;
        nvm_cell_preact0(a, W, b, set[i]->x, set[i]->n, out, s->cx);
        if (logging)
            nvm_compute_log_step(s->cx, NVM_STEP_PREACT, 0, 1, set[i]->n, set[i]->x, t0, c0);
        out += (size_t)set[i]->n * L->n_out;
    }
    s->p1_key = *chip;
    s->p1_clean = c->clean;
}

/* The training set through layers [0, last) of the chip block p (analog as an says) into s->ftrain,
 * read K times: read r is samples r·n .. r·n + n − 1 of an's pass (fresh read noise); without read
 * noise every read is the same, so reads after the first are copies. lin: layer 0 from P0 + α·P1. */
static void read_train(const nvm_cell_ctx *c, const float *p, int last, const nvm_analog *an, int noisy, int lin,
                       double alpha, nvm_cell_scratch *s)
{
    const nvm_dataset *train = c->train;
    const size_t block = (size_t)train->n * (size_t)c->a->layers[last - 1].n_out;
    for (int r = 0; r < reads_of(c); r++) {
        float *dst = s->ftrain + (size_t)r * block;
        if (r > 0 && !noisy)
            memcpy(dst, s->ftrain, block * sizeof(float));
        else if (lin)   /* (lin has no read noise: one read) */
            nvm_run_layers_linear(c->a, p, last, c->p0, s->p1, alpha, train->x, train->n, dst, &s->work, s->cx);
        else
            nvm_run_layers_an(c->a, p, 0, last, train->x, train->n, dst, &s->work, s->cx, an,
                              (uint64_t)r * (uint64_t)train->n);
    }
}

/* The detectors retrained on s->ftrain (K·n rows): the trained last layers in s->rclean (for last a
 * copy of the clean block, so retraining starts from the trained weights whatever the chip did to them;
 * for progressive the block its steps left), or fresh ones. */
static int retrain(const nvm_cell_ctx *c, uint32_t chip, nvm_cell_scratch *s, nvm_err *e)
{
    const nvm_arch *a = c->a;
    const int rows = reads_of(c) * c->train->n;
    const uint8_t *y = s->ylab ? s->ylab : c->train->y;
    /* Same shuffles for every condition of a chip: common random numbers. The paper's retraining is
     * digital: never with train noise, whatever the options say. */
    nvm_stream shuffle = nvm_chip_shuffle(c->seed, c->base, chip);
    nvm_train_opts ro = *c->retrain;
    ro.recipe.noise.model = NVM_TNOISE_NONE;
    if (!c->detector_new) {
        if (!c->progressive)
            memcpy(s->rclean, c->clean, a->n_params * sizeof(float));
        return nvm_train(a, s->rclean, a->fe_layers, s->ftrain, y, rows, &ro, shuffle, s->cx, NULL, NULL, e);
    }
    for (int k = 0; k < c->n_nd; k++) {
        nvm_arch d;
        int rc;
        if ((rc = nvm_cell_detector(&d, a, c->nd[k], e)) != NVM_OK)
            return rc;
        float *det = s->det + (size_t)k * s->det_params;
        nvm_stream init = nvm_stream_make(c->seed, NVM_RNG_DET_INIT, c->base, chip);
        nvm_arch_init(&d, det, &init);
        if ((rc = nvm_train(&d, det, 0, s->ftrain, y, rows, &ro, shuffle, s->cx, NULL, NULL, e)) != NVM_OK)
            return rc;
    }
    return NVM_OK;
}

/* The progressive steps before the last (d at the retraining time, without drift compensation): from
 * the clean block in s->rclean, program weight layer l of the feature extractor from its current
 * weights next to the layers programmed before it, read the training set through them and retrain
 * every later layer on it, for each such layer in turn. Leaves in s->rclean the weights every
 * feature-extractor layer is programmed from and the detector trained so far; the last step (the
 * whole feature extractor on the chip, the detector retrained) is the caller's, as for last. */
static int progressive_steps(const nvm_cell_ctx *c, const nvm_device *d, const nvm_chip *chip, uint32_t chip_ix,
                             nvm_cell_scratch *s, nvm_err *e)
{
    const nvm_arch *a = c->a;
    nvm_prog_step steps[NVM_MAX_LAYERS];
    const int n_steps = nvm_prog_steps(a, steps), rows = reads_of(c) * c->train->n;
    const uint8_t *y = s->ylab ? s->ylab : c->train->y;
    nvm_train_opts ro = *c->retrain;   /* digital retraining, as in retrain() */
    ro.recipe.noise.model = NVM_TNOISE_NONE;
    nvm_device dl = *d;
    dl.analog_all = 0;   /* the layers after the programmed ones stay digital until their step */
    memcpy(s->rclean, c->clean, a->n_params * sizeof(float));
    for (int i = 0; i + 1 < n_steps; i++) {
        nvm_arch v;
        nvm_analog an;
        int rc;
        nvm_prog_view(a, steps[i].layer, &v);
        nvm_device_realise(&v, s->rclean, s->chip, &dl, chip);
        nvm_device_analog(&v, s->rclean, &dl, chip, c->cal, NULL, &an);
        an.pass = nvm_cell_pass_step(i);
        read_train(c, s->chip, steps[i].next, &an, d->read_sigma > 0, 0, 0, s);
        if ((rc = nvm_train(a, s->rclean, steps[i].next, s->ftrain, y, rows, &ro,
                            nvm_chip_shuffle(c->seed, c->base, chip_ix), s->cx, NULL, NULL, e)) != NVM_OK)
            return rc;
    }
    return NVM_OK;
}

/* Test accuracy of the retrained detector(s) on the features in s->ftest (read with an). */
static int measure_retrained(const nvm_cell_ctx *c, const nvm_device *d, const nvm_chip *chip, const nvm_analog *an,
                             nvm_cell_scratch *s, double *ret, nvm_err *e)
{
    const nvm_arch *a = c->a;
    const int fe = a->fe_layers;
    const nvm_dataset *test = c->test;
    if (!c->detector_new && !d->analog_all) {   /* a digital detector */
        ret[0] = nvm_accuracy_an(a, s->rclean, fe, s->ftest, test->y, test->n, &s->work, s->cx, an, 0);
        return NVM_OK;
    }
    if (!c->detector_new) {   /* --analog all: the retrained detector is programmed onto the chip too */
        float comp[NVM_MAX_LAYERS];
        nvm_analog ran;
        nvm_device_realise(a, s->rclean, s->rchip, d, chip);
        if (d->drift_comp)
            nvm_device_drift_comp(a, s->rclean, s->rchip, s->ref, d, chip, comp);
        nvm_device_analog(a, s->rclean, d, chip, c->cal, d->drift_comp ? comp : NULL, &ran);
        ran.pass = an->pass;
        ret[0] = nvm_accuracy_an(a, s->rchip, fe, s->ftest, test->y, test->n, &s->work, s->cx, &ran, 0);
        return NVM_OK;
    }
    for (int k = 0; k < c->n_nd; k++) {
        nvm_arch dn;
        nvm_work dw;
        int rc;
        if ((rc = nvm_cell_detector(&dn, a, c->nd[k], e)) != NVM_OK)
            return rc;
        if (nvm_work_init(&dw, &dn, nvm_eval_batch(&dn)) != NVM_OK)
            return nvm_fail(e, NVM_ERUNTIME, "out of memory for the detector");
        ret[k] = nvm_accuracy(&dn, s->det + (size_t)k * s->det_params, 0, s->ftest, test->y, test->n, &dw, s->cx);
        nvm_work_free(&dw);
    }
    return NVM_OK;
}

int nvm_cell_run(const nvm_cell_ctx *c, nvm_device d, uint32_t chip_ix, nvm_cell_scratch *s, double *acc_deg,
                 double *acc_ret, nvm_err *e)
{
    const nvm_arch *a = c->a;
    const int fe = a->fe_layers;
    const nvm_dataset *test = c->test;
    const nvm_chip chip = {c->seed, c->base, chip_ix, c->degrade_biases, 0};
    /* What the retrained network is programmed from: the clean block, or the progressive one. */
    const float *target = c->progressive ? s->rclean : c->clean;
    nvm_analog an;
    int rc = NVM_OK;
    /* --alpha-gemm linear: layer 0 of both sets from P0 + α·P1 (the rest as always, on s->chip) */
    const int lin = c->p0 && s->p1 && nvm_alpha_linear_applies(a, &d, c->progressive);
    const size_t test_off = (size_t)c->train->n * (size_t)a->layers[0].n_out;
    if (lin && d.alpha != 0)
        ensure_p1(c, &chip, s);
    for (int ti = 0; ti < c->n_time && rc == NVM_OK; ti++) {
        const double t = c->times[ti], tr = c->retrain_each ? t : c->retrain_at;
        if (c->retrain && (ti == 0 || c->retrain_each)) {   /* the chip's features at the retraining time */
            const double t0 = nvm_now();
            d.time = d.time_ref = tr;
            d.drift_comp = 0;
            if (c->progressive && (rc = progressive_steps(c, &d, &chip, chip_ix, s, e)) != NVM_OK)
                break;
            nvm_device_realise(a, target, s->chip, &d, &chip);
            nvm_device_analog(a, target, &d, &chip, c->cal, NULL, &an);
            an.pass = nvm_cell_pass_train(ti);
            read_train(c, s->chip, fe, &an, d.read_sigma > 0, lin, d.alpha, s);
            rc = retrain(c, chip_ix, s, e);
            s->retrain_seconds += nvm_now() - t0;
            if (rc != NVM_OK)
                break;
        }
        /* The original detector was made for the chip right after programming: its drift compensation
         * refers to the first time (or --retrain-at); the retrained one to the time it was retrained at. */
        const double ref_deg = c->retrain_each ? c->times[0] : c->retrain_at;
        d.time = t;
        nvm_device_realise(a, c->clean, s->chip, &d, &chip);
        for (int ci = 0; ci < c->n_comp && rc == NVM_OK; ci++) {
            const int col = ti * c->n_comp + ci;
            float comp[NVM_MAX_LAYERS];
            d.drift_comp = c->comps[ci] && d.model == NVM_DEV_PCM;   /* only PCM drifts */
            d.time_ref = ref_deg;
            if (d.drift_comp)
                nvm_device_drift_comp(a, c->clean, s->chip, s->ref, &d, &chip, comp);
            nvm_device_analog(a, c->clean, &d, &chip, c->cal, d.drift_comp ? comp : NULL, &an);
            an.pass = nvm_cell_pass_test(col, 0);
            if (lin)
                nvm_run_layers_linear(a, s->chip, fe, c->p0 + test_off, s->p1 + test_off, d.alpha, test->x, test->n,
                                      s->ftest, &s->work, s->cx);
            else
                nvm_run_layers_an(a, s->chip, 0, fe, test->x, test->n, s->ftest, &s->work, s->cx, &an, 0);
            acc_deg[col] = nvm_accuracy_an(a, s->chip, fe, s->ftest, test->y, test->n, &s->work, s->cx, &an, 0);
            if (!c->retrain)
                continue;
            int reread = d.read_sigma > 0;   /* every test evaluation reads the chip anew */
            const float *now = s->chip;
            d.time_ref = tr;
            if (c->progressive) {   /* the chip programmed progressively, at time t */
                nvm_device_realise(a, target, s->rchip, &d, &chip);
                now = s->rchip;
                reread = 1;
            }
            if (d.drift_comp && (tr != ref_deg || c->progressive)) {
                nvm_device_drift_comp(a, target, now, s->ref, &d, &chip, comp);
                reread = 1;
            }
            nvm_device_analog(a, target, &d, &chip, c->cal, d.drift_comp ? comp : NULL, &an);
            an.pass = nvm_cell_pass_test(col, 1);
            if (reread)
                nvm_run_layers_an(a, now, 0, fe, test->x, test->n, s->ftest, &s->work, s->cx, &an, 0);
            rc = measure_retrained(c, &d, &chip, &an, s, acc_ret + (size_t)col * c->n_nd, e);
        }
    }
    return rc;
}
