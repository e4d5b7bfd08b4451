/* What every command sets up the same way: the network chosen, its data set loaded, the thread pool,
 * and the training defaults that differ between the MLPs and the cnn. */
#ifndef NVMSIM_SESSION_H
#define NVMSIM_SESSION_H

#include "nvmsim/args.h"
#include "nvmsim/data.h"
#include "nvmsim/net.h"
#include "nvmsim/train.h"

/* Which network a command works on: its name, its layers, and the data format it reads by default. */
typedef struct {
    const char *net;    /* "mlp2" | "mlp3" | "cnn" (named layer specs) | "custom" (--arch) */
    const char *spec;   /* --arch, NULL for a named network */
    int conv;           /* it has convolutions: training defaults are the cnn's (Adam, batch 64, 12 epochs) */
    int cifar;          /* data format: 1 CIFAR-10 binary batches, 0 IDX files (MNIST's names) */
} nvm_net_choice;

/* Settings shared by every command that reads a data set and computes. */
typedef struct {
    int train_limit, test_limit, threads, n_files;
    char dataset[64];      /* what the data is: "mnist", "cifar10" (checksums known), else the user's
                            * --dataset-name or the folder's name (see nvm_dataset_identify) */
    nvm_dataset train, test;
    nvm_file_info files[6];
    uint64_t data_hash;    /* of the files' SHA-256 and the sample counts (see nvm_train_provenance) */
    nvm_pool *pool;
    nvm_isa isa;
} nvm_session;

/* --data, else $NVMSIM_DATA, else ./data */
const char *nvm_data_dir(const nvm_args *a);
/* --net / --arch / --nfe / --dataset consistency. The data format is --dataset, else CIFAR-10 for
 * networks with convolutions and IDX (MNIST) for the others. */
int nvm_choose_net(const nvm_args *a, nvm_net_choice *n, nvm_err *e);
/* The data format --dataset asks for (def when absent): 1 cifar10, 0 mnist. */
int nvm_arg_format(const nvm_args *a, int def, int *cifar, nvm_err *e);
/* Loads the data (cifar: CIFAR-10 in HWC, else IDX), names it, limits, threads and SIMD path. */
int nvm_session_open(nvm_session *s, const nvm_args *a, int cifar, nvm_err *e);
void nvm_session_close(nvm_session *s);
/* Base-network training settings; defaults: networks without convolutions SGD (lr 0.05, batch 32,
 * 15 epochs), with convolutions Adam (lr 0.001, batch 64, 12 epochs). --momentum with Adam is refused. */
int nvm_train_defaults(const nvm_args *a, int conv, nvm_train_opts *o, nvm_err *e);
/* --init he|torch and --train-noise none|MODEL:LEVEL (train, sweep) into r [he, none]; the train noise
 * perturbs the feature extractor's biases too when `biases` (--degrade-biases). */
int nvm_recipe_args(const nvm_args *a, int biases, nvm_recipe *r, nvm_err *e);
int nvm_arg_seed(const nvm_args *a, uint64_t def, uint64_t *seed, nvm_err *e);
/* The architecture of n for h×w×c inputs with `classes` classes; for anything but mlp2/mlp3 *nfe becomes
 * the width of its features (it keys the network's init stream, as N_FE does for the MLPs). */
int nvm_build_arch(nvm_arch *arch, const nvm_net_choice *n, int *nfe, int h, int w, int c, int classes,
                   nvm_err *e);
/* A model file runs on a data set only if it takes its inputs and predicts its classes. */
int nvm_model_fits(const char *path, const nvm_arch *m, const nvm_dataset *d, nvm_err *e);
/* An output path is usable: its folder exists and is writable, and it is not itself a folder. Checked
 * before any work starts, so a long run never fails at its end. */
int nvm_check_out(const char *flag, const char *path, nvm_err *e);

#endif
