/* nvmsim merge: shards of one sweep into the CSV (and sidecar) one machine would have written. */
#define _POSIX_C_SOURCE 200809L
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvmsim/commands.h"
#include "nvmsim/data.h"
#include "nvmsim/model.h"
#include "nvmsim/report.h"
#include "nvmsim/session.h"
#include "nvmsim/shard.h"
#include "nvmsim/sidecar.h"
#include "nvmsim/sweep.h"

#define MAX_SHARD_BYTES ((size_t)1 << 32)

typedef struct {
    const char *path;
    char *csv, *json;
    nvm_shard sh;
} shard_file;

/* The shard files named on the command line; a quoted glob is expanded here. paths is malloc'd. */
static int list_files(const nvm_args *a, char ***paths, int *n, glob_t *g, nvm_err *e)
{
    memset(g, 0, sizeof *g);
    int globbed = 0;
    for (int i = 0; i < a->n_pos; i++) {
        const char *p = a->pos[i];
        if (access(p, F_OK) != 0 && strpbrk(p, "*?[")) {
            if (glob(p, globbed ? GLOB_APPEND : 0, NULL, g) != 0)
                return nvm_fail(e, NVM_EDATA, "%s: no shard file matches", p);
            globbed = 1;
        }
    }
    size_t total = (size_t)a->n_pos + (globbed ? g->gl_pathc : 0);
    if (!(*paths = nvm_alloc(total ? total : 1, sizeof **paths)))
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    *n = 0;
    for (int i = 0; i < a->n_pos; i++)
        if (!(access(a->pos[i], F_OK) != 0 && strpbrk(a->pos[i], "*?[")))
            (*paths)[(*n)++] = a->pos[i];
    for (size_t i = 0; globbed && i < g->gl_pathc; i++)
        (*paths)[(*n)++] = g->gl_pathv[i];
    return NVM_OK;
}

static int read_shard(shard_file *f, nvm_err *e)
{
    uint8_t *buf;
    size_t n;
    char side[4200];
    int rc;
    if ((rc = nvm_read_file(f->path, MAX_SHARD_BYTES, &buf, &n, e)))
        return rc;
    f->csv = realloc(buf, n + 1);
    if (!f->csv) {
        free(buf);
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    }
    f->csv[n] = '\0';
    size_t csv_n = n;
    snprintf(side, sizeof side, "%s.json", f->path);
    nvm_err sub;
    if (nvm_read_file(side, (size_t)1 << 24, &buf, &n, &sub) != NVM_OK)
        return nvm_fail(e, NVM_EDATA, "%s: no sidecar %s beside it; was it written by `sweep --shard`?", f->path,
                        side);
    f->json = realloc(buf, n + 1);
    if (!f->json) {
        free(buf);
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    }
    f->json[n] = '\0';
    return nvm_shard_parse(f->path, f->csv, csv_n, f->json, &f->sh, e);
}

/* Every shard of one grid, each once: the first file's N and grid are the reference. */
static int check_set(shard_file *f, int n, shard_file **by_k, nvm_err *e)
{
    const nvm_shard *ref = &f[0].sh;
    for (int i = 0; i < n; i++) {
        const nvm_shard *s = &f[i].sh;
        if (s->n != ref->n)
            return nvm_fail(e, NVM_EDATA, "%s is shard %d of %d, %s of %d: shards of different splits", f[i].path,
                            s->k, s->n, f[0].path, ref->n);
        if (strcmp(s->grid, ref->grid) != 0 || s->cells != ref->cells || s->rows_per_cell != ref->rows_per_cell)
            return nvm_fail(e, NVM_EDATA, "%s: another sweep's shard (its grid differs from %s's: other flags, "
                            "data or nvmsim version)", f[i].path, f[0].path);
        /* The fixed-order FMA kernels (AVX2, AVX-512) agree bit for bit; the generic C ones do not. */
        if ((strcmp(s->isa, "generic") == 0) != (strcmp(ref->isa, "generic") == 0))
            return nvm_fail(e, NVM_EDATA, "%s ran on the %s path, %s on %s: their sums differ in the last bits; "
                            "re-run one of them on the other kind of CPU (e.g. sbatch --constraint)", f[i].path,
                            s->isa, f[0].path, ref->isa);
        if (by_k[s->k])
            return nvm_fail(e, NVM_EDATA, "shard %d of %d given twice: %s and %s", s->k, s->n, by_k[s->k]->path,
                            f[i].path);
        by_k[s->k] = &f[i];
    }
    for (int k = 0; k < ref->n; k++)
        if (!by_k[k]) {
            const char *p = f[0].path, *suffix = strstr(p, ".shard-");
            return nvm_fail(e, NVM_EDATA, "shard %d of %d is missing (%.*s.shard-%d-of-%d.csv); run it, or "
                            "re-run it if it failed", k, ref->n, (int)(suffix ? suffix - p : 0), p, k, ref->n);
        }
    return NVM_OK;
}

int nvm_cmd_merge(int argc, char **argv, const nvm_args *a, nvm_err *e)
{
    const char *out = nvm_arg(a, "--out");
    if (!out)
        return nvm_fail(e, NVM_EUSAGE, "merge needs --out FILE (the CSV the whole sweep would write)");
    if (a->n_pos == 0)
        return nvm_fail(e, NVM_EUSAGE, "merge needs the shard files, e.g. %s.shard-*-of-4.csv", out);
    int rc;
    if ((rc = nvm_check_out("--out", out, e)))
        return rc;
    if (!nvm_arg(a, "--overwrite") && access(out, F_OK) == 0)
        return nvm_fail(e, NVM_EUSAGE, "%s exists: choose another --out, or add --overwrite to replace it", out);
    char **paths = NULL;
    int n = 0;
    glob_t g;
    shard_file *f = NULL;
    shard_file **by_k = NULL;
    nvm_csv csv = {0};
    if ((rc = list_files(a, &paths, &n, &g, e)))
        goto done;
    if (!(f = nvm_calloc((size_t)n, sizeof *f))) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    for (int i = 0; i < n && rc == NVM_OK; i++) {
        f[i].path = paths[i];
        rc = read_shard(&f[i], e);
    }
    if (rc != NVM_OK)
        goto done;
    if (!(by_k = nvm_calloc((size_t)f[0].sh.n, sizeof *by_k))) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    if ((rc = check_set(f, n, by_k, e)) || (rc = nvm_csv_open(&csv, out, NVM_CSV_HEADER, e)))
        goto done;
    const nvm_shard *ref = &f[0].sh;
    long rows = 0;
    double wall = 0, train = 0, cell_s = 0, retrain = 0;
    for (long c = 0; c < ref->cells && rc == NVM_OK; c++) {   /* grid order: cell c is shard c mod N's */
        const nvm_shard *s = &by_k[c % ref->n]->sh;
        long first = c / ref->n * ref->rows_per_cell;
        for (int r = 0; r < ref->rows_per_cell && rc == NVM_OK; r++, rows++) {
            const char *row = s->rows[first + r];
            char line[600];
            snprintf(line, sizeof line, "%.*s", (int)(strchr(row, '\n') - row + 1), row);
            rc = nvm_csv_write(&csv, line, e);
        }
    }
    for (int i = 0; i < n; i++) {
        wall += f[i].sh.wall_seconds;
        train += f[i].sh.train_seconds;
        cell_s += f[i].sh.cell_seconds;
        retrain += f[i].sh.retrain_seconds;
    }
    char side[4200];
    snprintf(side, sizeof side, "%s.json", out);
    if (rc == NVM_OK)
        rc = nvm_sidecar_write_merged(side, argc, argv, ref->grid, (const char *const *)paths, n, rows, ref->cells,
                                      wall, train, cell_s, retrain, by_k[0]->json, e);
    if (rc == NVM_OK)
        rc = nvm_csv_finish(&csv, e);
    else
        nvm_csv_abandon(&csv);
    if (rc == NVM_OK)
        printf("merged %d shard%s into %s (%ld row%s in grid order) and %s; shards' wall time %.1f s in all\n", n,
               n == 1 ? "" : "s", out, rows, rows == 1 ? "" : "s", side, wall);
done:
    for (int i = 0; f && i < n; i++) {
        nvm_shard_free(&f[i].sh);
        free(f[i].csv);
        free(f[i].json);
    }
    free(f);
    free(by_k);
    free(paths);
    globfree(&g);
    return rc;
}
