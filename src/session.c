/* Shared command set-up: network choice, data set, threads, training defaults, output checks. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nvmsim/cli.h"

const char *nvm_data_dir(const nvm_args *a)
{
    const char *d = nvm_arg(a, "--data");
    if (!d)
        d = getenv("NVMSIM_DATA");
    return d && *d ? d : "data";
}

int nvm_arg_format(const nvm_args *a, int def, int *cifar, nvm_err *e)
{
    const char *f = nvm_arg(a, "--dataset");
    *cifar = def;
    if (!f)
        return NVM_OK;
    if (strcmp(f, "mnist") != 0 && strcmp(f, "cifar10") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--dataset %s: expected mnist (IDX files) or cifar10 (CIFAR-10 "
                        "binary batches)", f);
    *cifar = f[0] == 'c';
    return NVM_OK;
}

int nvm_choose_net(const nvm_args *a, nvm_net_choice *n, nvm_err *e)
{
    n->spec = nvm_arg(a, "--arch");
    const char *net = nvm_arg(a, "--net");
    if (net && n->spec)
        return nvm_fail(e, NVM_EUSAGE, "--net %s and --arch both name the layers: give --net (mlp2, mlp3, "
                        "cnn) or --arch SPEC (any layers), not both", net);
    n->net = net ? net : n->spec ? "custom" : "mlp2";
    if (!n->spec && strcmp(n->net, "cnn") != 0 && strcmp(n->net, "mlp2") != 0 && strcmp(n->net, "mlp3") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--net %s: unknown network (expected mlp2, mlp3 or cnn, or give "
                        "--arch SPEC)", n->net);
    n->conv = n->spec ? strchr(n->spec, 'c') != NULL : strcmp(n->net, "cnn") == 0;
    if (nvm_arg(a, "--nfe") && strcmp(n->net, "mlp2") != 0 && strcmp(n->net, "mlp3") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--nfe sets the width of mlp2/mlp3; the layers of %s are fixed by %s",
                        n->net, n->spec ? "--arch" : "its spec (" NVM_CNN_SPEC ")");
    return nvm_arg_format(a, n->conv, &n->cifar, e);
}

int nvm_session_open(nvm_session *s, const nvm_args *a, int cifar, nvm_err *e)
{
    memset(s, 0, sizeof *s);
    int rc;
    if ((rc = nvm_arg_int(a, "--train-limit", 0, 1, 10000000, &s->train_limit, e)) ||
        (rc = nvm_arg_int(a, "--test-limit", 0, 1, 10000000, &s->test_limit, e)) ||
        (rc = nvm_arg_int(a, "--threads", nvm_online_cores(), 1, 256, &s->threads, e)))
        return rc;
    const char *name = nvm_arg(a, "--dataset-name");
    if (name && (rc = nvm_check_name("--dataset-name", name, e)))
        return rc;
    s->n_files = cifar ? 6 : 4;
    rc = cifar ? nvm_cifar_load(nvm_data_dir(a), s->train_limit, s->test_limit, &s->train, &s->test,
                                s->files, e)
               : nvm_mnist_load(nvm_data_dir(a), s->train_limit, s->test_limit, &s->train, &s->test,
                                s->files, e);
    if (rc != NVM_OK)
        return rc;
    nvm_dataset_identify(s->files, s->n_files, cifar, name, s->dataset);
    s->data_hash = NVM_FNV0;
    for (int i = 0; i < s->n_files; i++)
        s->data_hash = nvm_fnv1a(s->data_hash, s->files[i].sha256, strlen(s->files[i].sha256));
    int32_t counts[2] = {s->train.n, s->test.n};
    s->data_hash = nvm_fnv1a(s->data_hash, counts, sizeof counts);
    if (cifar && (nvm_dataset_to_hwc(&s->train) || nvm_dataset_to_hwc(&s->test)))
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    s->isa = nvm_isa_detect();
    if (s->threads > 1 && !(s->pool = nvm_pool_new(s->threads)))
        return nvm_fail(e, NVM_ERUNTIME, "cannot start %d threads; try --threads 1", s->threads);
    return NVM_OK;
}

void nvm_session_close(nvm_session *s)
{
    nvm_dataset_free(&s->train);
    nvm_dataset_free(&s->test);
    nvm_pool_free(s->pool);
}

int nvm_train_defaults(const nvm_args *a, int conv, nvm_train_opts *o, nvm_err *e)
{
    memset(o, 0, sizeof *o);   /* the recipe: he, no train noise (nvm_recipe_args sets another) */
    const char *opt = nvm_arg(a, "--optim") ? nvm_arg(a, "--optim") : conv ? "adam" : "sgd";
    if (strcmp(opt, "sgd") != 0 && strcmp(opt, "adam") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--optim %s: expected sgd or adam", opt);
    o->optim = opt[0] == 'a' ? NVM_ADAM : NVM_SGD;
    if (o->optim == NVM_ADAM && nvm_arg(a, "--momentum"))
        return nvm_fail(e, NVM_EUSAGE, "--momentum is SGD's; Adam (β1 0.9, β2 0.999) ignores it: drop it or "
                        "add --optim sgd");
    int rc;
    if ((rc = nvm_arg_int(a, "--epochs", conv ? 12 : 15, 1, 10000, &o->epochs, e)) ||
        (rc = nvm_arg_int(a, "--batch", conv ? 64 : 32, 1, 65536, &o->batch, e)) ||
        (rc = nvm_arg_double(a, "--lr", o->optim == NVM_ADAM ? 0.001 : 0.05, 1e-9, 100, &o->lr, e)) ||
        (rc = nvm_arg_double(a, "--momentum", 0.9, 0, 0.999, &o->momentum, e)))
        return rc;
    return NVM_OK;
}

int nvm_recipe_args(const nvm_args *a, int biases, nvm_recipe *r, nvm_err *e)
{
    const char *init = nvm_arg(a, "--init"), *noise = nvm_arg(a, "--train-noise");
    memset(r, 0, sizeof *r);
    if (init && strcmp(init, "he") != 0 && strcmp(init, "torch") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--init %s: expected he (uniform He/Glorot weights, zero biases) or torch "
                        "(PyTorch's default: weights and biases uniform in +-1/sqrt(fan_in))", init);
    r->init = init && init[0] == 't' ? NVM_INIT_TORCH : NVM_INIT_HE;
    r->noise.biases = biases;
    return noise ? nvm_train_noise_parse(noise, &r->noise, e) : NVM_OK;
}

int nvm_arg_seed(const nvm_args *a, uint64_t def, uint64_t *seed, nvm_err *e)
{
    const char *v = nvm_arg(a, "--seed");
    *seed = def;
    return v ? nvm_parse_u64("--seed", v, seed, e) : NVM_OK;
}

int nvm_build_arch(nvm_arch *arch, const nvm_net_choice *n, int *nfe, int h, int w, int c, int classes,
                   nvm_err *e)
{
    int rc = nvm_arch_named(arch, n->net, n->spec, *nfe, h, w, c, classes, e);
    if (rc == NVM_OK && strcmp(n->net, "mlp2") != 0 && strcmp(n->net, "mlp3") != 0)
        *nfe = nvm_arch_features(arch);
    return rc;
}

int nvm_model_fits(const char *path, const nvm_arch *m, const nvm_dataset *d, nvm_err *e)
{
    if (m->layers[0].n_in != d->dim || m->classes != d->classes)
        return nvm_fail(e, NVM_EDATA, "%s: model takes %d inputs and %d classes, the data has %d and %d; "
                        "pick its data with --data/--dataset", path, m->layers[0].n_in, m->classes,
                        d->dim, d->classes);
    if (m->in_h != d->h || m->in_w != d->w || m->in_c != d->c)
        return nvm_fail(e, NVM_EDATA, "%s: model takes %dx%dx%d images, the data has %dx%dx%d", path,
                        m->in_h, m->in_w, m->in_c, d->h, d->w, d->c);
    return NVM_OK;
}

int nvm_check_out(const char *flag, const char *path, nvm_err *e)
{
    struct stat st;
    if (!*path)
        return nvm_fail(e, NVM_EUSAGE, "%s: empty path", flag);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return nvm_fail(e, NVM_EUSAGE, "%s %s is a folder; give a file name in it, e.g. %s/out.csv", flag, path,
                        path);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return nvm_fail(e, NVM_EUSAGE, "%s %s: folder %s does not exist; create it (mkdir -p %s) or choose "
                        "another path", flag, path, dir, dir);
    if (access(dir, W_OK) != 0)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: folder %s is not writable (%s); choose another path", flag, path,
                        dir, strerror(errno));
    return NVM_OK;
}
