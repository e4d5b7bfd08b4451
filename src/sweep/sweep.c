#define _POSIX_C_SOURCE 200809L
/* The grid. Cells (chip, noise model, α) of one base network are independent and run whole on pool workers, each
 * with its own single-threaded compute and scratch; rows are written in grid order as soon as every
 * earlier cell is done, so the CSV is the same for any thread count and always a valid prefix. */
#include "nvmsim/sweep.h"

#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/report.h"

#define CSV_HEADER NVM_CSV_HEADER

/* Scratch of one pool worker, sized once per base network. */
typedef struct {
    nvm_compute *cx;
    nvm_work work;             /* base network, nvm_eval_batch rows */
    float *deg;                /* degraded parameter block */
    float *ftrain, *ftest;     /* cached feature-extractor outputs: n × F */
    float *det;                /* fresh detector parameters */
} worker;

typedef struct {
    const nvm_sweep_cfg *cfg;
    const nvm_dataset *train, *test;
    const nvm_arch *arch;
    const float *params;
    int nfe_i, base, cells;
    long grp0;                   /* global index of this base network's cell 0 (for shards) */
    int first;                   /* cells before it were kept from an interrupted run */
    double acc_clean;
    worker *workers;
    double *acc_deg, *acc_ret;   /* [cells], [cells × n_nd] */
    unsigned char *done;
    pthread_mutex_t lock;        /* guards everything below */
    int next_write;              /* first cell whose rows are not yet written */
    long *cells_done;
    nvm_csv *csv;
    nvm_progress *prog;
    nvm_sweep_stats *stats;
    int rc;
    nvm_err err;
} grid;

static int worker_init(worker *w, const nvm_arch *a, int n_train, int n_test, size_t det_params,
                       nvm_isa isa)
{
    memset(w, 0, sizeof *w);
    size_t F = (size_t)nvm_arch_features(a);
    w->cx = nvm_compute_new(isa, NULL);
    w->deg = nvm_alloc_floats(a->n_params);
    w->ftrain = nvm_alloc_floats((size_t)n_train * F);
    w->ftest = nvm_alloc_floats((size_t)n_test * F);
    w->det = nvm_alloc_floats(det_params);
    if (nvm_work_init(&w->work, a, nvm_eval_batch(a)) != NVM_OK || !w->cx || !w->deg || !w->ftrain ||
        !w->ftest || !w->det)
        return NVM_ERUNTIME;
    return NVM_OK;
}

static void worker_free(worker *w)
{
    nvm_compute_free(w->cx);
    nvm_work_free(&w->work);
    free(w->deg);
    free(w->ftrain);
    free(w->ftest);
    free(w->det);
}

/* The fresh detector F → nd → classes (nd = 0: a single softmax layer), with the base network's
 * hidden activation (tanh for the MLPs, ReLU for the CNN). */
static int detector_arch(nvm_arch *d, const nvm_arch *base, int nd, nvm_err *e)
{
    return nvm_arch_detector(d, nvm_arch_features(base), nd, base->layers[0].act, base->classes, e);
}

int nvm_chip_measure(const nvm_arch *a, float *deg, const nvm_dataset *train, const nvm_dataset *test,
                     const nvm_train_opts *retrain, nvm_stream shuffle, float *ftrain, float *ftest,
                     nvm_work *w, nvm_compute *cx, double *acc_deg, double *acc_ret, nvm_err *e)
{
    const int fe = a->fe_layers;
    nvm_run_layers(a, deg, 0, fe, test->x, test->n, ftest, w, cx);
    *acc_deg = nvm_accuracy(a, deg, fe, ftest, test->y, test->n, w, cx);
    if (!acc_ret)
        return NVM_OK;
    nvm_run_layers(a, deg, 0, fe, train->x, train->n, ftrain, w, cx);
    int rc = nvm_train(a, deg, fe, ftrain, train->y, train->n, retrain, shuffle, cx, NULL, NULL, e);
    if (rc == NVM_OK)
        *acc_ret = nvm_accuracy(a, deg, fe, ftest, test->y, test->n, w, cx);
    return rc;
}

nvm_stream nvm_chip_shuffle(uint64_t seed, uint32_t base, uint32_t chip)
{
    return nvm_stream_make(seed, NVM_RNG_DET_SHUFFLE, base, chip << 16);
}

/* One cell: degrade, extract features once, measure, retrain the detector(s), measure. */
static int run_cell(grid *g, worker *w, int cell, nvm_err *e)
{
    const nvm_sweep_cfg *cfg = g->cfg;
    const nvm_arch *a = g->arch;
    const int per_chip = cfg->n_noise * cfg->n_alpha, chip = cell / per_chip, fe = a->fe_layers;
    const nvm_noise *noise = &cfg->noises[cell % per_chip / cfg->n_alpha];
    nvm_chip c = {cfg->seed, (uint32_t)g->base, (uint32_t)chip, cfg->degrade_biases};
    nvm_degrade(a, g->params, w->deg, noise, cfg->alphas[cell % cfg->n_alpha], &c);
    /* Same shuffles for every α and noise model of a chip: common random numbers. */
    nvm_stream shuffle = nvm_chip_shuffle(cfg->seed, (uint32_t)g->base, (uint32_t)chip);
    if (!cfg->detector_new)   /* the trained last layer(s), the rest of the block */
        return nvm_chip_measure(a, w->deg, g->train, g->test, &cfg->retrain, shuffle, w->ftrain, w->ftest,
                                &w->work, w->cx, &g->acc_deg[cell], &g->acc_ret[cell], e);
    int rc = nvm_chip_measure(a, w->deg, g->train, g->test, &cfg->retrain, shuffle, w->ftrain, w->ftest,
                              &w->work, w->cx, &g->acc_deg[cell], NULL, e);
    nvm_run_layers(a, w->deg, 0, fe, g->train->x, g->train->n, w->ftrain, &w->work, w->cx);
    for (int k = 0; k < cfg->n_nd && rc == NVM_OK; k++) {
        double *acc = &g->acc_ret[(size_t)cell * cfg->n_nd + k];
        nvm_arch d;
        nvm_work dw;
        if ((rc = detector_arch(&d, a, cfg->nd[k], e)) != NVM_OK)
            return rc;
        nvm_stream init = nvm_stream_make(cfg->seed, NVM_RNG_DET_INIT, (uint32_t)g->base, (uint32_t)chip);
        nvm_arch_init(&d, w->det, &init);
        rc = nvm_train(&d, w->det, 0, w->ftrain, g->train->y, g->train->n, &cfg->retrain, shuffle, w->cx, NULL,
                       NULL, e);
        if (rc == NVM_OK && nvm_work_init(&dw, &d, nvm_eval_batch(&d)) == NVM_OK) {
            *acc = nvm_accuracy(&d, w->det, 0, w->ftest, g->test->y, g->test->n, &dw, w->cx);
            nvm_work_free(&dw);
        } else if (rc == NVM_OK) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for the detector");
        }
    }
    return rc;
}

/* A shard computes the cells whose global index is K mod N (all of them without --shard): every shard
 * gets a share of every α, noise model and chip, whatever N is. */
static int member(const nvm_sweep_cfg *cfg, long global)
{
    return cfg->shard_n <= 1 || global % cfg->shard_n == cfg->shard_k;
}

void nvm_shard_tag(const char *fingerprint, const char *row, char out[17])
{
    uint64_t h = nvm_fnv1a(nvm_fnv1a(NVM_FNV0, fingerprint, strlen(fingerprint) + 1), row, strlen(row));
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Writes the rows of every finished cell at the head of the queue. Caller holds g->lock. */
static void flush_rows(grid *g)
{
    const nvm_sweep_cfg *cfg = g->cfg;
    while (g->rc == NVM_OK && g->next_write < g->cells && g->done[g->next_write]) {
        const int per_chip = cfg->n_noise * cfg->n_alpha;
        int cell = g->next_write++, chip = cell / per_chip, ni = cell % per_chip / cfg->n_alpha,
            ai = cell % cfg->n_alpha;
        if (!member(cfg, g->grp0 + cell))
            continue;
        char alpha[32], noise[16], line[512];
        nvm_format_double(cfg->alphas[ai], alpha);
        nvm_noise_name(&cfg->noises[ni], noise);
        for (int k = 0; k < cfg->n_nd; k++) {
            int nd = cfg->detector_new ? cfg->nd[k] : nvm_arch_detector_width(g->arch);
            double ret = g->acc_ret[(size_t)cell * cfg->n_nd + k];
            snprintf(line, sizeof line, "%s,%s,%d,%d,%s,%s,%s,%d,%d,%.6f,%.6f,%.6f\n", cfg->net,
                     cfg->dataset, nvm_arch_features(g->arch), nd, cfg->detector_new ? "new" : "last",
                     noise, alpha, g->base, chip, g->acc_clean, g->acc_deg[cell], ret);
            if (cfg->shard_n > 0) {   /* shard rows carry their global cell and a tag for the merge */
                char tagged[600], tag[17];
                nvm_shard_tag(cfg->grid, line, tag);
                snprintf(tagged, sizeof tagged, "%ld,%s,%s", g->grp0 + cell, tag, line);
                g->rc = nvm_csv_write(g->csv, tagged, &g->err);
            } else {
                g->rc = nvm_csv_write(g->csv, line, &g->err);
            }
            if (g->rc != NVM_OK)
                return;
            size_t s = (((size_t)g->nfe_i * cfg->n_nd + k) * cfg->n_noise + ni) * cfg->n_alpha + ai;
            g->stats->acc_degraded[s] += g->acc_deg[cell] / (cfg->bases * cfg->runs);
            g->stats->acc_retrained[s] += ret / (cfg->bases * cfg->runs);
            g->stats->rows++;
        }
    }
}

static void cell_task(void *ctx, int cell, int worker_id)
{
    grid *g = ctx;
    pthread_mutex_lock(&g->lock);
    int skip = cell < g->first || g->rc != NVM_OK || (g->cfg->stop && *g->cfg->stop);
    int mine = member(g->cfg, g->grp0 + cell);
    if (!skip && !mine) {   /* another shard's: nothing to compute, nothing to write */
        g->done[cell] = 1;
        flush_rows(g);
    }
    pthread_mutex_unlock(&g->lock);
    if (skip || !mine)
        return;
    nvm_err e;
    int rc = run_cell(g, &g->workers[worker_id], cell, &e);
    pthread_mutex_lock(&g->lock);
    if (rc != NVM_OK && g->rc == NVM_OK) {
        g->rc = rc;
        g->err = e;
    }
    g->done[cell] = rc == NVM_OK;
    flush_rows(g);
    nvm_progress_update(g->prog, ++*g->cells_done);
    pthread_mutex_unlock(&g->lock);
}

typedef struct {
    const char *net;
    int nfe, base, progress;
} train_note;

static void on_epoch(void *ctx, int epoch, int epochs, double loss)
{
    const train_note *t = ctx;
    if (t->progress)
        fprintf(stderr, "\r\033[Ktraining %s n_fe=%d base %d: epoch %d/%d, loss %.4f", t->net, t->nfe,
                t->base, epoch, epochs, loss);
}

/* Adds the rows kept from an interrupted run (grid order) to the statistics, as flush_rows would have. */
static int absorb_rows(const nvm_sweep_cfg *cfg, nvm_sweep_stats *st, const char *text, long n_rows,
                       int cells, nvm_err *e)
{
    const char *p = text;
    const int skip = cfg->shard_n > 0 ? 11 : 9;   /* to acc_clean (shard rows lead with cell, tag) */
    for (long r = 0; r < n_rows; r++) {
        double v[3];
        for (int f = 0; f < skip && p; f++) {
            const char *comma = strchr(p, ',');
            p = comma ? comma + 1 : NULL;
        }
        char *end = NULL;
        for (int f = 0; f < 3 && p; f++) {
            v[f] = strtod(p, &end);
            p = end && (*end == ',' || *end == '\n') && end > p ? end + 1 : NULL;
        }
        if (!p || end[0] != '\n')
            return nvm_fail(e, NVM_EDATA, "%s.part: row %ld is not a complete sweep row", cfg->out, r + 2);
        long cell = r / cfg->n_nd;
        if (cfg->shard_n > 0)   /* the i-th cell of shard K is global cell K + i·N */
            cell = cfg->shard_k + cell * cfg->shard_n;
        long grp = cell / cells;
        int k = (int)(r % cfg->n_nd), local = (int)(cell % cells);
        int ni = local % (cfg->n_noise * cfg->n_alpha) / cfg->n_alpha, ai = local % cfg->n_alpha;
        int fi = (int)(grp / cfg->bases);
        size_t s = (((size_t)fi * cfg->n_nd + k) * cfg->n_noise + ni) * cfg->n_alpha + ai;
        st->acc_clean[grp] = v[0];
        st->acc_degraded[s] += v[1] / (cfg->bases * cfg->runs);
        st->acc_retrained[s] += v[2] / (cfg->bases * cfg->runs);
        st->rows++;
    }
    return NVM_OK;
}

void nvm_base_path(const char *out, int nfe, int base, char path[4200])
{
    snprintf(path, 4200, "%s.n%d.b%d.nvm", out, nfe, base);
}

/* Base network `base` of width nfe into params: cfg->model's, else the one saved beside the output by an
 * earlier run with the same provenance, else trained now (and saved there, so --resume and shards never
 * train it again). */
static int make_base(const nvm_sweep_cfg *cfg, const nvm_arch *a, float *params, int nfe, int base,
                     const nvm_dataset *train, nvm_compute *cx, int *trained, nvm_err *e)
{
    *trained = 0;
    if (cfg->model) {
        memcpy(params, cfg->model->params, a->n_params * sizeof(float));
        return NVM_OK;
    }
    nvm_model m = {0};
    char path[4200];
    nvm_base_path(cfg->out, nfe, base, path);
    uint64_t prov = nvm_train_provenance(a, &cfg->train, cfg->seed, (uint32_t)base, (uint32_t)nfe,
                                         cfg->data_hash);
    nvm_err ignored;
    if (access(path, F_OK) == 0 && nvm_model_load(path, &m, &ignored) == NVM_OK) {
        int same = m.provenance == prov && strcmp(m.arch.spec, a->spec) == 0 && m.arch.n_params == a->n_params;
        if (same)
            memcpy(params, m.params, a->n_params * sizeof(float));
        nvm_model_free(&m);
        if (same)
            return NVM_OK;
    }
    nvm_stream init = nvm_stream_make(cfg->seed, NVM_RNG_INIT, (uint32_t)base, (uint32_t)nfe);
    nvm_arch_init(a, params, &init);
    train_note note = {cfg->net, nfe, base, cfg->progress};
    int rc = nvm_train(a, params, 0, train->x, train->y, train->n, &cfg->train,
                       nvm_stream_make(cfg->seed, NVM_RNG_SHUFFLE, (uint32_t)base, 0), cx, on_epoch,
                       &note, e);
    if (cfg->progress)
        fprintf(stderr, "\r\033[K");
    if (rc != NVM_OK)
        return rc;
    *trained = 1;
    return NVM_OK;
}

/* Saves the base network just trained beside the output, with its clean accuracy. */
static int save_base(const nvm_sweep_cfg *cfg, const nvm_arch *a, float *params, int nfe, int base,
                     double acc, nvm_err *e)
{
    nvm_model m = {.arch = *a, .params = params, .seed = cfg->seed, .base = (uint32_t)base, .test_acc = acc};
    m.provenance = nvm_train_provenance(a, &cfg->train, cfg->seed, (uint32_t)base, (uint32_t)nfe, cfg->data_hash);
    snprintf(m.dataset, sizeof m.dataset, "%.15s", cfg->dataset);
    char path[4200];
    nvm_base_path(cfg->out, nfe, base, path);
    return nvm_model_save(path, &m, e);
}

/* Clean accuracy through the same path the cells use (features, then detector), so that at α = 0
 * acc_degraded equals it exactly. */
static double clean_accuracy(const nvm_arch *a, const float *params, const nvm_dataset *test,
                             worker *w, nvm_compute *cx)
{
    nvm_run_layers(a, params, 0, a->fe_layers, test->x, test->n, w->ftest, &w->work, cx);
    return nvm_accuracy(a, params, a->fe_layers, w->ftest, test->y, test->n, &w->work, cx);
}

int nvm_sweep(const nvm_sweep_cfg *cfg, const nvm_dataset *train, const nvm_dataset *test,
              nvm_pool *pool, nvm_isa isa, nvm_sweep_stats *stats, nvm_err *e)
{
    memset(stats, 0, sizeof *stats);
    const int nw = nvm_pool_size(pool), cells = cfg->runs * cfg->n_noise * cfg->n_alpha;
    size_t nstat = (size_t)cfg->n_nfe * cfg->n_nd * cfg->n_noise * cfg->n_alpha;
    stats->acc_clean = nvm_calloc((size_t)cfg->n_nfe * cfg->bases, sizeof(double));
    stats->acc_degraded = nvm_calloc(nstat, sizeof(double));
    stats->acc_retrained = nvm_calloc(nstat, sizeof(double));
    grid g = {.cfg = cfg, .train = train, .test = test, .cells = cells};
    g.workers = nvm_calloc((size_t)nw, sizeof(worker));
    g.acc_deg = nvm_alloc((size_t)cells, sizeof(double));
    g.acc_ret = nvm_alloc((size_t)cells * cfg->n_nd, sizeof(double));
    g.done = nvm_alloc((size_t)cells, 1);
    nvm_compute *cx = nvm_compute_new(isa, pool);
    float *params = NULL;
    nvm_csv csv = {0};
    nvm_progress prog;
    long cells_done = 0, kept_rows = 0;
    char *kept = NULL;
    int rc = NVM_OK, max_nd = 0;
    for (int k = 0; k < cfg->n_nd; k++)
        max_nd = cfg->nd[k] > max_nd ? cfg->nd[k] : max_nd;
    if (!stats->acc_clean || !stats->acc_degraded || !stats->acc_retrained || !g.workers ||
        !g.acc_deg || !g.acc_ret || !g.done || !cx) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto out;
    }
    char header[256];
    snprintf(header, sizeof header, "%s%s", cfg->shard_n > 0 ? NVM_SHARD_COLUMNS : "", CSV_HEADER);
    if (cfg->resume && !cfg->train_only) {
        rc = nvm_csv_resume(&csv, cfg->csv, header, cfg->n_nd, &kept, &kept_rows, e);
        if (rc == NVM_OK && kept_rows > (long)cfg->n_nfe * cfg->bases * cells * cfg->n_nd)
            rc = nvm_fail(e, NVM_EDATA, "%s: more rows than this grid has", csv.part);
        if (rc == NVM_OK)
            rc = absorb_rows(cfg, stats, kept, kept_rows, cells, e);
        free(kept);
        if (rc != NVM_OK) {
            nvm_csv_abandon(&csv);
            goto out;
        }
        cells_done = kept_rows / cfg->n_nd;
    } else if (!cfg->train_only && (rc = nvm_csv_open(&csv, cfg->csv, header, e)) != NVM_OK) {
        goto out;
    }
    /* Cells with a global index below `resumed` are done (kept) or another shard's. */
    const long resumed = cfg->shard_n > 0 ? (cells_done ? cfg->shard_k + (cells_done - 1) * cfg->shard_n + 1 : 0)
                                          : cells_done;
    const long total = stats->cells = (long)cfg->n_nfe * cfg->bases * cells, mine = cfg->shard_n > 0 ?
        (total - cfg->shard_k + cfg->shard_n - 1) / cfg->shard_n : total;
    pthread_mutex_init(&g.lock, NULL);
    g.csv = &csv;
    g.prog = &prog;
    g.stats = stats;
    g.cells_done = &cells_done;
    char label[96];
    snprintf(label, sizeof label, "sweep %s: cells", cfg->net);
    nvm_progress_start(&prog, cfg->progress && !cfg->train_only, label, mine);
    for (int fi = 0; fi < cfg->n_nfe && rc == NVM_OK; fi++) {
        if ((long)(fi + 1) * cfg->bases * cells <= resumed)   /* all of this N_FE was kept */
            continue;
        nvm_arch a;
        if (cfg->model)
            a = cfg->model->arch;
        else if ((rc = nvm_arch_named(&a, cfg->net, cfg->spec, cfg->nfe[fi], train->h, train->w, train->c,
                                       train->classes, e)))
            break;
        if (fi == 0)
            stats->fe_mac_share = (double)nvm_arch_macs(&a, 0, a.fe_layers) /
                                  (double)nvm_arch_macs(&a, 0, a.n_layers);
        free(params);
        nvm_arch d;
        if (!(params = nvm_alloc_floats(a.n_params)) ||
            (rc = detector_arch(&d, &a, max_nd, e)) != NVM_OK) {
            rc = rc ? rc : nvm_fail(e, NVM_ERUNTIME, "out of memory");
            break;
        }
        for (int i = 0; i < nw && rc == NVM_OK; i++)
            if (worker_init(&g.workers[i], &a, train->n, test->n, d.n_params, isa) != NVM_OK)
                rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for %d workers' feature caches", nw);
        for (int b = 0; b < cfg->bases && rc == NVM_OK; b++) {
            const long grp0 = ((long)fi * cfg->bases + b) * cells;   /* global index of its cell 0 */
            g.grp0 = grp0;
            if (grp0 + cells <= resumed)
                continue;
            if (cfg->shard_n > 1 && !cfg->train_only) {   /* skip a base network with no cell of this shard */
                long lo = grp0 > resumed ? grp0 : resumed;
                long next = lo + ((cfg->shard_k - lo % cfg->shard_n) + cfg->shard_n) % cfg->shard_n;
                if (next >= grp0 + cells)
                    continue;
            }
            if (cfg->stop && *cfg->stop)
                break;
            double t0 = nvm_now();
            int trained;
            if ((rc = make_base(cfg, &a, params, cfg->nfe[fi], b, train, cx, &trained, e)) != NVM_OK)
                break;
            double t1 = nvm_now();
            stats->train_seconds += t1 - t0;
            g.arch = &a;
            g.params = params;
            g.nfe_i = fi;
            g.base = b;
            g.acc_clean = stats->acc_clean[(size_t)fi * cfg->bases + b] =
                clean_accuracy(&a, params, test, &g.workers[0], cx);
            if (trained && (rc = save_base(cfg, &a, params, cfg->nfe[fi], b, g.acc_clean, e)) != NVM_OK)
                break;
            if (cfg->train_only)
                continue;
            g.first = g.next_write = resumed > grp0 ? (int)(resumed - grp0) : 0;
            memset(g.done, 0, (size_t)cells);
            memset(g.done, 1, (size_t)g.first);
            nvm_pool_run(pool, cells, cell_task, &g);
            stats->cell_seconds += nvm_now() - t1;
            if ((rc = g.rc) != NVM_OK)
                *e = g.err;
            else if (g.next_write < cells)   /* cells were skipped: a stop was requested */
                rc = NVM_EINTR;
        }
        for (int i = 0; i < nw; i++)
            worker_free(&g.workers[i]);
    }
    nvm_progress_end(&prog);
    pthread_mutex_destroy(&g.lock);
    if (rc == NVM_OK && cfg->stop && *cfg->stop)
        rc = NVM_EINTR;
    if (cfg->train_only)
        ;   /* no CSV */
    else if (rc == NVM_OK)
        rc = nvm_csv_finish(&csv, e);
    else
        nvm_csv_abandon(&csv);
    if (rc == NVM_EINTR)
        nvm_fail(e, NVM_EINTR, "interrupted: %d complete rows kept in %s; add --resume to the same "
                 "command to continue", stats->rows, csv.part);
out:
    free(params);
    free(g.workers);
    free(g.acc_deg);
    free(g.acc_ret);
    free(g.done);
    nvm_compute_free(cx);
    return rc;
}

void nvm_sweep_stats_free(nvm_sweep_stats *s)
{
    free(s->acc_clean);
    free(s->acc_degraded);
    free(s->acc_retrained);
    memset(s, 0, sizeof *s);
}

void nvm_sweep_summary(const nvm_sweep_cfg *cfg, const nvm_sweep_stats *s, FILE *f)
{
    for (int fi = 0; fi < cfg->n_nfe; fi++) {
        double clean = 0;
        for (int b = 0; b < cfg->bases; b++)
            clean += s->acc_clean[(size_t)fi * cfg->bases + b] / cfg->bases;
        fprintf(f, "\n%s, N_FE = %d: clean test accuracy %.2f %% (mean of %d base network%s); "
                   "accuracies are means of %d chip%s\n",
                cfg->net, cfg->nfe[fi], 100 * clean, cfg->bases, cfg->bases > 1 ? "s" : "",
                cfg->bases * cfg->runs, cfg->bases * cfg->runs > 1 ? "s" : "");
        for (int ni = 0; ni < cfg->n_noise; ni++) {
            char noise[16];
            nvm_noise_name(&cfg->noises[ni], noise);
            fprintf(f, "  %-8s %-8s", "noise", "alpha");
            for (int k = 0; k < cfg->n_nd; k++) {
                char head[40];
                if (cfg->detector_new)
                    snprintf(head, sizeof head, "retrained (new, N_D=%d)", cfg->nd[k]);
                else
                    snprintf(head, sizeof head, "retrained (last)");
                fprintf(f, "  %9s  %-24s", "degraded", head);
            }
            fprintf(f, "\n");
            for (int ai = 0; ai < cfg->n_alpha; ai++) {
                char alpha[32];
                nvm_format_double(cfg->alphas[ai], alpha);
                fprintf(f, "  %-8s %-8s", noise, alpha);
                for (int k = 0; k < cfg->n_nd; k++) {
                    size_t i = (((size_t)fi * cfg->n_nd + k) * cfg->n_noise + ni) * cfg->n_alpha + ai;
                    fprintf(f, "  %7.2f %%  %7.2f %%%16s", 100 * s->acc_degraded[i], 100 * s->acc_retrained[i],
                            "");
                }
                fprintf(f, "\n");
            }
        }
    }
}
