/* One cell: program the chip, read its features at the retraining time, retrain the detector on them,
 * then measure at every time of use and drift-compensation choice. Read passes (each a fresh draw of
 * read noise) are numbered so every evaluation reads anew and the same cell always reads the same. */
#include "nvmsim/cell.h"

#include <stdlib.h>
#include <string.h>

#define PASS_TRAIN 128   /* + time index: the training set's features for a retraining */

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
    s->det_params = c->detector_new ? d.n_params : 0;
    s->cx = nvm_compute_new(isa, NULL);
    s->chip = nvm_alloc_floats(a->n_params);
    s->ref = nvm_alloc_floats(a->n_params);
    s->rclean = nvm_alloc_floats(a->n_params);
    s->rchip = nvm_alloc_floats(a->n_params);
    s->ftrain = nvm_alloc_floats((size_t)c->train->n * F);
    s->ftest = nvm_alloc_floats((size_t)c->test->n * F);
    s->det = nvm_alloc_floats(s->det_params * (size_t)(c->n_nd > 0 ? c->n_nd : 1));
    if (nvm_work_init(&s->work, a, nvm_eval_batch(a)) != NVM_OK || !s->cx || !s->chip || !s->ref || !s->rclean ||
        !s->rchip || !s->ftrain || !s->ftest || !s->det)
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
    memset(s, 0, sizeof *s);
}

/* The detectors retrained on s->ftrain: the trained last layers in s->rclean (a copy of the clean
 * block, so retraining starts from the trained weights whatever the chip did to them), or fresh ones. */
static int retrain(const nvm_cell_ctx *c, uint32_t chip, nvm_cell_scratch *s, nvm_err *e)
{
    const nvm_arch *a = c->a;
    /* Same shuffles for every condition of a chip: common random numbers. The paper's retraining is
     * digital: never with train noise, whatever the options say. */
    nvm_stream shuffle = nvm_chip_shuffle(c->seed, c->base, chip);
    nvm_train_opts ro = *c->retrain;
    ro.recipe.noise.model = NVM_TNOISE_NONE;
    if (!c->detector_new) {
        memcpy(s->rclean, c->clean, a->n_params * sizeof(float));
        return nvm_train(a, s->rclean, a->fe_layers, s->ftrain, c->train->y, c->train->n, &ro, shuffle, s->cx,
                         NULL, NULL, e);
    }
    for (int k = 0; k < c->n_nd; k++) {
        nvm_arch d;
        int rc;
        if ((rc = nvm_cell_detector(&d, a, c->nd[k], e)) != NVM_OK)
            return rc;
        float *det = s->det + (size_t)k * s->det_params;
        nvm_stream init = nvm_stream_make(c->seed, NVM_RNG_DET_INIT, c->base, chip);
        nvm_arch_init(&d, det, &init);
        if ((rc = nvm_train(&d, det, 0, s->ftrain, c->train->y, c->train->n, &ro, shuffle, s->cx, NULL, NULL,
                            e)) != NVM_OK)
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
    const nvm_dataset *train = c->train, *test = c->test;
    const nvm_chip chip = {c->seed, c->base, chip_ix, c->degrade_biases, 0};
    nvm_analog an;
    int rc = NVM_OK;
    for (int ti = 0; ti < c->n_time && rc == NVM_OK; ti++) {
        const double t = c->times[ti], tr = c->retrain_each ? t : c->retrain_at;
        if (c->retrain && (ti == 0 || c->retrain_each)) {   /* the chip's features at the retraining time */
            d.time = d.time_ref = tr;
            d.drift_comp = 0;
            nvm_device_realise(a, c->clean, s->chip, &d, &chip);
            nvm_device_analog(a, c->clean, &d, &chip, c->cal, NULL, &an);
            an.pass = PASS_TRAIN + (uint32_t)ti;
            nvm_run_layers_an(a, s->chip, 0, fe, train->x, train->n, s->ftrain, &s->work, s->cx, &an, 0);
            if ((rc = retrain(c, chip_ix, s, e)) != NVM_OK)
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
            an.pass = 2 * (uint32_t)col;
            nvm_run_layers_an(a, s->chip, 0, fe, test->x, test->n, s->ftest, &s->work, s->cx, &an, 0);
            acc_deg[col] = nvm_accuracy_an(a, s->chip, fe, s->ftest, test->y, test->n, &s->work, s->cx, &an, 0);
            if (!c->retrain)
                continue;
            int reread = d.read_sigma > 0;   /* every test evaluation reads the chip anew */
            d.time_ref = tr;
            if (d.drift_comp && tr != ref_deg) {
                nvm_device_drift_comp(a, c->clean, s->chip, s->ref, &d, &chip, comp);
                reread = 1;
            }
            nvm_device_analog(a, c->clean, &d, &chip, c->cal, d.drift_comp ? comp : NULL, &an);
            an.pass = 2 * (uint32_t)col + 1;
            if (reread)
                nvm_run_layers_an(a, s->chip, 0, fe, test->x, test->n, s->ftest, &s->work, s->cx, &an, 0);
            rc = measure_retrained(c, &d, &chip, &an, s, acc_ret + (size_t)col * c->n_nd, e);
        }
    }
    return rc;
}
