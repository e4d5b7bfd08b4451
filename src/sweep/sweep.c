#define _POSIX_C_SOURCE 200809L
/* The grid. Cells (chip, noise model, α, fault rate, read noise, converters) of one base network are
 * independent and run whole on pool workers (src/sweep/cell.c), each with its own single-threaded compute
 * and scratch; rows are written in grid order as soon as every earlier cell is done, so the CSV is the
 * same for any thread count and always a valid prefix. A cell writes one row per (time, drift
 * compensation, n_d). */
#include "nvmsim/sweep.h"

#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cell.h"
#include "nvmsim/cli.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
#include "nvmsim/report.h"

#define CSV_HEADER NVM_CSV_HEADER

typedef struct {
    const nvm_sweep_cfg *cfg;
    const nvm_dataset *train, *test;
    const nvm_arch *arch;
    const float *params;
    int nfe_i, base, cells;
    long grp0;                   /* global index of this base network's cell 0 (for shards) */
    int first;                   /* cells before it were kept from an interrupted run */
    double acc_clean;
    nvm_cell_ctx ctx;            /* what the cells of this base network share */
    nvm_dev_calib cal;
    nvm_cell_scratch *workers;
    double *acc_deg, *acc_ret;   /* [cells × rows_per_cell / n_nd], [cells × rows_per_cell] */
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

/* Where a cell sits on the axes of its base network's grid (chip slowest, DAC fastest). */
typedef struct {
    int chip, ni, ai, fi, ri, adi, dai;
} cell_ix;

static cell_ix decode(const nvm_sweep_cfg *c, long cell)
{
    cell_ix x;
    x.dai = (int)(cell % c->n_dac), cell /= c->n_dac;
    x.adi = (int)(cell % c->n_adc), cell /= c->n_adc;
    x.ri = (int)(cell % c->n_read), cell /= c->n_read;
    x.fi = (int)(cell % c->n_faults), cell /= c->n_faults;
    x.ai = (int)(cell % c->n_alpha), cell /= c->n_alpha;
    x.ni = (int)(cell % c->n_noise), cell /= c->n_noise;
    x.chip = (int)cell;
    return x;
}

int nvm_sweep_cells_per_chip(const nvm_sweep_cfg *c)
{
    return c->n_noise * c->n_alpha * c->n_faults * c->n_read * c->n_adc * c->n_dac;
}

int nvm_sweep_rows_per_cell(const nvm_sweep_cfg *c)
{
    return c->n_time * c->n_comp * c->n_nd;
}

/* Index of the summary statistics of (N_FE fi, detector k, the cell's condition, time, compensation):
 * with no device axis this is the layout of (fi, k, noise, α). */
static size_t stat_index(const nvm_sweep_cfg *c, int fi, int k, const cell_ix *x, int ti, int ci)
{
    size_t cond = ((((size_t)x->ni * c->n_alpha + x->ai) * c->n_faults + x->fi) * c->n_read + x->ri) * c->n_adc;
    cond = ((cond + x->adi) * c->n_dac + x->dai) * c->n_time + ti;
    return ((size_t)fi * c->n_nd + k) * nvm_sweep_conditions(c) + cond * c->n_comp + ci;
}

size_t nvm_sweep_conditions(const nvm_sweep_cfg *c)
{
    return (size_t)nvm_sweep_cells_per_chip(c) * c->n_time * c->n_comp;
}

void nvm_sweep_device(const nvm_sweep_cfg *cfg, int ni, int ai, int fi, int ri, int adi, int dai, nvm_device *d)
{
    nvm_device_defaults(d);
    const nvm_noise *nz = &cfg->noises[ni];
    nvm_device_set_noise(d, nz);
    d->alpha = cfg->alphas[ai];
    d->fault_rate = cfg->faults[fi];
    d->stuck_on = cfg->stuck_on;
    d->read_sigma = cfg->reads[ri];
    d->adc_bits = cfg->adcs[adi];
    d->dac_bits = cfg->dacs[dai];
    d->analog_all = cfg->analog_all;
}

int nvm_sweep_uses_linear(const nvm_sweep_cfg *cfg, const nvm_arch *a)
{
    for (int ni = 0; cfg->alpha_linear && ni < cfg->n_noise; ni++)
        for (int fi = 0; fi < cfg->n_faults; fi++)
            for (int ri = 0; ri < cfg->n_read; ri++)
                for (int adi = 0; adi < cfg->n_adc; adi++)
                    for (int dai = 0; dai < cfg->n_dac; dai++) {
                        nvm_device d;   /* (α does not decide it) */
                        nvm_sweep_device(cfg, ni, 0, fi, ri, adi, dai, &d);
                        if (nvm_alpha_linear_applies(a, &d, cfg->progressive))
                            return 1;
                    }
    return 0;
}

static int run_cell(grid *g, nvm_cell_scratch *w, int cell, nvm_err *e)
{
    const nvm_sweep_cfg *cfg = g->cfg;
    cell_ix x = decode(cfg, cell);
    nvm_device d;
    nvm_sweep_device(cfg, x.ni, x.ai, x.fi, x.ri, x.adi, x.dai, &d);
    const size_t cols = (size_t)cfg->n_time * cfg->n_comp;
    return nvm_cell_run(&g->ctx, d, (uint32_t)x.chip, w, g->acc_deg + (size_t)cell * cols,
                        g->acc_ret + (size_t)cell * cols * cfg->n_nd, e);
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
    const int per_cell = cfg->bases * cfg->runs;
    while (g->rc == NVM_OK && g->next_write < g->cells && g->done[g->next_write]) {
        int cell = g->next_write++;
        if (!member(cfg, g->grp0 + cell))
            continue;
        cell_ix x = decode(cfg, cell);
        nvm_device d;
        nvm_sweep_device(cfg, x.ni, x.ai, x.fi, x.ri, x.adi, x.dai, &d);
        char alpha[32], noise[16], line[640], fault[32], stuck[32], read[32];
        nvm_format_double(cfg->alphas[x.ai], alpha);
        nvm_noise_name(&cfg->noises[x.ni], noise);
        nvm_format_double(d.fault_rate, fault);
        nvm_format_double(d.fault_rate > 0 ? d.stuck_on : 0, stuck);
        nvm_format_double(d.read_sigma, read);
        for (int ti = 0; ti < cfg->n_time; ti++)
            for (int ci = 0; ci < cfg->n_comp; ci++)
                for (int k = 0; k < cfg->n_nd; k++) {
                    const size_t col = ((size_t)cell * cfg->n_time + ti) * cfg->n_comp + ci;
                    int nd = cfg->detector_new ? cfg->nd[k] : nvm_arch_detector_width(g->arch);
                    double deg = g->acc_deg[col], ret = g->acc_ret[col * cfg->n_nd + k];
                    char time[32], at[32];
                    nvm_format_double(cfg->times[ti], time);
                    nvm_format_double(cfg->retrain_each ? cfg->times[ti] : cfg->retrain_at, at);
                    snprintf(line, sizeof line,
                             "%s,%s,%d,%d,%s,%s,%s,%d,%d,%.6f,%.6f,%.6f,%s,%s,%s,%s,%d,%d,%s,%s,%s\n", cfg->net,
                             cfg->dataset, nvm_arch_features(g->arch), nd,
                             cfg->detector_new ? "new" : cfg->progressive ? "progressive" : "last",
                             noise, alpha, g->base, x.chip, g->acc_clean, deg, ret, time, fault, stuck, read,
                             d.adc_bits, d.dac_bits, cfg->comps[ci] && d.model == NVM_DEV_PCM ? "global" : "none",
                             cfg->analog_all ? "all" : "fe", at);
                    if (cfg->shard_n > 0) {   /* shard rows carry their global cell and a tag for the merge */
                        char tagged[700], tag[17];
                        nvm_shard_tag(cfg->grid, line, tag);
                        snprintf(tagged, sizeof tagged, "%ld,%s,%s", g->grp0 + cell, tag, line);
                        g->rc = nvm_csv_write(g->csv, tagged, &g->err);
                    } else {
                        g->rc = nvm_csv_write(g->csv, line, &g->err);
                    }
                    if (g->rc != NVM_OK)
                        return;
                    size_t st = stat_index(cfg, g->nfe_i, k, &x, ti, ci);
                    g->stats->acc_degraded[st] += deg / per_cell;
                    g->stats->acc_retrained[st] += ret / per_cell;
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
    g->stats->cells_run += rc == NVM_OK;
    flush_rows(g);
    nvm_progress_update(g->prog, ++*g->cells_done);
    pthread_mutex_unlock(&g->lock);
}

typedef struct {
    const char *net;
    int nfe, base;
    nvm_progress_mode progress;
    nvm_progress log;   /* LOG: the epochs as progress lines, the loss in the label */
} train_note;

static void on_epoch(void *ctx, int epoch, int epochs, double loss)
{
    train_note *t = ctx;
    if (t->progress == NVM_PROGRESS_TTY) {
        fprintf(stderr, "\r\033[Ktraining %s n_fe=%d base %d: epoch %d/%d, loss %.4f", t->net, t->nfe,
                t->base, epoch, epochs, loss);
    } else if (t->progress == NVM_PROGRESS_LOG) {
        snprintf(t->log.label, sizeof t->log.label, "training %s n_fe=%d base %d (loss %.4f): epoch", t->net,
                 t->nfe, t->base, loss);
        nvm_progress_update(&t->log, epoch);
    }
}

/* Adds the rows kept from an interrupted run (grid order) to the statistics, as flush_rows would have. */
static int absorb_rows(const nvm_sweep_cfg *cfg, nvm_sweep_stats *st, const char *text, long n_rows,
                       int cells, nvm_err *e)
{
    const char *p = text;
    const int skip = cfg->shard_n > 0 ? 11 : 9;   /* to acc_clean (shard rows lead with cell, tag) */
    const int per_cell = nvm_sweep_rows_per_cell(cfg);
    for (long r = 0; r < n_rows; r++) {
        double v[3];
        for (int f = 0; f < skip && p; f++) {
            const char *comma = strchr(p, ',');
            p = comma ? comma + 1 : NULL;
        }
        char *end = NULL;
        for (int f = 0; f < 3 && p; f++) {
            v[f] = strtod(p, &end);
            p = end && *end == ',' && end > p ? end + 1 : NULL;
        }
        const char *nl = p ? strchr(p, '\n') : NULL;
        if (!p || !nl)
            return nvm_fail(e, NVM_EDATA, "%s.part: row %ld is not a complete sweep row", cfg->csv, r + 2);
        p = nl + 1;
        long cell = r / per_cell;
        if (cfg->shard_n > 0)   /* the i-th cell of shard K is global cell K + i·N */
            cell = cfg->shard_k + cell * cfg->shard_n;
        long grp = cell / cells;
        int within = (int)(r % per_cell), k = within % cfg->n_nd, ci = within / cfg->n_nd % cfg->n_comp,
            ti = within / cfg->n_nd / cfg->n_comp;
        cell_ix x = decode(cfg, cell % cells);
        size_t s = stat_index(cfg, (int)(grp / cfg->bases), k, &x, ti, ci);
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

/* The base network kept at path into params, if it has provenance prov and a's layers; else an error
 * naming the file and the fix. */
static int load_base(const char *path, const nvm_arch *a, uint64_t prov, float *params, nvm_err *e)
{
    nvm_model m = {0};
    int rc = nvm_model_load(path, &m, e);
    if (rc == NVM_OK && (strcmp(m.arch.spec, a->spec) != 0 || m.arch.n_params != a->n_params))
        rc = nvm_fail(e, NVM_EUSAGE, "%s: --bases-from holds a %s, this sweep needs a %s: give the CSV of a "
                      "sweep of this network", path, m.arch.spec, a->spec);
    else if (rc == NVM_OK && m.provenance != prov)
        rc = nvm_fail(e, NVM_EUSAGE, "%s: --bases-from: trained with other training flags or data (seed, "
                      "epochs, optimiser, recipe, ...): use that sweep's training flags, or drop --bases-from",
                      path);
    if (rc == NVM_OK && params)
        memcpy(params, m.params, a->n_params * sizeof(float));
    nvm_model_free(&m);
    return rc;
}

/* With --bases-from, every base network the grid needs must be there and match, before any work. */
static int check_bases_from(const nvm_sweep_cfg *cfg, const nvm_dataset *train, nvm_err *e)
{
    for (int fi = 0; cfg->bases_from && fi < cfg->n_nfe; fi++) {
        nvm_arch a;
        int rc = nvm_arch_named(&a, cfg->net, cfg->spec, cfg->nfe[fi], train->h, train->w, train->c,
                                train->classes, e);
        for (int b = 0; b < cfg->bases && rc == NVM_OK; b++) {
            char path[4200];
            nvm_base_path(cfg->bases_from, cfg->nfe[fi], b, path);
            if (access(path, F_OK) != 0)
                return nvm_fail(e, NVM_EUSAGE, "%s: no such base network (--bases-from %s): run that sweep (or "
                                "its --train-only) with these --nfe/--bases first", path, cfg->bases_from);
            rc = load_base(path, &a, nvm_train_provenance(&a, &cfg->train, cfg->seed, (uint32_t)b,
                                                              (uint32_t)cfg->nfe[fi], cfg->data_hash), NULL, e);
        }
        if (rc != NVM_OK)
            return rc;
    }
    return NVM_OK;
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
    nvm_base_path(cfg->bases_from ? cfg->bases_from : cfg->out, nfe, base, path);
    uint64_t prov = nvm_train_provenance(a, &cfg->train, cfg->seed, (uint32_t)base, (uint32_t)nfe,
                                         cfg->data_hash);
    nvm_err ignored;
    if (cfg->bases_from)   /* checked by check_bases_from before any work */
        return load_base(path, a, prov, params, e);
    if (access(path, F_OK) == 0 && nvm_model_load(path, &m, &ignored) == NVM_OK) {
        int same = m.provenance == prov && strcmp(m.arch.spec, a->spec) == 0 && m.arch.n_params == a->n_params;
        if (same)
            memcpy(params, m.params, a->n_params * sizeof(float));
        nvm_model_free(&m);
        if (same)
            return NVM_OK;
    }
    nvm_stream init = nvm_stream_make(cfg->seed, NVM_RNG_INIT, (uint32_t)base, (uint32_t)nfe);
    nvm_arch_init_with(a, params, &init, cfg->train.recipe.init);
    train_note note = {.net = cfg->net, .nfe = nfe, .base = base, .progress = cfg->progress};
    nvm_progress_start(&note.log, cfg->progress == NVM_PROGRESS_LOG ? NVM_PROGRESS_LOG : NVM_PROGRESS_OFF, "",
                       cfg->train.epochs);
    nvm_train_opts o = cfg->train;   /* train noise of this base network: keyed by (seed, base, mini-batch) */
    o.noise_seed = cfg->seed;
    o.noise_base = (uint32_t)base;
    int rc = nvm_train(a, params, 0, train->x, train->y, train->n, &o,
                       nvm_stream_make(cfg->seed, NVM_RNG_SHUFFLE, (uint32_t)base, 0), cx, on_epoch,
                       &note, e);
    if (cfg->progress == NVM_PROGRESS_TTY)
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
    nvm_recipe_text(&cfg->train.recipe, m.recipe);
    char path[4200];
    nvm_base_path(cfg->out, nfe, base, path);
    return nvm_model_save(path, &m, e);
}

/* Clean accuracy through the same path the cells use (features, then detector), so that at α = 0
 * acc_degraded equals it exactly. */
static double clean_accuracy(const nvm_arch *a, const float *params, const nvm_dataset *test,
                             nvm_cell_scratch *w, nvm_compute *cx)
{
    nvm_run_layers(a, params, 0, a->fe_layers, test->x, test->n, w->ftest, &w->work, cx);
    return nvm_accuracy(a, params, a->fe_layers, w->ftest, test->y, test->n, &w->work, cx);
}

int nvm_sweep(const nvm_sweep_cfg *cfg, const nvm_dataset *train, const nvm_dataset *test,
              nvm_pool *pool, nvm_isa isa, nvm_sweep_stats *stats, nvm_err *e)
{
    memset(stats, 0, sizeof *stats);
    const int nw = nvm_pool_size(pool), cells = cfg->runs * nvm_sweep_cells_per_chip(cfg),
              per_cell = nvm_sweep_rows_per_cell(cfg);
    size_t nstat = (size_t)cfg->n_nfe * cfg->n_nd * nvm_sweep_conditions(cfg);
    stats->acc_clean = nvm_calloc((size_t)cfg->n_nfe * cfg->bases, sizeof(double));
    stats->acc_degraded = nvm_calloc(nstat, sizeof(double));
    stats->acc_retrained = nvm_calloc(nstat, sizeof(double));
    grid g = {.cfg = cfg, .train = train, .test = test, .cells = cells};
    g.workers = nvm_calloc((size_t)nw, sizeof *g.workers);
    g.acc_deg = nvm_alloc((size_t)cells * cfg->n_time * cfg->n_comp, sizeof(double));
    g.acc_ret = nvm_alloc((size_t)cells * per_cell, sizeof(double));
    g.done = nvm_alloc((size_t)cells, 1);
    nvm_compute *cx = nvm_compute_new(isa, pool);
    float *params = NULL, *p0 = NULL;   /* p0: --alpha-gemm linear's P0 of the current base network */
    nvm_csv csv = {0};
    nvm_progress prog;
    long cells_done = 0, kept_rows = 0;
    char *kept = NULL;
    int rc = NVM_OK, converters = nvm_device_any_converter(cfg->adcs, cfg->n_adc, cfg->dacs, cfg->n_dac);
    if (!stats->acc_clean || !stats->acc_degraded || !stats->acc_retrained || !g.workers ||
        !g.acc_deg || !g.acc_ret || !g.done || !cx) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto out;
    }
    if ((rc = check_bases_from(cfg, train, e)) != NVM_OK)
        goto out;
    char header[256];
    snprintf(header, sizeof header, "%s%s", cfg->shard_n > 0 ? NVM_SHARD_COLUMNS : "", CSV_HEADER);
    if (cfg->resume && !cfg->train_only) {
        rc = nvm_csv_resume(&csv, cfg->csv, header, per_cell, &kept, &kept_rows, e);
        if (rc == NVM_OK && kept_rows > (long)cfg->n_nfe * cfg->bases * cells * per_cell)
            rc = nvm_fail(e, NVM_EDATA, "%s: more rows than this grid has", csv.part);
        if (rc == NVM_OK)
            rc = absorb_rows(cfg, stats, kept, kept_rows, cells, e);
        free(kept);
        if (rc != NVM_OK) {
            nvm_csv_abandon(&csv);
            goto out;
        }
        cells_done = kept_rows / per_cell;
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
    nvm_progress_start(&prog, cfg->train_only ? NVM_PROGRESS_OFF : cfg->progress, label, mine);
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
        free(p0);
        p0 = NULL;
        if (!(params = nvm_alloc_floats(a.n_params))) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
            break;
        }
        const size_t p0_floats = nvm_cell_linear_floats(&a, train->n, test->n);
        if (!cfg->train_only && nvm_sweep_uses_linear(cfg, &a) && !(p0 = nvm_alloc_floats(p0_floats))) {
            rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for the layer-0 pre-activations of --alpha-gemm linear "
                          "(%.0f MB); use --alpha-gemm each", 1e-6 * (double)p0_floats * sizeof(float));
            break;
        }
        g.ctx = (nvm_cell_ctx){.a = &a, .clean = params, .train = train, .test = test, .retrain = &cfg->retrain,
                               .cal = converters ? &g.cal : NULL, .times = cfg->times, .n_time = cfg->n_time,
                               .comps = cfg->comps, .n_comp = cfg->n_comp, .retrain_each = cfg->retrain_each,
                               .retrain_at = cfg->retrain_at, .detector_new = cfg->detector_new,
                               .progressive = cfg->progressive, .reads = cfg->retrain_reads, .nd = cfg->nd, .n_nd = cfg->n_nd, .seed = cfg->seed, .degrade_biases = cfg->degrade_biases,
                               .p0 = p0};
        for (int i = 0; i < nw && rc == NVM_OK; i++)
            if (nvm_cell_scratch_init(&g.workers[i], &g.ctx, isa) != NVM_OK)
                rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for %d workers' feature caches%s", nw,
                              p0 ? " (each with the P1 of --alpha-gemm linear: --alpha-gemm each needs less)" : "");
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
            g.ctx.base = (uint32_t)b;
            if (converters)   /* DAC/ADC ranges of this base network, on its first training samples */
                nvm_device_calibrate(&a, params, train->x, train->n, &g.workers[0].work, cx, &g.cal);
            if (p0)   /* on every thread, before the cells share it (read-only) */
                nvm_cell_p0(&g.ctx, p0, cx);
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
        for (int i = 0; i < nw; i++) {
            stats->retrain_seconds += g.workers[i].retrain_seconds;
            nvm_cell_scratch_free(&g.workers[i]);
        }
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
    free(p0);
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
    /* Device columns only where that axis is used. */
    int show_f = cfg->n_faults > 1 || cfg->faults[0] > 0, show_r = cfg->n_read > 1 || cfg->reads[0] > 0,
        show_a = cfg->n_adc > 1 || cfg->adcs[0] > 0, show_d = cfg->n_dac > 1 || cfg->dacs[0] > 0,
        show_t = cfg->n_time > 1 || cfg->times[0] > 0, show_c = cfg->n_comp > 1;
    const size_t conds = nvm_sweep_conditions(cfg);
    for (int fi = 0; fi < cfg->n_nfe; fi++) {
        double clean = 0;
        for (int b = 0; b < cfg->bases; b++)
            clean += s->acc_clean[(size_t)fi * cfg->bases + b] / cfg->bases;
        fprintf(f, "\n%s on %s, N_FE = %d: clean test accuracy %.2f %% (mean of %d base network%s); "
                   "accuracies are means of %d chip%s%s\n",
                cfg->net, cfg->dataset, cfg->nfe[fi], 100 * clean, cfg->bases, cfg->bases > 1 ? "s" : "",
                cfg->bases * cfg->runs, cfg->bases * cfg->runs > 1 ? "s" : "",
                cfg->analog_all ? "; every layer analog" : "");
        fprintf(f, "  %-10s %-6s", "noise", "alpha");
        if (show_f)
            fprintf(f, " %-7s", "faults");
        if (show_r)
            fprintf(f, " %-6s", "read");
        if (show_a)
            fprintf(f, " %-4s", "adc");
        if (show_d)
            fprintf(f, " %-4s", "dac");
        if (show_t)
            fprintf(f, " %-9s", "time_s");
        if (show_c)
            fprintf(f, " %-7s", "comp");
        for (int k = 0; k < cfg->n_nd; k++) {
            char head[40];
            if (cfg->detector_new)
                snprintf(head, sizeof head, "retrained (new, N_D=%d)", cfg->nd[k]);
            else
                snprintf(head, sizeof head, "retrained (%s)", cfg->progressive ? "progressive" : "last");
            fprintf(f, "  %9s  %-24s", "degraded", head);
        }
        fprintf(f, "\n");
        for (size_t c = 0; c < conds; c++) {
            size_t r = c;
            int ci = (int)(r % cfg->n_comp);
            r /= cfg->n_comp;
            int ti = (int)(r % cfg->n_time);
            r /= cfg->n_time;
            int dai = (int)(r % cfg->n_dac);
            r /= cfg->n_dac;
            int adi = (int)(r % cfg->n_adc);
            r /= cfg->n_adc;
            int ri = (int)(r % cfg->n_read);
            r /= cfg->n_read;
            int fa = (int)(r % cfg->n_faults);
            r /= cfg->n_faults;
            int ai = (int)(r % cfg->n_alpha), ni = (int)(r / cfg->n_alpha);
            char noise[16], v[32];
            nvm_noise_name(&cfg->noises[ni], noise);
            nvm_format_double(cfg->alphas[ai], v);
            fprintf(f, "  %-10s %-6s", noise, v);
            if (show_f)
                nvm_format_double(cfg->faults[fa], v), fprintf(f, " %-7s", v);
            if (show_r)
                nvm_format_double(cfg->reads[ri], v), fprintf(f, " %-6s", v);
            if (show_a)
                fprintf(f, " %-4d", cfg->adcs[adi]);
            if (show_d)
                fprintf(f, " %-4d", cfg->dacs[dai]);
            if (show_t)
                nvm_format_double(cfg->times[ti], v), fprintf(f, " %-9s", v);
            if (show_c)
                fprintf(f, " %-7s", cfg->comps[ci] && cfg->noises[ni].pcm ? "global" : "none");
            for (int k = 0; k < cfg->n_nd; k++) {
                size_t i2 = ((size_t)fi * cfg->n_nd + k) * conds + c;
                fprintf(f, "  %7.2f %%  %7.2f %%%16s", 100 * s->acc_degraded[i2], 100 * s->acc_retrained[i2], "");
            }
            fprintf(f, "\n");
        }
    }
}
