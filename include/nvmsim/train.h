/* Training (mini-batch SGD with momentum) and evaluation of a network's layers [first, n_layers). */
#ifndef NVMSIM_TRAIN_H
#define NVMSIM_TRAIN_H

#include "nvmsim/common.h"
#include "nvmsim/net.h"
#include "nvmsim/rng.h"

typedef enum { NVM_SGD, NVM_ADAM } nvm_optim;

/* Hardware-aware training (--train-noise MODEL:LEVEL, as IBM aihwkit trains for analog inference): at
 * every mini-batch the feature extractor's parameters [0, fe_params) (its biases only with `biases`)
 * are replaced, for the forward and the backward pass, by a fresh noisy draw; the gradients computed
 * through the noisy weights update the clean ones (straight-through). */
typedef enum {
    NVM_TNOISE_NONE = 0,
    NVM_TNOISE_GAUSS = 1,    /* gauss:A  Eq. 1, w·(1 + A·ε), ε ~ N(0,1) fresh per parameter and mini-batch */
    NVM_TNOISE_PCM = 2,      /* pcm:A    the device library's PCM chip at t = 0 (nvm_device_realise:
                              *          programming noise scaled by A and the 1/f noise present at t = 0;
                              *          no drift) */
    NVM_TNOISE_FAULTS = 3    /* faults:P a fresh share P of stuck devices (the sweep's default stuck-on
                              *          share, NVM_STUCK_ON_DEFAULT) on exact weights */
} nvm_tnoise_model;

typedef struct {
    nvm_tnoise_model model;
    double level;            /* A (gauss 0..10, pcm 0..10) or P (faults 0..1) */
    int biases;              /* the feature extractor's biases are perturbed too (--degrade-biases) */
} nvm_train_noise;

/* Everything about how a base network is trained that the classic flags do not say: --init and
 * --train-noise. All zero = the original recipe (he, none). */
typedef struct {
    nvm_init init;           /* recorded here; the caller initialises the parameters (nvm_arch_init_with) */
    nvm_train_noise noise;
} nvm_recipe;

/* Room for a recipe's text ("init=he train-noise=none"), NUL included: the model file's field. */
#define NVM_RECIPE_LEN 64

typedef struct {
    int epochs;
    int batch;
    double lr;          /* initial learning rate; cosine-decayed to lr/20 over the epochs */
    double momentum;    /* SGD only */
    nvm_optim optim;    /* SGD with momentum, or Adam (β1 0.9, β2 0.999, ε 1e-8) */
    nvm_recipe recipe;  /* init (recorded) and train noise; detector retraining never uses train noise */
    uint64_t noise_seed;   /* train noise of mini-batch s (counted over all epochs from 0) is keyed by */
    uint32_t noise_base;   /* (noise_seed, noise_base, s): see nvm_train_noise_apply */
} nvm_train_opts;

/* Called after every epoch (may be NULL): epoch is 1-based, loss the mean training loss. */
typedef void (*nvm_epoch_fn)(void *ctx, int epoch, int epochs, double loss);

/* Trains layers [first, n_layers) of a on inputs x[n × width of layer first], labels y, updating params
 * in place; earlier layers are not run (x already holds their output). shuffle gives the epoch orders
 * (epoch e uses sub = shuffle.sub + e). With o->recipe.noise (and first < fe_layers) every mini-batch
 * runs on nvm_train_noise_apply's weights of that mini-batch (one buffer, allocated once). Fails with
 * NVM_ERUNTIME if the loss becomes NaN/Inf, NVM_EUSAGE if train noise would need more than 2^32
 * mini-batches. */
int nvm_train(const nvm_arch *a, float *params, int first, const float *x, const uint8_t *y, int n,
              const nvm_train_opts *o, nvm_stream shuffle, nvm_compute *cx, nvm_epoch_fn on_epoch,
              void *ctx, nvm_err *e);

/* What makes a trained base network: its layers and input shape, the training settings (the recipe
 * too: a non-default one is hashed in, so the default's hash is what it was before recipes), the seed,
 * base index and init sub-stream, and `data` (a hash of the training data). Equal values mean training
 * would give the same parameters, so a saved network can stand in for training it again. */
uint64_t nvm_train_provenance(const nvm_arch *a, const nvm_train_opts *o, uint64_t seed, uint32_t base,
                              uint32_t init_sub, uint64_t data);

/* --train-noise: "none", or MODEL:LEVEL with MODEL gauss (0 ≤ A ≤ 10), pcm (0 ≤ A ≤ 10) or faults
 * (0 ≤ P ≤ 1) and LEVEL a finite decimal number, snapped to 12 significant digits as --alpha is. Sets
 * n->model and n->level (n->biases is left alone); a usage error naming the flag otherwise. */
int nvm_train_noise_parse(const char *s, nvm_train_noise *n, nvm_err *e);
/* "none", "gauss:0.3", "pcm:1", "faults:0.05" (reads back through nvm_train_noise_parse) */
void nvm_train_noise_name(const nvm_train_noise *n, char out[32]);
/* "init=he train-noise=none", "init=torch train-noise=gauss:0.3 biases=yes" (biases only with noise). */
void nvm_recipe_text(const nvm_recipe *r, char out[NVM_RECIPE_LEN]);
/* The original recipe (init he, no train noise): its provenance hash is what it always was. */
int nvm_recipe_is_default(const nvm_recipe *r);

/* out[n_params] = clean, except the feature extractor's parameters (biases only with n->biases) as the
 * train noise of mini-batch `step` draws them; model none: out = clean.
 *   gauss:A   out_i = (1 + A·ε_i)·clean_i, ε_i the normal at index i of the stream (seed,
 *             NVM_RNG_DEGRADE | NVM_RNG_TRAINING, base, step), made by nvm_read_normals (Φ⁻¹ of 23-bit
 *             uniforms, four per Philox block: |ε| ≤ 5.3; 5× faster than nvm_degrade's Box-Muller)
 *   pcm:A     nvm_device_realise(pcm, α = A, t = 0) of the chip {seed, base, chip = step,
 *             degrade_biases = n->biases, training = 1}
 *   faults:P  nvm_device_realise(gauss, α = 0, faults P, stuck-on NVM_STUCK_ON_DEFAULT) of that chip
 * Computed in fixed parts on cx's pool (each value depends only on its index): the same bits for any
 * thread count. Allocates nothing. */
void nvm_train_noise_apply(const nvm_arch *a, const float *clean, float *out, const nvm_train_noise *n,
                           uint64_t seed, uint32_t base, uint32_t step, nvm_compute *cx);

/* One Adam step (β1 0.9, β2 0.999, ε 1e-8; c1, c2 the bias corrections 1 − β^t) of n parameters p with
 * gradients g and moments m, v, on the vector width of isa; every width gives the bits of the scalar
 * loop (nvm_train calls it with its context's ISA; exposed for the tests). */
void nvm_adam_step(nvm_isa isa, float *p, const float *g, float *m, float *v, size_t n, float lr, float c1, float c2);

/* A batch size for inference whose largest layer input + output (about 1.5 MB) stays in a core's L2. */
int nvm_eval_batch(const nvm_arch *a);

/* Runs layers [first, last) on x[n × in] in chunks of w->max_batch rows; out[n × width] receives the
 * output of layer last-1. */
void nvm_run_layers(const nvm_arch *a, const float *params, int first, int last, const float *x,
                    int n, float *out, nvm_work *w, nvm_compute *cx);

/* The same with analog layers (an may be NULL); x's rows are samples sample0.. of their data set. */
void nvm_run_layers_an(const nvm_arch *a, const float *params, int first, int last, const float *x,
                       int n, float *out, nvm_work *w, nvm_compute *cx, const nvm_analog *an,
                       uint64_t sample0);

/* nvm_forward_linear over n rows in chunks of w->max_batch: out[n × width of layer last-1] from the
 * layer-0 pre-activations p0, p1[n × layers[0].n_out] of the data set x (x only names the step in cx's
 * log; it is not read). */
void nvm_run_layers_linear(const nvm_arch *a, const float *params, int last, const float *p0, const float *p1,
                           double alpha, const float *x, int n, float *out, nvm_work *w, nvm_compute *cx);

/* Fraction of x[n × in] (input of layer first) classified correctly by layers [first, n_layers). */
double nvm_accuracy(const nvm_arch *a, const float *params, int first, const float *x,
                    const uint8_t *y, int n, nvm_work *w, nvm_compute *cx);
/* The same with analog layers (an may be NULL); x's rows are samples sample0.. of their data set. */
double nvm_accuracy_an(const nvm_arch *a, const float *params, int first, const float *x,
                       const uint8_t *y, int n, nvm_work *w, nvm_compute *cx, const nvm_analog *an,
                       uint64_t sample0);

#endif
