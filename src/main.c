/* nvmsim: command dispatch and the train / eval / sweep / info commands. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvmsim/args.h"
#include "nvmsim/cli.h"
#include "nvmsim/data.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/sidecar.h"
#include "nvmsim/sweep.h"

#define EVAL_BATCH 512

/* Set by SIGINT/SIGTERM; the sweep polls it between cells (the one global a signal handler needs). */
static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    g_stop = 1;
    signal(sig, SIG_DFL);   /* a second Ctrl-C ends the process at once; rows on disk are whole */
}

static const char *data_dir(const nvm_args *a)
{
    const char *d = nvm_arg(a, "--data");
    if (!d)
        d = getenv("NVMSIM_DATA");
    return d && *d ? d : "data";
}

/* Settings shared by every command that reads MNIST and computes. */
typedef struct {
    int train_limit, test_limit, threads;
    nvm_dataset train, test;
    nvm_file_info files[4];
    nvm_pool *pool;
    nvm_isa isa;
} session;

static int session_open(session *s, const nvm_args *a, nvm_err *e)
{
    memset(s, 0, sizeof *s);
    int rc;
    if ((rc = nvm_arg_int(a, "--train-limit", 0, 1, 10000000, &s->train_limit, e)) ||
        (rc = nvm_arg_int(a, "--test-limit", 0, 1, 10000000, &s->test_limit, e)) ||
        (rc = nvm_arg_int(a, "--threads", nvm_online_cores(), 1, 256, &s->threads, e)))
        return rc;
    if ((rc = nvm_mnist_load(data_dir(a), s->train_limit, s->test_limit, &s->train, &s->test,
                             s->files, e)))
        return rc;
    s->isa = nvm_isa_detect();
    if (s->threads > 1 && !(s->pool = nvm_pool_new(s->threads)))
        return nvm_fail(e, NVM_ERUNTIME, "cannot start %d threads; try --threads 1", s->threads);
    return NVM_OK;
}

static void session_close(session *s)
{
    nvm_dataset_free(&s->train);
    nvm_dataset_free(&s->test);
    nvm_pool_free(s->pool);
}

static int train_opts(const nvm_args *a, nvm_train_opts *o, nvm_err *e)
{
    int rc;
    if ((rc = nvm_arg_int(a, "--epochs", 15, 1, 10000, &o->epochs, e)) ||
        (rc = nvm_arg_int(a, "--batch", 32, 1, 65536, &o->batch, e)) ||
        (rc = nvm_arg_double(a, "--lr", 0.05, 1e-9, 100, &o->lr, e)) ||
        (rc = nvm_arg_double(a, "--momentum", 0.9, 0, 0.999, &o->momentum, e)))
        return rc;
    return NVM_OK;
}

static int arg_seed(const nvm_args *a, uint64_t def, uint64_t *seed, nvm_err *e)
{
    const char *v = nvm_arg(a, "--seed");
    *seed = def;
    return v ? nvm_parse_u64("--seed", v, seed, e) : NVM_OK;
}

static void print_epoch(void *ctx, int epoch, int epochs, double loss)
{
    (void)ctx;
    fprintf(stderr, "  epoch %d/%d  loss %.4f\n", epoch, epochs, loss);
}

static int cmd_train(const nvm_args *a, nvm_err *e)
{
    const char *net = nvm_arg(a, "--net") ? nvm_arg(a, "--net") : "mlp2";
    const char *out = nvm_arg(a, "--out") ? nvm_arg(a, "--out") : "model.nvm";
    nvm_train_opts o;
    nvm_model m = {0};
    int nfe, rc;
    if ((rc = train_opts(a, &o, e)) || (rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) ||
        (rc = arg_seed(a, 1, &m.seed, e)) || (rc = nvm_arch_named(&m.arch, net, 784, nfe, 10, e)))
        return rc;
    session s;
    if ((rc = session_open(&s, a, e)) != NVM_OK) {
        session_close(&s);
        return rc;
    }
    nvm_compute *cx = nvm_compute_new(s.isa, s.pool);
    nvm_work w = {0};
    m.params = nvm_alloc_floats(m.arch.n_params);
    if (!cx || !m.params || nvm_work_init(&w, &m.arch, EVAL_BATCH) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    fprintf(stderr, "training %s N_FE=%d on %d samples (%d epochs, batch %d, lr %g, momentum %g)\n",
            net, nfe, s.train.n, o.epochs, o.batch, o.lr, o.momentum);
    double t0 = nvm_now();
    nvm_stream init = nvm_stream_make(m.seed, NVM_RNG_INIT, 0, (uint32_t)nfe);
    nvm_arch_init(&m.arch, m.params, &init);
    rc = nvm_train(&m.arch, m.params, 0, s.train.x, s.train.y, s.train.n, &o,
                   nvm_stream_make(m.seed, NVM_RNG_SHUFFLE, 0, 0), cx, print_epoch, NULL, e);
    if (rc == NVM_OK) {
        m.test_acc = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
        snprintf(m.dataset, sizeof m.dataset, "mnist");
        rc = nvm_model_save(out, &m, e);
    }
    if (rc == NVM_OK)
        printf("%s N_FE=%d: test accuracy %.2f %% on %d images after %d epochs (%.1f s); saved %s\n", net,
               nfe, 100 * m.test_acc, s.test.n, o.epochs, nvm_now() - t0, out);
done:
    nvm_work_free(&w);
    nvm_compute_free(cx);
    nvm_model_free(&m);
    session_close(&s);
    return rc;
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
    if ((rc = nvm_arg_double(a, "--alpha", 0, 0, 1000, &alpha, e)) ||
        (rc = nvm_arg_int(a, "--chip", 0, 0, 1000000, &chip, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &biases, e)) ||
        (rc = nvm_model_load(path, &m, e)))
        return rc;
    if ((rc = arg_seed(a, m.seed, &seed, e)) != NVM_OK) {
        nvm_model_free(&m);
        return rc;
    }
    session s;
    nvm_compute *cx = NULL;
    float *deg = NULL;
    nvm_work w = {0};
    if ((rc = session_open(&s, a, e)) != NVM_OK)
        goto done;
    if (m.arch.in_dim != s.test.dim) {
        rc = nvm_fail(e, NVM_EDATA, "%s: model takes %d inputs, the data has %d", path, m.arch.in_dim,
                      s.test.dim);
        goto done;
    }
    cx = nvm_compute_new(s.isa, s.pool);
    deg = nvm_alloc_floats(m.arch.n_params);
    if (!cx || !deg || nvm_work_init(&w, &m.arch, EVAL_BATCH) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    double clean = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
    printf("%s (%s N_FE=%d): clean test accuracy %.4f on %d images\n", path, m.arch.name,
           nvm_arch_features(&m.arch), clean, s.test.n);
    if (nvm_arg(a, "--alpha")) {
        nvm_chip c = {seed, m.base, (uint32_t)chip, biases};
        nvm_degrade_gauss(&m.arch, m.params, deg, alpha, &c);
        double acc = nvm_accuracy(&m.arch, deg, 0, s.test.x, s.test.y, s.test.n, &w, cx);
        char as[32];
        nvm_format_double(alpha, as);
        printf("degraded: alpha %s, chip %d, seed %llu: test accuracy %.4f\n", as, chip,
               (unsigned long long)seed, acc);
    }
done:
    nvm_work_free(&w);
    free(deg);
    nvm_compute_free(cx);
    nvm_model_free(&m);
    session_close(&s);
    return rc;
}

static int info_model(const char *path, nvm_err *e)
{
    nvm_model m;
    int rc = nvm_model_load(path, &m, e);
    if (rc != NVM_OK)
        return rc;
    const nvm_arch *a = &m.arch;
    printf("%s: nvmsim model v%u, %s, trained on %s with seed %llu (base %u), test accuracy %.4f\n",
           path, NVM_MODEL_VERSION, a->name, m.dataset, (unsigned long long)m.seed, m.base, m.test_acc);
    printf("  %-8s %10s %10s  %-10s %s\n", "tensor", "offset", "size", "shape", "part");
    for (int t = 0; t < a->n_tensors; t++) {
        const nvm_tensor *T = &a->tensors[t];
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%d", T->rows, T->cols);
        printf("  %-8s %10zu %10zu  %-10s %s\n", T->name, T->offset, T->count, shape,
               T->offset < a->fe_params ? "feature extractor" : "detector");
    }
    uint64_t fe = nvm_arch_macs(a, 0, a->fe_layers), all = nvm_arch_macs(a, 0, a->n_layers);
    printf("  parameters: %zu (%zu in the feature extractor)\n", a->n_params, a->fe_params);
    printf("  multiply-accumulates per image: %llu, %.2f %% in the feature extractor\n",
           (unsigned long long)all, 100.0 * (double)fe / (double)all);
    nvm_model_free(&m);
    return NVM_OK;
}

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
    printf("  %s: %d images of %dx%dx%d, pixel mean %.4f std %.4f; per class:", name, d->n, d->c, d->h,
           d->w, mean, sqrt(sq / n - mean * mean));
    for (int c = 0; c < d->classes; c++)
        printf(" %d:%ld", c, counts[c]);
    printf("\n");
}

static int cmd_info(const nvm_args *a, nvm_err *e)
{
    if (nvm_arg(a, "--model"))
        return info_model(nvm_arg(a, "--model"), e);
    session s;
    int rc = session_open(&s, a, e);
    if (rc == NVM_OK) {
        printf("MNIST from %s\n", data_dir(a));
        for (int i = 0; i < 4; i++)
            printf("  %s  %llu bytes  sha256 %s\n", s.files[i].path,
                   (unsigned long long)s.files[i].bytes, s.files[i].sha256);
        describe("train", &s.train);
        describe("test", &s.test);
    }
    session_close(&s);
    return rc;
}

static int cmd_sweep(int argc, char **argv, const nvm_args *a, nvm_err *e)
{
    double t0 = nvm_now();
    nvm_sweep_cfg cfg = {.net = "mlp2", .dataset = "mnist", .stop = &g_stop};
    int *nfe = NULL, *nd = NULL, rc;
    double *alphas = NULL;
    nvm_model model = {0};
    char out[4096], side[4200];
    session s = {0};
    cfg.net = nvm_arg(a, "--net") ? nvm_arg(a, "--net") : "mlp2";
    const char *det = nvm_arg(a, "--detector") ? nvm_arg(a, "--detector") : "last";
    snprintf(out, sizeof out, "%s", nvm_arg(a, "--out") ? nvm_arg(a, "--out") : "");
    if (!*out)
        snprintf(out, sizeof out, "results/%s.csv", cfg.net);
    snprintf(side, sizeof side, "%s.json", out);
    nvm_arch probe;
    if ((rc = nvm_arch_named(&probe, cfg.net, 784, 1, 10, e)) ||
        (rc = nvm_parse_int_list("--nfe", nvm_arg(a, "--nfe") ? nvm_arg(a, "--nfe") : "100", 1, 100000,
                                 &nfe, &cfg.n_nfe, e)) ||
        (rc = nvm_parse_int_list("--nd", nvm_arg(a, "--nd") ? nvm_arg(a, "--nd") : "0", 0, 100000, &nd,
                                 &cfg.n_nd, e)) ||
        (rc = nvm_parse_range("--alpha", nvm_arg(a, "--alpha") ? nvm_arg(a, "--alpha") : "0:1:0.05", 0,
                              1000, &alphas, &cfg.n_alpha, e)) ||
        (rc = nvm_arg_int(a, "--runs", 1, 1, 65535, &cfg.runs, e)) ||
        (rc = nvm_arg_int(a, "--bases", 1, 1, 10000, &cfg.bases, e)) ||
        (rc = arg_seed(a, 1, &cfg.seed, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &cfg.degrade_biases, e)) ||
        (rc = train_opts(a, &cfg.train, e)) ||
        (rc = nvm_arg_int(a, "--retrain-epochs", 5, 1, 65535, &cfg.retrain.epochs, e)) ||
        (rc = nvm_arg_double(a, "--retrain-lr", 0.02, 1e-9, 100, &cfg.retrain.lr, e)))
        goto done;
    cfg.retrain.batch = cfg.train.batch;
    cfg.retrain.momentum = cfg.train.momentum;
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
        if (strcmp(model.arch.name, cfg.net) != 0 || nvm_arg(a, "--nfe") || cfg.bases != 1) {
            rc = nvm_fail(e, NVM_EUSAGE, "%s holds a %s (N_FE=%d): use --net %s, no --nfe, no --bases",
                          nvm_arg(a, "--model"), model.arch.name, nvm_arch_features(&model.arch),
                          model.arch.name);
            goto done;
        }
        nfe[0] = nvm_arch_features(&model.arch);
        cfg.model = &model;
    }
    cfg.nfe = nfe;
    cfg.nd = nd;
    cfg.alphas = alphas;
    cfg.out = out;
    cfg.progress = isatty(STDERR_FILENO);
    if ((rc = session_open(&s, a, e)) != NVM_OK)
        goto done;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    nvm_sweep_stats st;
    rc = nvm_sweep(&cfg, &s.train, &s.test, s.pool, s.isa, &st, e);
    if (rc == NVM_OK || rc == NVM_EINTR) {
        nvm_run_info run = {argc, argv, s.files, 4, s.threads, nvm_isa_name(s.isa), nvm_now() - t0,
                            rc == NVM_OK ? "complete" : "interrupted"};
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
    if (rc == NVM_OK || rc == NVM_EINTR)
        nvm_sweep_stats_free(&st);
done:
    free(nfe);
    free(nd);
    free(alphas);
    nvm_model_free(&model);
    session_close(&s);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int cmd;
    } CMDS[] = {{"train", NVM_CMD_TRAIN}, {"eval", NVM_CMD_EVAL}, {"sweep", NVM_CMD_SWEEP},
                {"info", NVM_CMD_INFO}};
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
            default: rc = cmd_info(&a, &e); break;
            }
        }
        if (rc != NVM_OK)   /* one line: what failed, and what to do */
            fprintf(stderr, "nvmsim %s: %s%s%s\n", CMDS[i].name, e.msg,
                    rc == NVM_EUSAGE ? "; see `nvmsim <command> --help`" : "",
                    rc == NVM_EINTR ? "; run the same command again to redo the sweep" : "");
        return rc;
    }
    fprintf(stderr, "nvmsim: unknown command '%s' (expected train, eval, sweep or info; see nvmsim --help)\n",
            argv[1]);
    return NVM_EUSAGE;
}
