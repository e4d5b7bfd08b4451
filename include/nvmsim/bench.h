/* `nvmsim bench`: speed on synthetic inputs, comparable line by line with scripts/bench_torch.py. */
#ifndef NVMSIM_BENCH_H
#define NVMSIM_BENCH_H

#include "nvmsim/args.h"

int nvm_cmd_bench(const nvm_args *a, nvm_err *e);

#endif
