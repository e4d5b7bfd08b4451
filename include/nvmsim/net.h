/* Networks: one parameter block per network, described by a table of tensors, and a straight sequence
 * of layers. The feature extractor is the prefix [0, fe_params) of the block; the detector the rest. */
#ifndef NVMSIM_NET_H
#define NVMSIM_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nvmsim/common.h"
#include "nvmsim/gemm.h"
#include "nvmsim/rng.h"

#define NVM_MAX_LAYERS 12
#define NVM_MAX_TENSORS (2 * NVM_MAX_LAYERS)

typedef enum { NVM_ACT_NONE, NVM_ACT_TANH } nvm_act;

/* A dense layer: out[B×n_out] = act(in[B×n_in] · W[n_in×n_out] + b[n_out]). */
typedef struct {
    int n_in, n_out;
    nvm_act act;
    size_t w_off, b_off;   /* offsets of W and b in the parameter block */
} nvm_layer;

/* One entry of the parameter table. */
typedef struct {
    char name[16];         /* "fc1.w" */
    size_t offset, count;
    int rows, cols;        /* shape (a bias is 1 × n) */
    int is_bias;
} nvm_tensor;

typedef struct {
    char name[16];         /* "mlp2", "mlp3", "detector" */
    int n_layers;
    nvm_layer layers[NVM_MAX_LAYERS];
    int n_tensors;
    nvm_tensor tensors[NVM_MAX_TENSORS];
    size_t n_params;
    int fe_layers;         /* layers [0, fe_layers) are the feature extractor */
    size_t fe_params;      /* parameters [0, fe_params) belong to it */
    int in_dim, classes;
} nvm_arch;

/* A tanh MLP in → hidden[0] → … → hidden[n_hidden-1] → classes (softmax is in the loss).
 * fe_layers of its layers form the feature extractor (0 for a pure detector). */
int nvm_arch_mlp(nvm_arch *a, const char *name, int in_dim, const int *hidden, int n_hidden,
                 int classes, int fe_layers, nvm_err *e);
/* The paper's nets: "mlp2" = 784–n_fe–10, "mlp3" = 784–n_fe–n_fe–10; FE = all but the last layer. */
int nvm_arch_named(nvm_arch *a, const char *net, int in_dim, int n_fe, int classes, nvm_err *e);

/* Width of the feature extractor's output (the detector's input). */
int nvm_arch_features(const nvm_arch *a);
/* Multiply-accumulates per sample in layers [first, last). */
uint64_t nvm_arch_macs(const nvm_arch *a, int first, int last);

/* Glorot-uniform weights (suits tanh) and zero biases; weight i is the stream's value at index i. */
void nvm_arch_init(const nvm_arch *a, float *params, const nvm_stream *s);

/* Activations and gradients for batches of up to max_batch samples, sized once. */
typedef struct {
    int max_batch;
    float *act[NVM_MAX_LAYERS + 1];   /* act[0] = input copy, act[l+1] = output of layer l: B × width */
    float *grad[NVM_MAX_LAYERS + 1];  /* dLoss/d act[l] */
} nvm_work;

int nvm_work_init(nvm_work *w, const nvm_arch *a, int max_batch);
void nvm_work_free(nvm_work *w);

/* Runs layers [first, last) on w->act[first] (B rows), leaving outputs in w->act[l+1]. */
void nvm_forward(const nvm_arch *a, const float *params, nvm_work *w, int first, int last, int B,
                 nvm_compute *cx);
/* Back-propagates w->grad[last] through layers [first, last), ADDING parameter gradients to grads
 * (same layout as params). Needs the forward activations; overwrites w->grad[first+1 .. last]. */
void nvm_backward(const nvm_arch *a, const float *params, float *grads, nvm_work *w, int first,
                  int last, int B, nvm_compute *cx);

/* Softmax cross-entropy on logits[B×C]: returns the mean loss and writes dlogits = (p − onehot)/B. */
double nvm_softmax_xent(const float *logits, const uint8_t *y, int B, int C, float *dlogits);

#endif
