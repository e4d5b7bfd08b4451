/* nvmsim sweep: the experiment grid, with its checks before any work, the sidecar and the summary. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvmsim/cli.h"
#include "nvmsim/commands.h"
#include "nvmsim/device_args.h"
#include "nvmsim/model.h"
#include "nvmsim/noise.h"
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

/* Everything that defines the rows of a sweep, in one line (lists as count@hash): --resume refuses to
 * continue a CSV made with anything else. Threads and paths are left out: they never change a row. */
static void grid_fingerprint(const nvm_sweep_cfg *c, const nvm_session *s, const nvm_model *m, int linear,
                             char out[1024])
{
    const uint64_t h0 = NVM_FNV0;
    uint64_t data = h0;
    for (int i = 0; i < s->n_files; i++)
        data = nvm_fnv1a(data, s->files[i].sha256, strlen(s->files[i].sha256));
    const nvm_train_opts *t = &c->train, *r = &c->retrain;
    uint64_t dev = nvm_fnv1a(h0, c->times, (size_t)c->n_time * sizeof *c->times);
    dev = nvm_fnv1a(dev, c->faults, (size_t)c->n_faults * sizeof *c->faults);
    dev = nvm_fnv1a(dev, c->reads, (size_t)c->n_read * sizeof *c->reads);
    dev = nvm_fnv1a(dev, c->adcs, (size_t)c->n_adc * sizeof *c->adcs);
    dev = nvm_fnv1a(dev, c->dacs, (size_t)c->n_dac * sizeof *c->dacs);
    dev = nvm_fnv1a(dev, c->comps, (size_t)c->n_comp * sizeof *c->comps);
    double more[2] = {c->stuck_on, c->retrain_each ? -1.0 : c->retrain_at};
    int flags[1] = {c->analog_all};
    dev = nvm_fnv1a(nvm_fnv1a(dev, more, sizeof more), flags, sizeof flags);
    char tail[64];
    snprintf(tail, sizeof tail, " device=%d.%d.%d.%d.%d.%d@%016llx", c->n_time, c->n_faults, c->n_read, c->n_adc,
             c->n_dac, c->n_comp, (unsigned long long)dev);
    snprintf(out, 1024,
             "v=" NVMSIM_VERSION " net=%s arch=%s nfe=%d@%016llx nd=%d@%016llx detector=%s noise=%d@%016llx alpha=%d@%016llx "
             "runs=%d bases=%d seed=%llu biases=%d train=%d/%d/%d/%.17g/%.17g retrain=%d/%d/%d/%.17g/%.17g "
             "data=%s:%d/%d@%016llx model=%016llx",
             c->net, c->spec ? c->spec : "-", c->n_nfe,
             (unsigned long long)nvm_fnv1a(h0, c->nfe, (size_t)c->n_nfe * sizeof *c->nfe), c->n_nd,
             (unsigned long long)nvm_fnv1a(h0, c->nd, (size_t)c->n_nd * sizeof *c->nd),
             c->detector_new ? "new" : c->progressive ? "progressive" : "last", c->n_noise,
             (unsigned long long)nvm_fnv1a(h0, c->noises, (size_t)c->n_noise * sizeof *c->noises), c->n_alpha,
             (unsigned long long)nvm_fnv1a(h0, c->alphas, (size_t)c->n_alpha * sizeof *c->alphas), c->runs,
             c->bases, (unsigned long long)c->seed, c->degrade_biases, (int)t->optim, t->epochs, t->batch,
             t->lr, t->momentum, (int)r->optim, r->epochs, r->batch, r->lr, r->momentum, s->dataset,
             s->train.n, s->test.n, (unsigned long long)data,
             (unsigned long long)(m->params ? nvm_fnv1a(h0, m->params, m->arch.n_params * sizeof(float)) : 0));
    size_t len = strlen(out);
    snprintf(out + len, 1024 - len, "%s", tail);
    if (!nvm_recipe_is_default(&t->recipe)) {   /* (the default adds nothing: older sweeps still resume) */
        char recipe[NVM_RECIPE_LEN];
        nvm_recipe_text(&t->recipe, recipe);
        len = strlen(out);
        snprintf(out + len, 1024 - len, " recipe=%s", recipe);
        for (char *p = out + len + 1; *p; p++)
            *p = *p == ' ' ? ',' : *p;   /* one space-free field */
    }
    if (c->retrain_reads > 1) {   /* only when set, so that every other sweep keeps its fingerprint */
        len = strlen(out);
        snprintf(out + len, 1024 - len, " reads=%d", c->retrain_reads);
    }
    if (linear) {   /* only where --alpha-gemm linear changes rows: a run with each (or before it) resumes as each */
        len = strlen(out);
        snprintf(out + len, 1024 - len, " alpha_gemm=linear");
    }
}

/* A given model fixes the network and replaces its training: flags that would set either are refused
 * rather than ignored. */
static int check_model_flags(const nvm_args *a, const nvm_model *m, const char *path, nvm_err *e)
{
    static const char *FIXED[] = {"--arch", "--nfe", "--bases", "--epochs", "--lr", "--init", "--train-noise"};
    const char *net = nvm_arg(a, "--net");
    if (net && strcmp(net, m->arch.name) != 0)
        return nvm_fail(e, NVM_EUSAGE, "%s holds a %s (%s), not a %s: drop --net or pick another model", path,
                        m->arch.name, m->arch.spec, net);
    for (size_t i = 0; i < sizeof FIXED / sizeof FIXED[0]; i++)
        if (nvm_arg(a, FIXED[i]))
            return nvm_fail(e, NVM_EUSAGE, "%s: %s has no effect on a given model (it is not trained again); "
                            "drop it, or drop --model to train", FIXED[i], path);
    return NVM_OK;
}

/* Outputs: never replace finished work, never drop an interrupted run's rows unasked, fail now rather
 * than after the work if a file cannot be written. */
static int check_outputs(const nvm_args *a, const char *out, int train_only, nvm_err *e)
{
    int rc, resume = nvm_arg(a, "--resume") != NULL, overwrite = nvm_arg(a, "--overwrite") != NULL;
    char part[4400];
    snprintf(part, sizeof part, "%s.part", out);
    if (resume && overwrite)
        return nvm_fail(e, NVM_EUSAGE, "--resume continues %s, --overwrite starts again: give one of them", part);
    if ((rc = nvm_check_out("--out", out, e)))
        return rc;
    if (train_only)   /* writes only base networks, which it reuses or replaces as they match */
        return resume || overwrite ? nvm_fail(e, NVM_EUSAGE, "--train-only writes no CSV: drop %s",
                                              resume ? "--resume" : "--overwrite") : NVM_OK;
    if (!resume && !overwrite && access(out, F_OK) == 0)
        return nvm_fail(e, NVM_EUSAGE, "%s exists: choose another --out, or add --overwrite to replace it", out);
    if (!resume && !overwrite && access(part, F_OK) == 0)
        return nvm_fail(e, NVM_EUSAGE, "%s holds the rows of an interrupted run: add --resume to continue, or "
                        "--overwrite to start again", part);
    return NVM_OK;
}

int nvm_cmd_sweep(int argc, char **argv, const nvm_args *a, nvm_err *e)
{
    double t0 = nvm_now();
    nvm_sweep_cfg cfg = {.stop = &g_stop};
    nvm_net_choice n = {0};
    int *nfe = NULL, *nd = NULL, *share_nd = NULL, rc, linear = 0;   /* linear: --alpha-gemm linear changes rows */
    double *alphas = NULL, *share = NULL;
    nvm_noise *noises = NULL;
    nvm_model model = {0};
    nvm_device_axes dx = {0};
    char out[4096], csv[4200], side[4300];
    nvm_session s = {0};
    const char *det = nvm_arg(a, "--detector") ? nvm_arg(a, "--detector") : "last";
    const char *mpath = nvm_arg(a, "--model");
    if (mpath) {   /* the model names the network: its layers, training defaults and data format */
        if ((rc = nvm_model_load(mpath, &model, e)) || (rc = check_model_flags(a, &model, mpath, e)))
            goto done;
        n.net = model.arch.name;
        n.conv = strchr(model.arch.spec, 'c') != NULL;
        if ((rc = nvm_arg_format(a, model.arch.in_c == 3, &n.cifar, e)))
            goto done;
        cfg.model = &model;
    } else if ((rc = nvm_choose_net(a, &n, e))) {
        goto done;
    }
    cfg.net = n.net;
    cfg.spec = n.spec;
    snprintf(out, sizeof out, "%s", nvm_arg(a, "--out") ? nvm_arg(a, "--out") : "");
    if (!*out)
        snprintf(out, sizeof out, "%s.csv", cfg.net);
    cfg.train_only = nvm_arg(a, "--train-only") != NULL;
    cfg.bases_from = nvm_arg(a, "--bases-from");
    if (cfg.bases_from && (cfg.model || cfg.train_only)) {
        rc = nvm_fail(e, NVM_EUSAGE, "--bases-from loads base networks: drop %s",
                      cfg.model ? "--model (it is one base network already)" : "--train-only");
        goto done;
    }
    if (nvm_arg(a, "--shard") && (rc = nvm_parse_shard(nvm_arg(a, "--shard"), &cfg.shard_k, &cfg.shard_n, e)))
        goto done;
    if (cfg.train_only && (cfg.model || cfg.shard_n)) {
        rc = nvm_fail(e, NVM_EUSAGE, "--train-only trains the base networks: drop %s",
                      cfg.model ? "--model (it is trained already)" : "--shard");
        goto done;
    }
    if (cfg.shard_n)
        snprintf(csv, sizeof csv, "%s.shard-%d-of-%d.csv", out, cfg.shard_k, cfg.shard_n);
    else
        snprintf(csv, sizeof csv, "%s", out);
    snprintf(side, sizeof side, "%s.json", csv);
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
        (rc = nvm_train_defaults(a, n.conv, &cfg.train, e)) ||
        (rc = nvm_recipe_args(a, cfg.degrade_biases, &cfg.train.recipe, e)) ||
        (rc = nvm_arg_int(a, "--retrain-epochs", 5, 1, 65535, &cfg.retrain.epochs, e)) ||
        (rc = nvm_arg_double(a, "--retrain-lr", cfg.train.optim == NVM_ADAM ? 0.0005 : 0.02, 1e-9, 100,
                             &cfg.retrain.lr, e)))
        goto done;
    if ((rc = nvm_device_axes_parse(a, noises, cfg.n_noise, &dx, e)))
        goto done;
    nvm_retrain_args ra;
    if ((rc = nvm_retrain_args_parse(a, &dx, 1, &ra, e)))
        goto done;
    if (dx.analog_all && det[0] == 'n') {
        rc = nvm_fail(e, NVM_EUSAGE, "--analog all programs the retrained detector onto the chip; a --detector new "
                      "is digital: use one of them");
        goto done;
    }
    cfg.times = dx.times, cfg.n_time = dx.n_time, cfg.faults = dx.faults, cfg.n_faults = dx.n_faults;
    cfg.reads = dx.reads, cfg.n_read = dx.n_read, cfg.adcs = dx.adcs, cfg.n_adc = dx.n_adc;
    cfg.dacs = dx.dacs, cfg.n_dac = dx.n_dac, cfg.comps = dx.comps, cfg.n_comp = dx.n_comp;
    cfg.stuck_on = dx.stuck_on, cfg.retrain_each = dx.retrain_each, cfg.retrain_at = dx.retrain_at;
    cfg.analog_all = dx.analog_all;
    cfg.alpha_linear = dx.alpha_linear;
    cfg.retrain.batch = cfg.train.batch;
    cfg.retrain.momentum = cfg.train.momentum;
    cfg.retrain.optim = cfg.train.optim;
    cfg.detector_new = ra.detector_new;
    cfg.progressive = ra.progressive;
    cfg.retrain_reads = ra.reads;
    if (!cfg.detector_new && nvm_arg(a, "--nd")) {
        rc = nvm_fail(e, NVM_EUSAGE, "--nd sets the size of a new detector; add --detector new");
        goto done;
    }
    if ((rc = check_outputs(a, csv, cfg.train_only, e)))
        goto done;
    if (!cfg.model) {   /* a bad spec fails now, not after the data is read (formats fix the input shape) */
        nvm_arch probe;
        int w0 = nfe[0], px = n.cifar ? 32 : 28;
        if ((rc = nvm_build_arch(&probe, &n, &w0, px, px, n.cifar ? 3 : 1, 10, e)))
            goto done;
    }
    if ((rc = nvm_session_open(&s, a, n.cifar, e)) != NVM_OK ||
        (cfg.model && (rc = nvm_model_fits(mpath, &model.arch, &s.train, e)) != NVM_OK))
        goto done;
    if (strcmp(cfg.net, "mlp2") != 0 && strcmp(cfg.net, "mlp3") != 0) {   /* N_FE is the features' width */
        nvm_arch probe;
        if (cfg.model)
            probe = model.arch;
        else if ((rc = nvm_build_arch(&probe, &n, &nfe[0], s.train.h, s.train.w, s.train.c, s.train.classes, e)))
            goto done;
        nfe[0] = nvm_arch_features(&probe);
    }
    /* The share of multiply-accumulates left digital in every (N_FE, n_d), and whether the retraining
     * inputs fit (K reads, progressive steps), before any training. */
    share = nvm_alloc((size_t)cfg.n_nfe * (size_t)cfg.n_nd, sizeof *share);
    share_nd = nvm_alloc((size_t)cfg.n_nfe * (size_t)cfg.n_nd, sizeof *share_nd);
    if (!share || !share_nd) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    cfg.alphas = alphas;
    cfg.noises = noises;   /* (nvm_sweep_uses_linear reads the axes) */
    for (int fi = 0; fi < cfg.n_nfe; fi++) {
        nvm_arch probe;
        int w = nfe[fi];
        if (cfg.model)
            probe = model.arch;
        else if ((rc = nvm_build_arch(&probe, &n, &w, s.train.h, s.train.w, s.train.c, s.train.classes, e)))
            goto done;
        const double all = (double)nvm_arch_macs(&probe, 0, probe.n_layers),
                     fe = (double)nvm_arch_macs(&probe, 0, probe.fe_layers);
        for (int k = 0; k < cfg.n_nd; k++) {
            double v = cfg.analog_all ? 0.0 : (all - fe) / all;
            nvm_arch dn;
            if (cfg.detector_new && (rc = nvm_cell_detector(&dn, &probe, nd[k], e)))
                goto done;
            if (cfg.detector_new) {
                const double dm = (double)nvm_arch_macs(&dn, 0, dn.n_layers);
                v = dm / (fe + dm);
            }
            share[(size_t)fi * cfg.n_nd + k] = v;
            share_nd[(size_t)fi * cfg.n_nd + k] = cfg.detector_new ? nd[k] : nvm_arch_detector_width(&probe);
        }
        if ((cfg.retrain_reads > 1 || cfg.progressive) && !cfg.train_only &&
            (rc = nvm_cell_check_retrain(&probe, s.train.n, cfg.retrain_reads, cfg.progressive, s.threads, e)))
            goto done;
        if (!cfg.train_only && nvm_sweep_uses_linear(&cfg, &probe) &&
            (rc = nvm_cell_check_linear(&probe, s.train.n, s.test.n, cfg.retrain_reads, s.threads, e)))
            goto done;
        if (fi == 0)
            linear = nvm_sweep_uses_linear(&cfg, &probe);
    }
    cfg.digital_share = share;
    cfg.digital_nd = share_nd;
    cfg.dataset = s.dataset;
    cfg.data_hash = s.data_hash;
    cfg.nfe = nfe;
    cfg.nd = nd;
    cfg.out = out;
    cfg.csv = csv;
    cfg.progress = nvm_progress_mode_stderr();
    cfg.resume = nvm_arg(a, "--resume") != NULL;
    char grid[1024];
    grid_fingerprint(&cfg, &s, &model, linear, grid);
    cfg.grid = grid;
    nvm_sweep_stats st = {0};
    st.cells = (long)cfg.n_nfe * cfg.bases * cfg.runs * nvm_sweep_cells_per_chip(&cfg);
    nvm_run_info run = {argc, argv, s.files, s.n_files, s.threads, nvm_isa_name(s.isa), 0, "running",
                        grid};
    /* The sidecar is written first too, so an interrupted run records what it was (for --resume). */
    if ((cfg.resume && (rc = nvm_sidecar_check_grid(side, grid, e))) ||
        (!cfg.train_only && (rc = nvm_sidecar_write(side, &cfg, &st, &run, e))))
        goto done;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    rc = nvm_sweep(&cfg, &s.train, &s.test, s.pool, s.isa, &st, e);
    if (cfg.train_only) {
        if (rc == NVM_OK) {
            char first[4200];
            nvm_base_path(out, nfe[0], 0, first);
            printf("base networks ready (%d) beside %s, e.g. %s (training %.1f s); shards and sweeps with "
                   "--out %s load them\n", cfg.n_nfe * cfg.bases, out, first, st.train_seconds, out);
        }
    } else if (rc == NVM_OK || rc == NVM_EINTR) {
        run.wall_seconds = nvm_now() - t0;
        run.status = rc == NVM_OK ? "complete" : "interrupted";
        nvm_err e2;
        int rc2 = nvm_sidecar_write(side, &cfg, &st, &run, &e2);
        if (rc == NVM_OK) {
            if (!cfg.shard_n)   /* a shard's means cover only its cells: the merge has the whole */
                nvm_sweep_summary(&cfg, &st, stdout);
            printf("\nwrote %s (%d row%s) and %s in %.1f s (training %.1f s, cells %.1f s, %d thread%s)\n", csv,
                   st.rows, st.rows == 1 ? "" : "s", side, nvm_now() - t0, st.train_seconds, st.cell_seconds,
                   s.threads, s.threads == 1 ? "" : "s");
            if (rc2 != NVM_OK) {
                rc = rc2;
                *e = e2;
            }
        }
    }
    nvm_sweep_stats_free(&st);   /* filled (in part) by a failed sweep too */
done:
    nvm_device_axes_free(&dx);
    free(nfe);
    free(nd);
    free(alphas);
    free(share);
    free(share_nd);
    free(noises);
    nvm_model_free(&model);
    nvm_session_close(&s);
    return rc;
}
