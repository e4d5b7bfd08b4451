/* Sample layout: CHW (file order) to HWC (the networks' NHWC activations). */
#include <stdlib.h>
#include <string.h>

#include "nvmsim/data.h"

int nvm_dataset_to_hwc(nvm_dataset *d)
{
    const size_t hw = (size_t)d->h * d->w;
    float *row = nvm_alloc_floats((size_t)d->dim);
    if (!row)
        return NVM_ERUNTIME;
    for (int i = 0; i < d->n; i++) {
        float *x = d->x + (size_t)i * d->dim;
        for (size_t p = 0; p < hw; p++)
            for (int c = 0; c < d->c; c++)
                row[p * d->c + c] = x[(size_t)c * hw + p];
        memcpy(x, row, (size_t)d->dim * sizeof(float));
    }
    free(row);
    return NVM_OK;
}
