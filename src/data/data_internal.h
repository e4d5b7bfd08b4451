/* Helpers shared by the data-layer sources (src/data/ only; not part of the public API). */
#ifndef NVMSIM_DATA_INTERNAL_H
#define NVMSIM_DATA_INTERNAL_H

#include "nvmsim/data.h"

/* Largest data file we read, on disk or decompressed (MNIST train images: 47 MB; a CIFAR batch: 31 MB). */
#define NVM_DATA_MAX_FILE ((size_t)1 << 30)

/* Finds name in dir/sub/ then dir/ (dir NULL or "" = "."), trying name and, if try_gz, name.gz in each.
 * The first path that exists is written to path and must be a regular file of at most max_bytes (its size
 * goes to *size); otherwise, or if none exists, returns NVM_EDATA with a message naming what was looked for. */
int nvm_data_find(const char *dir, const char *sub, const char *name, int try_gz, size_t max_bytes,
                  char path[1024], uint64_t *size, nvm_err *e);

/* Records path, size and SHA-256 of the on-disk bytes (info may be NULL). */
void nvm_file_info_set(nvm_file_info *info, const char *path, const uint8_t *buf, size_t n);

/* A parsed IDX file of unsigned bytes: count items of item_bytes each. */
typedef struct {
    uint8_t *buf;         /* owned: the decoded file, header included */
    const uint8_t *data;  /* count × item_bytes bytes, right after the header */
    size_t count;         /* dims[0]: images or labels */
    size_t item_bytes;    /* product of dims[1..]; 1 for labels */
    uint32_t dims[3];
    int ndims;
} nvm_idx;

/* Reads path (raw, or gzip if it starts with 1f 8b) as an IDX file with ndims dimensions (3 = images,
 * 1 = labels), validating the header and the exact length. Fills info from the on-disk bytes. */
int nvm_idx_read(const char *path, int ndims, nvm_idx *idx, nvm_file_info *info, nvm_err *e);
/* Checks every label is in 0..classes-1; path is used in the message. */
int nvm_idx_check_labels(const nvm_idx *idx, int classes, const char *path, nvm_err *e);
void nvm_idx_free(nvm_idx *idx);

#endif
