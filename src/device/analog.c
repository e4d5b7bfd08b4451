/* The forward pass's per-layer analog descriptors of a chip condition (nvm_analog in nvmsim/net.h). */
#include "nvmsim/device.h"

#include <math.h>
#include <string.h>

void nvm_device_analog(const nvm_arch *a, const float *clean, const nvm_device *d,
                       const nvm_chip *chip, const nvm_dev_calib *cal, const float *comp,
                       nvm_analog *an)
{
    memset(an, 0, sizeof *an);
    an->read = nvm_chip_stream(chip, NVM_RNG_READ, chip->chip << 8);
    for (int l = 0; l < a->n_layers; l++) {
        if (!nvm_device_is_analog(a, d, l))
            continue;
        nvm_analog_layer *A = &an->layer[l];
        A->bias_on_array = chip->degrade_biases;
        if (d->read_sigma > 0)   /* two devices per weight, each σ·g_max, read back through 1/s */
            A->read_std = (float)(sqrt(2.0) * d->read_sigma * NVM_DEV_GMAX /
                                  nvm_device_scale(a, clean, l, chip->degrade_biases));
        if (cal && d->dac_bits) {
            A->dac_bits = d->dac_bits;
            A->dac_max = cal->x_max[l];
            A->dac_signed = cal->x_signed[l];
        }
        if (cal && d->adc_bits) {
            A->adc_bits = d->adc_bits;
            A->adc_max = chip->degrade_biases ? cal->y_max[l] : cal->y_max_nob[l];
        }
        A->out_scale = comp && d->drift_comp ? comp[l] : 1.0f;
    }
}
