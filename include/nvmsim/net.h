/* Networks: one parameter block per network, described by a table of tensors, and a straight sequence
 * of layers. The feature extractor is the prefix [0, fe_params) of the block; the detector the rest.
 * Activations are NHWC per sample (a dense layer's input is its flattened H·W·C values). */
#ifndef NVMSIM_NET_H
#define NVMSIM_NET_H

#include <stddef.h>
#include <stdint.h>

#include "nvmsim/common.h"
#include "nvmsim/gemm.h"
#include "nvmsim/rng.h"

#define NVM_MAX_LAYERS 16
#define NVM_MAX_TENSORS (2 * NVM_MAX_LAYERS)
#define NVM_MAX_SPEC 128

typedef enum { NVM_DENSE, NVM_CONV, NVM_POOL } nvm_kind;
typedef enum { NVM_ACT_NONE, NVM_ACT_TANH, NVM_ACT_RELU } nvm_act;

typedef struct {
    nvm_kind kind;
    nvm_act act;
    int in_h, in_w, in_c;      /* input shape (dense: 1 × 1 × n_in) */
    int out_h, out_w, out_c;   /* output shape */
    int n_in, n_out;           /* in_h·in_w·in_c, out_h·out_w·out_c */
    int k, pad;                /* conv: k×k kernel, stride 1, zero padding pad; pool: 2×2, stride 2 */
    size_t w_off, b_off;       /* conv W[k·k·in_c × out_c] (rows in (ky, kx, c) order); dense W[n_in × n_out] */
} nvm_layer;

/* One entry of the parameter table. */
typedef struct {
    char name[24];             /* "conv1.w", "fc2.b" */
    size_t offset, count;
    int rows, cols;            /* shape as stored (a bias is 1 × n) */
    int is_bias;
} nvm_tensor;

typedef struct {
    char name[16];             /* "mlp2", "mlp3", "cnn", "detector" */
    char spec[NVM_MAX_SPEC];   /* the layer string it was built from (see nvm_arch_parse) */
    int n_layers;
    nvm_layer layers[NVM_MAX_LAYERS];
    int n_tensors;
    nvm_tensor tensors[NVM_MAX_TENSORS];
    size_t n_params;
    int fe_layers;             /* layers [0, fe_layers) are the feature extractor */
    size_t fe_params;          /* parameters [0, fe_params) belong to it */
    int in_h, in_w, in_c, classes;
} nvm_arch;

/* Builds a network from a spec: layers separated by '-', optionally one '|' instead of a '-' marking
 * where the feature extractor ends (default: before the first dense layer, or before the last layer
 * if all are dense):
 *   c<N>[k<K>][s]  convolution, N filters, K×K (default 3), 'valid' or with s 'same', ReLU
 *   p              max-pool 2×2, stride 2
 *   f<N>           dense, N outputs, ReLU        t<N>  dense, N outputs, tanh
 * The last layer must be dense with `classes` outputs; it has no activation (softmax is in the loss).
 * Example: "c32-p-c64-p-c64-f64-f10" (the default CNN), "t100-f10" (mlp2 with N_FE = 100). */
int nvm_arch_parse(nvm_arch *a, const char *name, const char *spec, int in_h, int in_w, int in_c,
                   int classes, nvm_err *e);
/* A network by name, for any input shape: the layers of spec if given (net is then only its name), else
 * the paper's nets: "mlp2" = t<n_fe>-f<classes>, "mlp3" = t<n_fe>-t<n_fe>-f<classes> (tanh), "cnn" =
 * c32-p-c64-p-c64-f64-f<classes> (n_fe ignored). */
int nvm_arch_named(nvm_arch *a, const char *net, const char *spec, int n_fe, int in_h, int in_w,
                   int in_c, int classes, nvm_err *e);
/* A detector to train from scratch on features of width F: F → nd (act) → classes, or F → classes. */
int nvm_arch_detector(nvm_arch *a, int F, int nd, nvm_act act, int classes, nvm_err *e);

#define NVM_CNN_SPEC "c32-p-c64-p-c64-f64-f10"

/* Offset in the parameter block of the first parameter of layers [layer, n_layers) (n_params if those
 * layers have none): the start of what training layers [layer, …) touches. */
size_t nvm_arch_param_offset(const nvm_arch *a, int layer);
/* Width of the feature extractor's output (the detector's input). */
int nvm_arch_features(const nvm_arch *a);
/* Hidden width of the detector (0 if it is a single layer). */
int nvm_arch_detector_width(const nvm_arch *a);
/* Multiply-accumulates per sample in layers [first, last). */
uint64_t nvm_arch_macs(const nvm_arch *a, int first, int last);
/* Writes "conv 3x3 32, ReLU" style descriptions of layer l into buf. */
void nvm_layer_describe(const nvm_layer *L, char *buf, size_t n);

/* How a network's parameters start (--init). */
typedef enum {
    NVM_INIT_HE = 0,      /* uniform weights, He's limit √(6/fan_in) for ReLU layers, Glorot's
                           * √(6/(fan_in + fan_out)) otherwise; zero biases */
    NVM_INIT_TORCH = 1    /* PyTorch's default for Linear and Conv2d: weights and biases uniform in
                           * ±1/√fan_in (fan_in = k·k·in_c for a convolution, n_in for a dense layer) */
} nvm_init;

/* "he" or "torch" */
const char *nvm_init_name(nvm_init init);

/* Uniform weights (He for ReLU layers, Glorot otherwise) and zero biases; weight i is the stream's
 * value at index i. The same as nvm_arch_init_with(a, params, s, NVM_INIT_HE). */
void nvm_arch_init(const nvm_arch *a, float *params, const nvm_stream *s);
/* Initialises every parameter as `init` says; parameter i (weight or bias) is drawn from the stream's
 * value at index i (uniform u, value (2u - 1)·limit), so every tensor has its own keys. */
void nvm_arch_init_with(const nvm_arch *a, float *params, const nvm_stream *s, nvm_init init);

/* Activations and gradients for batches of up to max_batch samples, sized once. */
typedef struct {
    int max_batch;
    float *act[NVM_MAX_LAYERS + 1];   /* act[0]: a batch gathered for training; act[l+1]: output of layer l */
    float *grad[NVM_MAX_LAYERS + 1];  /* dLoss/d act[l] */
    float *col[NVM_MAX_LAYERS];       /* conv layers: im2col of their input, kept for the backward pass */
    float *dcol;                      /* conv backward: gradient of the largest col */
    float *qin;                       /* analog layers: DAC-rounded input, the largest B·n_in of a layer */
    float *rstd;                      /* analog layers: read-noise std per array read (B·out_h·out_w) */
} nvm_work;

int nvm_work_init(nvm_work *w, const nvm_arch *a, int max_batch);
void nvm_work_free(nvm_work *w);

/* How one dense or conv layer computes on an analog array: data only, filled by nvm_device_analog
 * (nvmsim/device.h), where the physics lives. All zero = digital, and then the layer runs exactly the
 * digital code. An analog layer computes, per array read (a dense sample, a conv output position):
 *   x  -> DAC -> y = x·W (+ b if bias_on_array) -> + read noise -> ADC -> · out_scale (+ b if digital)
 * then its activation. */
typedef struct {
    float read_std;      /* read-noise std per unit ‖x‖₂ of the read's input (√2·σ·g_max/s); 0 = none */
    int bias_on_array;   /* the bias is one more array row: it is read with the weights (noise, ADC,
                            scale) and its constant input 1 counts in ‖x‖₂; else it is added digitally */
    int dac_bits;        /* inputs rounded to 2^bits levels, 0 = ideal */
    int dac_signed;      /* levels span [-dac_max, dac_max]; else [0, dac_max] */
    float dac_max;
    int adc_bits;        /* outputs clipped to ±adc_max and rounded to 2^bits levels, 0 = ideal */
    float adc_max;
    float out_scale;     /* digital gain after the ADC (global drift compensation); 0 or 1 = none */
} nvm_analog_layer;

/* The analog descriptors of a network for one pass over some data. Read noise of output o of sample
 * g (global index in the data set) in layer l is the normal drawn from `read` (sub | pass) at a counter
 * made of (l, g, o), so it never depends on batch size or threads; another pass id reads anew. */
typedef struct {
    nvm_analog_layer layer[NVM_MAX_LAYERS];
    nvm_stream read;     /* (seed, NVM_RNG_READ, base, chip·256) */
    uint32_t pass;       /* read pass 0..255 (e.g. 0: training-set features, 1: test set) */
} nvm_analog;

/* Runs layers [first, last) on in (B rows, the input of layer first, read in place), leaving the
 * output of layer l in w->act[l+1]. */
void nvm_forward(const nvm_arch *a, const float *params, nvm_work *w, const float *in, int first,
                 int last, int B, nvm_compute *cx);
/* nvm_forward with analog layers: an may be NULL (= nvm_forward); in's rows are samples sample0,
 * sample0 + 1, ... of their data set (they key the read noise). */
void nvm_forward_an(const nvm_arch *a, const float *params, nvm_work *w, const float *in, int first,
                    int last, int B, nvm_compute *cx, const nvm_analog *an, uint64_t sample0);
/* nvm_forward of layers [0, last) for a network whose layer 0 is dense, from that layer's
 * pre-activations given as z = p0 + α·p1 (p0, p1: B × layers[0].n_out; each element in double, rounded
 * once; with α = 0 z is p0 itself and p1 is not read): w->act[1] = act(z), then layers [1, last) on
 * params as nvm_forward. With p0 = x·W + b and p1 = x·(W⊙E) + b⊙e this is the Eq. 1 chip's forward pass
 * up to rounding (the --alpha-gemm linear path of a sweep cell). */
void nvm_forward_linear(const nvm_arch *a, const float *params, nvm_work *w, const float *p0, const float *p1,
                        double alpha, int last, int B, nvm_compute *cx);
/* Back-propagates w->grad[last] through layers [first, last), ADDING parameter gradients to grads
 * (same layout as params). Needs the forward pass on the same in; overwrites w->grad[first+1 .. last]. */
void nvm_backward(const nvm_arch *a, const float *params, float *grads, nvm_work *w, const float *in,
                  int first, int last, int B, nvm_compute *cx);

/* Softmax cross-entropy on logits[B×C]: returns the mean loss and writes dlogits = (p − onehot)/B. */
double nvm_softmax_xent(const float *logits, const uint8_t *y, int B, int C, float *dlogits);

#endif
