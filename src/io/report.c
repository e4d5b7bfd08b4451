/* CSV output that never leaves a half row, and the progress line. */
#include "nvmsim/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int nvm_csv_open(nvm_csv *c, const char *path, const char *header, nvm_err *e)
{
    memset(c, 0, sizeof *c);
    if (snprintf(c->path, sizeof c->path, "%s", path) >= (int)sizeof c->path)
        return nvm_fail(e, NVM_EUSAGE, "--out: path too long");
    snprintf(c->part, sizeof c->part, "%s.part", path);
    if (!(c->f = fopen(c->part, "w")))
        return nvm_fail(e, NVM_ERUNTIME, "%s: cannot create (%s); check --out and that its folder exists",
                        c->part, strerror(errno));
    if (fprintf(c->f, "%s\n", header) < 0 || fflush(c->f) != 0) {
        nvm_csv_abandon(c);
        return nvm_fail(e, NVM_ERUNTIME, "%s: write failed (%s)", c->part, strerror(errno));
    }
    return NVM_OK;
}

int nvm_csv_write(nvm_csv *c, const char *line, nvm_err *e)
{
    if (fputs(line, c->f) < 0 || fflush(c->f) != 0)
        return nvm_fail(e, NVM_ERUNTIME, "%s: write failed (%s)", c->part, strerror(errno));
    return NVM_OK;
}

int nvm_csv_finish(nvm_csv *c, nvm_err *e)
{
    int ok = fclose(c->f) == 0;
    c->f = NULL;
    if (!ok)
        return nvm_fail(e, NVM_ERUNTIME, "%s: write failed (%s)", c->part, strerror(errno));
    if (rename(c->part, c->path) != 0)
        return nvm_fail(e, NVM_ERUNTIME, "%s: cannot rename to %s (%s)", c->part, c->path,
                        strerror(errno));
    return NVM_OK;
}

void nvm_csv_abandon(nvm_csv *c)
{
    if (c->f)
        fclose(c->f);
    c->f = NULL;
}

void nvm_format_duration(double seconds, char out[32])
{
    long s = seconds > 0 && seconds < 1e9 ? (long)(seconds + 0.5) : 0;
    if (s >= 3600)
        snprintf(out, 32, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(out, 32, "%ld:%02ld", s / 60, s % 60);
}

void nvm_progress_start(nvm_progress *p, int enabled, const char *label, long total)
{
    p->enabled = enabled;
    p->t0 = nvm_now();
    p->last = 0;
    p->total = total;
    snprintf(p->label, sizeof p->label, "%s", label);
    nvm_progress_update(p, 0);
}

void nvm_progress_update(nvm_progress *p, long done)
{
    double now = nvm_now();
    if (!p->enabled || (now - p->last < 0.25 && done < p->total))
        return;
    p->last = now;
    char el[32], eta[32] = "?";
    nvm_format_duration(now - p->t0, el);
    if (done > 0)
        nvm_format_duration((now - p->t0) * (double)(p->total - done) / (double)done, eta);
    fprintf(stderr, "\r\033[K%s %ld/%ld (%.0f%%)  elapsed %s  ETA %s", p->label, done, p->total,
            p->total ? 100.0 * (double)done / (double)p->total : 100.0, el, eta);
    fflush(stderr);
}

void nvm_progress_end(nvm_progress *p)
{
    if (p->enabled)
        fprintf(stderr, "\r\033[K");
}
