/* Architectures from layer specs, the parameter table, initialisation and the activation workspace. */
#include "nvmsim/net.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WIDTH 100000
#define MAX_SIDE 4096
#define MAX_PARAMS ((size_t)1 << 28)

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

/* Appends a layer to a, given its kind and options; shapes follow from the previous layer. */
static int add_layer(nvm_arch *a, nvm_kind kind, nvm_act act, int n, int k, int same, int *n_conv,
                     int *n_fc, const char *tok, nvm_err *e)
{
    if (a->n_layers == NVM_MAX_LAYERS)
        return nvm_fail(e, NVM_EUSAGE, "--arch %s: more than %d layers", a->spec, NVM_MAX_LAYERS);
    nvm_layer *L = &a->layers[a->n_layers];
    const nvm_layer *P = a->n_layers ? &a->layers[a->n_layers - 1] : NULL;
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->act = act;
    L->in_h = P ? P->out_h : a->in_h;
    L->in_w = P ? P->out_w : a->in_w;
    L->in_c = P ? P->out_c : a->in_c;
    /* Shapes are ints: a layer's input and output may hold at most MAX_PARAMS values per sample. */
    if ((size_t)L->in_h * L->in_w * L->in_c > MAX_PARAMS)
        return nvm_fail(e, NVM_EUSAGE, "--arch %s: '%s' gets a %dx%dx%d input, more than %zu values",
                        a->spec, tok, L->in_h, L->in_w, L->in_c, MAX_PARAMS);
    char lname[16];
    if (kind == NVM_CONV) {
        if (n < 1 || n > MAX_WIDTH || k < 1 || k > 15 || k % 2 == 0)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: '%s' needs 1..%d filters and an odd kernel 1..15",
                            a->spec, tok, MAX_WIDTH);
        L->k = k;
        L->pad = same ? k / 2 : 0;
        L->out_h = L->in_h + 2 * L->pad - k + 1;
        L->out_w = L->in_w + 2 * L->pad - k + 1;
        L->out_c = n;
        if (L->out_h < 1 || L->out_w < 1)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: '%s' gets a %dx%d input, smaller than its kernel",
                            a->spec, tok, L->in_h, L->in_w);
        snprintf(lname, sizeof lname, "conv%d", ++*n_conv);
    } else if (kind == NVM_POOL) {
        if (L->in_h < 2 || L->in_w < 2)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: 'p' gets a %dx%d input, too small to pool",
                            a->spec, L->in_h, L->in_w);
        L->out_h = L->in_h / 2;
        L->out_w = L->in_w / 2;
        L->out_c = L->in_c;
    } else {
        if (n < 1 || n > MAX_WIDTH)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: '%s' needs 1..%d outputs", a->spec, tok, MAX_WIDTH);
        L->in_c = L->in_h * L->in_w * L->in_c;   /* flatten */
        L->in_h = L->in_w = 1;
        L->out_h = L->out_w = 1;
        L->out_c = n;
        snprintf(lname, sizeof lname, "fc%d", ++*n_fc);
    }
    if ((size_t)L->out_h * L->out_w * L->out_c > MAX_PARAMS)
        return nvm_fail(e, NVM_EUSAGE, "--arch %s: '%s' gives a %dx%dx%d output, more than %zu values",
                        a->spec, tok, L->out_h, L->out_w, L->out_c, MAX_PARAMS);
    L->n_in = L->in_h * L->in_w * L->in_c;
    L->n_out = L->out_h * L->out_w * L->out_c;
    if (kind != NVM_POOL) {
        size_t rows = kind == NVM_CONV ? (size_t)k * k * L->in_c : (size_t)L->n_in;
        if (rows * (size_t)L->out_c > MAX_PARAMS - a->n_params)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: more than %zu parameters", a->spec, MAX_PARAMS);
        L->w_off = a->n_params;
        add_tensor(a, lname, "w", rows * (size_t)L->out_c, (int)rows, L->out_c, 0);
        L->b_off = a->n_params;
        add_tensor(a, lname, "b", (size_t)L->out_c, 1, L->out_c, 1);
    }
    a->n_layers++;
    return NVM_OK;
}

/* detector: the network is all detector (fe_layers = 0), as nvm_arch_detector builds. */
static int parse(nvm_arch *a, const char *name, const char *spec, int in_h, int in_w, int in_c, int classes,
                 int detector, nvm_err *e)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    if (strlen(spec) >= NVM_MAX_SPEC)
        return nvm_fail(e, NVM_EUSAGE, "--arch: spec longer than %d characters", NVM_MAX_SPEC - 1);
    snprintf(a->spec, sizeof a->spec, "%s", spec);
    if (in_h < 1 || in_w < 1 || in_c < 1 || in_h > MAX_SIDE || in_w > MAX_SIDE || in_c > MAX_WIDTH ||
        classes < 2 || classes > MAX_WIDTH)
        return nvm_fail(e, NVM_EDATA, "%s: input %dx%dx%d with %d classes is out of range", name, in_h,
                        in_w, in_c, classes);
    a->in_h = in_h, a->in_w = in_w, a->in_c = in_c, a->classes = classes;
    int n_conv = 0, n_fc = 0, fe_mark = -1, rc;
    const char *p = spec;
    char tok[32];
    for (;;) {
        size_t len = strcspn(p, "-|");
        if (len == 0 || len >= sizeof tok)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: empty or overlong layer at offset %d (expected "
                            "e.g. c32-p-c64-p-c64-f64-f10)", spec, (int)(p - spec));
        memcpy(tok, p, len);
        tok[len] = '\0';
        char *end;
        long n = 0, k = 3;
        int same = 0;
        nvm_kind kind = NVM_DENSE;
        nvm_act act = NVM_ACT_RELU;
        if (tok[0] == 'p' && !tok[1]) {
            kind = NVM_POOL, act = NVM_ACT_NONE, end = tok + 1;
        } else if ((tok[0] == 'c' || tok[0] == 'f' || tok[0] == 't') && isdigit((unsigned char)tok[1])) {
            kind = tok[0] == 'c' ? NVM_CONV : NVM_DENSE;
            act = tok[0] == 't' ? NVM_ACT_TANH : NVM_ACT_RELU;
            n = strtol(tok + 1, &end, 10);
            if (kind == NVM_CONV && *end == 'k' && isdigit((unsigned char)end[1]))
                k = strtol(end + 1, &end, 10);
            if (kind == NVM_CONV && *end == 's')
                same = 1, end++;
        } else {
            end = tok;
        }
        if (*end)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: cannot read layer '%s' (expected c<N>[k<K>][s], p, "
                            "f<N> or t<N>)", spec, tok);
        if (n > MAX_WIDTH || k > 15)
            n = -1;
        if ((rc = add_layer(a, kind, act, (int)n, (int)k, same, &n_conv, &n_fc, tok, e)))
            return rc;
        p += len;
        if (*p == '|') {
            if (fe_mark >= 0)
                return nvm_fail(e, NVM_EUSAGE, "--arch %s: more than one '|'", spec);
            fe_mark = a->n_layers;
        }
        if (!*p++)
            break;
    }
    nvm_layer *last = &a->layers[a->n_layers - 1];
    if (last->kind != NVM_DENSE || last->out_c != classes)
        return nvm_fail(e, NVM_EUSAGE, "--arch %s: the last layer must be dense with %d outputs (f%d)",
                        spec, classes, classes);
    last->act = NVM_ACT_NONE;
    int first_dense = 0;
    while (a->layers[first_dense].kind != NVM_DENSE)
        first_dense++;
    for (int l = first_dense; l < a->n_layers; l++)
        if (a->layers[l].kind != NVM_DENSE)
            return nvm_fail(e, NVM_EUSAGE, "--arch %s: convolution or pooling after a dense layer", spec);
    a->fe_layers = detector ? 0 : fe_mark >= 0 ? fe_mark : first_dense > 0 ? first_dense : a->n_layers - 1;
    if (detector)
        return NVM_OK;
    if (a->fe_layers >= a->n_layers)
        return nvm_fail(e, NVM_EUSAGE, "--arch %s: '|' leaves no detector", spec);
    /* The feature extractor owns the tensors of its layers: everything before the first parameter of
     * the detector (pool layers have none, so the boundary is not a layer's w_off). */
    a->fe_params = nvm_arch_param_offset(a, a->fe_layers);
    if (a->fe_params == 0)
        return nvm_fail(e, NVM_EUSAGE, "--arch %s: the feature extractor (before '|') has no weights; put "
                        "'|' after a c or f layer", spec);
    return NVM_OK;
}

int nvm_arch_parse(nvm_arch *a, const char *name, const char *spec, int in_h, int in_w, int in_c,
                   int classes, nvm_err *e)
{
    return parse(a, name, spec, in_h, in_w, in_c, classes, 0, e);
}

int nvm_arch_named(nvm_arch *a, const char *net, const char *spec, int n_fe, int in_h, int in_w,
                   int in_c, int classes, nvm_err *e)
{
    char buf[NVM_MAX_SPEC];
    if (spec)
        snprintf(buf, sizeof buf, "%s", spec);
    else if (strcmp(net, "mlp2") == 0)
        snprintf(buf, sizeof buf, "t%d-f%d", n_fe, classes);
    else if (strcmp(net, "mlp3") == 0)
        snprintf(buf, sizeof buf, "t%d-t%d-f%d", n_fe, n_fe, classes);
    else if (strcmp(net, "cnn") == 0)
        snprintf(buf, sizeof buf, "c32-p-c64-p-c64-f64-f%d", classes);
    else
        return nvm_fail(e, NVM_EUSAGE, "--net %s: unknown network (expected mlp2, mlp3 or cnn)", net);
    if (n_fe < 1 || n_fe > MAX_WIDTH)
        return nvm_fail(e, NVM_EUSAGE, "--nfe %d: expected 1..%d", n_fe, MAX_WIDTH);
    return nvm_arch_parse(a, net, buf, in_h, in_w, in_c, classes, e);
}

int nvm_arch_detector(nvm_arch *a, int F, int nd, nvm_act act, int classes, nvm_err *e)
{
    char buf[NVM_MAX_SPEC];
    if (nd > 0)
        snprintf(buf, sizeof buf, "%c%d|f%d", act == NVM_ACT_TANH ? 't' : 'f', nd, classes);
    else
        snprintf(buf, sizeof buf, "f%d", classes);
    return parse(a, "detector", buf, 1, 1, F, classes, 1, e);   /* all of it is trained */
}

size_t nvm_arch_param_offset(const nvm_arch *a, int layer)
{
    for (int l = layer; l < a->n_layers; l++)
        if (a->layers[l].kind != NVM_POOL)
            return a->layers[l].w_off;
    return a->n_params;
}

int nvm_arch_features(const nvm_arch *a)
{
    return a->fe_layers > 0 ? a->layers[a->fe_layers - 1].n_out : a->layers[0].n_in;
}

int nvm_arch_detector_width(const nvm_arch *a)
{
    return a->n_layers - a->fe_layers > 1 ? a->layers[a->fe_layers].n_out : 0;
}

uint64_t nvm_arch_macs(const nvm_arch *a, int first, int last)
{
    uint64_t macs = 0;
    for (int l = first; l < last; l++) {
        const nvm_layer *L = &a->layers[l];
        if (L->kind == NVM_CONV)
            macs += (uint64_t)L->out_h * L->out_w * L->out_c * L->k * L->k * L->in_c;
        else if (L->kind == NVM_DENSE)
            macs += (uint64_t)L->n_in * L->n_out;
    }
    return macs;
}

void nvm_layer_describe(const nvm_layer *L, char *buf, size_t n)
{
    static const char *ACT[] = {"", ", tanh", ", ReLU"};
    if (L->kind == NVM_CONV)
        snprintf(buf, n, "conv %dx%d %d%s%s", L->k, L->k, L->out_c, L->pad ? " same" : "", ACT[L->act]);
    else if (L->kind == NVM_POOL)
        snprintf(buf, n, "max-pool 2x2");
    else
        snprintf(buf, n, "dense %d%s", L->out_c, ACT[L->act]);
}

const char *nvm_init_name(nvm_init init)
{
    return init == NVM_INIT_TORCH ? "torch" : "he";
}

void nvm_arch_init(const nvm_arch *a, float *params, const nvm_stream *s)
{
    nvm_arch_init_with(a, params, s, NVM_INIT_HE);
}

void nvm_arch_init_with(const nvm_arch *a, float *params, const nvm_stream *s, nvm_init init)
{
    for (int l = 0; l < a->n_layers; l++) {
        const nvm_layer *L = &a->layers[l];
        if (L->kind == NVM_POOL)
            continue;
        size_t fan_in = L->kind == NVM_CONV ? (size_t)L->k * L->k * L->in_c : (size_t)L->n_in;
        size_t nw = fan_in * (size_t)L->out_c;
        if (init == NVM_INIT_TORCH) {   /* kaiming_uniform(a = √5) = U(±1/√fan_in); the bias's bound is the same */
            double limit = 1.0 / sqrt((double)fan_in);
            for (size_t i = 0; i < nw; i++)
                params[L->w_off + i] = (float)((2.0 * nvm_uniform(s, L->w_off + i) - 1.0) * limit);
            for (size_t j = 0; j < (size_t)L->out_c; j++)
                params[L->b_off + j] = (float)((2.0 * nvm_uniform(s, L->b_off + j) - 1.0) * limit);
            continue;
        }
        double limit = L->act == NVM_ACT_RELU ? sqrt(6.0 / fan_in) : sqrt(6.0 / (fan_in + L->out_c));
        for (size_t i = 0; i < nw; i++)
            params[L->w_off + i] = (float)((2.0 * nvm_uniform(s, L->w_off + i) - 1.0) * limit);
        memset(params + L->b_off, 0, (size_t)L->out_c * sizeof(float));
    }
}

int nvm_work_init(nvm_work *w, const nvm_arch *a, int max_batch)
{
    memset(w, 0, sizeof *w);
    w->max_batch = max_batch;
    size_t max_col = 0, max_in = 0, max_reads = 0;
    for (int l = 0; l <= a->n_layers; l++) {
        size_t n = (size_t)max_batch * (size_t)(l == 0 ? a->layers[0].n_in : a->layers[l - 1].n_out);
        w->act[l] = nvm_alloc_floats(n);
        w->grad[l] = nvm_alloc_floats(n);
        if (!w->act[l] || !w->grad[l])
            goto fail;
        const nvm_layer *L = &a->layers[l];
        if (l < a->n_layers && L->kind != NVM_POOL) {   /* scratch of an analog layer (forward.c) */
            size_t in = (size_t)max_batch * L->n_in, reads = (size_t)max_batch * L->out_h * L->out_w;
            max_in = in > max_in ? in : max_in;
            max_reads = reads > max_reads ? reads : max_reads;
        }
        if (l < a->n_layers && L->kind == NVM_CONV) {
            /* Only the backward pass's dcol is materialised: the GEMMs read im2col rows straight from
             * the layer's input (nvm_conv_src), so w->col stays NULL. */
            size_t col = (size_t)max_batch * L->out_h * L->out_w * L->k * L->k * L->in_c;
            max_col = col > max_col ? col : max_col;
        }
    }
    if (max_col && !(w->dcol = nvm_alloc_floats(max_col)))
        goto fail;
    if (!(w->qin = nvm_alloc_floats(max_in)) || !(w->rstd = nvm_alloc_floats(max_reads)))
        goto fail;
    return NVM_OK;
fail:
    nvm_work_free(w);
    return NVM_ERUNTIME;
}

void nvm_work_free(nvm_work *w)
{
    for (int l = 0; l <= NVM_MAX_LAYERS; l++) {
        free(w->act[l]);
        free(w->grad[l]);
        if (l < NVM_MAX_LAYERS)
            free(w->col[l]);
    }
    free(w->dcol);
    free(w->qin);
    free(w->rstd);
    memset(w, 0, sizeof *w);
}
