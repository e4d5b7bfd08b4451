/* Model file format v3 (all integers little-endian, no padding; offsets in bytes):
 *      0  char magic[8] = "NVMSIMMD"
 *      8  u32 version = 3
 *     12  char net[16]          network name, NUL-padded ("mlp2", "mlp3", "cnn", "custom", ...)
 *     28  char dataset[16]      data set name, NUL-padded
 *     44  u64 seed
 *     52  u32 base              base-network index
 *     56  f64 test_acc          IEEE-754 binary64
 *     64  u64 provenance        nvm_train_provenance (0: unknown)
 *     72  char recipe[64]       printable ASCII, NUL-padded (at most 63 characters, every byte after the
 *                               first NUL is NUL): how the network was trained, e.g.
 *                               "init=he train-noise=none" or
 *                               "init=torch train-noise=gauss:0.3 biases=yes"; "" = not recorded
 *    136  u32 in_h | u32 in_w | u32 in_c | u32 classes | u32 fe_layers
 *    156  char spec[128]        layer spec (see nvm_arch_parse), NUL-padded
 *    284  u64 n_params
 *    292  f32 params[n_params]  the parameter block in the layout of nvm_arch (IEEE-754 binary32)
 *         u32 crc32             CRC-32 (zlib's) of every preceding byte
 * Version 2 is the same without the recipe field (in_h at offset 72, params at 228); version 1 also
 * lacks the provenance field (in_h at 64, params at 220). Both are still read, with recipe "" (and
 * version 1 with provenance 0). */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nvmsim/cli.h"
#include "nvmsim/data.h"

#define MAX_MODEL_BYTES ((size_t)1 << 31)

typedef struct {
    uint8_t *p;
    size_t n, cap;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(wbuf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

static void put_u64(wbuf *b, uint64_t v)
{
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

int nvm_write_atomic(const char *path, const void *buf, size_t n, nvm_err *e)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return nvm_fail(e, NVM_EUSAGE, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return nvm_fail(e, NVM_ERUNTIME, "%s: cannot create (%s)", tmp, strerror(errno));
    int ok = fwrite(buf, 1, n, f) == n;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    int err = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok) {
        remove(tmp);
        return nvm_fail(e, NVM_ERUNTIME, "%s: write failed (%s)", path, strerror(err));
    }
    if (rename(tmp, path) != 0) {
        err = errno;
        remove(tmp);
        return nvm_fail(e, NVM_ERUNTIME, "%s: cannot rename from %s (%s)", path, tmp, strerror(err));
    }
    return NVM_OK;
}

int nvm_model_save(const char *path, const nvm_model *m, nvm_err *e)
{
    const nvm_arch *a = &m->arch;
    wbuf b = {0};
    b.cap = 256 + NVM_RECIPE_LEN + NVM_MAX_SPEC + 4 * a->n_params;
    if (!(b.p = malloc(b.cap)))
        return nvm_fail(e, NVM_ERUNTIME, "%s: out of memory", path);
    char name[16] = {0}, dataset[16] = {0}, spec[NVM_MAX_SPEC] = {0};
    snprintf(name, sizeof name, "%s", a->name);
    snprintf(spec, sizeof spec, "%s", a->spec);
    snprintf(dataset, sizeof dataset, "%s", m->dataset);
    uint64_t acc_bits;
    memcpy(&acc_bits, &m->test_acc, 8);
    put(&b, NVM_MODEL_MAGIC, 8);
    put_u32(&b, NVM_MODEL_VERSION);
    put(&b, name, 16);
    put(&b, dataset, 16);
    put_u64(&b, m->seed);
    put_u32(&b, m->base);
    put_u64(&b, acc_bits);
    put_u64(&b, m->provenance);
    char recipe[NVM_RECIPE_LEN] = {0};
    snprintf(recipe, sizeof recipe, "%s", m->recipe);
    put(&b, recipe, NVM_RECIPE_LEN);
    put_u32(&b, (uint32_t)a->in_h);
    put_u32(&b, (uint32_t)a->in_w);
    put_u32(&b, (uint32_t)a->in_c);
    put_u32(&b, (uint32_t)a->classes);
    put_u32(&b, (uint32_t)a->fe_layers);
    put(&b, spec, NVM_MAX_SPEC);
    put_u64(&b, a->n_params);
    for (size_t i = 0; i < a->n_params; i++) {
        uint32_t v;
        memcpy(&v, &m->params[i], 4);
        put_u32(&b, v);
    }
    put_u32(&b, nvm_crc32(0, b.p, b.n));
    int rc = nvm_write_atomic(path, b.p, b.n, e);
    free(b.p);
    return rc;
}

typedef struct {
    const uint8_t *p;
    size_t n, at;
} rbuf;

static int take(rbuf *b, void *dst, size_t n)
{
    if (b->n - b->at < n)
        return 0;
    memcpy(dst, b->p + b->at, n);
    b->at += n;
    return 1;
}

static int take_u32(rbuf *b, uint32_t *v)
{
    uint8_t x[4];
    if (!take(b, x, 4))
        return 0;
    *v = (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return 1;
}

static int take_u64(rbuf *b, uint64_t *v)
{
    uint32_t lo, hi;
    if (!take_u32(b, &lo) || !take_u32(b, &hi))
        return 0;
    *v = (uint64_t)hi << 32 | lo;
    return 1;
}

static int parse_model(const char *path, rbuf *b, nvm_model *m, nvm_err *e)
{
    char magic[8], name[17] = {0}, dataset[17] = {0}, spec[NVM_MAX_SPEC + 1] = {0}, recipe[NVM_RECIPE_LEN] = {0};
    uint32_t version = 0, in_h, in_w, in_c, classes, fe_layers;
    uint64_t acc_bits, n_params;
    if (b->n < 16 || (take(b, magic, 8), memcmp(magic, NVM_MODEL_MAGIC, 8) != 0))
        return nvm_fail(e, NVM_EDATA, "%s: not an nvmsim model file (expected magic %s)", path,
                        NVM_MODEL_MAGIC);
    take_u32(b, &version);
    if (version < 1 || version > NVM_MODEL_VERSION)
        return nvm_fail(e, NVM_EDATA,
                        "%s: model file version %u, this nvmsim reads versions 1 to %u (%s)", path, version,
                        NVM_MODEL_VERSION, version > NVM_MODEL_VERSION ? "upgrade nvmsim" : "retrain");
    /* The checksum is checked before anything else is trusted: corrupt files fail here, clearly. */
    uint32_t crc_stored = (uint32_t)b->p[b->n - 4] | (uint32_t)b->p[b->n - 3] << 8 |
                 (uint32_t)b->p[b->n - 2] << 16 | (uint32_t)b->p[b->n - 1] << 24;
    if (nvm_crc32(0, b->p, b->n - 4) != crc_stored)
        return nvm_fail(e, NVM_EDATA, "%s: checksum mismatch (file truncated or corrupted)", path);
    b->n -= 4;
    if (!take(b, name, 16) || !take(b, dataset, 16) || !take_u64(b, &m->seed) ||
        !take_u32(b, &m->base) || !take_u64(b, &acc_bits) ||
        (version >= 2 && !take_u64(b, &m->provenance)) ||
        (version >= 3 && !take(b, recipe, NVM_RECIPE_LEN)) || !take_u32(b, &in_h) ||
        !take_u32(b, &in_w) || !take_u32(b, &in_c) || !take_u32(b, &classes) ||
        !take_u32(b, &fe_layers) || !take(b, spec, NVM_MAX_SPEC))
        return nvm_fail(e, NVM_EDATA, "%s: truncated header", path);
    nvm_err sub;
    size_t rlen = strnlen(recipe, NVM_RECIPE_LEN);
    int text = rlen < NVM_RECIPE_LEN;
    for (size_t i = 0; i < NVM_RECIPE_LEN; i++)
        text &= i < rlen ? recipe[i] >= 0x20 && recipe[i] < 0x7f : recipe[i] == 0;
    if (!text)
        return nvm_fail(e, NVM_EDATA, "%s: recipe field is not NUL-padded printable text of at most %d characters",
                        path, NVM_RECIPE_LEN - 1);
    if (nvm_check_name("net", name, &sub) != NVM_OK)
        return nvm_fail(e, NVM_EDATA, "%s: network name '%.16s' is not 1-15 of [A-Za-z0-9._-]", path, name);
    if (in_h > 4096 || in_w > 4096 || in_c > 100000 || classes > 100000 ||
        nvm_arch_parse(&m->arch, name, spec, (int)in_h, (int)in_w, (int)in_c, (int)classes, &sub))
        return nvm_fail(e, NVM_EDATA, "%s: invalid architecture '%s' for %ux%ux%u inputs, %u classes",
                        path, spec, in_h, in_w, in_c, classes);
    if ((int)fe_layers != m->arch.fe_layers)
        return nvm_fail(e, NVM_EDATA, "%s: feature extractor of %u layers does not match '%s'", path,
                        fe_layers, spec);
    if (!take_u64(b, &n_params) || n_params != m->arch.n_params)
        return nvm_fail(e, NVM_EDATA, "%s: parameter count does not match the architecture", path);
    if (b->n - b->at != 4 * n_params)
        return nvm_fail(e, NVM_EDATA, "%s: %zu bytes of parameters, expected %llu", path,
                        b->n - b->at, (unsigned long long)(4 * n_params));
    if (!(m->params = nvm_alloc_floats(n_params)))
        return nvm_fail(e, NVM_ERUNTIME, "%s: out of memory", path);
    for (size_t i = 0; i < n_params; i++) {
        uint32_t v = 0;
        take_u32(b, &v);
        memcpy(&m->params[i], &v, 4);
        if (!isfinite(m->params[i]))
            return nvm_fail(e, NVM_EDATA, "%s: parameter %zu is not a finite number", path, i);
    }
    memcpy(&m->test_acc, &acc_bits, 8);
    snprintf(m->dataset, sizeof m->dataset, "%.15s", dataset);
    memcpy(m->recipe, recipe, NVM_RECIPE_LEN);
    m->version = version;
    return NVM_OK;
}

int nvm_model_load(const char *path, nvm_model *m, nvm_err *e)
{
    memset(m, 0, sizeof *m);
    uint8_t *buf;
    size_t n;
    int rc = nvm_read_file(path, MAX_MODEL_BYTES, &buf, &n, e);
    if (rc != NVM_OK)
        return rc;
    rbuf b = {buf, n, 0};
    rc = parse_model(path, &b, m, e);
    free(buf);
    if (rc != NVM_OK)
        nvm_model_free(m);
    return rc;
}

void nvm_model_free(nvm_model *m)
{
    free(m->params);
    m->params = NULL;
}
