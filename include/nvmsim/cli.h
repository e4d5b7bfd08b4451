/* Parsing of command-line values: numbers, lists and START:STOP:STEP ranges, each rejected with a
 * message naming the flag, the value and what was expected. */
#ifndef NVMSIM_CLI_H
#define NVMSIM_CLI_H

#include "nvmsim/common.h"

#define NVM_MAX_LIST 10000

int nvm_parse_int(const char *flag, const char *s, long min, long max, long *out, nvm_err *e);
int nvm_parse_u64(const char *flag, const char *s, uint64_t *out, nvm_err *e);
/* A finite number in [min, max]. */
int nvm_parse_double(const char *flag, const char *s, double min, double max, double *out,
                     nvm_err *e);
/* "a,b,c" of integers in [min, max]; *vals is malloc'd. */
int nvm_parse_int_list(const char *flag, const char *s, long min, long max, int **vals, int *n,
                       nvm_err *e);
/* "START:STOP:STEP" (STOP included when a step lands on it, to 1e-9 of a step) or "a,b,c"; values are
 * finite, in [min, max], and snapped to 12 significant digits so 0:1:0.05 gives exactly 0.15, not
 * 0.15000000000000002. *vals is malloc'd. */
int nvm_parse_range(const char *flag, const char *s, double min, double max, double **vals, int *n,
                    nvm_err *e);

/* A name that is safe in CSV cells, file names and model files: 1-15 of [A-Za-z0-9._-]. */
int nvm_check_name(const char *flag, const char *s, nvm_err *e);
/* The candidate within a few edits of s (a typo of it), or NULL. */
const char *nvm_nearest(const char *s, const char *const *cands, int n);

/* "K/N" with 0 <= K < N: a shard of a sweep. */
int nvm_parse_shard(const char *s, int *k, int *n, nvm_err *e);

/* Shortest decimal that reads back as exactly v ("0.05", "1", "0.15"). */
void nvm_format_double(double v, char out[32]);

#endif
