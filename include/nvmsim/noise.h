/* Non-volatile-memory programming errors applied to the feature extractor's slice of a parameter block. */
#ifndef NVMSIM_NOISE_H
#define NVMSIM_NOISE_H

#include <stdint.h>

#include "nvmsim/common.h"
#include "nvmsim/net.h"

/* A simulated chip: which ε it drew, and whether biases are programmed into the array too. */
typedef struct {
    uint64_t seed;
    uint32_t base;        /* index of the base network */
    uint32_t chip;        /* index of the chip (training: the mini-batch) */
    int degrade_biases;   /* 1: biases get g() too; 0: biases stay exact */
    int training;         /* 0: a chip under test; 1: the weights of one training mini-batch
                           * (--train-noise): every stream in the NVM_RNG_TRAINING domain */
} nvm_chip;

/* The stream of purpose p of a chip: (seed, p, base, sub), p | NVM_RNG_TRAINING for a training chip. */
nvm_stream nvm_chip_stream(const nvm_chip *c, nvm_rng_purpose p, uint32_t sub);

/* A noise model: Eq. 1 alone ("gauss", bits = 0), or each tensor first rounded to 2^bits evenly
 * spaced levels spanning ±max|w| of that tensor ("quant:B", B = 1..8), then Eq. 1 on top. */
typedef struct {
    int bits;
    int clip;             /* "quantmse:B": the levels span ±c, c the range of least squared error (outliers clip) */
    int pcm;              /* "pcm": the device model of nvmsim/device.h (programming, drift, 1/f) */
} nvm_noise;

/* The half-range of the 2^bits levels of a tensor w[n]: max|w|, or with clip the range among
 * max|w|·k/256 (k = 1..256) whose clipped and rounded weights have the least squared error. */
double nvm_quant_range(const float *w, size_t n, int bits, int clip);

/* "gauss", "quant:B", "quantmse:B" or "pcm" */
int nvm_noise_parse(const char *s, nvm_noise *n, nvm_err *e);
/* A comma list of them ("quant:1,quant:2,gauss"); *out is malloc'd. */
int nvm_noise_parse_list(const char *s, nvm_noise **out, int *n, nvm_err *e);
/* Writes the model's name as in the CSV's noise column ("gauss", "quant:3"). */
void nvm_noise_name(const nvm_noise *n, char out[16]);

/* out = clean, except every feature-extractor parameter i (biases only if chip->degrade_biases)
 * becomes (1 + alpha·ε_i)·q(w_i), with q the noise model's quantiser (identity for gauss) and
 * ε_i ~ N(0,1) drawn from the counter-based stream (seed, DEGRADE, base, chip) at index i: the same ε
 * for every alpha and noise model. alpha = 0 with gauss gives out = clean exactly. */
void nvm_degrade(const nvm_arch *a, const float *clean, float *out, const nvm_noise *noise,
                 double alpha, const nvm_chip *chip);
/* out[hi − lo] = d/dα of gauss nvm_degrade's parameters [lo, hi): ε_i·w_i (in double, rounded once) for
 * every parameter it degrades, 0 for those it leaves exact (outside the feature extractor; biases
 * without chip->degrade_biases). The same ε as nvm_degrade, so nvm_degrade's value is (up to its
 * rounding) w_i + α·out[i − lo]: Eq. 1 is linear in α (the --alpha-gemm linear path). */
void nvm_degrade_slope(const nvm_arch *a, const float *clean, float *out, size_t lo, size_t hi,
                       const nvm_chip *chip);

#endif
