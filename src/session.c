/* Shared command set-up: network choice, data set, threads, training defaults. */
#include "nvmsim/session.h"

#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"

const char *nvm_data_dir(const nvm_args *a)
{
    const char *d = nvm_arg(a, "--data");
    if (!d)
        d = getenv("NVMSIM_DATA");
    return d && *d ? d : "data";
}

int nvm_choose_net(const nvm_args *a, nvm_net_choice *n, nvm_err *e)
{
    n->spec = nvm_arg(a, "--arch");
    n->net = nvm_arg(a, "--net") ? nvm_arg(a, "--net") : n->spec ? "cnn" : "mlp2";
    n->cifar = strcmp(n->net, "cnn") == 0;
    if (!n->cifar && strcmp(n->net, "mlp2") != 0 && strcmp(n->net, "mlp3") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--net %s: unknown network (expected mlp2, mlp3 or cnn)", n->net);
    if (n->spec && !n->cifar)
        return nvm_fail(e, NVM_EUSAGE, "--arch describes the cnn's layers; use it with --net cnn");
    if (n->cifar && nvm_arg(a, "--nfe"))
        return nvm_fail(e, NVM_EUSAGE, "--nfe sets the MLPs' width; the cnn's layers come from --arch");
    return NVM_OK;
}

int nvm_session_open(nvm_session *s, const nvm_args *a, int cifar, nvm_err *e)
{
    memset(s, 0, sizeof *s);
    int rc;
    if ((rc = nvm_arg_int(a, "--train-limit", 0, 1, 10000000, &s->train_limit, e)) ||
        (rc = nvm_arg_int(a, "--test-limit", 0, 1, 10000000, &s->test_limit, e)) ||
        (rc = nvm_arg_int(a, "--threads", nvm_online_cores(), 1, 256, &s->threads, e)))
        return rc;
    s->dataset = cifar ? "cifar10" : "mnist";
    s->n_files = cifar ? 6 : 4;
    rc = cifar ? nvm_cifar_load(nvm_data_dir(a), s->train_limit, s->test_limit, &s->train, &s->test,
                                s->files, e)
               : nvm_mnist_load(nvm_data_dir(a), s->train_limit, s->test_limit, &s->train, &s->test,
                                s->files, e);
    if (rc != NVM_OK)
        return rc;
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

/* Base-network training settings; the defaults differ between the MLPs (SGD) and the cnn (Adam). */
int nvm_train_defaults(const nvm_args *a, int cnn, nvm_train_opts *o, nvm_err *e)
{
    const char *opt = nvm_arg(a, "--optim") ? nvm_arg(a, "--optim") : cnn ? "adam" : "sgd";
    if (strcmp(opt, "sgd") != 0 && strcmp(opt, "adam") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--optim %s: expected sgd or adam", opt);
    o->optim = opt[0] == 'a' ? NVM_ADAM : NVM_SGD;
    int rc;
    if ((rc = nvm_arg_int(a, "--epochs", cnn ? 12 : 15, 1, 10000, &o->epochs, e)) ||
        (rc = nvm_arg_int(a, "--batch", cnn ? 64 : 32, 1, 65536, &o->batch, e)) ||
        (rc = nvm_arg_double(a, "--lr", o->optim == NVM_ADAM ? 0.001 : 0.05, 1e-9, 100, &o->lr, e)) ||
        (rc = nvm_arg_double(a, "--momentum", 0.9, 0, 0.999, &o->momentum, e)))
        return rc;
    return NVM_OK;
}

int nvm_arg_seed(const nvm_args *a, uint64_t def, uint64_t *seed, nvm_err *e)
{
    const char *v = nvm_arg(a, "--seed");
    *seed = def;
    return v ? nvm_parse_u64("--seed", v, seed, e) : NVM_OK;
}

/* The architecture of a nvm_net_choice for inputs of shape h×w×c; for the cnn *nfe becomes the width of
 * its features (it names the network's init stream, as N_FE does for the MLPs). */
int nvm_build_arch(nvm_arch *arch, const nvm_net_choice *n, int *nfe, int h, int w, int c, nvm_err *e)
{
    int rc = nvm_arch_named(arch, n->net, n->spec, *nfe, h, w, c, 10, e);
    if (rc == NVM_OK && n->cifar)
        *nfe = nvm_arch_features(arch);
    return rc;
}

