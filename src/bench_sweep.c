/* nvmsim bench --sweep: the time of sweep cells, through nvm_cell_run as `nvmsim sweep` runs them (one
 * cell per pool worker, each single-threaded), with each cell broken down into the steps it spends its
 * time on: the features of the training set, the detector's retraining, the test reads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/bench.h"
#include "nvmsim/cell.h"
#include "nvmsim/cli.h"
#include "nvmsim/device_args.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/session.h"
#include "nvmsim/sweep.h"

/* The default grid's axes, as `nvmsim sweep` parses them when no flag is given. */
#define GRID_ALPHA "0:1:0.05"

typedef struct {
    double wall, cpu;            /* the whole cell (nvm_cell_run) */
    double fe[2], retrain[2];    /* [wall, cpu]: training-set features; detector retraining */
    double test[2];              /* test-set features and the detector's evaluations */
    double p1[2];                /* --alpha-gemm linear: the chip's P1 (part of fe and test) */
    double fe_flop;              /* feature-extractor arithmetic of its feature passes (without the layer 0
                                    that --alpha-gemm linear takes from P0 + alpha*P1) */
    int fe_n, test_reads, test_evals, steps_dropped;
} cell_time;

typedef struct {
    const nvm_cell_ctx *ctx;
    const nvm_sweep_cfg *grid;   /* only its device axes (nvm_sweep_device) */
    nvm_cell_scratch *workers;
    nvm_step_log *logs;          /* per worker */
    cell_time *times;
    int rc;
    nvm_err err;                 /* the first failure */
} bench_job;

/* Cell i is the sweep's cell i of base 0: chip i / n_alpha, alpha i mod n_alpha (grid order). */
static void cell_task(void *vctx, int cell, int worker)
{
    bench_job *j = vctx;
    const nvm_sweep_cfg *g = j->grid;
    nvm_device d;
    nvm_sweep_device(g, 0, cell % g->n_alpha, 0, 0, 0, 0, &d);
    nvm_step_log *log = &j->logs[worker];
    nvm_cell_scratch *s = &j->workers[worker];
    log->n = log->dropped = 0;
    nvm_compute_set_log(s->cx, log);
    double acc_deg[NVM_MAX_TIMES * 2], acc_ret[NVM_MAX_TIMES * 2];
    nvm_err e;
    double t0 = nvm_now(), c0 = nvm_thread_cpu();
    int rc = nvm_cell_run(j->ctx, d, (uint32_t)(cell / g->n_alpha), s, acc_deg, acc_ret, &e);
    cell_time *t = &j->times[cell];
    memset(t, 0, sizeof *t);
    t->wall = nvm_now() - t0;
    t->cpu = nvm_thread_cpu() - c0;
    nvm_compute_set_log(s->cx, NULL);
    if (rc != NVM_OK) {
        if (j->rc == NVM_OK)   /* a benign race at worst: some failure's message is kept */
            j->rc = rc, j->err = e;
        return;
    }
    const nvm_arch *a = j->ctx->a;
    for (int k = 0; k < log->n; k++) {
        const nvm_step *st = &log->step[k];
        const int pass = st->kind == NVM_STEP_LAYERS || st->kind == NVM_STEP_LINEAR, p1 = st->kind == NVM_STEP_PREACT;
        double *into = NULL;
        if (pass || p1)   /* a linear pass computes layers [1, last) itself */
            t->fe_flop += 2.0 * (double)st->n *
                          (double)nvm_arch_macs(a, st->kind == NVM_STEP_LINEAR ? 1 : st->first, st->last);
        if (p1)
            t->p1[0] += st->seconds, t->p1[1] += st->cpu;
        if (st->kind == NVM_STEP_TRAIN) {
            into = t->retrain;
        } else if ((pass || p1) && st->x == j->ctx->train->x) {
            into = t->fe;
            t->fe_n += pass ? st->n : 0;
        } else {   /* test-set features (and the chip's P1 of the test set), or the detector on them */
            into = t->test;
            if (pass)
                t->test_reads++;
            else if (!p1)
                t->test_evals++;
        }
        into[0] += st->seconds, into[1] += st->cpu;
    }
    t->steps_dropped = log->dropped;
}

/* n × dim uniform inputs in [0, 1) and labels, for a machine without the data (the time of a cell does
 * not depend on the values). */
static int synthetic(nvm_dataset *d, int n, int h, int w, int c, uint32_t sub)
{
    memset(d, 0, sizeof *d);
    d->n = n, d->c = c, d->h = h, d->w = w, d->dim = c * h * w, d->classes = 10;
    d->x = nvm_alloc_floats((size_t)n * d->dim);
    d->y = nvm_alloc((size_t)n, 1);
    if (!d->x || !d->y)
        return NVM_ERUNTIME;
    nvm_stream s = nvm_stream_make(1, NVM_RNG_INIT, 99, sub);
    for (size_t i = 0; i < (size_t)n * d->dim; i++)
        d->x[i] = (float)nvm_uniform(&s, i);
    for (int i = 0; i < n; i++)
        d->y[i] = (uint8_t)(nvm_uniform(&s, (uint64_t)n * d->dim + i) * 10);
    return NVM_OK;
}

static double pct(double part, double whole)
{
    return whole > 0 ? 100 * part / whole : 0;
}

/* One network: its default grid's first `cells` cells on `threads` workers. */
static int bench_net(const nvm_args *a, const char *net, int cells_arg, nvm_err *e)
{
    nvm_net_choice n;
    nvm_train_opts train, retrain;
    nvm_session s = {0};
    nvm_arch arch;
    nvm_noise *noises = NULL;
    double *alphas = NULL;
    nvm_device_axes dx = {0};
    nvm_model model = {0};
    const char *mpath = nvm_arg(a, "--model");
    float *params = NULL, *p0 = NULL;
    nvm_cell_scratch *workers = NULL;
    nvm_step_log *logs = NULL;
    cell_time *times = NULL;
    int rc, nfe = 100, n_noise = 0, n_alpha = 0, threads = 1, synth = 0, nw = 0, base_epochs = 0;
    double train_s = 0;
    nvm_compute *tcx = NULL;
    char data_note[640] = "";
    if (mpath) {   /* the model names the network and its data format */
        if ((rc = nvm_model_load(mpath, &model, e)))
            return rc;
        n = (nvm_net_choice){model.arch.name, NULL, strchr(model.arch.spec, 'c') != NULL, model.arch.in_c == 3};
    } else if ((rc = nvm_choose_net(a, &n, e))) {
        return rc;
    }
    if (net)
        n.net = net, n.spec = NULL, n.conv = strcmp(net, "cnn") == 0, n.cifar = n.conv;
    /* --epochs may be 0 here (an untrained base): the training defaults are read without it */
    nvm_args ta = *a;
    for (int k = 0; k < NVM_MAX_FLAGS; k++)
        if (ta.val[k] && ta.val[k] == nvm_arg(a, "--epochs"))
            ta.val[k] = NULL;
    if ((rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) || (rc = nvm_train_defaults(&ta, n.conv, &train, e)) ||
        (rc = nvm_noise_parse_list("gauss", &noises, &n_noise, e)) ||
        (rc = nvm_parse_range("--alpha", GRID_ALPHA, 0, 1000, &alphas, &n_alpha, e)) ||
        (rc = nvm_device_axes_parse(a, noises, n_noise, &dx, e)))
        goto done;
    if ((rc = nvm_arg_int(a, "--epochs", n.conv ? 1 : 15, 0, 10000, &base_epochs, e)))
        goto done;
    if (mpath && nvm_arg(a, "--epochs")) {
        rc = nvm_fail(e, NVM_EUSAGE, "--epochs trains a base network; --model gives one: drop one of them");
        goto done;
    }
    retrain = train;   /* as nvm_cmd_sweep: the base network's optimiser, 5 epochs, its own rate */
    retrain.epochs = 5;
    retrain.lr = train.optim == NVM_ADAM ? 0.0005 : 0.02;
    nvm_err de;
    int drc = nvm_session_open(&s, a, n.cifar, &de);
    if (drc == NVM_EDATA) {   /* no data here: synthetic sets of the real shapes */
        nvm_session_close(&s);
        memset(&s, 0, sizeof s);
        snprintf(data_note, sizeof data_note, "SYNTHETIC data (uniform pixels, random labels) of %s's shape: %s",
                 n.cifar ? "CIFAR-10" : "MNIST", de.msg);
        synth = 1;
        if ((rc = nvm_arg_int(a, "--threads", nvm_online_cores(), 1, 256, &s.threads, e)))
            goto done;
        int px = n.cifar ? 32 : 28, ch = n.cifar ? 3 : 1;
        if (synthetic(&s.train, n.cifar ? 50000 : 60000, px, px, ch, 1) != NVM_OK ||
            synthetic(&s.test, 10000, px, px, ch, 2) != NVM_OK) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for the synthetic data");
            goto done;
        }
        snprintf(s.dataset, sizeof s.dataset, "synthetic");
        s.isa = nvm_isa_detect();
        if (s.threads > 1 && !(s.pool = nvm_pool_new(s.threads))) {
            rc = nvm_fail(e, NVM_ERUNTIME, "cannot start %d threads; try --threads 1", s.threads);
            goto done;
        }
    } else if (drc != NVM_OK) {
        *e = de;
        rc = drc;
        goto done;
    }
    threads = s.threads;
    if (mpath) {
        arch = model.arch;
        if ((rc = nvm_model_fits(mpath, &arch, &s.train, e)))
            goto done;
    } else if ((rc = nvm_build_arch(&arch, &n, &nfe, s.train.h, s.train.w, s.train.c, s.train.classes, e))) {
        goto done;
    }
    nw = nvm_pool_size(s.pool);
    const int cells = cells_arg > 0 ? cells_arg : (n.conv ? 2 : 4) * nw;
    params = nvm_alloc_floats(arch.n_params);
    workers = nvm_calloc((size_t)nw, sizeof *workers);
    logs = nvm_calloc((size_t)nw, sizeof *logs);
    times = nvm_calloc((size_t)cells, sizeof *times);
    if (!params || !workers || !logs || !times) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    /* The base network: the model's, else a sweep's base 0 of this width trained for base_epochs (its
     * weights decide how sparse the features and gradients are, and so how long retraining takes:
     * an untrained one retrains several times slower than a trained one). */
    if (mpath) {
        memcpy(params, model.params, arch.n_params * sizeof(float));
    } else {
        nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, (uint32_t)nfe);
        nvm_arch_init(&arch, params, &init);
        nvm_train_opts bo = train;
        bo.epochs = base_epochs;
        double t0 = nvm_now();
        if (base_epochs > 0 &&
            (!(tcx = nvm_compute_new(s.isa, s.pool)) ||
             (rc = nvm_train(&arch, params, 0, s.train.x, s.train.y, s.train.n, &bo,
                             nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0), tcx, NULL, NULL, e)))) {
            if (!tcx)
                rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
            goto done;
        }
        train_s = nvm_now() - t0;
    }
    char base_note[160];
    if (mpath)
        snprintf(base_note, sizeof base_note, "base network %s (test accuracy %.4f)", mpath, model.test_acc);
    else if (base_epochs > 0)
        snprintf(base_note, sizeof base_note, "base network trained first: %d epoch%s %s, %.1f s (not part of a cell)",
                 base_epochs, base_epochs == 1 ? "" : "s", train.optim == NVM_ADAM ? "adam" : "sgd", train_s);
    else
        snprintf(base_note, sizeof base_note, "base network untrained (--epochs 0; its retraining is slower than "
                 "a trained one's)");
    int zero = 0;
    nvm_sweep_cfg grid = {.noises = noises, .n_noise = n_noise, .alphas = alphas, .n_alpha = n_alpha,
                          .faults = dx.faults, .n_faults = dx.n_faults, .stuck_on = dx.stuck_on, .reads = dx.reads,
                          .n_read = dx.n_read, .adcs = dx.adcs, .n_adc = dx.n_adc, .dacs = dx.dacs,
                          .n_dac = dx.n_dac, .analog_all = dx.analog_all, .alpha_linear = dx.alpha_linear};
    const int linear = nvm_sweep_uses_linear(&grid, &arch);
    if (linear && ((rc = nvm_cell_check_linear(&arch, s.train.n, s.test.n, 1, nw, e)) ||
                   !(p0 = nvm_alloc_floats(nvm_cell_linear_floats(&arch, s.train.n, s.test.n))))) {
        if (!rc)
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for the layer-0 pre-activations of --alpha-gemm linear; "
                          "use --alpha-gemm each");
        goto done;
    }
    const nvm_cell_ctx ctx = {.a = &arch, .clean = params, .train = &s.train, .test = &s.test, .retrain = &retrain,
                              .cal = NULL, .times = dx.times, .n_time = dx.n_time, .comps = dx.comps,
                              .n_comp = dx.n_comp, .retrain_each = dx.retrain_each, .retrain_at = dx.retrain_at,
                              .nd = &zero, .n_nd = 1, .seed = mpath ? model.seed : 1, .base = mpath ? model.base : 0,
                              .degrade_biases = 1, .p0 = p0};
    for (int i = 0; i < nw; i++)
        if (nvm_cell_scratch_init(&workers[i], &ctx, s.isa) != NVM_OK) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for %d workers' feature caches", nw);
            goto done;
        }
    const double fe_flop = 2.0 * (double)nvm_arch_macs(&arch, 0, arch.fe_layers);   /* per image */
    printf("# nvmsim %s sweep cells: threads=%d isa=%s net=%s (%s) data=%s (%d train, %d test)\n", NVMSIM_VERSION,
           threads, nvm_isa_name(s.isa), n.net, arch.spec, s.dataset, s.train.n, s.test.n);
    if (synth)
        printf("# NOTE: %s\n", data_note);
    printf("# the default grid (--noise gauss --alpha %s, chip 0 first): its first %d cell%s, %d at a time, one "
           "thread each, through nvm_cell_run as `nvmsim sweep` runs them; %s; retraining %d epochs %s lr %g "
           "batch %d; feature extractor %.2f MFLOP/image\n", GRID_ALPHA, cells, cells == 1 ? "" : "s", nw,
           base_note, retrain.epochs, retrain.optim == NVM_ADAM ? "adam" : "sgd", retrain.lr, retrain.batch,
           fe_flop * 1e-6);
    if (linear) {   /* once per base network in a sweep, before its cells: not part of any cell */
        nvm_compute *pcx = tcx ? tcx : nvm_compute_new(s.isa, s.pool);
        if (!pcx) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
            goto done;
        }
        tcx = pcx;
        const double t0 = nvm_now(), c0 = nvm_thread_cpu();
        nvm_cell_p0(&ctx, p0, tcx);
        printf("# --alpha-gemm linear: layer 0's P0 = X*W + b of the base network on both sets, once per base network "
               "before its cells (not part of a cell): %.3f s (cpu %.3f s of the calling thread, %d thread%s); a "
               "worker's first cell of a chip with alpha > 0 computes the chip's P1 = X*(W.eps) + b.eps, every other "
               "cell of it none\n", nvm_now() - t0, nvm_thread_cpu() - c0, threads, threads == 1 ? "" : "s");
    }
    fflush(stdout);
    bench_job job = {.ctx = &ctx, .grid = &grid, .workers = workers, .logs = logs, .times = times};
    double t0 = nvm_now();
    nvm_pool_run(s.pool, cells, cell_task, &job);
    double wall = nvm_now() - t0;
    if ((rc = job.rc) != NVM_OK) {
        *e = job.err;
        goto done;
    }
    cell_time m = {0};
    for (int i = 0; i < cells; i++) {
        const cell_time *t = &times[i];
        char alpha[32];
        nvm_format_double(alphas[i % n_alpha], alpha);
        char p1[96] = "";
        if (t->p1[1] > 0)
            snprintf(p1, sizeof p1, "; of these the chip's P1 %.3f s (cpu %.3f s)", t->p1[0], t->p1[1]);
        printf("nvmsim %s sweep cell %d (chip %d, alpha %s): %.3f s (cpu %.3f s): training-set features %.3f s "
               "(cpu %.3f s, %d images), retraining %.3f s (cpu %.3f s), test reads %.3f s (cpu %.3f s, %d feature "
               "pass%s + %d detector evaluation%s)%s\n", n.net, i, i / n_alpha, alpha, t->wall, t->cpu, t->fe[0],
               t->fe[1], t->fe_n, t->retrain[0], t->retrain[1], t->test[0], t->test[1], t->test_reads,
               t->test_reads == 1 ? "" : "es", t->test_evals, t->test_evals == 1 ? "" : "s", p1);
        if (t->steps_dropped)
            printf("# cell %d: %d steps not logged (the breakdown undercounts)\n", i, t->steps_dropped);
        m.wall += t->wall / cells, m.cpu += t->cpu / cells;
        m.fe_n += t->fe_n, m.test_reads += t->test_reads, m.fe_flop += t->fe_flop / cells;
        for (int k = 0; k < 2; k++)
            m.fe[k] += t->fe[k] / cells, m.retrain[k] += t->retrain[k] / cells, m.test[k] += t->test[k] / cells;
    }
    printf("nvmsim %s sweep: %.3f cells/s, %.3f s/cell (cpu %.3f s/cell; %d cells in %.3f s, %d at a time)\n",
           n.net, cells / wall, m.wall, m.cpu, cells, wall, nw);
    for (int k = 0; k < 2; k++) {   /* the mean cell, by the wall clock and by its thread's CPU time */
        double whole = k ? m.cpu : m.wall, other = whole - m.fe[k] - m.retrain[k] - m.test[k];
        printf("nvmsim %s sweep cell %s: training-set features %.3f s (%.0f %%), retraining %.3f s (%.0f %%), "
               "test reads %.3f s (%.0f %%), other %.3f s (%.0f %%)\n", n.net, k ? "cpu" : "wall", m.fe[k],
               pct(m.fe[k], whole), m.retrain[k], pct(m.retrain[k], whole), m.test[k], pct(m.test[k], whole), other,
               pct(other, whole));
    }
    /* What the arithmetic of the feature passes alone takes at one core's FMA peak (CPU-timed, so a busy
     * machine does not lower it). */
    double peak1 = nvm_fma_peak_cpu(s.isa);
    /* (--alpha-gemm linear: the arithmetic its passes do, in images' worth of the whole feature extractor) */
    double gflop = m.fe_flop * 1e-9, images = m.fe_flop / fe_flop;
    printf("nvmsim %s sweep cell floor: %.0f images through the feature extractor = %.1f GFLOP per cell: %.3f s at "
           "one core's FMA peak (%.0f GFLOP/s), i.e. %.3f s/cell with %d cells at a time; the mean cell's feature "
           "passes ran at %.1f GFLOP/s of CPU time (%.0f %% of that peak)\n", n.net, images, gflop, gflop / peak1,
           peak1, gflop / peak1 / nw, nw, m.fe[1] + m.test[1] > 0 ? gflop / (m.fe[1] + m.test[1]) : 0.0,
           m.fe[1] + m.test[1] > 0 ? pct(gflop / (m.fe[1] + m.test[1]), peak1) : 0.0);
done:
    if (workers)
        for (int i = 0; i < nw; i++)
            nvm_cell_scratch_free(&workers[i]);
    free(workers);
    free(logs);
    free(times);
    free(params);
    free(p0);
    free(noises);
    free(alphas);
    nvm_device_axes_free(&dx);
    nvm_model_free(&model);
    nvm_compute_free(tcx);
    nvm_session_close(&s);
    return rc;
}

int nvm_bench_sweep(const nvm_args *a, nvm_err *e)
{
    int cells, rc;
    if ((rc = nvm_arg_int(a, "--cells", 0, 1, 100000, &cells, e)))
        return rc;
    if (nvm_arg(a, "--model") && (nvm_arg(a, "--net") || nvm_arg(a, "--arch") || nvm_arg(a, "--nfe")))
        return nvm_fail(e, NVM_EUSAGE, "--model names the network; drop %s",
                        nvm_arg(a, "--net") ? "--net" : nvm_arg(a, "--arch") ? "--arch" : "--nfe");
    if (nvm_arg(a, "--net") || nvm_arg(a, "--arch") || nvm_arg(a, "--model"))
        return bench_net(a, NULL, cells, e);
    if ((rc = bench_net(a, "mlp2", cells, e)))   /* both default grids */
        return rc;
    return bench_net(a, "cnn", cells, e);
}
