/* A learnable in-memory data set for cell tests (tests/test_cell.c, tests/test_alpha.c): n side×side
 * single-channel images of uniform pixels (stream sub), labelled by the argmax of a fixed linear map
 * of the inputs into 4 classes. */
#ifndef NVMSIM_TEST_TOY_SET_H
#define NVMSIM_TEST_TOY_SET_H

#include <stdlib.h>
#include <string.h>

#include "nvmsim/common.h"
#include "nvmsim/data.h"
#include "nvmsim/rng.h"

static inline void make_set(nvm_dataset *d, int n, int side, uint32_t sub)
{
    memset(d, 0, sizeof *d);
    d->n = n, d->c = 1, d->h = d->w = side, d->dim = side * side, d->classes = 4;
    d->x = nvm_alloc_floats((size_t)n * d->dim);
    d->y = malloc((size_t)n);
    nvm_stream s = nvm_stream_make(5, NVM_RNG_INIT, 1, sub), m = nvm_stream_make(5, NVM_RNG_INIT, 2, 0);
    for (int i = 0; i < n; i++) {
        double best = -1e9;
        for (int j = 0; j < d->dim; j++)
            d->x[(size_t)i * d->dim + j] = (float)nvm_uniform(&s, (uint64_t)i * d->dim + j);
        for (int c = 0; c < 4; c++) {
            double z = 0;
            for (int j = 0; j < d->dim; j++)
                z += (nvm_uniform(&m, (uint64_t)c * d->dim + j) - 0.5) * d->x[(size_t)i * d->dim + j];
            if (z > best)
                best = z, d->y[i] = (uint8_t)c;
        }
    }
}

#endif
