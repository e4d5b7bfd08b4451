/* What every command sets up the same way: the network chosen, its data set loaded, the thread pool,
 * and the training defaults that differ between the MLPs and the cnn. */
#ifndef NVMSIM_SESSION_H
#define NVMSIM_SESSION_H

#include "nvmsim/args.h"
#include "nvmsim/data.h"
#include "nvmsim/net.h"
#include "nvmsim/train.h"

/* Which network a command works on: its name, the cnn's layer spec, and so its data set. */
typedef struct {
    const char *net;    /* "mlp2" | "mlp3" | "cnn" */
    const char *spec;   /* --arch (cnn only), NULL for the default */
    int cifar;          /* 1: CIFAR-10 (cnn), 0: MNIST (MLPs) */
} nvm_net_choice;

/* Settings shared by every command that reads a data set and computes. */
typedef struct {
    int train_limit, test_limit, threads, n_files;
    const char *dataset;   /* "mnist" | "cifar10" */
    nvm_dataset train, test;
    nvm_file_info files[6];
    nvm_pool *pool;
    nvm_isa isa;
} nvm_session;

/* --data, else $NVMSIM_DATA, else ./data */
const char *nvm_data_dir(const nvm_args *a);
/* --net / --arch / --nfe consistency */
int nvm_choose_net(const nvm_args *a, nvm_net_choice *n, nvm_err *e);
/* Loads the data set of the net (cifar: CIFAR-10 in HWC, else MNIST), limits, threads and SIMD path. */
int nvm_session_open(nvm_session *s, const nvm_args *a, int cifar, nvm_err *e);
void nvm_session_close(nvm_session *s);
/* Base-network training settings; defaults: MLPs SGD (lr 0.05, batch 32, 15 epochs), cnn Adam
 * (lr 0.001, batch 64, 12 epochs). */
int nvm_train_defaults(const nvm_args *a, int cnn, nvm_train_opts *o, nvm_err *e);
int nvm_arg_seed(const nvm_args *a, uint64_t def, uint64_t *seed, nvm_err *e);
/* The architecture of n for h×w×c inputs; for the cnn *nfe becomes the width of its features (it keys
 * the network's init stream, as N_FE does for the MLPs). */
int nvm_build_arch(nvm_arch *arch, const nvm_net_choice *n, int *nfe, int h, int w, int c, nvm_err *e);

#endif
