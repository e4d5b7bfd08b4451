/* The experiment grid: per N_FE and base network, train (or load) once; then for every chip and α
 * degrade the feature extractor, measure, retrain the detector on cached features, measure again. */
#ifndef NVMSIM_SWEEP_H
#define NVMSIM_SWEEP_H

#include <signal.h>
#include <stdio.h>

#include "nvmsim/data.h"
#include "nvmsim/device.h"
#include "nvmsim/gemm.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/report.h"
#include "nvmsim/train.h"

/* The CSV's columns; a shard's rows lead with two more (see nvm_sweep_cfg.shard_n). */
#define NVM_CSV_HEADER "net,dataset,n_fe,n_d,detector,noise,alpha,base,chip,acc_clean,acc_degraded,acc_retrained," \
                       "time,faults,stuck_on,read,adc,dac,drift_comp,analog,retrain_at"
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
    int progressive;            /* program the feature extractor layer by layer (nvm_prog_steps) */
    int retrain_reads;          /* K: retraining-set reads of the chip [1] */
    const double *digital_share;/* [n_nfe × n_nd] share of multiply-accumulates in digital layers */
    const int *digital_nd;      /* [n_nfe × n_nd] the n_d column of those rows */
    const nvm_noise *noises;    /* noise models (gauss, quant:B, pcm) */
    int n_noise;
    const double *alphas;
    int n_alpha;
    const double *faults;       /* stuck-at fault rates (grid axis) [0] */
    int n_faults;
    double stuck_on;            /* share of stuck devices stuck at g_max */
    const double *reads;        /* read-noise σ per device, relative to g_max (grid axis) [0] */
    int n_read;
    const int *adcs, *dacs;     /* converter bits, 0 = ideal (grid axes) [0] */
    int n_adc, n_dac;
    const double *times;        /* seconds after programming the chip is used at (rows of a cell) [0] */
    int n_time;
    const int *comps;           /* drift compensation per row: 1 global, 0 none [global] */
    int n_comp;
    int retrain_each;           /* retrain the detector at every time, else once at retrain_at */
    double retrain_at;
    int analog_all;             /* every layer on the chip, the detector too (retrained, then programmed) */
    int alpha_linear;           /* --alpha-gemm linear: layer 0 of the cells nvm_alpha_linear_applies to from
                                 * P0 + α·P1 (nvmsim/cell.h); 0: each (every cell its own GEMM) */
    int runs, bases;            /* chips per base network; base networks per N_FE */
    uint64_t seed;
    int degrade_biases;
    nvm_train_opts train;       /* base network */
    nvm_train_opts retrain;     /* detector */
    const nvm_model *model;     /* use this base network instead of training (then n_nfe = bases = 1) */
    const char *bases_from;     /* another sweep's CSV: load its kept base networks (NULL: train or find
                                 * them beside out) */
    const char *out;            /* the sweep's CSV path: trained base networks are kept beside it
                                 * (nvm_base_path) */
    const char *csv;            /* where this run's rows go (out, or a shard's file); into csv.part,
                                 * renamed to csv when complete */
    const char *grid;           /* fingerprint of the grid (tags shard rows) */
    int shard_k, shard_n;       /* shard_n > 0: compute only cells with global index ≡ shard_k (mod
                                 * shard_n); rows are "cell,tag," + the row, tag = nvm_shard_tag */
    int train_only;             /* train (or find) the base networks, save them, compute no cell */
    nvm_progress_mode progress; /* progress on stderr: of the cells, and of each base network's training */
    int resume;                 /* continue out.part of an interrupted run (same grid) */
    volatile sig_atomic_t *stop;/* set by a signal handler: finish running cells, start no more */
} nvm_sweep_cfg;

/* What the run measured besides the CSV, for the summary table and the JSON sidecar. */
typedef struct {
    int rows;                   /* rows written */
    double *acc_clean;          /* [n_nfe × bases] clean test accuracy of each base network */
    double *acc_degraded;       /* [n_nfe × n_nd × nvm_sweep_conditions] mean over bases and chips */
    double *acc_retrained;      /* same layout */
    double fe_mac_share;        /* share of multiply-accumulates in the feature extractor (first N_FE) */
    double train_seconds, cell_seconds;
    double retrain_seconds;     /* summed over the cells computed: reading the retraining set, retraining */
    long cells_run;             /* cells computed by this run (not kept from an interrupted one) */
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

/* The summary table (mean accuracy degraded / retrained for every condition, per N_FE and N_D) on f. */
void nvm_sweep_summary(const nvm_sweep_cfg *cfg, const nvm_sweep_stats *s, FILE *f);

/* The grid's shape: cells per chip (noise × α × faults × read × ADC × DAC), rows per cell (time ×
 * drift compensation × n_d), conditions per (N_FE, n_d) of the summary (cells per chip × time × comp). */
int nvm_sweep_cells_per_chip(const nvm_sweep_cfg *c);
int nvm_sweep_rows_per_cell(const nvm_sweep_cfg *c);
size_t nvm_sweep_conditions(const nvm_sweep_cfg *c);
/* Whether --alpha-gemm linear changes any cell of the grid on network a (cfg->alpha_linear and some
 * condition that nvm_alpha_linear_applies to). */
int nvm_sweep_uses_linear(const nvm_sweep_cfg *cfg, const nvm_arch *a);
/* The device condition of axis indices (noise ni, α ai, faults fi, read ri, ADC adi, DAC dai). */
void nvm_sweep_device(const nvm_sweep_cfg *cfg, int ni, int ai, int fi, int ri, int adi, int dai,
                      nvm_device *d);

#endif
