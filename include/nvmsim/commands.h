/* The subcommands, one file each in src/cmd/ (bench in src/bench.c). Each parses its own flags from a,
 * does its work, and returns an NVM_* code with e filled on failure. */
#ifndef NVMSIM_COMMANDS_H
#define NVMSIM_COMMANDS_H

#include "nvmsim/args.h"
#include "nvmsim/common.h"

int nvm_cmd_train(const nvm_args *a, nvm_err *e);
int nvm_cmd_eval(const nvm_args *a, nvm_err *e);
int nvm_cmd_sweep(int argc, char **argv, const nvm_args *a, nvm_err *e);
int nvm_cmd_info(const nvm_args *a, nvm_err *e);
int nvm_cmd_merge(int argc, char **argv, const nvm_args *a, nvm_err *e);

#endif
