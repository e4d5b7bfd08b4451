/* nvmsim eval: a model file's test accuracy, clean and as chips of a sweep would see it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"
#include "nvmsim/cell.h"
#include "nvmsim/commands.h"
#include "nvmsim/device_args.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/session.h"
#include "nvmsim/sweep.h"

/* Flags that only mean something next to another: given alone they would be ignored, so they are refused. */
static int check_combinations(const nvm_args *a, nvm_err *e)
{
    static const char *CHIP[] = {"--chip", "--seed", "--degrade-biases", "--time", "--faults", "--read", "--adc",
                                 "--dac", "--analog", "--retrain-at", "--drift-comp", "--stuck-on", "--alpha-gemm"};
    static const char *RETRAIN[] = {"--retrain-epochs", "--retrain-lr", "--optim", "--momentum", "--batch",
                                    "--detector", "--retrain-reads"};
    int degraded = nvm_arg(a, "--alpha") || nvm_arg(a, "--noise");
    for (size_t i = 0; i < sizeof CHIP / sizeof CHIP[0]; i++)
        if (nvm_arg(a, CHIP[i]) && !degraded)
            return nvm_fail(e, NVM_EUSAGE, "%s picks the degraded chip: add --alpha A (or --noise M)", CHIP[i]);
    for (size_t i = 0; i < sizeof RETRAIN / sizeof RETRAIN[0]; i++)
        if (nvm_arg(a, RETRAIN[i]) && !nvm_arg(a, "--retrain"))
            return nvm_fail(e, NVM_EUSAGE, "%s sets detector retraining: add --retrain", RETRAIN[i]);
    if (nvm_arg(a, "--retrain") && !degraded)
        return nvm_fail(e, NVM_EUSAGE, "--retrain retrains on a degraded chip's features: add --alpha A");
    return NVM_OK;
}

int nvm_cmd_eval(const nvm_args *a, nvm_err *e)
{
    const char *path = nvm_arg(a, "--model");
    if (!path)
        return nvm_fail(e, NVM_EUSAGE, "eval needs --model FILE (made by `nvmsim train` or kept by a sweep)");
    nvm_model m = {0};
    int rc, chip, biases, n_alpha = 0, n_noise = 0, cifar, conv;
    double *alphas = NULL;
    nvm_noise *noises = NULL;
    uint64_t seed;
    nvm_train_opts retrain;
    nvm_device_axes dx = {0};
    nvm_retrain_args ra;
    if ((rc = check_combinations(a, e)) ||
        (rc = nvm_parse_range("--alpha", nvm_arg(a, "--alpha") ? nvm_arg(a, "--alpha") : "0", 0, 1000, &alphas,
                              &n_alpha, e)) ||
        (rc = nvm_noise_parse_list(nvm_arg(a, "--noise") ? nvm_arg(a, "--noise") : "gauss", &noises, &n_noise, e)) ||
        (rc = nvm_arg_int(a, "--chip", 0, 0, 65534, &chip, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &biases, e)) ||
        (rc = nvm_device_axes_parse(a, noises, n_noise, &dx, e)) || (rc = nvm_retrain_args_parse(a, &dx, 0, &ra, e)) ||
        (rc = nvm_model_load(path, &m, e)))
        goto out;
    conv = strchr(m.arch.spec, 'c') != NULL;
    if ((rc = nvm_arg_seed(a, m.seed, &seed, e)) || (rc = nvm_arg_format(a, m.arch.in_c == 3, &cifar, e)) ||
        (rc = nvm_train_defaults(a, conv, &retrain, e)) ||
        (rc = nvm_arg_int(a, "--retrain-epochs", 5, 1, 65535, &retrain.epochs, e)) ||
        (rc = nvm_arg_double(a, "--retrain-lr", retrain.optim == NVM_ADAM ? 0.0005 : 0.02, 1e-9, 100,
                             &retrain.lr, e)))
        goto out;
    nvm_session s;
    nvm_compute *cx = NULL;
    nvm_work w = {0};
    nvm_cell_scratch cs = {0};
    nvm_dev_calib cal;
    float *p0 = NULL;
    if ((rc = nvm_session_open(&s, a, cifar, e)) != NVM_OK || (rc = nvm_model_fits(path, &m.arch, &s.test, e)) ||
        ((ra.reads > 1 || ra.progressive) &&
         (rc = nvm_cell_check_retrain(&m.arch, s.train.n, ra.reads, ra.progressive, 1, e))))
        goto done;
    cx = nvm_compute_new(s.isa, s.pool);
    if (!cx || nvm_work_init(&w, &m.arch, nvm_eval_batch(&m.arch)) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    double clean = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
    printf("%s (%s %s, trained on %s): clean test accuracy %.6f on %d %s images\n", path, m.arch.name,
           m.arch.spec, m.dataset, clean, s.test.n, s.dataset);
    if (!nvm_arg(a, "--alpha") && !nvm_arg(a, "--noise"))
        goto done;
    int retraining = nvm_arg(a, "--retrain") != NULL,
        converters = nvm_device_any_converter(dx.adcs, dx.n_adc, dx.dacs, dx.n_dac);
    if (converters)
        nvm_device_calibrate(&m.arch, m.params, s.train.x, s.train.n, &w, cx, &cal);
    int zero = 0;
    /* --alpha-gemm linear: P0 once, as a sweep does per base network (so eval gives the sweep's rows) */
    const nvm_sweep_cfg grid = {.noises = noises, .n_noise = n_noise, .alphas = alphas, .n_alpha = n_alpha,
                                .faults = dx.faults, .n_faults = dx.n_faults, .stuck_on = dx.stuck_on,
                                .reads = dx.reads, .n_read = dx.n_read, .adcs = dx.adcs, .n_adc = dx.n_adc,
                                .dacs = dx.dacs, .n_dac = dx.n_dac, .analog_all = dx.analog_all,
                                .progressive = ra.progressive, .alpha_linear = dx.alpha_linear};
    if (nvm_sweep_uses_linear(&grid, &m.arch)) {
        const size_t n0 = nvm_cell_linear_floats(&m.arch, s.train.n, s.test.n);
        if ((rc = nvm_cell_check_linear(&m.arch, s.train.n, s.test.n, ra.reads, 1, e)))
            goto done;
        if (!(p0 = nvm_alloc_floats(n0))) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for the layer-0 pre-activations of --alpha-gemm linear "
                          "(%.0f MB); use --alpha-gemm each", 1e-6 * (double)n0 * sizeof(float));
            goto done;
        }
    }
    const nvm_cell_ctx ctx = {.a = &m.arch, .clean = m.params, .train = &s.train, .test = &s.test,
                              .retrain = retraining ? &retrain : NULL, .cal = converters ? &cal : NULL,
                              .times = dx.times, .n_time = dx.n_time, .comps = dx.comps, .n_comp = dx.n_comp,
                              .retrain_each = dx.retrain_each, .retrain_at = dx.retrain_at,
                              .progressive = ra.progressive, .reads = ra.reads, .nd = &zero, .n_nd = 1,
                              .seed = seed, .base = m.base, .degrade_biases = biases, .p0 = p0};
    if (p0)
        nvm_cell_p0(&ctx, p0, cx);
    if (nvm_cell_scratch_init(&cs, &ctx, s.isa) != NVM_OK) {   /* one chip: pool threads unused, as a cell */
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    printf("chip %d of base %u, seed %llu%s:\n  %-8s %-8s %12s%s  %s\n", chip, m.base, (unsigned long long)seed,
           !retraining ? "" : ra.progressive ? "; programmed progressively, every later layer retrained on the chip's "
                                               "outputs of the training set after each layer"
                                             : "; detector retrained on the chip's features of the training set",
           "noise",
           "alpha", "degraded", retraining ? "    retrained" : "", "time_s comp faults read adc dac analog");
    double acc[2 * NVM_MAX_TIMES], ret[2 * NVM_MAX_TIMES];
    for (int ni = 0; ni < n_noise && rc == NVM_OK; ni++)
        for (int ai = 0; ai < n_alpha && rc == NVM_OK; ai++)
            for (int fi = 0; fi < dx.n_faults && rc == NVM_OK; fi++)
                for (int ri = 0; ri < dx.n_read && rc == NVM_OK; ri++)
                    for (int ci2 = 0; ci2 < dx.n_adc * dx.n_dac && rc == NVM_OK; ci2++) {
                        nvm_device d;
                        nvm_device_defaults(&d);
                        nvm_device_set_noise(&d, &noises[ni]);
                        d.alpha = alphas[ai];
                        d.fault_rate = dx.faults[fi];
                        d.stuck_on = dx.stuck_on;
                        d.read_sigma = dx.reads[ri];
                        d.adc_bits = dx.adcs[ci2 / dx.n_dac];
                        d.dac_bits = dx.dacs[ci2 % dx.n_dac];
                        d.analog_all = dx.analog_all;
                        if ((rc = nvm_cell_run(&ctx, d, (uint32_t)chip, &cs, acc, ret, e)) != NVM_OK)
                            break;
                        for (int col = 0; col < dx.n_time * dx.n_comp; col++) {
                            char as[32], ns[16], ts[32], fs[32], rs[32];
                            nvm_format_double(alphas[ai], as);
                            nvm_noise_name(&noises[ni], ns);
                            nvm_format_double(dx.times[col / dx.n_comp], ts);
                            nvm_format_double(d.fault_rate, fs);
                            nvm_format_double(d.read_sigma, rs);
                            printf("  %-8s %-8s %12.6f", ns, as, acc[col]);
                            if (retraining)
                                printf(" %12.6f", ret[col]);
                            printf("  %s %s %s %s %d %d %s\n", ts,
                                   dx.comps[col % dx.n_comp] && d.model == NVM_DEV_PCM ? "global" : "none", fs, rs,
                                   d.adc_bits, d.dac_bits, d.analog_all ? "all" : "fe");
                        }
                    }
done:
    free(p0);
    nvm_cell_scratch_free(&cs);
    nvm_work_free(&w);
    nvm_compute_free(cx);
    nvm_session_close(&s);
out:
    nvm_device_axes_free(&dx);
    free(alphas);
    free(noises);
    nvm_model_free(&m);
    return rc;
}
