/* The JSON sidecar written next to every CSV: how the run was made and from which data. */
#ifndef NVMSIM_SIDECAR_H
#define NVMSIM_SIDECAR_H

#include "nvmsim/data.h"
#include "nvmsim/sweep.h"

typedef struct {
    int argc;
    char **argv;                  /* the command line as given */
    const nvm_file_info *files;   /* data files read */
    int n_files;
    int threads;
    const char *isa;
    double wall_seconds;
    const char *status;           /* "running" | "complete" | "interrupted" */
    const char *grid;             /* fingerprint of everything that defines the rows (see main.c) */
} nvm_run_info;

/* Writes path (atomically) describing the sweep cfg, its stats and the run. */
int nvm_sidecar_write(const char *path, const nvm_sweep_cfg *cfg, const nvm_sweep_stats *st,
                      const nvm_run_info *run, nvm_err *e);

/* The merged sweep's sidecar: the merge's command, the grid, the shards, summed times (wall: the sum
 * over shards, i.e. machine time), and shard 0's own sidecar (every setting of the sweep). */
int nvm_sidecar_write_merged(const char *path, int argc, char **argv, const char *grid,
                             const char *const *shards, int n, long rows, long cells, double wall,
                             double train, double cell, double retrain, const char *shard0, nvm_err *e);

/* Checks that the sidecar at path records the same grid fingerprint (for --resume). */
int nvm_sidecar_check_grid(const char *path, const char *grid, nvm_err *e);

#endif
