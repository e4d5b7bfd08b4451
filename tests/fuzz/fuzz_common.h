/* Shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.c, built by `make fuzz` with clang's
 * -fsanitize=fuzzer,address,undefined). Besides the sanitizers, every target checks the error contract
 * the command line relies on: a failing call returns a documented code (2, 3 or 4) with a one-line,
 * non-empty message, and leaves no output behind; a violation aborts, which libFuzzer reports as a crash. */
#ifndef NVMSIM_FUZZ_COMMON_H
#define NVMSIM_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nvmsim/common.h"
#include "nvmsim/gemm.h"
#include "nvmsim/net.h"
#include "nvmsim/train.h"

#define FUZZ_ASSERT(cond)                                                                    \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

/* A failed call: documented code, one non-empty line. */
static inline void fuzz_check_error(int rc, const nvm_err *e)
{
    if (rc == NVM_OK)
        return;
    if (rc != NVM_EUSAGE && rc != NVM_EDATA && rc != NVM_ERUNTIME) {
        fprintf(stderr, "unexpected return code %d (%s)\n", rc, e->msg);
        abort();
    }
    size_t len = strnlen(e->msg, sizeof e->msg);
    FUZZ_ASSERT(len > 0 && len < sizeof e->msg);
    FUZZ_ASSERT(!memchr(e->msg, '\n', len));
}

/* An in-memory file with a path (/proc/self/fd/N) the file-reading code can open like any other: the
 * targets go through exactly the reading code the program uses, without touching the disk. */
typedef struct {
    int fd;
    char path[64];
} fuzz_file;

static inline void fuzz_file_open(fuzz_file *f, const char *name)
{
    f->fd = memfd_create(name, 0);
    if (f->fd < 0) {
        perror("memfd_create");
        abort();
    }
    snprintf(f->path, sizeof f->path, "/proc/self/fd/%d", f->fd);
}

/* Replaces the file's contents with data[0..n) followed by tail[0..tn). */
static inline void fuzz_file_set(fuzz_file *f, const uint8_t *data, size_t n, const uint8_t *tail, size_t tn)
{
    if (ftruncate(f->fd, 0) != 0 || (n && pwrite(f->fd, data, n, 0) != (ssize_t)n) ||
        (tn && pwrite(f->fd, tail, tn, (off_t)n) != (ssize_t)tn)) {
        perror("fuzz file write");
        abort();
    }
}

/* Consistency of a parsed architecture, then the queries `nvmsim info` makes and, when the network is
 * small, a forward pass over two samples (what `eval` does with a model file). */
static inline void fuzz_check_arch(const nvm_arch *a)
{
    FUZZ_ASSERT(a->n_layers >= 1 && a->n_layers <= NVM_MAX_LAYERS);
    FUZZ_ASSERT(a->n_tensors >= 1 && a->n_tensors <= NVM_MAX_TENSORS);
    FUZZ_ASSERT(a->fe_layers >= 0 && a->fe_layers < a->n_layers);
    FUZZ_ASSERT(a->fe_params <= a->n_params);
    FUZZ_ASSERT(memchr(a->spec, 0, sizeof a->spec) && memchr(a->name, 0, sizeof a->name));
    size_t counted = 0, acts = (size_t)a->layers[0].n_in;
    for (int t = 0; t < a->n_tensors; t++) {
        FUZZ_ASSERT(a->tensors[t].offset == counted);
        FUZZ_ASSERT(a->tensors[t].count == (size_t)a->tensors[t].rows * (size_t)a->tensors[t].cols);
        counted += a->tensors[t].count;
    }
    FUZZ_ASSERT(counted == a->n_params);
    for (int l = 0; l < a->n_layers; l++) {
        const nvm_layer *L = &a->layers[l];
        FUZZ_ASSERT(L->in_h >= 1 && L->in_w >= 1 && L->in_c >= 1 && L->out_h >= 1 && L->out_w >= 1 &&
                    L->out_c >= 1);
        FUZZ_ASSERT((size_t)L->n_in == (size_t)L->in_h * L->in_w * L->in_c);
        FUZZ_ASSERT((size_t)L->n_out == (size_t)L->out_h * L->out_w * L->out_c);
        if (l > 0)
            FUZZ_ASSERT(L->n_in == a->layers[l - 1].n_out);
        acts += (size_t)L->n_out;
        if (L->kind == NVM_CONV)
            acts += (size_t)L->out_h * L->out_w * L->k * L->k * L->in_c;
        char desc[64];
        nvm_layer_describe(L, desc, sizeof desc);
    }
    FUZZ_ASSERT(a->layers[a->n_layers - 1].kind == NVM_DENSE);
    FUZZ_ASSERT(a->layers[a->n_layers - 1].out_c == a->classes);
    FUZZ_ASSERT(nvm_arch_features(a) >= 1);
    FUZZ_ASSERT(nvm_arch_detector_width(a) >= 0);
    uint64_t fe = nvm_arch_macs(a, 0, a->fe_layers), all = nvm_arch_macs(a, 0, a->n_layers);
    FUZZ_ASSERT(fe <= all);
    FUZZ_ASSERT(nvm_eval_batch(a) >= 4 && nvm_eval_batch(a) <= 512);

    if (a->n_params > 20000 || acts > 20000)
        return;
    static nvm_compute *cx;
    if (!cx && !(cx = nvm_compute_new(nvm_isa_detect(), NULL)))
        abort();
    nvm_work w;
    float *params = nvm_alloc_floats(a->n_params), *x = nvm_alloc_floats(2 * (size_t)a->layers[0].n_in);
    if (!params || !x || nvm_work_init(&w, a, 2) != NVM_OK)
        abort();
    nvm_stream s = nvm_stream_make(1, NVM_RNG_INIT, 0, 0);
    nvm_arch_init(a, params, &s);
    for (int i = 0; i < 2 * a->layers[0].n_in; i++)
        x[i] = (float)(i % 7) - 3.0f;
    const uint8_t y[2] = {0, 1};
    double acc = nvm_accuracy(a, params, 0, x, y, 2, &w, cx);
    FUZZ_ASSERT(acc >= 0.0 && acc <= 1.0);
    nvm_work_free(&w);
    free(params);
    free(x);
}

#endif
