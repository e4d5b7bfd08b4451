#define _POSIX_C_SOURCE 200809L
/* Value parsers for the command line. */
#include "nvmsim/cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nvm_parse_int(const char *flag, const char *s, long min, long max, long *out, nvm_err *e)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < min || v > max)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: expected a whole number from %ld to %ld", flag, s, min,
                        max);
    *out = v;
    return NVM_OK;
}

int nvm_parse_u64(const char *flag, const char *s, uint64_t *out, nvm_err *e)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end || errno || *s == '-' || *s == '+' || *s == ' ')
        return nvm_fail(e, NVM_EUSAGE, "%s %s: expected a whole number from 0 to 2^64-1", flag, s);
    *out = v;
    return NVM_OK;
}

int nvm_parse_double(const char *flag, const char *s, double min, double max, double *out,
                     nvm_err *e)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < min || v > max)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: expected a number from %g to %g", flag, s, min, max);
    *out = v;
    return NVM_OK;
}

/* Splits s on commas and parses each part with parse_one into vals (malloc'd). */
static int parse_list(const char *flag, const char *s, size_t elem, void **vals, int *n, nvm_err *e,
                      int (*parse_one)(const char *flag, const char *part, void *dst, const void *lim,
                                       nvm_err *e),
                      const void *lim)
{
    size_t count = 1;
    for (const char *p = s; *p; p++)
        count += *p == ',';
    if (count > NVM_MAX_LIST)
        return nvm_fail(e, NVM_EUSAGE, "%s: more than %d values", flag, NVM_MAX_LIST);
    char *copy = strdup(s);
    char *out = nvm_alloc(count, elem);
    if (!copy || !out) {
        free(copy);
        free(out);
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    }
    int k = 0, rc = NVM_OK;
    for (char *part = copy, *next; part && rc == NVM_OK; part = next) {
        next = strchr(part, ',');
        if (next)
            *next++ = '\0';
        rc = parse_one(flag, part, out + (size_t)k++ * elem, lim, e);
    }
    free(copy);
    if (rc != NVM_OK) {
        free(out);
        return rc;
    }
    *vals = out;
    *n = k;
    return NVM_OK;
}

static int one_int(const char *flag, const char *part, void *dst, const void *lim, nvm_err *e)
{
    const long *mm = lim;
    long v = 0;
    int rc = nvm_parse_int(flag, part, mm[0], mm[1], &v, e);
    if (rc == NVM_OK)
        *(int *)dst = (int)v;
    return rc;
}

static int one_double(const char *flag, const char *part, void *dst, const void *lim, nvm_err *e)
{
    const double *mm = lim;
    return nvm_parse_double(flag, part, mm[0], mm[1], dst, e);
}

int nvm_parse_int_list(const char *flag, const char *s, long min, long max, int **vals, int *n,
                       nvm_err *e)
{
    long mm[2] = {min, max};
    return parse_list(flag, s, sizeof(int), (void **)vals, n, e, one_int, mm);
}

static double snap(double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.12g", v);
    return strtod(buf, NULL);
}

int nvm_parse_range(const char *flag, const char *s, double min, double max, double **vals, int *n,
                    nvm_err *e)
{
    double mm[2] = {min, max};
    if (!strchr(s, ':')) {
        int rc = parse_list(flag, s, sizeof(double), (void **)vals, n, e, one_double, mm);
        if (rc == NVM_OK)
            for (int i = 0; i < *n; i++)
                (*vals)[i] = snap((*vals)[i]);
        return rc;
    }
    char a[64], b[64], c[64], extra;
    if (strlen(s) >= sizeof a || sscanf(s, "%63[^:]:%63[^:]:%63[^:]%c", a, b, c, &extra) != 3)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: expected START:STOP:STEP (e.g. 0:1:0.05) or a comma list",
                        flag, s);
    double start = 0, stop = 0, step = 0;
    int rc;
    if ((rc = nvm_parse_double(flag, a, min, max, &start, e)) ||
        (rc = nvm_parse_double(flag, b, min, max, &stop, e)) ||
        (rc = nvm_parse_double(flag, c, 0, max - min, &step, e)))
        return rc;
    if (step <= 0)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: STEP must be greater than 0", flag, s);
    if (stop < start)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: STOP (%s) is below START (%s)", flag, s, b, a);
    double steps = floor((stop - start) / step + 1e-9);
    if (steps + 1 > NVM_MAX_LIST)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: %.0f values, at most %d", flag, s, steps + 1,
                        NVM_MAX_LIST);
    *n = (int)steps + 1;
    if (!(*vals = nvm_alloc((size_t)*n, sizeof(double))))
        return nvm_fail(e, NVM_ERUNTIME, "out of memory");
    for (int i = 0; i < *n; i++)
        (*vals)[i] = snap(start + i * step);
    return NVM_OK;
}

void nvm_format_double(double v, char out[32])
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

int nvm_check_name(const char *flag, const char *s, nvm_err *e)
{
    size_t n = strlen(s);
    int ok = n >= 1 && n <= 15;
    for (size_t i = 0; ok && i < n; i++)
        ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
             s[i] == '.' || s[i] == '_' || s[i] == '-';
    if (!ok)
        return nvm_fail(e, NVM_EUSAGE, "%s %s: expected 1-15 letters, digits, '.', '_' or '-'", flag, s);
    return NVM_OK;
}

/* Levenshtein distance of a and b (short strings: flags and command names). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63)
        return 99;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            best = up + 1 < best ? up + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

const char *nvm_nearest(const char *s, const char *const *cands, int n)
{
    const char *best = NULL;
    size_t bd = 99, len = strlen(s);
    for (int i = 0; i < n; i++) {
        size_t d = edit_distance(s, cands[i]);
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    /* Close enough to be a typo: a third of the length, at least 1, at most 3 edits. */
    size_t limit = len / 3 < 1 ? 1 : len / 3 > 3 ? 3 : len / 3;
    return bd <= limit ? best : NULL;
}

int nvm_parse_shard(const char *s, int *k, int *n, nvm_err *e)
{
    char *end;
    long kk = strtol(s, &end, 10), nn = 0;
    int ok = end != s && *end == '/' && s[0] >= '0' && s[0] <= '9';
    if (ok) {
        const char *q = end + 1;
        nn = strtol(q, &end, 10);
        ok = end != q && !*end && *q >= '0' && *q <= '9' && nn >= 1 && nn <= 100000 && kk >= 0 && kk < nn;
    }
    if (!ok)
        return nvm_fail(e, NVM_EUSAGE, "--shard %s: expected K/N with 0 <= K < N <= 100000 (e.g. 0/4)", s);
    *k = (int)kk;
    *n = (int)nn;
    return NVM_OK;
}
