/* Running sums of a sample, to check its mean against an expected value within 5 standard errors
 * (tests/test_device.c, tests/test_recipe.c). Include after check.h. */
#ifndef NVMSIM_TEST_MOMENTS_H
#define NVMSIM_TEST_MOMENTS_H

#include <math.h>

typedef struct {
    double n, s1, s2;
} acc;

static inline void acc_add(acc *a, double x)
{
    a->n += 1, a->s1 += x, a->s2 += x * x;
}

static inline double acc_mean(const acc *a)
{
    return a->s1 / a->n;
}

static inline double acc_var(const acc *a)   /* of the sample (divided by n) */
{
    double m = acc_mean(a);
    return a->s2 / a->n - m * m;
}

static inline double acc_se(const acc *a)   /* standard error of the mean */
{
    double v = acc_var(a);
    return sqrt((v > 0 ? v : 0) / a->n);
}

#define CHECK_MEAN(a, expect) CHECK_NEAR(acc_mean(&(a)), (expect), 5 * acc_se(&(a)) + 1e-12)

#endif
