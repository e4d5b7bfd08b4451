/* CIFAR-10 "binary version": fixed 3073-byte records (label, then R, G, B planes of 32×32, row-major). */
#include "data_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    CIFAR_SIDE = 32,
    CIFAR_CH = 3,
    CIFAR_PLANE = CIFAR_SIDE * CIFAR_SIDE, /* 1024 pixels per channel */
    CIFAR_PIX = CIFAR_CH * CIFAR_PLANE,    /* 3072 */
    CIFAR_REC = 1 + CIFAR_PIX,             /* 3073 bytes per record */
    CIFAR_CLASSES = 10,
    CIFAR_TRAIN_BATCHES = 5
};

static const char *const batch_names[CIFAR_TRAIN_BATCHES + 1] = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
    "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};

typedef struct {
    char path[1024];
    size_t records;
} batch;

static int check_size(const char *path, uint64_t size, nvm_err *e)
{
    if (size == 0)
        return nvm_fail(e, NVM_EDATA, "%s: file is empty (0 bytes), expected 3073-byte CIFAR-10 records",
                        path);
    if (size % CIFAR_REC)
        return nvm_fail(e, NVM_EDATA,
                        "%s: file is %llu bytes, not a whole number of 3073-byte CIFAR-10 records "
                        "(%llu records + %llu bytes)",
                        path, (unsigned long long)size, (unsigned long long)(size / CIFAR_REC),
                        (unsigned long long)(size % CIFAR_REC));
    return NVM_OK;
}

/* Locates a batch file and sizes it (from stat), so the arrays can be allocated before reading. */
static int find_batch(const char *dir, const char *name, batch *b, nvm_err *e)
{
    uint64_t size;
    int rc = nvm_data_find(dir, "cifar-10-batches-bin", name, 0, NVM_DATA_MAX_FILE, b->path, &size, e);
    if (rc == NVM_OK)
        rc = check_size(b->path, size, e);
    b->records = (size_t)(size / CIFAR_REC);
    return rc;
}

/* Reads a located batch (*buf owned by the caller on success), checking it kept its size and that every
 * label is a class. Fills info from the on-disk bytes. */
static int read_batch(const batch *b, uint8_t **buf, nvm_file_info *info, nvm_err *e)
{
    size_t n;
    int rc = nvm_read_file(b->path, NVM_DATA_MAX_FILE, buf, &n, e);
    if (rc)
        return rc;
    if (n != b->records * CIFAR_REC) {
        rc = check_size(b->path, n, e);
        if (rc == NVM_OK)
            rc = nvm_fail(e, NVM_EDATA, "%s: file changed size while being loaded", b->path);
    }
    for (size_t r = 0; rc == NVM_OK && r < b->records; r++)
        if ((*buf)[r * CIFAR_REC] >= CIFAR_CLASSES)
            rc = nvm_fail(e, NVM_EDATA, "%s: label %u at record %zu is outside 0..9", b->path,
                          (*buf)[r * CIFAR_REC], r);
    if (rc) {
        free(*buf);
        *buf = NULL;
        return rc;
    }
    nvm_file_info_set(info, b->path, *buf, n);
    return NVM_OK;
}

static int alloc_dataset(nvm_dataset *d, size_t n, const char *path, nvm_err *e)
{
    d->x = nvm_alloc_floats(n * CIFAR_PIX);
    d->y = malloc(n);
    if (!d->x || !d->y)
        return nvm_fail(e, NVM_ERUNTIME, "%s: out of memory for %zu CIFAR-10 images", path, n);
    d->n = (int)n;
    d->c = CIFAR_CH;
    d->h = d->w = CIFAR_SIDE;
    d->dim = CIFAR_PIX;
    d->classes = CIFAR_CLASSES;
    return NVM_OK;
}

/* Copies the first n records of buf into d (labels; pixels through lut, or as raw byte values 0..255 when
 * lut is NULL), starting at sample `at`; adds each channel's byte sum and sum of squares (exact integers). */
static void unpack(const uint8_t *buf, size_t n, nvm_dataset *d, size_t at, const float (*lut)[256],
                   uint64_t sum[CIFAR_CH], uint64_t sumsq[CIFAR_CH])
{
    for (size_t r = 0; r < n; r++) {
        const uint8_t *rec = buf + r * CIFAR_REC;
        float *x = d->x + (at + r) * CIFAR_PIX;
        d->y[at + r] = rec[0];
        for (int c = 0; c < CIFAR_CH; c++) {
            const uint8_t *px = rec + 1 + c * CIFAR_PLANE;
            float *xc = x + c * CIFAR_PLANE;
            uint32_t s = 0, s2 = 0; /* ≤ 1024·255² < 2^32 */
            for (int i = 0; i < CIFAR_PLANE; i++) {
                s += px[i];
                s2 += (uint32_t)px[i] * px[i];
                xc[i] = lut ? lut[c][px[i]] : (float)px[i];
            }
            sum[c] += s;
            sumsq[c] += s2;
        }
    }
}

/* lut[c][b] = (b/255 - mean_c)/std_c with mean and (population) std from the exact byte sums over
 * count pixels per channel. A constant channel (std 0) is only centred. */
static void make_lut(const uint64_t sum[CIFAR_CH], const uint64_t sumsq[CIFAR_CH], size_t count,
                     float lut[CIFAR_CH][256], double means[], double sds[])
{
    for (int c = 0; c < CIFAR_CH; c++) {
        double mean = (double)sum[c] / (255.0 * (double)count);
        double var = (double)sumsq[c] / (255.0 * 255.0 * (double)count) - mean * mean;
        double sd = var > 1e-12 ? sqrt(var) : 1.0;
        means[c] = mean;
        sds[c] = sd;
        for (int b = 0; b < 256; b++)
            lut[c][b] = (float)(((double)b / 255.0 - mean) / sd);
    }
}

static int load(const char *dir, int train_limit, int test_limit, nvm_dataset *train, nvm_dataset *test,
                nvm_file_info info[6], nvm_err *e)
{
    /* Plan: which training batches the limit needs, and how many samples; locate the test batch too, so
     * a missing file is reported before any heavy reading. */
    batch b[CIFAR_TRAIN_BATCHES + 1];
    size_t ntrain = 0;
    int nbatches = 0, rc;
    while (nbatches < CIFAR_TRAIN_BATCHES && (train_limit == 0 || ntrain < (size_t)train_limit)) {
        if ((rc = find_batch(dir, batch_names[nbatches], &b[nbatches], e)) != NVM_OK)
            return rc;
        ntrain += b[nbatches++].records;
    }
    if (train_limit > 0 && ntrain > (size_t)train_limit)
        ntrain = (size_t)train_limit;
    batch *tb = &b[CIFAR_TRAIN_BATCHES];
    if ((rc = find_batch(dir, batch_names[CIFAR_TRAIN_BATCHES], tb, e)) != NVM_OK)
        return rc;
    size_t ntest = test_limit > 0 && (size_t)test_limit < tb->records ? (size_t)test_limit : tb->records;

    if ((rc = alloc_dataset(train, ntrain, b[0].path, e)) != NVM_OK ||
        (rc = alloc_dataset(test, ntest, tb->path, e)) != NVM_OK)
        return rc;

    /* Training pixels first go in as raw byte values while the channel sums accumulate; once the
     * statistics are known they are mapped in place. */
    uint64_t sum[CIFAR_CH] = {0}, sumsq[CIFAR_CH] = {0};
    size_t at = 0;
    for (int i = 0; i < nbatches; i++) {
        uint8_t *buf;
        if ((rc = read_batch(&b[i], &buf, &info[i], e)) != NVM_OK)
            return rc;
        size_t take = b[i].records < ntrain - at ? b[i].records : ntrain - at;
        unpack(buf, take, train, at, NULL, sum, sumsq);
        free(buf);
        at += take;
    }
    float lut[CIFAR_CH][256];
    make_lut(sum, sumsq, ntrain * CIFAR_PLANE, lut, train->norm_mean, train->norm_sd);
    memcpy(test->norm_mean, train->norm_mean, sizeof test->norm_mean);
    memcpy(test->norm_sd, train->norm_sd, sizeof test->norm_sd);
    for (size_t s = 0; s < ntrain; s++)
        for (int c = 0; c < CIFAR_CH; c++) {
            float *xc = train->x + s * CIFAR_PIX + c * CIFAR_PLANE;
            for (int i = 0; i < CIFAR_PLANE; i++)
                xc[i] = lut[c][(int)xc[i]];
        }

    uint8_t *buf;
    if ((rc = read_batch(tb, &buf, &info[CIFAR_TRAIN_BATCHES], e)) != NVM_OK)
        return rc;
    uint64_t tsum[CIFAR_CH] = {0}, tsumsq[CIFAR_CH] = {0}; /* unused: test data never sets the scale */
    unpack(buf, ntest, test, 0, (const float(*)[256])lut, tsum, tsumsq);
    free(buf);
    return NVM_OK;
}

int nvm_cifar_load(const char *dir, int train_limit, int test_limit, nvm_dataset *train,
                   nvm_dataset *test, nvm_file_info files[6], nvm_err *e)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    nvm_file_info local[6];
    nvm_file_info *info = files ? files : local;
    memset(info, 0, 6 * sizeof *info);
    if (train_limit < 0 || test_limit < 0)
        return nvm_fail(e, NVM_EUSAGE, "CIFAR-10 sample limit %d is negative (0 means all)",
                        train_limit < 0 ? train_limit : test_limit);
    int rc = load(dir, train_limit, test_limit, train, test, info, e);
    if (rc) {
        nvm_dataset_free(train);
        nvm_dataset_free(test);
    }
    return rc;
}
