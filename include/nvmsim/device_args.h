/* The device flags of sweep and eval, parsed and checked in one place. */
#ifndef NVMSIM_DEVICE_ARGS_H
#define NVMSIM_DEVICE_ARGS_H

#include "nvmsim/args.h"
#include "nvmsim/cell.h"
#include "nvmsim/noise.h"

typedef struct {
    double *times, *faults, *reads;   /* --time, --faults, --read */
    int n_time, n_faults, n_read;
    int *adcs, *dacs, *comps;         /* --adc, --dac, --drift-comp (1 global, 0 none) */
    int n_adc, n_dac, n_comp;
    double stuck_on, retrain_at;
    int retrain_each, analog_all;
    int alpha_linear;                 /* --alpha-gemm linear [1] or each (0) */
} nvm_device_axes;

/* Reads them (defaults: time 0, no faults, no read noise, ideal converters, drift compensation global,
 * retraining at the first time, the feature extractor analog, --alpha-gemm linear); usage errors for values out of range,
 * --time > 0 without a pcm noise model, --retrain-at not among the times, and flags that would be
 * ignored. Arrays are malloc'd. */
int nvm_device_axes_parse(const nvm_args *a, const nvm_noise *noises, int n_noise, nvm_device_axes *x,
                          nvm_err *e);
void nvm_device_axes_free(nvm_device_axes *x);

/* How the detector is retrained (sweep, and eval with --retrain). */
typedef struct {
    int detector_new;   /* --detector new (sweep only) */
    int progressive;    /* --detector progressive */
    int reads;          /* --retrain-reads K [1] */
} nvm_retrain_args;

/* Reads --detector (sweep: last, new or progressive; eval: last or progressive) and --retrain-reads;
 * usage errors for other values, progressive with --retrain-at each (the chip is programmed once),
 * and K > 1 when no --read value is above 0 (every read would be the same). */
int nvm_retrain_args_parse(const nvm_args *a, const nvm_device_axes *x, int sweep, nvm_retrain_args *r,
                           nvm_err *e);

#endif
