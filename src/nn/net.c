/* Architectures, the parameter table, initialisation and the activation workspace. */
#include "nvmsim/net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define NVM_MAX_WIDTH 100000

static void add_tensor(nvm_arch *a, const char *layer, const char *suffix, size_t count, int rows,
                       int cols, int is_bias)
{
    nvm_tensor *t = &a->tensors[a->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s.%s", layer, suffix);
    t->offset = a->n_params;
    t->count = count;
    t->rows = rows;
    t->cols = cols;
    t->is_bias = is_bias;
    a->n_params += count;
}

int nvm_arch_mlp(nvm_arch *a, const char *name, int in_dim, const int *hidden, int n_hidden,
                 int classes, int fe_layers, nvm_err *e)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    if (n_hidden < 0 || n_hidden + 1 > NVM_MAX_LAYERS)
        return nvm_fail(e, NVM_EUSAGE, "%s: %d hidden layers, at most %d supported", name, n_hidden,
                        NVM_MAX_LAYERS - 1);
    int width = in_dim;
    for (int l = 0; l <= n_hidden; l++) {
        int out = l < n_hidden ? hidden[l] : classes;
        if (width < 1 || out < 1 || width > NVM_MAX_WIDTH || out > NVM_MAX_WIDTH)
            return nvm_fail(e, NVM_EUSAGE, "%s: layer %d has width %d -> %d; widths must be 1..%d",
                            name, l + 1, width, out, NVM_MAX_WIDTH);
        char lname[8];
        snprintf(lname, sizeof lname, "fc%d", l + 1);
        nvm_layer *L = &a->layers[l];
        L->n_in = width;
        L->n_out = out;
        L->act = l < n_hidden ? NVM_ACT_TANH : NVM_ACT_NONE;
        L->w_off = a->n_params;
        add_tensor(a, lname, "w", (size_t)width * (size_t)out, width, out, 0);
        L->b_off = a->n_params;
        add_tensor(a, lname, "b", (size_t)out, 1, out, 1);
        width = out;
    }
    a->n_layers = n_hidden + 1;
    a->fe_layers = fe_layers;
    a->fe_params = fe_layers > 0 ? a->layers[fe_layers].w_off : 0;
    a->in_dim = in_dim;
    a->classes = classes;
    return NVM_OK;
}

int nvm_arch_named(nvm_arch *a, const char *net, int in_dim, int n_fe, int classes, nvm_err *e)
{
    int hidden[2] = {n_fe, n_fe};
    if (strcmp(net, "mlp2") == 0)
        return nvm_arch_mlp(a, net, in_dim, hidden, 1, classes, 1, e);
    if (strcmp(net, "mlp3") == 0)
        return nvm_arch_mlp(a, net, in_dim, hidden, 2, classes, 2, e);
    return nvm_fail(e, NVM_EUSAGE, "--net %s: unknown network (expected mlp2 or mlp3)", net);
}

int nvm_arch_features(const nvm_arch *a)
{
    return a->fe_layers > 0 ? a->layers[a->fe_layers - 1].n_out : a->in_dim;
}

uint64_t nvm_arch_macs(const nvm_arch *a, int first, int last)
{
    uint64_t macs = 0;
    for (int l = first; l < last; l++)
        macs += (uint64_t)a->layers[l].n_in * (uint64_t)a->layers[l].n_out;
    return macs;
}

void nvm_arch_init(const nvm_arch *a, float *params, const nvm_stream *s)
{
    for (int l = 0; l < a->n_layers; l++) {
        const nvm_layer *L = &a->layers[l];
        double limit = sqrt(6.0 / (L->n_in + L->n_out));
        size_t nw = (size_t)L->n_in * (size_t)L->n_out;
        for (size_t i = 0; i < nw; i++)
            params[L->w_off + i] = (float)((2.0 * nvm_uniform(s, L->w_off + i) - 1.0) * limit);
        memset(params + L->b_off, 0, (size_t)L->n_out * sizeof(float));
    }
}

int nvm_work_init(nvm_work *w, const nvm_arch *a, int max_batch)
{
    memset(w, 0, sizeof *w);
    w->max_batch = max_batch;
    for (int l = 0; l <= a->n_layers; l++) {
        int width = l == 0 ? a->layers[0].n_in : a->layers[l - 1].n_out;
        size_t n = (size_t)max_batch * (size_t)width;
        w->act[l] = nvm_alloc_floats(n);
        w->grad[l] = nvm_alloc_floats(n);
        if (!w->act[l] || !w->grad[l]) {
            nvm_work_free(w);
            return NVM_ERUNTIME;
        }
    }
    return NVM_OK;
}

void nvm_work_free(nvm_work *w)
{
    for (int l = 0; l <= NVM_MAX_LAYERS; l++) {
        free(w->act[l]);
        free(w->grad[l]);
    }
    memset(w, 0, sizeof *w);
}
