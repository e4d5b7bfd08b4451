/* Non-volatile-memory programming errors applied to the feature extractor's slice of a parameter block. */
#ifndef NVMSIM_NOISE_H
#define NVMSIM_NOISE_H

#include <stdint.h>

#include "nvmsim/net.h"

/* A simulated chip: which ε it drew, and whether biases are programmed into the array too. */
typedef struct {
    uint64_t seed;
    uint32_t base;        /* index of the base network */
    uint32_t chip;        /* index of the chip */
    int degrade_biases;   /* 1: biases get g() too; 0: biases stay exact */
} nvm_chip;

/* The paper's Eq. 1: out = clean, except every feature-extractor parameter i (biases only if
 * chip->degrade_biases) becomes (1 + alpha·ε_i)·w_i, ε_i ~ N(0,1) drawn from the counter-based stream
 * (seed, DEGRADE, base, chip) at index i: the same ε for every alpha. alpha = 0 gives out = clean. */
void nvm_degrade_gauss(const nvm_arch *a, const float *clean, float *out, double alpha,
                       const nvm_chip *chip);

#endif
