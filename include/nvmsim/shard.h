/* Shard files of a sweep (`sweep --shard K/N`) and their exact merge into the CSV one machine writes. */
#ifndef NVMSIM_SHARD_H
#define NVMSIM_SHARD_H

#include <stddef.h>

#include "nvmsim/common.h"

typedef struct {
    int k, n;             /* shard K of N, from the file name and its sidecar (they must agree) */
    long cells;           /* cells in the whole grid */
    int rows_per_cell;
    char grid[1024];      /* the grid fingerprint its sidecar records */
    char isa[16];         /* the SIMD path it ran on ("generic" sums differ from "avx2"/"avx512") */
    double wall_seconds, train_seconds, cell_seconds, retrain_seconds;
    long n_rows;          /* rows in the file: (cells of shard K) × rows_per_cell, checked */
    const char **rows;    /* n_rows pointers into the CSV text, each to the row without "cell,tag,",
                           * ending at its '\n' (malloc'd array; the text is the caller's) */
} nvm_shard;

/* Parses and checks one shard: name is its path (for K and N, and for messages), csv[n] its text
 * (NUL-terminated at n), json its sidecar's text. Checks the name, that the sidecar says complete and
 * this K/N, the header, and every row: its cell index is the next one of shard K, its tag matches the
 * grid and the row (no truncated, reordered, duplicated or foreign row), and the count is exact.
 * NVM_EDATA with a message naming the file otherwise. */
int nvm_shard_parse(const char *name, char *csv, size_t n, const char *json, nvm_shard *sh, nvm_err *e);
void nvm_shard_free(nvm_shard *sh);

/* Number of cells shard k of n computes in a grid of `cells`. */
long nvm_shard_cells(long cells, int k, int n);

/* Reads the value of "key" from a sidecar's text: a string (without quotes, into buf) or a number. */
int nvm_json_string(const char *json, const char *key, char *buf, size_t size);
int nvm_json_number(const char *json, const char *key, double *v);

#endif
