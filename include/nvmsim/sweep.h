/* The experiment grid: per N_FE and base network, train (or load) once; then for every chip and α
 * degrade the feature extractor, measure, retrain the detector on cached features, measure again. */
#ifndef NVMSIM_SWEEP_H
#define NVMSIM_SWEEP_H

#include <signal.h>
#include <stdio.h>

#include "nvmsim/data.h"
#include "nvmsim/gemm.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/train.h"

typedef struct {
    const char *net;            /* "mlp2" | "mlp3" | "cnn" */
    const char *spec;           /* cnn layer spec (NULL: the default network) */
    const char *dataset;        /* "mnist" | "cifar10" */
    const int *nfe;             /* feature-extractor widths */
    int n_nfe;
    const int *nd;              /* hidden widths of a fresh detector (detector_new only) */
    int n_nd;
    int detector_new;           /* 0: retrain the trained last layer; 1: train a fresh detector */
    const nvm_noise *noises;    /* noise models (gauss, quant:B) */
    int n_noise;
    const double *alphas;
    int n_alpha;
    int runs, bases;            /* chips per base network; base networks per N_FE */
    uint64_t seed;
    int degrade_biases;
    nvm_train_opts train;       /* base network */
    nvm_train_opts retrain;     /* detector */
    const nvm_model *model;     /* use this base network instead of training (then n_nfe = bases = 1) */
    const char *out;            /* CSV path; rows go to out.part, renamed to out when complete */
    int progress;               /* progress lines on stderr */
    int resume;                 /* continue out.part of an interrupted run (same grid) */
    volatile sig_atomic_t *stop;/* set by a signal handler: finish running cells, start no more */
} nvm_sweep_cfg;

/* What the run measured besides the CSV, for the summary table and the JSON sidecar. */
typedef struct {
    int rows;                   /* rows written */
    double *acc_clean;          /* [n_nfe × bases] clean test accuracy of each base network */
    double *acc_degraded;       /* [n_nfe × n_nd × n_noise × n_alpha] mean over bases and chips */
    double *acc_retrained;      /* same layout */
    double fe_mac_share;        /* share of multiply-accumulates in the feature extractor (first N_FE) */
    double train_seconds, cell_seconds;
} nvm_sweep_stats;

/* Runs the grid. Returns NVM_EINTR (with the finished rows kept in out.part) if cfg->stop was set.
 * With cfg->resume, the complete cells of out.part are kept and only the rest is computed: the final
 * CSV is byte-identical to an uninterrupted run's. */
int nvm_sweep(const nvm_sweep_cfg *cfg, const nvm_dataset *train, const nvm_dataset *test,
              nvm_pool *pool, nvm_isa isa, nvm_sweep_stats *stats, nvm_err *e);
void nvm_sweep_stats_free(nvm_sweep_stats *s);

/* The summary table (α vs mean accuracy degraded / retrained, per N_FE, noise model and N_D) on f. */
void nvm_sweep_summary(const nvm_sweep_cfg *cfg, const nvm_sweep_stats *s, FILE *f);

#endif
