/* The parameters a chip computes with: the models act on each weight's pair of conductances. */
#include "nvmsim/device.h"

#include <math.h>
#include <string.h>

/* The conductance a faulty device sits at, or g unchanged. */
static double stuck(nvm_fault f, double g)
{
    return f == NVM_FAULT_ON ? NVM_DEV_GMAX : f == NVM_FAULT_OFF ? 0.0 : g;
}

/* Parameters [lo, hi) of one analog array with scale s: out holds the Eq. 1 values (gauss/quant) on
 * entry, the realised values on return. */
static void realise_span(const float *clean, float *out, size_t lo, size_t hi, double s,
                         const nvm_device *d, const nvm_chip *chip)
{
    for (size_t i = lo; i < hi; i++) {
        const uint64_t dp = 2 * (uint64_t)i, dm = dp + 1;
        nvm_fault fp = nvm_device_fault(chip, dp, d->fault_rate, d->stuck_on);
        nvm_fault fm = nvm_device_fault(chip, dm, d->fault_rate, d->stuck_on);
        double gp, gm;
        if (d->model == NVM_DEV_PCM) {
            const double w = clean[i];
            nvm_pcm_xi xp = nvm_pcm_draw_at(chip, dp, d->time), xm = nvm_pcm_draw_at(chip, dm, d->time);
            nvm_pcm_state sp, sm;
            nvm_pcm_device(s * (w > 0 ? w : 0), d->alpha, d->time, &xp, &sp);
            nvm_pcm_device(s * (w < 0 ? -w : 0), d->alpha, d->time, &xm, &sm);
            gp = sp.g, gm = sm.g;
        } else {
            if (fp == NVM_FAULT_NONE && fm == NVM_FAULT_NONE)
                continue;   /* keeps nvm_degrade's value bit for bit */
            const double w = out[i];   /* (1 + α·ε)·q(w): the active device carries the noise */
            gp = s * (w > 0 ? w : 0), gm = s * (w < 0 ? -w : 0);
        }
        out[i] = (float)((stuck(fp, gp) - stuck(fm, gm)) / s);
    }
}

int nvm_device_per_parameter(const nvm_device *d)
{
    return d->model == NVM_DEV_PCM || (d->model == NVM_DEV_GAUSS && d->alpha == 0);
}

void nvm_device_scales(const nvm_arch *a, const float *clean, const nvm_device *d, int bias_on_array,
                       double s[NVM_MAX_LAYERS])
{
    for (int l = 0; l < NVM_MAX_LAYERS; l++)
        s[l] = l < a->n_layers && nvm_device_is_analog(a, d, l) ? nvm_device_scale(a, clean, l, bias_on_array) : 0;
}

/* realise_span over the part of [lo, hi) that lies in [span_lo, span_hi). */
static void realise_clip(const float *clean, float *out, size_t span_lo, size_t span_hi, size_t lo, size_t hi,
                         double s, const nvm_device *d, const nvm_chip *chip)
{
    span_lo = span_lo > lo ? span_lo : lo;
    span_hi = span_hi < hi ? span_hi : hi;
    if (span_lo < span_hi)
        realise_span(clean, out, span_lo, span_hi, s, d, chip);
}

void nvm_device_realise_part(const nvm_arch *a, const float *clean, float *out, const nvm_device *d,
                             const nvm_chip *chip, const double scales[NVM_MAX_LAYERS], size_t lo, size_t hi)
{
    /* Eq. 1 with α = 0 is the identity ((1 + 0·ε)·w = w exactly), so the values nvm_degrade would
     * leave for the faults to act on are the clean ones. */
    memcpy(out + lo, clean + lo, (hi - lo) * sizeof(float));
    if (d->model != NVM_DEV_PCM && !(d->fault_rate > 0))
        return;
    for (int l = 0; l < a->n_layers; l++) {
        if (!nvm_device_is_analog(a, d, l))
            continue;
        const nvm_layer *L = &a->layers[l];
        realise_clip(clean, out, L->w_off, L->b_off, lo, hi, scales[l], d, chip);
        if (chip->degrade_biases)   /* else the bias is digital and exact */
            realise_clip(clean, out, L->b_off, L->b_off + (size_t)L->out_c, lo, hi, scales[l], d, chip);
    }
}

void nvm_device_realise(const nvm_arch *a, const float *clean, float *out, const nvm_device *d,
                        const nvm_chip *chip)
{
    if (nvm_device_per_parameter(d)) {   /* pcm, or faults on exact weights: one code path with the parts */
        double s[NVM_MAX_LAYERS];
        nvm_device_scales(a, clean, d, chip->degrade_biases, s);
        nvm_device_realise_part(a, clean, out, d, chip, s, 0, a->n_params);
        return;
    }
    /* nvm_degrade itself over the analog prefix of the block (all of it with analog_all), so the
     * values and their ε are exactly those of the paper's sweeps. */
    nvm_arch view = *a;
    if (d->analog_all)
        view.fe_params = a->n_params;
    const nvm_noise n = {.bits = d->model == NVM_DEV_QUANT ? d->bits : 0, .clip = d->quant_clip};
    nvm_degrade(&view, clean, out, &n, d->alpha, chip);
    if (!(d->fault_rate > 0))
        return;
    for (int l = 0; l < a->n_layers; l++) {
        if (!nvm_device_is_analog(a, d, l))
            continue;
        const nvm_layer *L = &a->layers[l];
        const double s = nvm_device_scale(a, clean, l, chip->degrade_biases);
        realise_span(clean, out, L->w_off, L->b_off, s, d, chip);
        if (chip->degrade_biases)   /* else the bias is digital and exact */
            realise_span(clean, out, L->b_off, L->b_off + (size_t)L->out_c, s, d, chip);
    }
}
