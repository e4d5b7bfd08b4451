/* Minimal test harness: each tests/test_*.c is its own program; CHECK failures are counted and printed. */
#ifndef NVMSIM_CHECK_H
#define NVMSIM_CHECK_H

#include <math.h>
#include <stdio.h>

static int check_failures, check_count;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        check_count++;                                                                 \
        if (!(cond)) {                                                                 \
            check_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double check_a_ = (a), check_b_ = (b);                                         \
        check_count++;                                                                 \
        if (!(fabs(check_a_ - check_b_) <= (tol))) {                                   \
            check_failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, %s = %.9g, tol %g\n", \
                    __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol));    \
        }                                                                              \
    } while (0)

/* Prints the summary line and returns the process exit status. */
static inline int check_report(const char *name)
{
    fprintf(stderr, "%-14s %s (%d checks, %d failed)\n", name, check_failures ? "FAIL" : "ok",
            check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
