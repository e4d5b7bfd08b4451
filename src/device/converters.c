/* DAC and ADC: limited-resolution conversion of an analog layer's inputs and outputs, and the ranges
 * they are set to (measured once on the clean network, as a chip would be calibrated). */
#include "nvmsim/device.h"

#include <math.h>
#include <string.h>

/* x rounded to the nearest of 2^bits levels lo, lo + step, ..., hi after clipping; computed in double
 * and rounded to float once, so a level is the same float wherever it is hit. */
static float level(double x, double lo, double hi, double step)
{
    x = x < lo ? lo : x > hi ? hi : x;
    return (float)(lo + step * nearbyint((x - lo) / step));
}

void nvm_dac_quantize(const float *x, float *out, size_t n, int bits, float x_max, int is_signed)
{
    if (!(x_max > 0)) {
        memset(out, 0, n * sizeof(float));
        return;
    }
    const double hi = x_max, lo = is_signed ? -hi : 0.0, step = (hi - lo) / ((1 << bits) - 1);
    for (size_t i = 0; i < n; i++)
        out[i] = level(x[i], lo, hi, step);
}

void nvm_adc_quantize(float *y, size_t n, int bits, float y_max)
{
    nvm_dac_quantize(y, y, n, bits, y_max, 1);
}

void nvm_device_calibrate(const nvm_arch *a, const float *clean, const float *x, int n, nvm_work *w,
                          nvm_compute *cx, nvm_dev_calib *cal)
{
    memset(cal, 0, sizeof *cal);
    cal->samples = n < NVM_CALIB_SAMPLES ? n : NVM_CALIB_SAMPLES;
    const int in = a->layers[0].n_in;
    /* The same network with every activation off: layer l alone gives its pre-activation output. */
    nvm_arch linear = *a;
    for (int l = 0; l < a->n_layers; l++)
        linear.layers[l].act = NVM_ACT_NONE;
    for (int start = 0; start < cal->samples; start += w->max_batch) {
        const int B = cal->samples - start < w->max_batch ? cal->samples - start : w->max_batch;
        for (int l = 0; l < a->n_layers; l++) {
            const nvm_layer *L = &a->layers[l];
            const float *lin = l == 0 ? x + (size_t)start * in : w->act[l];
            if (L->kind != NVM_POOL) {
                for (size_t i = 0; i < (size_t)B * L->n_in; i++) {
                    float v = fabsf(lin[i]);
                    cal->x_max[l] = v > cal->x_max[l] ? v : cal->x_max[l];
                    cal->x_signed[l] |= lin[i] < 0;
                }
                nvm_forward(&linear, clean, w, lin, l, l + 1, B, cx);
                const float *y = w->act[l + 1], *b = clean + L->b_off;
                for (size_t i = 0; i < (size_t)B * L->n_out; i++) {
                    float v = fabsf(y[i]), u = (float)fabs((double)y[i] - b[i % (size_t)L->out_c]);
                    cal->y_max[l] = v > cal->y_max[l] ? v : cal->y_max[l];
                    cal->y_max_nob[l] = u > cal->y_max_nob[l] ? u : cal->y_max_nob[l];
                }
            }
            nvm_forward(a, clean, w, lin, l, l + 1, B, cx);   /* the real output feeds layer l + 1 */
        }
    }
}

int nvm_device_any_converter(const int *adcs, int n_adc, const int *dacs, int n_dac)
{
    int any = 0;
    for (int i = 0; i < n_adc; i++)
        any |= adcs[i] > 0;
    for (int i = 0; i < n_dac; i++)
        any |= dacs[i] > 0;
    return any;
}
