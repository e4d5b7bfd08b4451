/* DAC and ADC: limited-resolution conversion of an analog layer's inputs and outputs, and the ranges
 * they are set to (measured once on the clean network, as a chip would be calibrated). */
#include "nvmsim/device.h"

#include <math.h>
#include <string.h>

/* out[n] = x[n] rounded to the nearest of the levels lo, lo + step, ..., hi after clipping; computed in
 * double and rounded to float once, so a level is the same float wherever it is hit. The level index
 * v = (x - lo)/step lies in [0, 2^bits - 1]: adding and taking away 2^52 rounds it to the nearest
 * integer, ties to even, exactly as nearbyint does, without the libm call that kept the loop scalar
 * (an ADC cell of the CNN spent a third of its time there). NaN stays NaN. Compiled once per
 * instruction set: IEEE operations only, uncontracted, so every width gives the same bits. */
static inline __attribute__((always_inline)) void levels_body(const float *x, float *out, size_t n, double lo,
                                                              double hi, double step)
{
    for (size_t i = 0; i < n; i++) {
        double v = x[i];
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
        v = (v - lo) / step;
        out[i] = (float)(lo + step * ((v + 0x1p52) - 0x1p52));
    }
}

static void levels_generic(const float *x, float *out, size_t n, double lo, double hi, double step)
{
    levels_body(x, out, n, lo, hi, step);
}

#if defined(__x86_64__) || defined(__i386__)
#define CONV_X86 1
__attribute__((target("avx2"))) static void levels_avx2(const float *x, float *out, size_t n, double lo, double hi,
                                                        double step)
{
    levels_body(x, out, n, lo, hi, step);
}
__attribute__((target("avx512f"))) static void levels_avx512(const float *x, float *out, size_t n, double lo,
                                                             double hi, double step)
{
    levels_body(x, out, n, lo, hi, step);
}
#else
#define CONV_X86 0
#endif

void nvm_dac_quantize(nvm_isa isa, const float *x, float *out, size_t n, int bits, float x_max, int is_signed)
{
    if (!(x_max > 0)) {
        memset(out, 0, n * sizeof(float));
        return;
    }
    const double hi = x_max, lo = is_signed ? -hi : 0.0, step = (hi - lo) / ((1 << bits) - 1);
#if CONV_X86
    if (isa == NVM_ISA_AVX512) {
        levels_avx512(x, out, n, lo, hi, step);
        return;
    }
    if (isa == NVM_ISA_AVX2) {
        levels_avx2(x, out, n, lo, hi, step);
        return;
    }
#endif
    (void)isa;
    levels_generic(x, out, n, lo, hi, step);
}

void nvm_adc_quantize(nvm_isa isa, float *y, size_t n, int bits, float y_max)
{
    nvm_dac_quantize(isa, y, y, n, bits, y_max, 1);
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
