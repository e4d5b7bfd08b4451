/* Data sets: whole-file reading, gzip, IDX (MNIST) and CIFAR-10 binary batches, checksums. */
#ifndef NVMSIM_DATA_H
#define NVMSIM_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "nvmsim/common.h"

/* Samples as floats, row-major n × (c·h·w), plus labels. */
typedef struct {
    int n;          /* samples */
    int c, h, w;    /* per-sample shape: MNIST 1×28×28, CIFAR-10 3×32×32 */
    int dim;        /* c·h·w */
    int classes;    /* 10 */
    float *x;       /* n × dim; MNIST pixels scaled to [0,1] */
    double norm_mean[4], norm_sd[4];   /* per channel, x = (byte/255 − mean)/sd (MNIST: 0 and 1) */
    uint8_t *y;     /* n labels in [0, classes) */
} nvm_dataset;

/* A data file as read: where, how big on disk, and its SHA-256 (hex), for the run's JSON sidecar. */
typedef struct {
    char path[1024];
    uint64_t bytes;
    char sha256[65];
} nvm_file_info;

void nvm_dataset_free(nvm_dataset *d);

/* Longest data-set name (it is stored in model files). */
#define NVM_NAME_MAX 15

/* Names the data set behind files[n] (as loaded; entries with an empty path were not read): "mnist" or
 * "cifar10" when every file read has that set's known SHA-256; else user_name if given; else the name of
 * the folder holding the files (its parent if that is mnist/ or cifar-10-batches-bin/), never "mnist" or
 * "cifar10" (those become e.g. "mnist-like"). Characters outside [A-Za-z0-9._-] become '-'. */
void nvm_dataset_identify(const nvm_file_info *files, int n, int cifar, const char *user_name, char out[64]);

/* CRC-32 (IEEE 802.3, as in gzip). Start with crc = 0; chain calls for streaming. */
uint32_t nvm_crc32(uint32_t crc, const void *buf, size_t n);
/* SHA-256 of a buffer. */
void nvm_sha256(const void *buf, size_t n, uint8_t out[32]);
void nvm_sha256_hex(const void *buf, size_t n, char out[65]);

/* Reads a whole regular file (refusing directories and files over max_bytes). */
int nvm_read_file(const char *path, size_t max_bytes, uint8_t **buf, size_t *n, nvm_err *e);

/* Decodes a gzip member (RFC 1952 + DEFLATE RFC 1951), checking CRC32 and ISIZE; refuses output over
 * max_out. name is used in messages. */
int nvm_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out, size_t *outn,
               const char *name, nvm_err *e);

/* MNIST from dir/mnist/ or dir/ (first that has the file), each file raw or .gz. Limits: the first N
 * samples (0 = all). files[4] (may be NULL) receives train images, train labels, test images, test labels. */
int nvm_mnist_load(const char *dir, int train_limit, int test_limit, nvm_dataset *train,
                   nvm_dataset *test, nvm_file_info files[4], nvm_err *e);

/* CIFAR-10 binary batches from dir/cifar-10-batches-bin/ or dir/: data_batch_1..5.bin (train, in order)
 * and test_batch.bin, records of 1 label byte + 3072 pixel bytes (R, G, B planes of 32×32). x is CHW
 * (c=3, h=32, w=32), normalised per channel with the mean and std of the (limited) training set:
 * x = (byte/255 - mean_c)/std_c, for train and test alike. Limits: the first N samples (0 = all); training
 * batches past the limit are not read. files[6] (may be NULL) receives data_batch_1..5 then test_batch;
 * entries for batches not read have an empty path. */
int nvm_cifar_load(const char *dir, int train_limit, int test_limit, nvm_dataset *train,
                   nvm_dataset *test, nvm_file_info files[6], nvm_err *e);

/* Reorders every sample from CHW (as stored in CIFAR files) to HWC (channels last, as the networks
 * compute). Returns NVM_ERUNTIME if the scratch row cannot be allocated. */
int nvm_dataset_to_hwc(nvm_dataset *d);

#endif
