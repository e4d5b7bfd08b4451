/* nvmsim info: what a data set, a model file or an architecture is. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nvmsim/commands.h"
#include "nvmsim/device.h"
#include "nvmsim/model.h"
#include "nvmsim/session.h"

/* Layers, shapes, parameters and multiply-accumulates of a, and the feature extractor's share. */
static void print_arch(const nvm_arch *a)
{
    printf("  %-3s %-22s %-12s %-12s %10s %12s  %s\n", "#", "layer", "in", "out", "params", "MACs/image",
           "part");
    for (int l = 0; l < a->n_layers; l++) {
        const nvm_layer *L = &a->layers[l];
        char desc[64], in[24], out[24];
        nvm_layer_describe(L, desc, sizeof desc);
        snprintf(in, sizeof in, "%dx%dx%d", L->in_h, L->in_w, L->in_c);
        snprintf(out, sizeof out, "%dx%dx%d", L->out_h, L->out_w, L->out_c);
        size_t np = L->kind == NVM_POOL ? 0 : (L->b_off - L->w_off) + (size_t)L->out_c;
        printf("  %-3d %-22s %-12s %-12s %10zu %12llu  %s\n", l + 1, desc, in, out, np,
               (unsigned long long)nvm_arch_macs(a, l, l + 1),
               l < a->fe_layers ? "feature extractor" : "detector");
    }
    printf("  parameter table:");
    for (int t = 0; t < a->n_tensors; t++)
        printf(" %s[%dx%d]@%zu", a->tensors[t].name, a->tensors[t].rows, a->tensors[t].cols,
               a->tensors[t].offset);
    uint64_t fe = nvm_arch_macs(a, 0, a->fe_layers), all = nvm_arch_macs(a, 0, a->n_layers);
    printf("\n  parameters: %zu (%zu in the feature extractor); features: %d values\n", a->n_params,
           a->fe_params, nvm_arch_features(a));
    printf("  multiply-accumulates per image: %llu, of which %.2f %% in the feature extractor\n",
           (unsigned long long)all, 100.0 * (double)fe / (double)all);
}

/* Counts per class and pixel statistics of a data set: raw on 0..1 (byte/255) and as the network sees
 * them (after the per-channel normalisation, if any), so both formats read on the same scale. */
static void describe(const char *name, const nvm_dataset *d)
{
    long counts[256] = {0};
    double sum = 0, sq = 0, rsum = 0, rsq = 0;
    for (int i = 0; i < d->n; i++)
        counts[d->y[i]]++;
    for (size_t i = 0; i < (size_t)d->n * d->dim; i++) {
        int c = (int)(i % (size_t)d->c);   /* samples are HWC: the channel is the fastest index */
        double x = d->x[i], r = x * d->norm_sd[c] + d->norm_mean[c];
        sum += x;
        sq += x * x;
        rsum += r;
        rsq += r * r;
    }
    double n = (double)d->n * d->dim, mean = sum / n, rmean = rsum / n;
    printf("  %s: %d images of %dx%dx%d; pixels raw (0..1) mean %.4f std %.4f, as the network sees them "
           "mean %.4f std %.4f; per class:", name, d->n, d->h, d->w, d->c, rmean, sqrt(fmax(rsq / n - rmean * rmean, 0)),
           mean, sqrt(fmax(sq / n - mean * mean, 0)));
    for (int c = 0; c < d->classes; c++)
        printf(" %d:%ld", c, counts[c]);
    printf("\n");
}

/* info takes one subject; flags of another subject would be ignored, so they are refused. */
static int check_subject(const nvm_args *a, nvm_err *e)
{
    static const char *DATA[] = {"--data", "--dataset-name", "--train-limit", "--test-limit", "--threads"};
    int model = nvm_arg(a, "--model") != NULL, arch = nvm_arg(a, "--net") || nvm_arg(a, "--arch");
    if (nvm_arg(a, "--device") && !model)
        return nvm_fail(e, NVM_EUSAGE, "--device shows how a trained network maps onto conductances: add --model FILE");
    if (model && (arch || nvm_arg(a, "--nfe") || nvm_arg(a, "--dataset")))
        return nvm_fail(e, NVM_EUSAGE, "--model describes that file's network: drop --net/--arch/--nfe/--dataset");
    if (!model && !arch && nvm_arg(a, "--nfe"))
        return nvm_fail(e, NVM_EUSAGE, "--nfe sets the width of --net mlp2/mlp3: add --net");
    if (model || arch)
        for (size_t i = 0; i < sizeof DATA / sizeof DATA[0]; i++)
            if (nvm_arg(a, DATA[i]))
                return nvm_fail(e, NVM_EUSAGE, "%s applies to a data-set summary (nvmsim info --dataset FORMAT); "
                                "%s reads no data", DATA[i], model ? "--model" : "--net/--arch");
    return NVM_OK;
}

int nvm_cmd_info(const nvm_args *a, nvm_err *e)
{
    int rc;
    if ((rc = check_subject(a, e)))
        return rc;
    if (nvm_arg(a, "--model")) {
        nvm_model m;
        const char *path = nvm_arg(a, "--model");
        if ((rc = nvm_model_load(path, &m, e)))
            return rc;
        printf("%s: nvmsim model, %s (%s) on %dx%dx%d inputs, trained on %s with seed %llu (base %u), test "
               "accuracy %.4f\n", path, m.arch.name, m.arch.spec, m.arch.in_h, m.arch.in_w, m.arch.in_c, m.dataset,
               (unsigned long long)m.seed, m.base, m.test_acc);
        if (m.recipe[0])
            printf("  recipe: %s\n", m.recipe);
        else   /* nvmsim wrote versions 1 and 2 before recipes existed, i.e. always with the default one */
            printf("  recipe: not recorded (model file version %u; nvmsim wrote version %u files only with "
                   "init=he train-noise=none)\n", m.version, m.version);
        print_arch(&m.arch);
        if (nvm_arg(a, "--device")) {   /* how a chip would hold it: the mapping and the models' constants */
            nvm_device d;
            nvm_device_defaults(&d);
            printf("  conductance mapping of the analog layers (differential pair, biases on the array):\n");
            nvm_device_print_mapping(stdout, &m.arch, m.params, &d, 1);
            int nc;
            const nvm_dev_const *k = nvm_device_constants(&nc);
            printf("  device model constants:");
            for (int i = 0; i < nc; i++)
                printf("%s %s = %g", i ? "," : "", k[i].name, k[i].value);
            printf("\n");
        }
        nvm_model_free(&m);
        return NVM_OK;
    }
    if (nvm_arg(a, "--net") || nvm_arg(a, "--arch")) {
        nvm_net_choice n;
        nvm_arch arch;
        int nfe;
        if ((rc = nvm_choose_net(a, &n, e)) || (rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) ||
            (rc = nvm_build_arch(&arch, &n, &nfe, n.cifar ? 32 : 28, n.cifar ? 32 : 28, n.cifar ? 3 : 1, 10, e)))
            return rc;
        printf("%s: %s on %s inputs\n", n.net, arch.spec, n.cifar ? "32x32x3 (cifar10)" : "28x28x1 (mnist)");
        print_arch(&arch);
        return NVM_OK;
    }
    int cifar;
    if ((rc = nvm_arg_format(a, 0, &cifar, e)))
        return rc;
    nvm_session s;
    if ((rc = nvm_session_open(&s, a, cifar, e)) == NVM_OK) {
        printf("%s (%s format) from %s\n", s.dataset, cifar ? "CIFAR-10 binary" : "IDX", nvm_data_dir(a));
        for (int i = 0; i < s.n_files; i++)
            if (s.files[i].path[0])
                printf("  %s  %llu bytes  sha256 %s\n", s.files[i].path,
                       (unsigned long long)s.files[i].bytes, s.files[i].sha256);
        if (strcmp(s.dataset, cifar ? "cifar10" : "mnist") != 0)
            printf("  (checksums are not the official %s files': named %s)\n", cifar ? "CIFAR-10" : "MNIST",
                   nvm_arg(a, "--dataset-name") ? "by --dataset-name" : "after its folder; set --dataset-name");
        describe("train", &s.train);
        describe("test", &s.test);
    }
    nvm_session_close(&s);
    return rc;
}
