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

/* The CSV's columns; a shard's rows lead with two more (see nvm_sweep_cfg.shard_n). */
#define NVM_CSV_HEADER "net,dataset,n_fe,n_d,detector,noise,alpha,base,chip,acc_clean,acc_degraded,acc_retrained"
#define NVM_SHARD_COLUMNS "cell,tag,"

typedef struct {
    const char *net;            /* "mlp2" | "mlp3" | "cnn" | "custom" */
    const char *spec;           /* --arch layer spec (NULL: the named network's) */
    const char *dataset;        /* the data's name (nvm_dataset_identify) */
    uint64_t data_hash;         /* of the data files and sample counts: part of a base network's provenance */
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
    const char *out;            /* the sweep's CSV path: trained base networks are kept beside it
                                 * (nvm_base_path) */
    const char *csv;            /* where this run's rows go (out, or a shard's file); into csv.part,
                                 * renamed to csv when complete */
    const char *grid;           /* fingerprint of the grid (tags shard rows) */
    int shard_k, shard_n;       /* shard_n > 0: compute only cells with global index ≡ shard_k (mod
                                 * shard_n); rows are "cell,tag," + the row, tag = nvm_shard_tag */
    int train_only;             /* train (or find) the base networks, save them, compute no cell */
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
    long cells;                 /* cells in the whole grid (all shards) */
} nvm_sweep_stats;

/* Runs the grid. Returns NVM_EINTR (with the finished rows kept in out.part) if cfg->stop was set.
 * With cfg->resume, the complete cells of out.part are kept and only the rest is computed: the final
 * CSV is byte-identical to an uninterrupted run's. */
int nvm_sweep(const nvm_sweep_cfg *cfg, const nvm_dataset *train, const nvm_dataset *test,
              nvm_pool *pool, nvm_isa isa, nvm_sweep_stats *stats, nvm_err *e);
void nvm_sweep_stats_free(nvm_sweep_stats *s);

/* The merge's check that a shard row belongs to the grid: 16 hex digits of a hash of grid and row (the
 * row as in the final CSV, with its newline). */
void nvm_shard_tag(const char *grid, const char *row, char out[17]);

/* Where a sweep writing `out` keeps base network `base` of width nfe: out.n<nfe>.b<base>.nvm. */
void nvm_base_path(const char *out, int nfe, int base, char path[4200]);

/* The measurements of one chip whose degraded parameters are deg: test accuracy with the original
 * detector (acc_deg), and, if acc_ret is non-NULL, after retraining the detector (layers fe_layers..)
 * in deg on the chip's features of the training set, shuffled by `shuffle`. ftrain[train->n × F] and
 * ftest[test->n × F] receive the features. */
int nvm_chip_measure(const nvm_arch *a, float *deg, const nvm_dataset *train, const nvm_dataset *test,
                     const nvm_train_opts *retrain, nvm_stream shuffle, float *ftrain, float *ftest,
                     nvm_work *w, nvm_compute *cx, double *acc_deg, double *acc_ret, nvm_err *e);
/* The detector-retraining shuffle of a chip (the same for every α and noise model of it). */
nvm_stream nvm_chip_shuffle(uint64_t seed, uint32_t base, uint32_t chip);

/* The summary table (α vs mean accuracy degraded / retrained, per N_FE, noise model and N_D) on f. */
void nvm_sweep_summary(const nvm_sweep_cfg *cfg, const nvm_sweep_stats *s, FILE *f);

#endif
