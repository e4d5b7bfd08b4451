/* nvmsim eval: a model file's test accuracy, clean and as chips of a sweep would see it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"
#include "nvmsim/commands.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/session.h"
#include "nvmsim/sweep.h"

/* Flags that only mean something next to another: given alone they would be ignored, so they are refused. */
static int check_combinations(const nvm_args *a, nvm_err *e)
{
    static const char *CHIP[] = {"--chip", "--seed", "--degrade-biases"};
    static const char *RETRAIN[] = {"--retrain-epochs", "--retrain-lr", "--optim", "--momentum", "--batch"};
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
    if ((rc = check_combinations(a, e)) ||
        (rc = nvm_parse_range("--alpha", nvm_arg(a, "--alpha") ? nvm_arg(a, "--alpha") : "0", 0, 1000, &alphas,
                              &n_alpha, e)) ||
        (rc = nvm_noise_parse_list(nvm_arg(a, "--noise") ? nvm_arg(a, "--noise") : "gauss", &noises, &n_noise, e)) ||
        (rc = nvm_arg_int(a, "--chip", 0, 0, 1000000, &chip, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &biases, e)) || (rc = nvm_model_load(path, &m, e)))
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
    float *deg = NULL, *ftrain = NULL, *ftest = NULL;
    nvm_work w = {0};
    if ((rc = nvm_session_open(&s, a, cifar, e)) != NVM_OK || (rc = nvm_model_fits(path, &m.arch, &s.test, e)))
        goto done;
    size_t F = (size_t)nvm_arch_features(&m.arch);
    cx = nvm_compute_new(s.isa, s.pool);
    deg = nvm_alloc_floats(m.arch.n_params);
    ftrain = nvm_alloc_floats((size_t)s.train.n * F);
    ftest = nvm_alloc_floats((size_t)s.test.n * F);
    if (!cx || !deg || !ftrain || !ftest || nvm_work_init(&w, &m.arch, nvm_eval_batch(&m.arch)) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    double clean = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
    printf("%s (%s %s, trained on %s): clean test accuracy %.6f on %d %s images\n", path, m.arch.name,
           m.arch.spec, m.dataset, clean, s.test.n, s.dataset);
    if (!nvm_arg(a, "--alpha") && !nvm_arg(a, "--noise"))
        goto done;
    int retraining = nvm_arg(a, "--retrain") != NULL;
    printf("chip %d of base %u, seed %llu%s:\n  %-8s %-8s %12s%s\n", chip, m.base, (unsigned long long)seed,
           retraining ? "; detector retrained on the chip's features of the training set" : "", "noise",
           "alpha", "degraded", retraining ? "    retrained" : "");
    nvm_stream shuffle = nvm_chip_shuffle(seed, m.base, (uint32_t)chip);
    for (int ni = 0; ni < n_noise && rc == NVM_OK; ni++)
        for (int ai = 0; ai < n_alpha && rc == NVM_OK; ai++) {
            nvm_chip c = {seed, m.base, (uint32_t)chip, biases};
            nvm_degrade(&m.arch, m.params, deg, &noises[ni], alphas[ai], &c);
            double acc, ret;
            rc = nvm_chip_measure(&m.arch, deg, &s.train, &s.test, &retrain, shuffle, ftrain, ftest, &w, cx, &acc,
                                  retraining ? &ret : NULL, e);
            char as[32], ns[16];
            nvm_format_double(alphas[ai], as);
            nvm_noise_name(&noises[ni], ns);
            if (rc == NVM_OK && retraining)
                printf("  %-8s %-8s %12.6f %12.6f\n", ns, as, acc, ret);
            else if (rc == NVM_OK)
                printf("  %-8s %-8s %12.6f\n", ns, as, acc);
        }
done:
    nvm_work_free(&w);
    free(deg);
    free(ftrain);
    free(ftest);
    nvm_compute_free(cx);
    nvm_session_close(&s);
out:
    free(alphas);
    free(noises);
    nvm_model_free(&m);
    return rc;
}
