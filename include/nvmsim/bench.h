/* `nvmsim bench`: speed on synthetic inputs, comparable line by line with scripts/bench_torch.py. */
#ifndef NVMSIM_BENCH_H
#define NVMSIM_BENCH_H

#include "nvmsim/args.h"

int nvm_cmd_bench(const nvm_args *a, nvm_err *e);
/* `nvmsim bench --sweep` (src/bench_sweep.c): sweep cells per second and each cell's breakdown, for the
 * network of --net/--arch, else for the default mlp2 and cnn grids. */
int nvm_bench_sweep(const nvm_args *a, nvm_err *e);

#endif
