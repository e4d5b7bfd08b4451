/* Whole-file reading with clear refusals (missing, directory, device, unreadable, too large). */
#define _POSIX_C_SOURCE 200809L
#include "data_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_error(const char *path, int err, nvm_err *e)
{
    if (err == ENOENT || err == ENOTDIR)
        return nvm_fail(e, NVM_EDATA,
                        "%s: no such file (set --data DIR or NVMSIM_DATA; `make data` fetches the data sets)",
                        path);
    if (err == EACCES)
        return nvm_fail(e, NVM_EDATA, "%s: permission denied (make the file readable)", path);
    return nvm_fail(e, NVM_EDATA, "%s: cannot open: %s", path, strerror(err));
}

static int check_stat(const char *path, const struct stat *st, size_t max_bytes, nvm_err *e)
{
    if (S_ISDIR(st->st_mode))
        return nvm_fail(e, NVM_EDATA, "%s: is a directory, expected a data file", path);
    if (!S_ISREG(st->st_mode))
        return nvm_fail(e, NVM_EDATA, "%s: not a regular file (device, pipe or socket)", path);
    if (st->st_size < 0 || (uintmax_t)st->st_size > (uintmax_t)max_bytes)
        return nvm_fail(e, NVM_EDATA, "%s: file is %jd bytes, more than the %zu-byte limit", path,
                        (intmax_t)st->st_size, max_bytes);
    return NVM_OK;
}

/* Reads exactly want bytes; a file that shrinks or grows while read is reported, not half-used. */
static int read_all(int fd, const char *path, uint8_t *buf, size_t want, nvm_err *e)
{
    size_t got = 0;
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return nvm_fail(e, NVM_EDATA, "%s: read error: %s", path, strerror(errno));
        if (r == 0)
            return nvm_fail(e, NVM_EDATA, "%s: file shrank while being read (%zu of %zu bytes)", path,
                            got, want);
        got += (size_t)r;
    }
    uint8_t extra;
    ssize_t r;
    while ((r = read(fd, &extra, 1)) < 0 && errno == EINTR)
        ;
    if (r > 0)
        return nvm_fail(e, NVM_EDATA, "%s: file grew while being read", path);
    return NVM_OK;
}

int nvm_read_file(const char *path, size_t max_bytes, uint8_t **buf, size_t *n, nvm_err *e)
{
    *buf = NULL;
    *n = 0;
    /* stat before open: opening a FIFO for reading would block until a writer appears. */
    struct stat st;
    if (stat(path, &st) != 0)
        return open_error(path, errno, e);
    int rc = check_stat(path, &st, max_bytes, e);
    if (rc)
        return rc;

    int fd;
    while ((fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0)
        return open_error(path, errno, e);
    /* Re-check what was actually opened, in case the path was swapped in between. */
    if (fstat(fd, &st) != 0) {
        rc = nvm_fail(e, NVM_EDATA, "%s: cannot stat: %s", path, strerror(errno));
    } else if ((rc = check_stat(path, &st, max_bytes, e)) == NVM_OK) {
        size_t size = (size_t)st.st_size;
        uint8_t *p = malloc(size ? size : 1);
        if (!p) {
            rc = nvm_fail(e, NVM_ERUNTIME, "%s: out of memory reading %zu bytes", path, size);
        } else if ((rc = read_all(fd, path, p, size, e)) != NVM_OK) {
            free(p);
        } else {
            *buf = p;
            *n = size;
        }
    }
    close(fd);
    return rc;
}

void nvm_file_info_set(nvm_file_info *info, const char *path, const uint8_t *buf, size_t n)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    snprintf(info->path, sizeof info->path, "%s", path);
    info->bytes = n;
    nvm_sha256_hex(buf, n, info->sha256);
}

int nvm_data_find(const char *dir, const char *sub, const char *name, int try_gz, size_t max_bytes,
                  char path[1024], uint64_t *size, nvm_err *e)
{
    if (!dir || !*dir)
        dir = ".";
    *size = 0;
    /* Candidates in order: dir/sub/name, dir/sub/name.gz, dir/name, dir/name.gz. */
    for (int i = 0; i < 4; i++) {
        int in_sub = i < 2, gz = i & 1;
        if (gz && !try_gz)
            continue;
        int len = in_sub ? snprintf(path, 1024, "%s/%s/%s%s", dir, sub, name, gz ? ".gz" : "")
                         : snprintf(path, 1024, "%s/%s%s", dir, name, gz ? ".gz" : "");
        if (len < 0 || len >= 1024)
            return nvm_fail(e, NVM_EDATA, "%s: data directory path is too long", dir);
        struct stat st;
        if (stat(path, &st) != 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;
            return open_error(path, errno, e);
        }
        int rc = check_stat(path, &st, max_bytes, e);
        if (rc)
            return rc;
        *size = (uint64_t)st.st_size;
        return NVM_OK;
    }
    path[0] = '\0';
    return nvm_fail(e, NVM_EDATA,
                    "%s/%s/%s%s: no such file, nor in %s/ (set --data DIR or NVMSIM_DATA; "
                    "`make data` fetches the data sets)",
                    dir, sub, name, try_gz ? "[.gz]" : "", dir);
}
