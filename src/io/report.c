/* CSV output that never leaves a half row, and the progress line. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int nvm_csv_resume(nvm_csv *c, const char *path, const char *header, int group, char **rows,
                   long *n_rows, nvm_err *e)
{
    memset(c, 0, sizeof *c);
    *rows = NULL;
    *n_rows = 0;
    if (snprintf(c->path, sizeof c->path, "%s", path) >= (int)sizeof c->path)
        return nvm_fail(e, NVM_EUSAGE, "--out: path too long");
    snprintf(c->part, sizeof c->part, "%s.part", path);
    FILE *f = fopen(c->part, "r+");
    if (!f && errno == ENOENT && access(path, F_OK) == 0)
        return nvm_fail(e, NVM_EUSAGE, "%s is complete (no %s): nothing to resume", path, c->part);
    if (!f)
        return nvm_fail(e, NVM_EDATA, "%s: cannot resume (%s); run without --resume to start over",
                        c->part, strerror(errno));
    char *text = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = malloc((size_t)size + 1)) && fread(text, 1, (size_t)size, f) == (size_t)size) {
        text[size] = '\0';
    } else {
        free(text);
        fclose(f);
        return nvm_fail(e, NVM_EDATA, "%s: cannot read it to resume", c->part);
    }
    size_t hl = strlen(header);
    if ((size_t)size <= hl || strncmp(text, header, hl) != 0 || text[hl] != '\n' || strlen(text) != (size_t)size) {
        free(text);
        fclose(f);
        return nvm_fail(e, NVM_EDATA, "%s: not a sweep CSV of this version (header differs)", c->part);
    }
    /* Keep whole rows, in whole cells; a row cut by a crash or the rest of a half-written cell goes. */
    char *body = text + hl + 1, *end = body;
    long complete = 0, kept = 0;
    for (char *p = body; (p = strchr(p, '\n')); p++)
        if (++complete % group == 0) {
            kept = complete;
            end = p + 1;
        }
    long keep_bytes = (long)(end - text);
    if (fflush(f) != 0 || ftruncate(fileno(f), keep_bytes) != 0 || fseek(f, 0, SEEK_END) != 0) {
        free(text);
        fclose(f);
        return nvm_fail(e, NVM_ERUNTIME, "%s: cannot truncate to its complete rows (%s)", c->part,
                        strerror(errno));
    }
    *end = '\0';
    memmove(text, body, (size_t)(end - body) + 1);
    c->f = f;
    *rows = text;
    *n_rows = kept;
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

nvm_progress_mode nvm_progress_mode_stderr(void)
{
    return isatty(STDERR_FILENO) ? NVM_PROGRESS_TTY : NVM_PROGRESS_LOG;
}

void nvm_progress_start(nvm_progress *p, nvm_progress_mode mode, const char *label, long total)
{
    p->mode = mode;
    p->t0 = nvm_now();
    p->last = mode == NVM_PROGRESS_TTY ? 0 : p->t0;   /* a terminal gets its line at once */
    p->total = total;
    snprintf(p->label, sizeof p->label, "%s", label);
    if (mode == NVM_PROGRESS_TTY)
        nvm_progress_update(p, 0);
}

void nvm_progress_update(nvm_progress *p, long done)
{
    double now = nvm_now();
    if (p->mode == NVM_PROGRESS_OFF)
        return;
    if (p->mode == NVM_PROGRESS_TTY ? now - p->last < 0.25 && done < p->total
                                    : now - p->last < NVM_PROGRESS_LOG_SECONDS || done >= p->total)
        return;
    p->last = now;
    char el[32], eta[32] = "?";
    nvm_format_duration(now - p->t0, el);
    if (done > 0)
        nvm_format_duration((now - p->t0) * (double)(p->total - done) / (double)done, eta);
    fprintf(stderr, "%s%s %ld/%ld (%.0f%%)  elapsed %s  ETA %s%s", p->mode == NVM_PROGRESS_TTY ? "\r\033[K" : "",
            p->label, done, p->total, p->total ? 100.0 * (double)done / (double)p->total : 100.0, el, eta,
            p->mode == NVM_PROGRESS_LOG ? "\n" : "");
    fflush(stderr);
}

void nvm_progress_end(nvm_progress *p)
{
    if (p->mode == NVM_PROGRESS_TTY)
        fprintf(stderr, "\r\033[K");
}
