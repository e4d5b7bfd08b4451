/* One cell of a sweep: a chip programmed under one device condition, measured at every time of use and
 * drift-compensation choice, before and after retraining the detector on its features. Shared by
 * `nvmsim sweep` (every cell) and `nvmsim eval` (one chip). */
#ifndef NVMSIM_CELL_H
#define NVMSIM_CELL_H

#include "nvmsim/data.h"
#include "nvmsim/device.h"
#include "nvmsim/net.h"
#include "nvmsim/train.h"

#define NVM_MAX_TIMES 32   /* read-pass ids: 2 per (time, drift-compensation) evaluation and per retraining */
#define NVM_MAX_READS 65535   /* --retrain-reads */

/* What every cell of a base network shares. */
typedef struct {
    const nvm_arch *a;
    const float *clean;              /* the base network */
    const nvm_dataset *train, *test;
    const nvm_train_opts *retrain;   /* detector retraining; NULL: none (acc_ret untouched) */
    const nvm_dev_calib *cal;        /* converter ranges of the clean network (NULL if no DAC/ADC) */
    const double *times;             /* seconds after programming at which the chip is used */
    int n_time;
    const int *comps;                /* drift compensation per column: 1 global, 0 none */
    int n_comp;
    int retrain_each;                /* 1: retrain at every time; 0: once, at retrain_at */
    double retrain_at;
    int detector_new;                /* 1: fresh detectors of widths nd[] (digital) instead of the last layers */
    int progressive;                 /* 1: program the feature-extractor layers one at a time, retraining
                                        every later layer on the chip's outputs after each (nvm_prog_steps) */
    int reads;                       /* K: the retraining set is read K times (K·n rows); 0 or 1: once */
    const int *nd;
    int n_nd;
    uint64_t seed;
    uint32_t base;
    int degrade_biases;
    const float *p0;                 /* --alpha-gemm linear: layer 0's pre-activations of the clean network,
                                        (train n + test n) × layers[0].n_out (nvm_cell_p0); NULL: every
                                        cell runs its layer 0 on the chip's weights (each) */
} nvm_cell_ctx;

/* Scratch of one worker (nvm_cell_scratch_init sizes it once per base network). */
typedef struct {
    nvm_compute *cx;
    nvm_work work;
    float *chip, *ref;               /* realised block at the time of use; scratch of drift compensation */
    float *rclean, *rchip;           /* clean block with the retrained detector; it realised (--analog all) */
    float *ftrain, *ftest;           /* retraining inputs: K·n × (F, or the widest progressive step's
                                        input); test features: n × F */
    uint8_t *ylab;                   /* labels of the K·n retraining rows (NULL when K = 1: train->y) */
    double retrain_seconds;          /* wall time spent reading the retraining set and retraining */
    float *det;                      /* fresh detectors, n_nd blocks of det_params */
    size_t det_params;
    float *p1;                       /* with ctx->p0: layer 0's x·(W⊙E) + b⊙e of chip p1_key on the training
                                        then the test set, as p0; NULL without p0 */
    float *p1_w;                     /* layer 0's W⊙E and b⊙e (nvm_degrade_slope), laid out as in the block
                                        from its w_off */
    nvm_chip p1_key;                 /* the chip p1 holds (valid when p1_clean is set) */
    const float *p1_clean;           /* and the clean block it was made from */
} nvm_cell_scratch;

int nvm_cell_scratch_init(nvm_cell_scratch *s, const nvm_cell_ctx *c, nvm_isa isa);
void nvm_cell_scratch_free(nvm_cell_scratch *s);

/* Runs chip `chip` under d (d->time, time_ref and drift_comp are set here from the context) and writes
 * acc_deg[n_time × n_comp] (original detector) and acc_ret[n_time × n_comp × n_nd] (retrained). With
 * every device effect off this computes exactly what the paper's sweep always did. */
int nvm_cell_run(const nvm_cell_ctx *c, nvm_device d, uint32_t chip, nvm_cell_scratch *s, double *acc_deg,
                 double *acc_ret, nvm_err *e);

/* --alpha-gemm linear. Under Eq. 1 layer 0's pre-activation is linear in α: x·W(α) + b(α) =
 * P0 + α·P1 with P0 = x·W + b (the clean network's, shared by every chip of a base network) and
 * P1 = x·(W⊙E) + b⊙e (one per chip, shared by its α), so a cell of a cached chip needs no layer-0 GEMM.
 * The same model up to rounding (the programmed weights are rounded once per α in the reference
 * path, P0 and P1 once each here); at α = 0 the features are the reference's bit for bit. */
/* Whether condition d of a's cells may take layer 0 from P0 and P1: gauss (Eq. 1 alone) on a dense
 * layer 0 of the feature extractor with no faults, read noise, ADC or DAC, and not progressive (whose
 * programmed weights differ). --analog all and --detector new change only the detector: they may. */
int nvm_alpha_linear_applies(const nvm_arch *a, const nvm_device *d, int progressive);
/* out[n × layers[0].n_out] = x[n × n_in]·W + b, layer 0 (dense) of a with weights W and bias b: the
 * GEMM and epilogue of its forward pass (nvm_dense_forward without the ReLU), so the same bits. */
void nvm_cell_preact0(const nvm_arch *a, const float *W, const float *b, const float *x, int n, float *out,
                      nvm_compute *cx);
/* P0 of c's base network into p0[(c->train->n + c->test->n) × layers[0].n_out] (training rows, then
 * test rows); cx may be multi-threaded (the bits never depend on it). */
void nvm_cell_p0(const nvm_cell_ctx *c, float *p0, nvm_compute *cx);
/* Floats of P0 (and of each worker's P1) for a on n_train + n_test samples. */
size_t nvm_cell_linear_floats(const nvm_arch *a, int n_train, int n_test);
/* Refuses (usage error naming --alpha-gemm linear) caches that would take more than half of this
 * machine's memory: P0 once and P1 per worker, with each worker's retraining inputs. */
int nvm_cell_check_linear(const nvm_arch *a, int n_train, int n_test, int reads, int workers, nvm_err *e);

/* The fresh detector F → nd → classes (nd = 0: a single softmax layer), with the base network's first
 * activation (tanh for the MLPs, ReLU for the CNN). */
int nvm_cell_detector(nvm_arch *d, const nvm_arch *base, int nd, nvm_err *e);
/* The detector-retraining shuffle of a chip (the same for every condition of it). */
nvm_stream nvm_chip_shuffle(uint64_t seed, uint32_t base, uint32_t chip);

/* Read passes of a cell (nvm_analog.pass, < 256; each a fresh draw of read noise): the test set of
 * column col = time index · n_comp + compensation index (col < 2·NVM_MAX_TIMES), through the original
 * (retrained = 0) or the retrained network; the training set for the retraining at time index ti; and
 * for progressive step `step` (< NVM_MAX_LAYERS, not the last). Read r of the K retraining reads is the
 * samples r·n .. r·n + n − 1 of its pass, so the K reads are K fresh draws and read 0 is the one read
 * of K = 1. The ranges are disjoint (checked at compile time and in tests/test_cell.c). */
uint32_t nvm_cell_pass_test(int col, int retrained);
uint32_t nvm_cell_pass_train(int ti);
uint32_t nvm_cell_pass_step(int step);

/* Progressive programming (--detector progressive, as the chip-in-the-loop fine-tuning of NeuRRAM,
 * Wan et al., Nature 2022). Step i programs weight layer steps[i].layer of the feature extractor (the
 * layers before it are on the chip already), reads the training set through layers [0, steps[i].next)
 * of the chip and retrains layers [steps[i].next, n_layers) digitally on it; next is the following
 * weight layer (past any pools), or fe_layers at the last step, whose retraining is the detector's as
 * in --detector last. Pools are no step. Returns the number of steps (the feature extractor's weight
 * layers, ≥ 1). */
typedef struct {
    int layer, next;
} nvm_prog_step;
int nvm_prog_steps(const nvm_arch *a, nvm_prog_step steps[NVM_MAX_LAYERS]);
/* v = a with only layers [0, layer] as its feature extractor (fe_layers = layer + 1, fe_params = the
 * end of layer's parameters): the device code (nvm_device_realise, nvm_device_analog) programs
 * exactly the tensors of those layers, each with the draws it has in a (keyed by parameter index). */
void nvm_prog_view(const nvm_arch *a, int layer, nvm_arch *v);

/* Floats of one worker's retraining inputs: reads × n × the widest input a retraining takes (the
 * features; with progressive also the inputs of every step). */
size_t nvm_cell_retrain_floats(const nvm_arch *a, int n, int reads, int progressive);
/* Refuses (usage error naming --retrain-reads, or --detector progressive when reads = 1) retraining
 * inputs for n samples that `workers` workers could not hold: more than 2^31 − 1 rows, or more than
 * half of this machine's memory. */
int nvm_cell_check_retrain(const nvm_arch *a, int n, int reads, int progressive, int workers, nvm_err *e);

#endif
