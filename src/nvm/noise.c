/* Eq. 1 of the paper, g(w) = (1 + α·ε)·w, over the feature-extractor slice. */
#include "nvmsim/noise.h"

#include <string.h>

#include "nvmsim/rng.h"

void nvm_degrade_gauss(const nvm_arch *a, const float *clean, float *out, double alpha,
                       const nvm_chip *chip)
{
    memcpy(out, clean, a->n_params * sizeof(float));
    nvm_stream s = nvm_stream_make(chip->seed, NVM_RNG_DEGRADE, chip->base, chip->chip);
    for (int t = 0; t < a->n_tensors; t++) {
        const nvm_tensor *T = &a->tensors[t];
        if (T->offset >= a->fe_params || (T->is_bias && !chip->degrade_biases))
            continue;
        for (size_t i = T->offset; i < T->offset + T->count; i++)   /* computed in double, rounded once */
            out[i] = (float)((1.0 + alpha * nvm_normal(&s, i)) * (double)clean[i]);
    }
}
