/* The differential-pair mapping of an analog layer: one scale s per array, from its largest weight. */
#include "nvmsim/device.h"

#include <math.h>

double nvm_device_scale(const nvm_arch *a, const float *clean, int l, int bias_on_array)
{
    const nvm_layer *L = &a->layers[l];
    const size_t nw = (size_t)(L->b_off - L->w_off);   /* the bias follows its weights */
    double m = 0;
    for (size_t i = 0; i < nw; i++)
        m = fabs(clean[L->w_off + i]) > m ? fabs(clean[L->w_off + i]) : m;
    if (bias_on_array)
        for (int j = 0; j < L->out_c; j++)
            m = fabs(clean[L->b_off + j]) > m ? fabs(clean[L->b_off + j]) : m;
    return m > 0 ? NVM_DEV_GMAX / m : NVM_DEV_GMAX;
}

void nvm_device_mapping(const nvm_arch *a, const float *clean, const nvm_device *d, int bias_on_array,
                        nvm_dev_map maps[NVM_MAX_LAYERS], int *n)
{
    *n = 0;
    for (int l = 0; l < a->n_layers; l++) {
        if (!nvm_device_is_analog(a, d, l))
            continue;
        const nvm_layer *L = &a->layers[l];
        nvm_dev_map *m = &maps[(*n)++];
        const size_t count = (size_t)(L->b_off - L->w_off) + (bias_on_array ? (size_t)L->out_c : 0);
        m->layer = l;
        m->cols = L->out_c;
        m->rows = (int)((L->b_off - L->w_off) / (size_t)L->out_c) + (bias_on_array ? 1 : 0);
        m->bias_row = bias_on_array;
        m->s = nvm_device_scale(a, clean, l, bias_on_array);
        double lo = 0, hi = 0;
        for (size_t i = 0; i < count; i++) {   /* weights then bias: they are contiguous */
            double g = fabs(clean[L->w_off + i]) * m->s;
            lo = g > 0 && (lo == 0 || g < lo) ? g : lo;
            hi = g > hi ? g : hi;
        }
        m->w_max = hi / m->s;
        m->g_min = lo;
        m->g_max = hi;
        m->devices = 2 * (uint64_t)m->rows * (uint64_t)m->cols;
    }
}

void nvm_device_print_mapping(FILE *f, const nvm_arch *a, const float *clean, const nvm_device *d,
                              int bias_on_array)
{
    nvm_dev_map maps[NVM_MAX_LAYERS];
    int n;
    nvm_device_mapping(a, clean, d, bias_on_array, maps, &n);
    fprintf(f, "differential pairs, g_max = %g uS; realised weight = (G+ - G-)/s\n", NVM_DEV_GMAX);
    for (int i = 0; i < n; i++) {
        const nvm_dev_map *m = &maps[i];
        char desc[64];
        nvm_layer_describe(&a->layers[m->layer], desc, sizeof desc);
        fprintf(f, "layer %d (%s): %d%s x %d array, max|w| %.6g, s = %.6g uS, G %.6g..%.6g uS, %llu devices\n",
                m->layer, desc, m->rows - m->bias_row, m->bias_row ? "+1" : "", m->cols, m->w_max, m->s,
                m->g_min, m->g_max, (unsigned long long)m->devices);
    }
}
