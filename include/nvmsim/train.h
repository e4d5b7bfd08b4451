/* Training (mini-batch SGD with momentum) and evaluation of a network's layers [first, n_layers). */
#ifndef NVMSIM_TRAIN_H
#define NVMSIM_TRAIN_H

#include "nvmsim/common.h"
#include "nvmsim/net.h"
#include "nvmsim/rng.h"

typedef enum { NVM_SGD, NVM_ADAM } nvm_optim;

typedef struct {
    int epochs;
    int batch;
    double lr;          /* initial learning rate; cosine-decayed to lr/20 over the epochs */
    double momentum;    /* SGD only */
    nvm_optim optim;    /* SGD with momentum, or Adam (β1 0.9, β2 0.999, ε 1e-8) */
} nvm_train_opts;

/* Called after every epoch (may be NULL): epoch is 1-based, loss the mean training loss. */
typedef void (*nvm_epoch_fn)(void *ctx, int epoch, int epochs, double loss);

/* Trains layers [first, n_layers) of a on inputs x[n × width of layer first], labels y, updating params
 * in place; earlier layers are not run (x already holds their output). shuffle gives the epoch orders
 * (epoch e uses sub = shuffle.sub + e). Fails with NVM_ERUNTIME if the loss becomes NaN/Inf. */
int nvm_train(const nvm_arch *a, float *params, int first, const float *x, const uint8_t *y, int n,
              const nvm_train_opts *o, nvm_stream shuffle, nvm_compute *cx, nvm_epoch_fn on_epoch,
              void *ctx, nvm_err *e);

/* One Adam step (β1 0.9, β2 0.999, ε 1e-8; c1, c2 the bias corrections 1 − β^t) of n parameters p with
 * gradients g and moments m, v, on the vector width of isa; every width gives the bits of the scalar
 * loop (nvm_train calls it with its context's ISA; exposed for the tests). */
void nvm_adam_step(nvm_isa isa, float *p, const float *g, float *m, float *v, size_t n, float lr, float c1, float c2);

/* What makes a trained base network: its layers and input shape, the training settings, the seed, base
 * index and init sub-stream, and `data` (a hash of the training data). Equal values mean training would
 * give the same parameters, so a saved network can stand in for training it again. */
uint64_t nvm_train_provenance(const nvm_arch *a, const nvm_train_opts *o, uint64_t seed, uint32_t base,
                              uint32_t init_sub, uint64_t data);

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

/* Fraction of x[n × in] (input of layer first) classified correctly by layers [first, n_layers). */
double nvm_accuracy(const nvm_arch *a, const float *params, int first, const float *x,
                    const uint8_t *y, int n, nvm_work *w, nvm_compute *cx);
/* The same with analog layers (an may be NULL); x's rows are samples sample0.. of their data set. */
double nvm_accuracy_an(const nvm_arch *a, const float *params, int first, const float *x,
                       const uint8_t *y, int n, nvm_work *w, nvm_compute *cx, const nvm_analog *an,
                       uint64_t sample0);

#endif
