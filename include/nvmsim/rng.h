/* Counter-based random numbers (Philox4x32-10): any (seed, purpose, base, sub, index) maps to the same
 * value with no stored state, so results never depend on thread count or on which other cells ran. */
#ifndef NVMSIM_RNG_H
#define NVMSIM_RNG_H

#include <stdint.h>

/* What a stream is for; part of the counter, so streams of different purposes never overlap. */
typedef enum {
    NVM_RNG_INIT = 1,      /* base network initial weights; sub = network width (n_fe) */
    NVM_RNG_SHUFFLE = 2,   /* base network epoch order; sub = epoch */
    NVM_RNG_DEGRADE = 3,   /* ε of a chip (Eq. 1); sub = chip */
    NVM_RNG_DET_INIT = 4,  /* fresh detector weights; sub = chip */
    NVM_RNG_DET_SHUFFLE = 5, /* detector retraining epoch order; sub = chip · 65536 + epoch */
    /* Device physics (src/device): one value per device, index = 2·parameter + (0: G+, 1: G-). */
    NVM_RNG_PCM_PROG = 6,  /* PCM programming noise ξ; sub = chip */
    NVM_RNG_PCM_DRIFT = 7, /* PCM drift exponent ξ; sub = chip */
    NVM_RNG_PCM_1F = 8,    /* PCM accumulated 1/f noise ξ' (the same for every time t); sub = chip */
    NVM_RNG_FAULT = 9,     /* stuck-at fault draw u (faulty when u < rate); sub = chip */
    NVM_RNG_STUCK = 10,    /* stuck-at level draw v (stuck on when v < share); sub = chip */
    NVM_RNG_READ = 11,     /* read noise at inference; sub = chip · 256 + read pass, counter packs
                            * (layer, global sample, output / 4) as in src/device/read_noise.c */
    /* Flag OR'ed into the purpose of every draw of hardware-aware training (--train-noise): the
     * "chip" of mini-batch s is keyed by (seed, purpose | NVM_RNG_TRAINING, base, s), so it can never
     * draw what a chip under test (purpose < 128) draws. */
    NVM_RNG_TRAINING = 128
} nvm_rng_purpose;

typedef struct {
    uint32_t key[2];   /* from the seed */
    uint32_t tag;      /* purpose (8 bits) and base network (24 bits) */
    uint32_t sub;      /* chip, epoch, ... */
} nvm_stream;

nvm_stream nvm_stream_make(uint64_t seed, nvm_rng_purpose purpose, uint32_t base, uint32_t sub);

/* The Philox4x32-10 block function: 4 random words for a 4-word counter and 2-word key. */
void nvm_philox(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Uniform in [0, 1) with 53 random bits, the index-th value of the stream. */
double nvm_uniform(const nvm_stream *s, uint64_t index);
/* Standard normal N(0,1) (Box-Muller on two 53-bit uniforms), the index-th value of the stream. */
double nvm_normal(const nvm_stream *s, uint64_t index);
/* perm[0..n) = a uniformly random permutation of 0..n-1 (Fisher-Yates driven by the stream). */
void nvm_permutation(const nvm_stream *s, int *perm, int n);

#endif
