/* nvmsim: command dispatch and the train / eval / sweep / info commands. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvmsim/args.h"
#include "nvmsim/bench.h"
#include "nvmsim/cli.h"
#include "nvmsim/data.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/report.h"
#include "nvmsim/session.h"
#include "nvmsim/sidecar.h"
#include "nvmsim/sweep.h"


/* Set by SIGINT/SIGTERM; the sweep polls it between cells (the one global a signal handler needs). */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    g_stop = 1;
    signal(sig, SIG_DFL);   /* a second Ctrl-C ends the process at once; rows on disk are whole */
}

static void print_epoch(void *ctx, int epoch, int epochs, double loss)
{
    double *t0 = ctx;
    char el[32];
    nvm_format_duration(nvm_now() - *t0, el);
    fprintf(stderr, "  epoch %d/%d  loss %.4f  (%s)\n", epoch, epochs, loss, el);
}

static int cmd_train(const nvm_args *a, nvm_err *e)
{
    const char *out = nvm_arg(a, "--out") ? nvm_arg(a, "--out") : "model.nvm";
    nvm_net_choice n;
    nvm_train_opts o;
    nvm_model m = {0};
    int nfe, rc;
    if ((rc = nvm_choose_net(a, &n, e)) || (rc = nvm_train_defaults(a, n.cifar, &o, e)) ||
        (rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) || (rc = nvm_arg_seed(a, 1, &m.seed, e)))
        return rc;
    nvm_session s;
    nvm_compute *cx = NULL;
    nvm_work w = {0};
    if ((rc = nvm_session_open(&s, a, n.cifar, e)) ||
        (rc = nvm_build_arch(&m.arch, &n, &nfe, s.train.h, s.train.w, s.train.c, e)))
        goto done;
    cx = nvm_compute_new(s.isa, s.pool);
    m.params = nvm_alloc_floats(m.arch.n_params);
    if (!cx || !m.params || nvm_work_init(&w, &m.arch, nvm_eval_batch(&m.arch)) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    fprintf(stderr, "training %s (%s, %zu parameters) on %d %s images: %d epochs, batch %d, %s lr %g\n",
            n.net, m.arch.spec, m.arch.n_params, s.train.n, s.dataset, o.epochs, o.batch,
            o.optim == NVM_ADAM ? "adam" : "sgd", o.lr);
    double t0 = nvm_now();
    nvm_stream init = nvm_stream_make(m.seed, NVM_RNG_INIT, 0, (uint32_t)nfe);
    nvm_arch_init(&m.arch, m.params, &init);
    rc = nvm_train(&m.arch, m.params, 0, s.train.x, s.train.y, s.train.n, &o,
                   nvm_stream_make(m.seed, NVM_RNG_SHUFFLE, 0, 0), cx, print_epoch, &t0, e);
    if (rc == NVM_OK) {
        m.test_acc = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
        snprintf(m.dataset, sizeof m.dataset, "%s", s.dataset);
        rc = nvm_model_save(out, &m, e);
    }
    if (rc == NVM_OK)
        printf("%s (%s): test accuracy %.2f %% on %d images after %d epochs (%.1f s); saved %s\n", n.net,
               m.arch.spec, 100 * m.test_acc, s.test.n, o.epochs, nvm_now() - t0, out);
done:
    nvm_work_free(&w);
    nvm_compute_free(cx);
    nvm_model_free(&m);
    nvm_session_close(&s);
    return rc;
}

/* A model runs on a data set only if it takes its inputs and predicts its classes (a file for other data
 * would read past the samples, or index past its outputs with the labels). */
static int model_fits(const char *path, const nvm_arch *m, const nvm_dataset *d, nvm_err *e)
{
    if (m->layers[0].n_in != d->dim || m->classes != d->classes)
        return nvm_fail(e, NVM_EDATA, "%s: model takes %d inputs and %d classes, the data has %d and %d",
                        path, m->layers[0].n_in, m->classes, d->dim, d->classes);
    return NVM_OK;
}

static int cmd_eval(const nvm_args *a, nvm_err *e)
{
    const char *path = nvm_arg(a, "--model");
    if (!path)
        return nvm_fail(e, NVM_EUSAGE, "eval needs --model FILE (made by `nvmsim train`)");
    nvm_model m;
    int rc, chip, biases;
    double alpha;
    uint64_t seed;
    nvm_noise noise = {0};
    if ((nvm_arg(a, "--noise") && (rc = nvm_noise_parse(nvm_arg(a, "--noise"), &noise, e))) ||
        (rc = nvm_arg_double(a, "--alpha", 0, 0, 1000, &alpha, e)) ||
        (rc = nvm_arg_int(a, "--chip", 0, 0, 1000000, &chip, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &biases, e)) ||
        (rc = nvm_model_load(path, &m, e)))
        return rc;
    if ((rc = nvm_arg_seed(a, m.seed, &seed, e)) != NVM_OK) {
        nvm_model_free(&m);
        return rc;
    }
    nvm_session s;
    nvm_compute *cx = NULL;
    float *deg = NULL;
    nvm_work w = {0};
    if ((rc = nvm_session_open(&s, a, strcmp(m.arch.name, "cnn") == 0, e)) != NVM_OK)
        goto done;
    if ((rc = model_fits(path, &m.arch, &s.test, e)) != NVM_OK)
        goto done;
    cx = nvm_compute_new(s.isa, s.pool);
    deg = nvm_alloc_floats(m.arch.n_params);
    if (!cx || !deg || nvm_work_init(&w, &m.arch, nvm_eval_batch(&m.arch)) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    double clean = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
    printf("%s (%s %s): clean test accuracy %.4f on %d images\n", path, m.arch.name, m.arch.spec, clean,
           s.test.n);
    if (nvm_arg(a, "--alpha") || nvm_arg(a, "--noise")) {
        nvm_chip c = {seed, m.base, (uint32_t)chip, biases};
        nvm_degrade(&m.arch, m.params, deg, &noise, alpha, &c);
        double acc = nvm_accuracy(&m.arch, deg, 0, s.test.x, s.test.y, s.test.n, &w, cx);
        char as[32];
        nvm_format_double(alpha, as);
        char ns[16];
        nvm_noise_name(&noise, ns);
        printf("degraded: %s, alpha %s, chip %d, seed %llu: test accuracy %.4f\n", ns, as, chip,
               (unsigned long long)seed, acc);
    }
done:
    nvm_work_free(&w);
    free(deg);
    nvm_compute_free(cx);
    nvm_model_free(&m);
    nvm_session_close(&s);
    return rc;
}

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

/* Counts per class and pixel statistics of a data set (as normalised for the networks). */
static void describe(const char *name, const nvm_dataset *d)
{
    long counts[256] = {0};
    double sum = 0, sq = 0;
    for (int i = 0; i < d->n; i++)
        counts[d->y[i]]++;
    for (size_t i = 0; i < (size_t)d->n * d->dim; i++) {
        sum += d->x[i];
        sq += (double)d->x[i] * d->x[i];
    }
    double n = (double)d->n * d->dim, mean = sum / n;
    printf("  %s: %d images of %dx%dx%d, value mean %.4f std %.4f; per class:", name, d->n, d->h, d->w,
           d->c, mean, sqrt(sq / n - mean * mean));
    for (int c = 0; c < d->classes; c++)
        printf(" %d:%ld", c, counts[c]);
    printf("\n");
}

static int cmd_info(const nvm_args *a, nvm_err *e)
{
    int rc;
    if (nvm_arg(a, "--model")) {
        nvm_model m;
        const char *path = nvm_arg(a, "--model");
        if ((rc = nvm_model_load(path, &m, e)))
            return rc;
        printf("%s: nvmsim model v%u, %s (%s), trained on %s with seed %llu (base %u), test accuracy "
               "%.4f\n", path, NVM_MODEL_VERSION, m.arch.name, m.arch.spec, m.dataset,
               (unsigned long long)m.seed, m.base, m.test_acc);
        print_arch(&m.arch);
        nvm_model_free(&m);
        return NVM_OK;
    }
    if (nvm_arg(a, "--net") || nvm_arg(a, "--arch")) {
        nvm_net_choice n;
        nvm_arch arch;
        int nfe;
        if ((rc = nvm_choose_net(a, &n, e)) || (rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) ||
            (rc = nvm_build_arch(&arch, &n, &nfe, n.cifar ? 32 : 28, n.cifar ? 32 : 28, n.cifar ? 3 : 1, e)))
            return rc;
        printf("%s: %s on %s inputs\n", n.net, arch.spec, n.cifar ? "32x32x3 CIFAR-10" : "28x28 MNIST");
        print_arch(&arch);
        return NVM_OK;
    }
    const char *ds = nvm_arg(a, "--dataset") ? nvm_arg(a, "--dataset") : "mnist";
    if (strcmp(ds, "mnist") != 0 && strcmp(ds, "cifar10") != 0)
        return nvm_fail(e, NVM_EUSAGE, "--dataset %s: expected mnist or cifar10", ds);
    nvm_session s;
    if ((rc = nvm_session_open(&s, a, ds[0] == 'c', e)) == NVM_OK) {
        printf("%s from %s\n", s.dataset, nvm_data_dir(a));
        for (int i = 0; i < s.n_files; i++)
            if (s.files[i].path[0])
                printf("  %s  %llu bytes  sha256 %s\n", s.files[i].path,
                       (unsigned long long)s.files[i].bytes, s.files[i].sha256);
        describe("train", &s.train);
        describe("test", &s.test);
    }
    nvm_session_close(&s);
    return rc;
}

/* FNV-1a over n bytes, continuing from h (start with 14695981039346656037). */
static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

/* Everything that defines the rows of a sweep, in one line (lists as count@hash): --resume refuses to
 * continue a CSV made with anything else. Threads and paths are left out: they never change a row. */
static void grid_fingerprint(const nvm_sweep_cfg *c, const nvm_session *s, const nvm_model *m,
                             char out[1024])
{
    const uint64_t h0 = 14695981039346656037ull;
    uint64_t data = h0;
    for (int i = 0; i < s->n_files; i++)
        data = fnv1a(data, s->files[i].sha256, strlen(s->files[i].sha256));
    const nvm_train_opts *t = &c->train, *r = &c->retrain;
    snprintf(out, 1024,
             "net=%s arch=%s nfe=%d@%016llx nd=%d@%016llx detector=%s noise=%d@%016llx alpha=%d@%016llx "
             "runs=%d bases=%d seed=%llu biases=%d train=%d/%d/%d/%.17g/%.17g retrain=%d/%d/%d/%.17g/%.17g "
             "data=%s:%d/%d@%016llx model=%016llx",
             c->net, c->spec ? c->spec : "-", c->n_nfe,
             (unsigned long long)fnv1a(h0, c->nfe, (size_t)c->n_nfe * sizeof *c->nfe), c->n_nd,
             (unsigned long long)fnv1a(h0, c->nd, (size_t)c->n_nd * sizeof *c->nd),
             c->detector_new ? "new" : "last", c->n_noise,
             (unsigned long long)fnv1a(h0, c->noises, (size_t)c->n_noise * sizeof *c->noises), c->n_alpha,
             (unsigned long long)fnv1a(h0, c->alphas, (size_t)c->n_alpha * sizeof *c->alphas), c->runs,
             c->bases, (unsigned long long)c->seed, c->degrade_biases, (int)t->optim, t->epochs, t->batch,
             t->lr, t->momentum, (int)r->optim, r->epochs, r->batch, r->lr, r->momentum, s->dataset,
             s->train.n, s->test.n, (unsigned long long)data,
             (unsigned long long)(m->params ? fnv1a(h0, m->params, m->arch.n_params * sizeof(float)) : 0));
}

static int cmd_sweep(int argc, char **argv, const nvm_args *a, nvm_err *e)
{
    double t0 = nvm_now();
    nvm_sweep_cfg cfg = {.stop = &g_stop};
    nvm_net_choice n;
    int *nfe = NULL, *nd = NULL, rc;
    double *alphas = NULL;
    nvm_noise *noises = NULL;
    nvm_model model = {0};
    char out[4096], side[4200];
    nvm_session s = {0};
    if ((rc = nvm_choose_net(a, &n, e)))
        return rc;
    cfg.net = n.net;
    cfg.spec = n.spec;
    const char *det = nvm_arg(a, "--detector") ? nvm_arg(a, "--detector") : "last";
    snprintf(out, sizeof out, "%s", nvm_arg(a, "--out") ? nvm_arg(a, "--out") : "");
    if (!*out)
        snprintf(out, sizeof out, "%s.csv", cfg.net);
    snprintf(side, sizeof side, "%s.json", out);
    if ((rc = nvm_parse_int_list("--nfe", nvm_arg(a, "--nfe") ? nvm_arg(a, "--nfe") : "100", 1, 100000,
                                 &nfe, &cfg.n_nfe, e)) ||
        (rc = nvm_parse_int_list("--nd", nvm_arg(a, "--nd") ? nvm_arg(a, "--nd") : "0", 0, 100000, &nd,
                                 &cfg.n_nd, e)) ||
        (rc = nvm_parse_range("--alpha", nvm_arg(a, "--alpha") ? nvm_arg(a, "--alpha") : "0:1:0.05", 0,
                              1000, &alphas, &cfg.n_alpha, e)) ||
        (rc = nvm_noise_parse_list(nvm_arg(a, "--noise") ? nvm_arg(a, "--noise") : "gauss", &noises,
                                   &cfg.n_noise, e)) ||
        (rc = nvm_arg_int(a, "--runs", 1, 1, 65535, &cfg.runs, e)) ||
        (rc = nvm_arg_int(a, "--bases", 1, 1, 10000, &cfg.bases, e)) ||
        (rc = nvm_arg_seed(a, 1, &cfg.seed, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &cfg.degrade_biases, e)) ||
        (rc = nvm_train_defaults(a, n.cifar, &cfg.train, e)) ||
        (rc = nvm_arg_int(a, "--retrain-epochs", 5, 1, 65535, &cfg.retrain.epochs, e)) ||
        (rc = nvm_arg_double(a, "--retrain-lr", cfg.train.optim == NVM_ADAM ? 0.0005 : 0.02, 1e-9, 100,
                             &cfg.retrain.lr, e)))
        goto done;
    cfg.retrain.batch = cfg.train.batch;
    cfg.retrain.momentum = cfg.train.momentum;
    cfg.retrain.optim = cfg.train.optim;
    if (strcmp(det, "last") != 0 && strcmp(det, "new") != 0) {
        rc = nvm_fail(e, NVM_EUSAGE, "--detector %s: expected last or new", det);
        goto done;
    }
    cfg.detector_new = det[0] == 'n';
    if (!cfg.detector_new && nvm_arg(a, "--nd")) {
        rc = nvm_fail(e, NVM_EUSAGE, "--nd sets the size of a new detector; add --detector new");
        goto done;
    }
    if (nvm_arg(a, "--model")) {
        if ((rc = nvm_model_load(nvm_arg(a, "--model"), &model, e)))
            goto done;
        if (strcmp(model.arch.name, cfg.net) != 0 || nvm_arg(a, "--nfe") || nvm_arg(a, "--arch") ||
            cfg.bases != 1) {
            rc = nvm_fail(e, NVM_EUSAGE, "%s holds a %s (%s): use --net %s without --nfe, --arch, --bases",
                          nvm_arg(a, "--model"), model.arch.name, model.arch.spec, model.arch.name);
            goto done;
        }
        cfg.model = &model;
    }
    if ((rc = nvm_session_open(&s, a, n.cifar, e)) != NVM_OK ||
        (cfg.model && (rc = model_fits(nvm_arg(a, "--model"), &model.arch, &s.train, e)) != NVM_OK))
        goto done;
    if (n.cifar || cfg.model) {   /* one base architecture: N_FE is the width of its features */
        nvm_arch probe;
        if (cfg.model)
            probe = model.arch;
        else if ((rc = nvm_build_arch(&probe, &n, &nfe[0], s.train.h, s.train.w, s.train.c, e)))
            goto done;
        nfe[0] = nvm_arch_features(&probe);
    }
    cfg.dataset = s.dataset;
    cfg.nfe = nfe;
    cfg.nd = nd;
    cfg.alphas = alphas;
    cfg.noises = noises;
    cfg.out = out;
    cfg.progress = isatty(STDERR_FILENO);
    cfg.resume = nvm_arg(a, "--resume") != NULL;
    if (!cfg.resume && !nvm_arg(a, "--overwrite") && access(out, F_OK) == 0) {
        rc = nvm_fail(e, NVM_EUSAGE, "%s exists: choose another --out, or add --overwrite to replace it", out);
        goto done;
    }
    char grid[1024];
    grid_fingerprint(&cfg, &s, &model, grid);
    nvm_sweep_stats st = {0};
    nvm_run_info run = {argc, argv, s.files, s.n_files, s.threads, nvm_isa_name(s.isa), 0, "running",
                        grid};
    /* The sidecar is written first too, so an interrupted run records what it was (for --resume). */
    if ((cfg.resume && (rc = nvm_sidecar_check_grid(side, grid, e))) ||
        (rc = nvm_sidecar_write(side, &cfg, &st, &run, e)))
        goto done;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = nvm_sweep(&cfg, &s.train, &s.test, s.pool, s.isa, &st, e);
    if (rc == NVM_OK || rc == NVM_EINTR) {
        run.wall_seconds = nvm_now() - t0;
        run.status = rc == NVM_OK ? "complete" : "interrupted";
        nvm_err e2;
        int rc2 = nvm_sidecar_write(side, &cfg, &st, &run, &e2);
        if (rc == NVM_OK) {
            nvm_sweep_summary(&cfg, &st, stdout);
            printf("\nwrote %s (%d rows) and %s in %.1f s (training %.1f s, cells %.1f s, %d threads)\n",
                   out, st.rows, side, nvm_now() - t0, st.train_seconds, st.cell_seconds, s.threads);
            if (rc2 != NVM_OK) {
                rc = rc2;
                *e = e2;
            }
        }
    }
    nvm_sweep_stats_free(&st);   /* filled (in part) by a failed sweep too */
done:
    free(nfe);
    free(nd);
    free(alphas);
    free(noises);
    nvm_model_free(&model);
    nvm_session_close(&s);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int cmd;
    } CMDS[] = {{"train", NVM_CMD_TRAIN}, {"eval", NVM_CMD_EVAL}, {"sweep", NVM_CMD_SWEEP},
                {"info", NVM_CMD_INFO}, {"bench", NVM_CMD_BENCH}};
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        nvm_args_usage();
        return argc < 2 ? NVM_EUSAGE : NVM_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("nvmsim %s\n", NVMSIM_VERSION);
        return NVM_OK;
    }
    for (size_t i = 0; i < sizeof CMDS / sizeof CMDS[0]; i++) {
        if (strcmp(argv[1], CMDS[i].name) != 0)
            continue;
        nvm_args a;
        nvm_err e = {{0}};
        int rc = nvm_args_parse(&a, CMDS[i].cmd, CMDS[i].name, argc, argv, 2, &e);
        if (rc == NVM_OK && a.help) {
            nvm_args_help(CMDS[i].cmd);
            return NVM_OK;
        }
        if (rc == NVM_OK) {
            switch (CMDS[i].cmd) {
            case NVM_CMD_TRAIN: rc = cmd_train(&a, &e); break;
            case NVM_CMD_EVAL: rc = cmd_eval(&a, &e); break;
            case NVM_CMD_SWEEP: rc = cmd_sweep(argc, argv, &a, &e); break;
            case NVM_CMD_BENCH: rc = nvm_cmd_bench(&a, &e); break;
            default: rc = cmd_info(&a, &e); break;
            }
        }
        if (rc != NVM_OK)   /* one line: what failed, and what to do */
            fprintf(stderr, "nvmsim %s: %s%s%s\n", CMDS[i].name, e.msg,
                    rc == NVM_EUSAGE ? "; see `nvmsim <command> --help`" : "",
                    "");
        return rc;
    }
    nvm_err e;   /* formatted by nvm_fail, which keeps the quoted argument on one line */
    nvm_fail(&e, NVM_EUSAGE, "unknown command '%s' (expected train, eval, sweep or info; see nvmsim --help)",
             argv[1]);
    fprintf(stderr, "nvmsim: %s\n", e.msg);
    return NVM_EUSAGE;
}
