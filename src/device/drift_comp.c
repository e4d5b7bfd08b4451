/* Global drift compensation (as aihwkit's GlobalDriftCompensation): drift lowers every conductance by
 * a similar factor, so each analog layer's outputs are rescaled digitally by how much its response to
 * an all-ones input shrank since the detector was trained. */
#include "nvmsim/device.h"

#include <math.h>

/* mean_j |Σ_r W_rj (+ b_j)| of layer l of block p, in double */
static double mean_abs_response(const nvm_arch *a, int l, const float *p, int bias_on_array)
{
    const nvm_layer *L = &a->layers[l];
    const int N = L->out_c, K = (int)((L->b_off - L->w_off) / (size_t)N);
    double sum = 0;
    for (int j = 0; j < N; j++) {
        double y = bias_on_array ? p[L->b_off + j] : 0.0;
        for (int r = 0; r < K; r++)
            y += p[L->w_off + (size_t)r * N + j];
        sum += fabs(y);
    }
    return sum / N;
}

double nvm_device_comp_factor(const nvm_arch *a, int l, const float *ref, const float *now,
                              int bias_on_array)
{
    double r = mean_abs_response(a, l, ref, bias_on_array), n = mean_abs_response(a, l, now, bias_on_array);
    return r > 0 && n > 0 ? r / n : 1.0;
}

void nvm_device_drift_comp(const nvm_arch *a, const float *clean, const float *now, float *ref,
                           const nvm_device *d, const nvm_chip *chip, float c[NVM_MAX_LAYERS])
{
    nvm_device at_ref = *d;
    at_ref.time = d->time_ref;
    nvm_device_realise(a, clean, ref, &at_ref, chip);
    for (int l = 0; l < NVM_MAX_LAYERS; l++)
        c[l] = l < a->n_layers && nvm_device_is_analog(a, d, l)
                   ? (float)nvm_device_comp_factor(a, l, ref, now, chip->degrade_biases)
                   : 1.0f;
}
