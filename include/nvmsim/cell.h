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
    const int *nd;
    int n_nd;
    uint64_t seed;
    uint32_t base;
    int degrade_biases;
} nvm_cell_ctx;

/* Scratch of one worker (nvm_cell_scratch_init sizes it once per base network). */
typedef struct {
    nvm_compute *cx;
    nvm_work work;
    float *chip, *ref;               /* realised block at the time of use; scratch of drift compensation */
    float *rclean, *rchip;           /* clean block with the retrained detector; it realised (--analog all) */
    float *ftrain, *ftest;           /* features: n × F */
    float *det;                      /* fresh detectors, n_nd blocks of det_params */
    size_t det_params;
} nvm_cell_scratch;

int nvm_cell_scratch_init(nvm_cell_scratch *s, const nvm_cell_ctx *c, nvm_isa isa);
void nvm_cell_scratch_free(nvm_cell_scratch *s);

/* Runs chip `chip` under d (d->time, time_ref and drift_comp are set here from the context) and writes
 * acc_deg[n_time × n_comp] (original detector) and acc_ret[n_time × n_comp × n_nd] (retrained). With
 * every device effect off this computes exactly what the paper's sweep always did. */
int nvm_cell_run(const nvm_cell_ctx *c, nvm_device d, uint32_t chip, nvm_cell_scratch *s, double *acc_deg,
                 double *acc_ret, nvm_err *e);

/* The fresh detector F → nd → classes (nd = 0: a single softmax layer), with the base network's first
 * activation (tanh for the MLPs, ReLU for the CNN). */
int nvm_cell_detector(nvm_arch *d, const nvm_arch *base, int nd, nvm_err *e);
/* The detector-retraining shuffle of a chip (the same for every condition of it). */
nvm_stream nvm_chip_shuffle(uint64_t seed, uint32_t base, uint32_t chip);

#endif
