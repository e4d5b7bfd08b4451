/* Shared basics: exit codes and the error record every fallible function fills. */
#ifndef NVMSIM_COMMON_H
#define NVMSIM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define NVMSIM_VERSION "0.2.0"

/* Exit codes (documented in README.md and `nvmsim --help`). */
enum {
    NVM_OK = 0,          /* success */
    NVM_EUSAGE = 2,      /* bad command line: unknown flag, bad value, bad range */
    NVM_EDATA = 3,       /* bad input file: missing, truncated, corrupt, wrong format */
    NVM_ERUNTIME = 4,    /* run failed: out of memory, write error, training diverged */
    NVM_EINTR = 130      /* interrupted by SIGINT/SIGTERM; finished work was kept */
};

/* One-line error message; functions return an NVM_* code and fill it on failure. */
typedef struct {
    char msg[512];
} nvm_err;

/* Formats msg into e (if non-NULL) and returns code, so callers can `return nvm_fail(...)`. */
int nvm_fail(nvm_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* malloc/calloc that return NULL for n*size overflow as well as for exhaustion. */
void *nvm_alloc(size_t n, size_t size);
void *nvm_calloc(size_t n, size_t size);
/* 64-byte aligned (for SIMD), zeroed; free with free(). NULL on overflow/exhaustion. */
float *nvm_alloc_floats(size_t n);

/* FNV-1a over n bytes, continuing from h (start with NVM_FNV0): fingerprints of settings. */
#define NVM_FNV0 14695981039346656037ull
uint64_t nvm_fnv1a(uint64_t h, const void *p, size_t n);

/* Seconds from a monotonic clock. */
double nvm_now(void);
/* CPU seconds used by the calling thread (0 where the clock is missing): steady under load, unlike
 * nvm_now, as long as the thread is not waiting for memory shared with busy neighbours. */
double nvm_thread_cpu(void);

#endif
