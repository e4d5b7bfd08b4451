/* IDX files (the MNIST format): big-endian header 00 00 <type> <ndims>, ndims uint32 sizes, then the
 * bytes. Only type 0x08 (unsigned byte) is accepted; the file may be gzip-compressed as distributed. */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

enum {
    IDX_UBYTE = 0x08,
    IDX_MAX_COUNT = 10000000, /* samples: MNIST has 60,000; anything near this is a corrupt header */
    IDX_MAX_SIDE = 1024       /* per-item dimension (image side) */
};

static uint32_t load_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *kind_name(int ndims) { return ndims == 3 ? "IDX images" : "IDX labels"; }

/* Validates the header of buf[0..n) (already decompressed) and fills idx's view fields.
 * what is "file" or "decompressed data", for messages. */
static int parse_header(const uint8_t *buf, size_t n, int ndims, const char *path, const char *what,
                        nvm_idx *idx, nvm_err *e)
{
    uint32_t want_magic = (uint32_t)(IDX_UBYTE << 8 | ndims);
    if (n < 4)
        return nvm_fail(e, NVM_EDATA, "%s: %s is %zu bytes, too short for an IDX header", path, what, n);
    uint32_t magic = load_be32(buf);
    if (buf[0] != 0 || buf[1] != 0)
        return nvm_fail(e, NVM_EDATA, "%s: expected magic 0x%08x (%s), found 0x%08x (not an IDX file)",
                        path, (unsigned)want_magic, kind_name(ndims), (unsigned)magic);
    if (buf[2] != IDX_UBYTE)
        return nvm_fail(e, NVM_EDATA, "%s: IDX type code 0x%02x, expected 0x08 (unsigned byte)", path,
                        buf[2]);
    if (buf[3] != ndims)
        return nvm_fail(e, NVM_EDATA, "%s: IDX file has %u dimensions, expected %d (magic 0x%08x, %s)",
                        path, buf[3], ndims, (unsigned)want_magic, kind_name(ndims));
    size_t header = 4 + 4 * (size_t)ndims;
    if (n < header)
        return nvm_fail(e, NVM_EDATA, "%s: truncated IDX header (%s is %zu bytes, the header needs %zu)",
                        path, what, n, header);

    /* Each size is capped, so the product (at most 1e7 · 1024 · 1024 ≈ 1e13) cannot overflow uint64. */
    uint64_t product = 1;
    for (int i = 0; i < ndims; i++) {
        uint32_t d = load_be32(buf + 4 + 4 * i);
        uint32_t cap = i == 0 ? IDX_MAX_COUNT : IDX_MAX_SIDE;
        if (d == 0 || d > cap)
            return nvm_fail(e, NVM_EDATA, "%s: IDX size %d is %u, expected 1..%u", path, i, (unsigned)d,
                            (unsigned)cap);
        idx->dims[i] = d;
        product *= d;
    }
    uint64_t have = n - header;
    if (have < product)
        return nvm_fail(e, NVM_EDATA,
                        "%s: truncated: the header declares %llu data bytes but the %s holds %llu", path,
                        (unsigned long long)product, what, (unsigned long long)have);
    if (have > product)
        return nvm_fail(e, NVM_EDATA, "%s: %llu extra bytes after the %llu data bytes the header declares",
                        path, (unsigned long long)(have - product), (unsigned long long)product);
    idx->ndims = ndims;
    idx->data = buf + header;
    idx->count = idx->dims[0];
    idx->item_bytes = (size_t)(product / idx->dims[0]);
    return NVM_OK;
}

int nvm_idx_read(const char *path, int ndims, nvm_idx *idx, nvm_file_info *info, nvm_err *e)
{
    memset(idx, 0, sizeof *idx);
    uint8_t *raw;
    size_t n;
    int rc = nvm_read_file(path, NVM_DATA_MAX_FILE, &raw, &n, e);
    if (rc)
        return rc;
    nvm_file_info_set(info, path, raw, n);
    if (n == 0) {
        free(raw);
        return nvm_fail(e, NVM_EDATA, "%s: file is empty (0 bytes), expected %s", path, kind_name(ndims));
    }

    const char *what = "file";
    if (n >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
        uint8_t *dec;
        size_t decn;
        rc = nvm_gunzip(raw, n, NVM_DATA_MAX_FILE, &dec, &decn, path, e);
        free(raw);
        if (rc)
            return rc;
        raw = dec;
        n = decn;
        what = "decompressed data";
    }
    rc = parse_header(raw, n, ndims, path, what, idx, e);
    if (rc) {
        free(raw);
        memset(idx, 0, sizeof *idx);
        return rc;
    }
    idx->buf = raw;
    return NVM_OK;
}

int nvm_idx_check_labels(const nvm_idx *idx, int classes, const char *path, nvm_err *e)
{
    for (size_t i = 0; i < idx->count; i++)
        if (idx->data[i] >= classes)
            return nvm_fail(e, NVM_EDATA, "%s: label %u at index %zu is outside 0..%d", path, idx->data[i],
                            i, classes - 1);
    return NVM_OK;
}

void nvm_idx_free(nvm_idx *idx)
{
    free(idx->buf);
    memset(idx, 0, sizeof *idx);
}
