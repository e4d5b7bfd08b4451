/* The device flags shared by sweep and eval (--time, --faults, --read, --adc, --dac, ...), checked
 * before any work. */
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"
#include "nvmsim/device_args.h"

static int parse_comps(const char *s, int **out, int *n, nvm_err *e)
{
    if (!(*out = nvm_alloc(2, sizeof **out)))
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    *n = 0;
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        int v = len == 6 && strncmp(p, "global", 6) == 0 ? 1 : len == 4 && strncmp(p, "none", 4) == 0 ? 0 : -1;
        if (v < 0 || *n == 2 || (*n == 1 && (*out)[0] == v))
            return nvm_fail(e, NVM_EUSAGE, "--drift-comp %s: expected global, none or both (global,none)", s);
        (*out)[(*n)++] = v;
        p += len;
        if (!*p++)
            return NVM_OK;
    }
}

int nvm_device_axes_parse(const nvm_args *a, const nvm_noise *noises, int n_noise, nvm_device_axes *x,
                          nvm_err *e)
{
    memset(x, 0, sizeof *x);
    const char *at = nvm_arg(a, "--retrain-at"), *an = nvm_arg(a, "--analog");
    int rc, pcm = 0;
    for (int i = 0; i < n_noise; i++)
        pcm |= noises[i].pcm;
    if ((rc = nvm_parse_range("--time", nvm_arg(a, "--time") ? nvm_arg(a, "--time") : "0", 0, 1e10, &x->times,
                              &x->n_time, e)) ||
        (rc = nvm_parse_range("--faults", nvm_arg(a, "--faults") ? nvm_arg(a, "--faults") : "0", 0, 1, &x->faults,
                              &x->n_faults, e)) ||
        (rc = nvm_parse_range("--read", nvm_arg(a, "--read") ? nvm_arg(a, "--read") : "0", 0, 1, &x->reads,
                              &x->n_read, e)) ||
        (rc = nvm_parse_int_list("--adc", nvm_arg(a, "--adc") ? nvm_arg(a, "--adc") : "0", 0, 16, &x->adcs, &x->n_adc,
                                 e)) ||
        (rc = nvm_parse_int_list("--dac", nvm_arg(a, "--dac") ? nvm_arg(a, "--dac") : "0", 0, 16, &x->dacs, &x->n_dac,
                                 e)) ||
        (rc = parse_comps(nvm_arg(a, "--drift-comp") ? nvm_arg(a, "--drift-comp") : "global", &x->comps, &x->n_comp,
                          e)) ||
        (rc = nvm_arg_double(a, "--stuck-on", NVM_STUCK_ON_DEFAULT, 0, 1, &x->stuck_on, e)))
        return rc;
    if (x->n_time > NVM_MAX_TIMES)
        return nvm_fail(e, NVM_EUSAGE, "--time: %d times, at most %d", x->n_time, NVM_MAX_TIMES);
    int drifting = 0;
    for (int i = 0; i < x->n_time; i++)
        drifting |= x->times[i] > 0;
    if (drifting && !pcm)
        return nvm_fail(e, NVM_EUSAGE, "--time: only --noise pcm drifts over time (gauss and quant chips do not); "
                        "add pcm to --noise");
    if (nvm_arg(a, "--drift-comp") && !pcm)
        return nvm_fail(e, NVM_EUSAGE, "--drift-comp compensates PCM drift: add --noise pcm");
    if (nvm_arg(a, "--stuck-on") && !nvm_arg(a, "--faults"))
        return nvm_fail(e, NVM_EUSAGE, "--stuck-on sets what faulty devices are stuck at: add --faults");
    x->retrain_at = x->times[0];
    if (at && strcmp(at, "each") == 0) {
        x->retrain_each = 1;
    } else if (at) {
        if ((rc = nvm_parse_double("--retrain-at", at, 0, 1e10, &x->retrain_at, e)))
            return rc;
        int found = 0;
        for (int i = 0; i < x->n_time; i++)
            found |= x->times[i] == x->retrain_at;
        if (!found)
            return nvm_fail(e, NVM_EUSAGE, "--retrain-at %s: not one of the --time values (or: each)", at);
    }
    if (an && strcmp(an, "fe") != 0 && strcmp(an, "all") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--analog %s: expected fe (the feature extractor) or all", an);
    x->analog_all = an && an[0] == 'a';
    const char *ag = nvm_arg(a, "--alpha-gemm");
    if (ag && strcmp(ag, "each") != 0 && strcmp(ag, "linear") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--alpha-gemm %s: expected linear (layer 0 from P0 + alpha*P1) or each (one "
                        "GEMM per alpha, the reference)", ag);
    x->alpha_linear = !ag || ag[0] == 'l';
    return NVM_OK;
}

void nvm_device_axes_free(nvm_device_axes *x)
{
    free(x->times);
    free(x->faults);
    free(x->reads);
    free(x->adcs);
    free(x->dacs);
    free(x->comps);
    memset(x, 0, sizeof *x);
}

int nvm_retrain_args_parse(const nvm_args *a, const nvm_device_axes *x, int sweep, nvm_retrain_args *r,
                           nvm_err *e)
{
    memset(r, 0, sizeof *r);
    const char *det = nvm_arg(a, "--detector") ? nvm_arg(a, "--detector") : "last";
    int rc;
    if (strcmp(det, "new") == 0 && !sweep)
        return nvm_fail(e, NVM_EUSAGE, "--detector new trains fresh detectors (--nd), a sweep's; eval retrains the "
                        "trained one: last or progressive");
    if (strcmp(det, "last") != 0 && strcmp(det, "new") != 0 && strcmp(det, "progressive") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--detector %s: expected last%s or progressive", det, sweep ? ", new" : "");
    r->detector_new = det[0] == 'n';
    r->progressive = det[0] == 'p';
    if (r->progressive && x->retrain_each)
        return nvm_fail(e, NVM_EUSAGE, "--detector progressive programs the chip once, at the retraining time; "
                        "--retrain-at each would reprogram it at every time: give one --retrain-at T");
    if ((rc = nvm_arg_int(a, "--retrain-reads", 1, 1, NVM_MAX_READS, &r->reads, e)))
        return rc;
    int noisy = 0;
    for (int i = 0; i < x->n_read; i++)
        noisy |= x->reads[i] > 0;
    if (r->reads > 1 && !noisy)
        return nvm_fail(e, NVM_EUSAGE, "--retrain-reads %d: without read noise every read of the chip gives the same "
                        "features; add --read S with S > 0, or drop --retrain-reads", r->reads);
    return NVM_OK;
}
