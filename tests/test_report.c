/* The progress reports: what each mode writes to stderr, and when. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nvmsim/common.h"
#include "nvmsim/report.h"

/* Runs the updates u[0..n) (done values; -1 = pretend a minute and a second have passed) on a fresh
 * progress of mode m with total 10 and returns what went to stderr in out. */
static void capture(nvm_progress_mode m, const long *u, int n, char *out, size_t cap)
{
    FILE *tmp = tmpfile();
    int saved = dup(STDERR_FILENO);
    fflush(stderr);
    dup2(fileno(tmp), STDERR_FILENO);
    nvm_progress p;
    nvm_progress_start(&p, m, "sweep x: cells", 10);
    for (int i = 0; i < n; i++) {
        if (u[i] < 0) {
            p.t0 -= NVM_PROGRESS_LOG_SECONDS + 1;
            p.last -= NVM_PROGRESS_LOG_SECONDS + 1;
        } else {
            nvm_progress_update(&p, u[i]);
        }
    }
    nvm_progress_end(&p);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    size_t k = 0;
    rewind(tmp);
    k = fread(out, 1, cap - 1, tmp);
    out[k] = '\0';
    fclose(tmp);
}

static int count(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static void modes(void)
{
    char out[2048];
    /* LOG: nothing in the first minute, one plain line after it, none again within the minute, and none
     * for the last cell (the summary follows). */
    const long log_u[] = {0, 3, 5, -1, 5, 6, 7, -1, 10};
    capture(NVM_PROGRESS_LOG, log_u, 9, out, sizeof out);
    CHECK(count(out, '\n') == 1);
    CHECK(strstr(out, "sweep x: cells 5/10 (50%)  elapsed 1:01  ETA 1:01\n") == out);
    CHECK(strchr(out, '\r') == NULL && strchr(out, '\033') == NULL);
    const long quick[] = {0, 4, 10};
    capture(NVM_PROGRESS_LOG, quick, 3, out, sizeof out);
    CHECK(out[0] == '\0');
    /* TTY: drawn at the start and redrawn in place (no newline), then cleared. */
    capture(NVM_PROGRESS_TTY, quick, 3, out, sizeof out);
    CHECK(count(out, '\n') == 0 && strncmp(out, "\r\033[Ksweep x: cells 0/10 (0%)", 27) == 0);
    CHECK(strstr(out, "10/10 (100%)") != NULL);
    CHECK(strcmp(out + strlen(out) - 4, "\r\033[K") == 0);
    /* OFF: nothing at all. */
    capture(NVM_PROGRESS_OFF, log_u, 9, out, sizeof out);
    CHECK(out[0] == '\0');
}

static void durations(void)
{
    char b[32];
    nvm_format_duration(65, b);
    CHECK(strcmp(b, "1:05") == 0);
    nvm_format_duration(3725, b);
    CHECK(strcmp(b, "1:02:05") == 0);
}

int main(void)
{
    modes();
    durations();
    return check_report("report");
}
