/* Model files: a versioned little-endian binary with the architecture, training provenance, the
 * parameter block and a CRC-32 over everything before it. */
#ifndef NVMSIM_MODEL_H
#define NVMSIM_MODEL_H

#include <stdint.h>

#include "nvmsim/common.h"
#include "nvmsim/net.h"
#include "nvmsim/train.h"

#define NVM_MODEL_MAGIC "NVMSIMMD"
#define NVM_MODEL_VERSION 3u   /* written; versions 1 and 2 are still read (see src/io/model.c) */

typedef struct {
    nvm_arch arch;
    float *params;       /* arch.n_params values */
    uint64_t seed;       /* seed it was trained with (default seed of its chips) */
    uint32_t base;       /* base-network index it was trained as */
    char dataset[16];    /* name of the data it was trained on ("mnist", "cifar10", a user's name) */
    double test_acc;     /* clean test accuracy measured after training */
    uint64_t provenance; /* hash of everything that made it (nvm_train_provenance); 0: unknown (v1) */
    char recipe[NVM_RECIPE_LEN]; /* how it was trained (nvm_recipe_text, e.g. "init=he train-noise=none");
                                  * "" = not recorded (files of versions 1 and 2) */
    uint32_t version;    /* format version it was read from (nvm_model_save always writes NVM_MODEL_VERSION) */
} nvm_model;

/* Writes path atomically (temporary file, then rename). */
int nvm_model_save(const char *path, const nvm_model *m, nvm_err *e);
/* Reads and validates path (magic, version, architecture, sizes, checksum). */
int nvm_model_load(const char *path, nvm_model *m, nvm_err *e);
void nvm_model_free(nvm_model *m);

/* Writes buf to path via path.tmp + rename, so readers never see a half-written file. */
int nvm_write_atomic(const char *path, const void *buf, size_t n, nvm_err *e);

#endif
