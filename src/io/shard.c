/* Shard files: parsing and checking every row, so the merge can promise the one-machine CSV. */
#include "nvmsim/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/sweep.h"

long nvm_shard_cells(long cells, int k, int n)
{
    return cells > k ? (cells - k + n - 1) / n : 0;
}

int nvm_json_string(const char *json, const char *key, char *buf, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(json, pat);
    if (!p)
        return 0;
    p += strlen(pat);
    const char *q = strchr(p, '"');
    if (!q || (size_t)(q - p) >= size)
        return 0;
    memcpy(buf, p, (size_t)(q - p));
    buf[q - p] = '\0';
    return 1;
}

int nvm_json_number(const char *json, const char *key, double *v)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    if (!p)
        return 0;
    char *end;
    *v = strtod(p + strlen(pat), &end);
    return end != p + strlen(pat);
}

/* K and N from "….shard-K-of-N.csv". */
static int name_kn(const char *name, int *k, int *n)
{
    const char *p = strstr(name, ".shard-"), *last = NULL;
    while (p) {
        last = p;
        p = strstr(p + 1, ".shard-");
    }
    if (!last)
        return 0;
    int used = 0;
    if (sscanf(last, ".shard-%d-of-%d.csv%n", k, n, &used) != 2 || last[used] != '\0')
        return 0;
    return *n >= 1 && *k >= 0 && *k < *n;
}

int nvm_shard_parse(const char *name, char *csv, size_t n, const char *json, nvm_shard *sh, nvm_err *e)
{
    memset(sh, 0, sizeof *sh);
    char status[32], shard[32];
    double cells, rpc;
    if (!name_kn(name, &sh->k, &sh->n))
        return nvm_fail(e, NVM_EDATA, "%s: not a shard file (expected NAME.shard-K-of-N.csv, as `sweep --shard "
                        "K/N` writes)", name);
    if (!nvm_json_string(json, "status", status, sizeof status) || !nvm_json_string(json, "grid", sh->grid,
        sizeof sh->grid) || !nvm_json_string(json, "shard", shard, sizeof shard) ||
        !nvm_json_number(json, "cells", &cells) || !nvm_json_number(json, "rows_per_cell", &rpc))
        return nvm_fail(e, NVM_EDATA, "%s.json: not the sidecar of a shard (no status, grid, shard, cells)", name);
    if (strcmp(status, "complete") != 0)
        return nvm_fail(e, NVM_EDATA, "%s: shard %d of %d is %s, not complete; finish it (its sweep command "
                        "with --resume) before merging", name, sh->k, sh->n, status);
    int k2 = -1, n2 = -1, used = 0;
    if (sscanf(shard, "%d/%d%n", &k2, &n2, &used) != 2 || shard[used] || k2 != sh->k || n2 != sh->n)
        return nvm_fail(e, NVM_EDATA, "%s: its sidecar says shard %s, its name shard %d/%d (renamed?)", name, shard,
                        sh->k, sh->n);
    if (!(cells >= 1 && cells <= 1e12) || !(rpc >= 1 && rpc <= 100000))
        return nvm_fail(e, NVM_EDATA, "%s.json: cells %g, rows per cell %g out of range", name, cells, rpc);
    sh->cells = (long)cells;
    sh->rows_per_cell = (int)rpc;
    if (!nvm_json_string(json, "isa", sh->isa, sizeof sh->isa))
        snprintf(sh->isa, sizeof sh->isa, "?");
    nvm_json_number(json, "wall_seconds", &sh->wall_seconds);
    nvm_json_number(json, "train_seconds", &sh->train_seconds);
    nvm_json_number(json, "cell_seconds", &sh->cell_seconds);
    nvm_json_number(json, "retrain_seconds", &sh->retrain_seconds);
    const char *header = NVM_SHARD_COLUMNS NVM_CSV_HEADER "\n";
    size_t hl = strlen(header);
    if (n < hl || strncmp(csv, header, hl) != 0 || strlen(csv) != n)
        return nvm_fail(e, NVM_EDATA, "%s: not a shard CSV of this version (header differs)", name);
    long want = nvm_shard_cells(sh->cells, sh->k, sh->n) * sh->rows_per_cell;
    if (!(sh->rows = nvm_alloc((size_t)want + 1, sizeof *sh->rows)))
        return nvm_fail(e, NVM_ERUNTIME, "%s: out of memory", name);
    char *p = csv + hl;
    for (long r = 0; *p; r++) {
        char *nl = strchr(p, '\n');
        if (!nl)
            return nvm_fail(e, NVM_EDATA, "%s: row %ld is cut short (half-written); re-run the shard", name, r + 2);
        if (r >= want)
            return nvm_fail(e, NVM_EDATA, "%s: more than the %ld rows shard %d of %d has (duplicated rows?)",
                            name, want, sh->k, sh->n);
        char *end, tag[17], *row;
        long cell = strtol(p, &end, 10), expect = sh->k + (r / sh->rows_per_cell) * (long)sh->n;
        if (end == p || *end != ',' || nl - end < 19 || end[17] != ',')
            return nvm_fail(e, NVM_EDATA, "%s: row %ld does not start with its cell and tag", name, r + 2);
        if (cell != expect)
            return nvm_fail(e, NVM_EDATA, "%s: row %ld is of cell %ld, expected cell %ld (rows reordered, "
                            "duplicated or from another shard)", name, r + 2, cell, expect);
        row = end + 18;
        char saved = nl[1];
        nl[1] = '\0';
        nvm_shard_tag(sh->grid, row, tag);
        nl[1] = saved;
        if (strncmp(end + 1, tag, 16) != 0)
            return nvm_fail(e, NVM_EDATA, "%s: row %ld does not belong to this grid (edited, or from another "
                            "sweep)", name, r + 2);
        sh->rows[sh->n_rows++] = row;
        p = nl + 1;
    }
    if (sh->n_rows != want)
        return nvm_fail(e, NVM_EDATA, "%s: %ld of the %ld rows of shard %d of %d (truncated); re-run the shard",
                        name, sh->n_rows, want, sh->k, sh->n);
    return NVM_OK;
}

void nvm_shard_free(nvm_shard *sh)
{
    free(sh->rows);
    sh->rows = NULL;
}
