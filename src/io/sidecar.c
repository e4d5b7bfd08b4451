/* JSON sidecar, built in memory and written atomically. */
#include "nvmsim/sidecar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void out(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0 || b->oom)
        return;
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = (b->cap + (size_t)k + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static void json_str(sbuf *b, const char *s)
{
    out(b, "\"");
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            out(b, "\\%c", *c);
        else if (*c < 0x20)
            out(b, "\\u%04x", *c);
        else
            out(b, "%c", *c);
    }
    out(b, "\"");
}

static void json_doubles(sbuf *b, const double *v, int n)
{
    out(b, "[");
    for (int i = 0; i < n; i++) {
        char s[32];
        nvm_format_double(v[i], s);
        out(b, "%s%s", i ? ", " : "", s);
    }
    out(b, "]");
}

static void json_strs(sbuf *b, const char *const *v, int n)
{
    out(b, "[");
    for (int i = 0; i < n; i++) {
        out(b, "%s", i ? ", " : "");
        json_str(b, v[i]);
    }
    out(b, "]");
}

static void json_ints(sbuf *b, const int *v, int n)
{
    out(b, "[");
    for (int i = 0; i < n; i++)
        out(b, "%s%d", i ? ", " : "", v[i]);
    out(b, "]");
}

/* Writes b's text to path atomically (or fails naming path if building it ran out of memory); frees b. */
static int write_sbuf(const char *path, sbuf *b, nvm_err *e)
{
    int rc = b->oom ? nvm_fail(e, NVM_ERUNTIME, "%s: out of memory", path) : nvm_write_atomic(path, b->p, b->n, e);
    free(b->p);
    return rc;
}

int nvm_sidecar_write(const char *path, const nvm_sweep_cfg *cfg, const nvm_sweep_stats *st,
                      const nvm_run_info *run, nvm_err *e)
{
    sbuf b = {0};
    out(&b, "{\n  \"nvmsim_version\": \"%s\",\n  \"command\": ", NVMSIM_VERSION);
    json_strs(&b, (const char *const *)run->argv, run->argc);
    out(&b, ",\n  \"status\": \"%s\",\n  \"grid\": ", run->status);
    json_str(&b, run->grid);
    out(&b, ",\n");
    out(&b, "  \"net\": \"%s\",\n  \"dataset\": \"%s\",\n", cfg->net, cfg->dataset);
    out(&b, "  \"seed\": %llu,\n  \"threads\": %d,\n  \"isa\": \"%s\",\n",
        (unsigned long long)cfg->seed, run->threads, run->isa);
    out(&b, "  \"data_files\": [");
    for (int i = 0; i < run->n_files; i++) {
        out(&b, "%s\n    {\"path\": ", i ? "," : "");
        json_str(&b, run->files[i].path);
        out(&b, ", \"bytes\": %llu, \"sha256\": \"%s\"}", (unsigned long long)run->files[i].bytes,
            run->files[i].sha256);
    }
    out(&b, "\n  ],\n");
    out(&b, "  \"train\": {\"epochs\": %d, \"batch\": %d, \"lr\": %g, \"momentum\": %g, ",
        cfg->train.epochs, cfg->train.batch, cfg->train.lr, cfg->train.momentum);
    if (cfg->model) {   /* the given model's recipe, as its file records it */
        out(&b, "\"recipe\": ");
        json_str(&b, cfg->model->recipe[0] ? cfg->model->recipe : "unknown (model file before version 3)");
    } else {
        char recipe[NVM_RECIPE_LEN], noise[32];
        nvm_recipe_text(&cfg->train.recipe, recipe);
        nvm_train_noise_name(&cfg->train.recipe.noise, noise);
        out(&b, "\"init\": \"%s\", \"train_noise\": \"%s\", \"train_noise_biases\": %s, \"recipe\": ",
            nvm_init_name(cfg->train.recipe.init), noise,
            cfg->train.recipe.noise.model != NVM_TNOISE_NONE && cfg->train.recipe.noise.biases ? "true" : "false");
        json_str(&b, recipe);
    }
    out(&b, "},\n");
    out(&b, "  \"retrain\": {\"detector\": \"%s\", \"epochs\": %d, \"batch\": %d, \"lr\": %g, "
            "\"momentum\": %g, \"reads\": %d},\n",
        cfg->detector_new ? "new" : cfg->progressive ? "progressive" : "last", cfg->retrain.epochs,
        cfg->retrain.batch, cfg->retrain.lr, cfg->retrain.momentum, cfg->retrain_reads > 1 ? cfg->retrain_reads : 1);
    out(&b, "  \"noise\": [");
    for (int i = 0; i < cfg->n_noise; i++) {
        char name[16];
        nvm_noise_name(&cfg->noises[i], name);
        out(&b, "%s\"%s\"", i ? ", " : "", name);
    }
    out(&b, "],\n  \"alpha\": ");
    json_doubles(&b, cfg->alphas, cfg->n_alpha);
    out(&b, ",\n  \"degrade_biases\": %s,\n", cfg->degrade_biases ? "true" : "false");
    out(&b, "  \"device\": {\"time_s\": ");
    json_doubles(&b, cfg->times, cfg->n_time);
    out(&b, ", \"retrain_at\": ");
    if (cfg->retrain_each)
        out(&b, "\"each\"");
    else
        json_doubles(&b, &cfg->retrain_at, 1);
    out(&b, ", \"faults\": ");
    json_doubles(&b, cfg->faults, cfg->n_faults);
    out(&b, ", \"stuck_on\": %.17g, \"read\": ", cfg->stuck_on);
    json_doubles(&b, cfg->reads, cfg->n_read);
    out(&b, ", \"adc_bits\": ");
    json_ints(&b, cfg->adcs, cfg->n_adc);
    out(&b, ", \"dac_bits\": ");
    json_ints(&b, cfg->dacs, cfg->n_dac);
    out(&b, ", \"drift_comp\": [");
    for (int i = 0; i < cfg->n_comp; i++)
        out(&b, "%s\"%s\"", i ? ", " : "", cfg->comps[i] ? "global" : "none");
    out(&b, "], \"analog\": \"%s\", \"alpha_gemm\": \"%s\", \"calibration_samples\": %d,\n    \"constants\": {",
        cfg->analog_all ? "all" : "fe", cfg->alpha_linear ? "linear" : "each", NVM_CALIB_SAMPLES);
    int nc;
    const nvm_dev_const *k = nvm_device_constants(&nc);
    for (int i = 0; i < nc; i++)
        out(&b, "%s\"%s\": %.17g", i ? ", " : "", k[i].name, k[i].value);
    out(&b, "}},\n");
    out(&b, "  \"runs\": %d,\n  \"bases\": %d,\n", cfg->runs, cfg->bases);
    out(&b, "  \"fe_mac_share\": %.6f,\n", st->fe_mac_share);
    /* What stays digital: the detector (last, progressive; nothing with --analog all), or the fresh one
     * against the feature extractor (new), per N_FE and n_d. */
    out(&b, "  \"digital_mac_share\": [");
    for (int i = 0; cfg->digital_share && i < cfg->n_nfe * cfg->n_nd; i++)
        out(&b, "%s{\"n_fe\": %d, \"n_d\": %d, \"share\": %.6f}", i ? ", " : "", cfg->nfe[i / cfg->n_nd],
            cfg->digital_nd[i], cfg->digital_share[i]);
    out(&b, "],\n");
    out(&b, "  \"acc_clean\": ");
    json_doubles(&b, st->acc_clean, st->acc_clean ? cfg->n_nfe * cfg->bases : 0);
    out(&b, ",\n  \"rows\": %d,\n", st->rows);
    if (cfg->shard_n > 0)
        out(&b, "  \"shard\": \"%d/%d\",\n", cfg->shard_k, cfg->shard_n);
    out(&b, "  \"cells\": %ld,\n  \"rows_per_cell\": %d,\n", st->cells, cfg->n_nd);
    out(&b, "  \"train_seconds\": %.3f,\n  \"cell_seconds\": %.3f,\n", st->train_seconds, st->cell_seconds);
    out(&b, "  \"retrain_seconds\": %.3f,\n  \"retrain_seconds_per_cell\": %.4f,\n", st->retrain_seconds,
        st->cells_run > 0 ? st->retrain_seconds / (double)st->cells_run : 0.0);
    out(&b, "  \"wall_seconds\": %.3f\n}\n", run->wall_seconds);
    return write_sbuf(path, &b, e);
}

int nvm_sidecar_check_grid(const char *path, const char *grid, nvm_err *e)
{
    uint8_t *buf;
    size_t n;
    nvm_err sub;
    if (nvm_read_file(path, (size_t)1 << 24, &buf, &n, &sub) != NVM_OK)
        return nvm_fail(e, NVM_EDATA, "%s: cannot check that --resume continues the same sweep (%s)",
                        path, sub.msg);
    sbuf want = {0};
    out(&want, "\"grid\": ");
    json_str(&want, grid);
    char *text = nvm_alloc(n + 1, 1);
    int same = 0;
    if (text && !want.oom) {
        memcpy(text, buf, n);
        text[n] = '\0';
        same = strstr(text, want.p) != NULL;
    }
    free(text);
    free(buf);
    free(want.p);
    if (!same)
        return nvm_fail(e, NVM_EUSAGE, "--resume: the sweep in %s was started with other settings (its "
                        "\"grid\" differs); use the same flags, or drop --resume to start over", path);
    return NVM_OK;
}

int nvm_sidecar_write_merged(const char *path, int argc, char **argv, const char *grid,
                             const char *const *shards, int n, long rows, long cells, double wall,
                             double train, double cell, double retrain, const char *shard0, nvm_err *e)
{
    sbuf b = {0};
    out(&b, "{\n  \"nvmsim_version\": \"%s\",\n  \"command\": ", NVMSIM_VERSION);
    json_strs(&b, (const char *const *)argv, argc);
    out(&b, ",\n  \"status\": \"complete\",\n  \"grid\": ");
    json_str(&b, grid);
    out(&b, ",\n  \"merged_from\": ");
    json_strs(&b, shards, n);
    out(&b, ",\n  \"rows\": %ld,\n  \"cells\": %ld,\n", rows, cells);
    out(&b, "  \"train_seconds\": %.3f,\n  \"cell_seconds\": %.3f,\n  \"retrain_seconds\": %.3f,\n", train, cell,
        retrain);
    out(&b, "  \"retrain_seconds_per_cell\": %.4f,\n  \"wall_seconds\": %.3f,\n", cells > 0 ? retrain / (double)cells : 0.0,
        wall);
    size_t len = strlen(shard0);
    while (len && (shard0[len - 1] == '\n' || shard0[len - 1] == ' '))
        len--;
    out(&b, "  \"shard_0\": %.*s\n}\n", (int)len, shard0);
    return write_sbuf(path, &b, e);
}
