/* Error formatting, checked allocation and the clock. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int nvm_fail(nvm_err *e, int code, const char *fmt, ...)
{
    if (e) {
        char raw[sizeof e->msg];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(raw, sizeof raw, fmt, ap);
        va_end(ap);
        /* Messages quote command-line values and bytes from input files: control characters are
         * written as \n or \xNN, so a message stays one line and cannot drive the terminal. */
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
            char esc[5] = {(char)*p, 0};
            if (*p == '\n')
                snprintf(esc, sizeof esc, "\\n");
            else if (*p < 0x20 || *p == 0x7f)
                snprintf(esc, sizeof esc, "\\x%02x", *p);
            size_t len = strlen(esc);
            if (o + len >= sizeof e->msg)
                break;
            memcpy(e->msg + o, esc, len);
            o += len;
        }
        e->msg[o] = '\0';
    }
    return code;
}

void *nvm_alloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    return malloc(bytes ? bytes : 1);
}

void *nvm_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

float *nvm_alloc_floats(size_t n)
{
    if (n > (SIZE_MAX - 64) / sizeof(float))
        return NULL;
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0)
        return NULL;
    memset(p, 0, bytes);
    return p;
}

uint64_t nvm_fnv1a(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const unsigned char *)p)[i]) * 1099511628211ull;
    return h;
}

double nvm_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double nvm_thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
