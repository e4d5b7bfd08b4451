/* gzip (RFC 1952) + DEFLATE (RFC 1951) decoder, written from the RFCs.
 *
 * Design: the whole compressed member is in memory, so bits are read from a 64-bit little-endian bit
 * buffer refilled byte by byte; bits above bitcnt are always zero. Huffman codes are decoded with a
 * 2^FAST_BITS-entry lookup table indexed by the next stream bits (codes up to FAST_BITS long, i.e. nearly
 * every symbol) and a canonical-code walk for the rare longer codes. Every read is bounds-checked; every
 * loop consumes input or output, both bounded, so corrupt input cannot hang or overrun.
 *
 * Policy: exactly one gzip member is decoded; bytes after its trailer are rejected ("trailing data"),
 * because a data file with garbage appended is more likely damaged than intentionally concatenated. */
#include "nvmsim/data.h"

#include <stdlib.h>
#include <string.h>

enum {
    MAX_BITS = 15,              /* longest DEFLATE code */
    FAST_BITS = 10,             /* lookup-table index width */
    FAST_SIZE = 1 << FAST_BITS,
    MAX_LIT = 288,              /* literal/length alphabet incl. the two reserved symbols */
    MAX_DIST = 32,              /* distance alphabet incl. the two reserved symbols */
    MAX_MATCH = 258,
    DEFLATE_MAX_RATIO = 1032    /* DEFLATE cannot expand a byte of input into more than ~1032 bytes */
};

/* gzip FLG bits */
enum { F_TEXT = 1, F_HCRC = 2, F_EXTRA = 4, F_NAME = 8, F_COMMENT = 16, F_RESERVED = 0xe0 };

typedef struct {
    uint16_t count[MAX_BITS + 1]; /* number of codes of each length (count[0] unused) */
    uint16_t symbol[MAX_LIT];     /* symbols in canonical order: by length, then value */
    uint16_t fast[FAST_SIZE];     /* next FAST_BITS stream bits -> (length << 9) | symbol; 0 = slow path */
} huff;

enum { ERR_CORRUPT = 1, ERR_LIMIT, ERR_NOMEM };

typedef struct {
    const uint8_t *in;
    size_t n, pos;        /* input bytes; pos = next byte not yet in bitbuf */
    uint64_t bitbuf;      /* pending bits, LSB first */
    unsigned bitcnt;      /* number of valid bits in bitbuf (higher bits are zero) */
    uint8_t *out;
    size_t outn, cap;     /* bytes written; usable capacity (never above max_out) */
    size_t max_out;
    int err;              /* ERR_* once failed */
    const char *problem;  /* for ERR_CORRUPT: static description */
    huff lit, dist, lens; /* current block's codes (lens: the code-length code) */
} inflater;

static int corrupt(inflater *s, const char *problem)
{
    s->err = ERR_CORRUPT;
    s->problem = problem;
    return -1;
}

static void refill(inflater *s)
{
    while (s->bitcnt <= 56 && s->pos < s->n) {
        s->bitbuf |= (uint64_t)s->in[s->pos++] << s->bitcnt;
        s->bitcnt += 8;
    }
}

/* Reads k <= 16 bits (LSB-first, as DEFLATE packs non-Huffman fields). Returns -1 when truncated. */
static int getbits(inflater *s, unsigned k, unsigned *v)
{
    if (s->bitcnt < k) {
        refill(s);
        if (s->bitcnt < k)
            return corrupt(s, "truncated");
    }
    *v = (unsigned)(s->bitbuf & ((1u << k) - 1u));
    s->bitbuf >>= k;
    s->bitcnt -= k;
    return 0;
}

/* Canonical-code walk, one bit at a time, for codes longer than FAST_BITS (or invalid ones). */
static int decode_slow(inflater *s, const huff *h)
{
    int code = 0, first = 0, index = 0;
    for (unsigned len = 1; len <= MAX_BITS; len++) {
        if (len > s->bitcnt)
            return corrupt(s, "truncated");
        code |= (int)((s->bitbuf >> (len - 1)) & 1u);
        int count = h->count[len];
        if (code - first < count) {
            s->bitbuf >>= len;
            s->bitcnt -= len;
            return h->symbol[index + code - first];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return corrupt(s, "invalid Huffman code");
}

/* Decodes one symbol of code h; returns it, or -1 on error. */
static int decode(inflater *s, const huff *h)
{
    if (s->bitcnt < MAX_BITS)
        refill(s);
    unsigned e = h->fast[s->bitbuf & (FAST_SIZE - 1)];
    if (e) {
        unsigned len = e >> 9;
        /* Near the end of input the index was padded with zero bits; only accept codes we really have. */
        if (len > s->bitcnt)
            return corrupt(s, "truncated");
        s->bitbuf >>= len;
        s->bitcnt -= len;
        return (int)(e & 511u);
    }
    return decode_slow(s, h);
}

static unsigned reverse_bits(unsigned code, unsigned len)
{
    unsigned r = 0;
    for (unsigned i = 0; i < len; i++, code >>= 1)
        r = (r << 1) | (code & 1u);
    return r;
}

/* Builds code h from n code lengths (0 = symbol unused). Over-subscribed codes are always invalid;
 * incomplete ones are invalid except a lone 1-bit code (RFC 1951 allows a single distance code, and
 * zlib emits that) when allow_single is set. An all-zero set builds an empty code that fails on use. */
static int huff_build(inflater *s, huff *h, const uint8_t *lengths, int n, int allow_single)
{
    memset(h->count, 0, sizeof h->count);
    for (int i = 0; i < n; i++)
        h->count[lengths[i]]++;
    memset(h->fast, 0, sizeof h->fast);
    if (h->count[0] == n)
        return 0;

    int left = 1; /* codes still available at the current length */
    for (int len = 1; len <= MAX_BITS; len++) {
        left = 2 * left - h->count[len];
        if (left < 0)
            return corrupt(s, "over-subscribed Huffman code lengths");
    }
    if (left > 0 && !(allow_single && h->count[0] == n - 1 && h->count[1] == 1))
        return corrupt(s, "incomplete Huffman code lengths");

    uint16_t offs[MAX_BITS + 2];
    offs[1] = 0;
    for (int len = 1; len <= MAX_BITS; len++)
        offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    for (int i = 0; i < n; i++)
        if (lengths[i])
            h->symbol[offs[lengths[i]]++] = (uint16_t)i;

    /* Canonical codes are consecutive within a length and are sent MSB first, so the table index
     * (stream bits, LSB first) is the bit-reversed code, replicated over all longer suffixes. */
    unsigned code = 0;
    int idx = 0;
    for (unsigned len = 1; len <= FAST_BITS; len++) {
        for (int k = 0; k < h->count[len]; k++, code++) {
            uint16_t entry = (uint16_t)(len << 9 | h->symbol[idx++]);
            for (unsigned j = reverse_bits(code, len); j < FAST_SIZE; j += 1u << len)
                h->fast[j] = entry;
        }
        code <<= 1;
    }
    return 0;
}

/* Makes room for need more output bytes, doubling capacity but never beyond max_out. */
static int grow(inflater *s, size_t need)
{
    if (need > s->max_out - s->outn) {
        s->err = ERR_LIMIT;
        return -1;
    }
    size_t want = s->outn + need, cap = s->cap;
    while (cap < want)
        cap = cap > s->max_out / 2 ? s->max_out : (cap ? cap * 2 : 4096);
    if (cap > s->max_out)
        cap = s->max_out;
    uint8_t *p = realloc(s->out, cap);
    if (!p) {
        s->err = ERR_NOMEM;
        return -1;
    }
    s->out = p;
    s->cap = cap;
    return 0;
}

static int stored_block(inflater *s)
{
    /* Stored data starts at the next byte boundary: drop the partial byte and give back the whole
     * bytes still sitting in the bit buffer. */
    s->pos -= s->bitcnt / 8;
    s->bitbuf = 0;
    s->bitcnt = 0;
    if (s->n - s->pos < 4)
        return corrupt(s, "truncated");
    const uint8_t *p = s->in + s->pos;
    size_t len = (size_t)p[0] | (size_t)p[1] << 8;
    size_t nlen = (size_t)p[2] | (size_t)p[3] << 8;
    if (len != (~nlen & 0xffffu))
        return corrupt(s, "stored block length does not match its complement");
    s->pos += 4;
    if (s->n - s->pos < len)
        return corrupt(s, "truncated");
    if (s->cap - s->outn < len && grow(s, len))
        return -1;
    memcpy(s->out + s->outn, s->in + s->pos, len);
    s->outn += len;
    s->pos += len;
    return 0;
}

static int fixed_codes(inflater *s)
{
    uint8_t l[MAX_LIT];
    int i = 0;
    for (; i < 144; i++)
        l[i] = 8;
    for (; i < 256; i++)
        l[i] = 9;
    for (; i < 280; i++)
        l[i] = 7;
    for (; i < MAX_LIT; i++)
        l[i] = 8;
    if (huff_build(s, &s->lit, l, MAX_LIT, 0))
        return -1;
    /* 32 five-bit codes make a complete code; symbols 30 and 31 are rejected when decoded. */
    memset(l, 5, MAX_DIST);
    return huff_build(s, &s->dist, l, MAX_DIST, 0);
}

/* Reads a dynamic block's header: the code-length code, then the literal/length and distance code
 * lengths (run-length coded with symbols 16-18), and builds both codes. */
static int dynamic_codes(inflater *s)
{
    static const uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    unsigned hlit, hdist, hclen, v;
    if (getbits(s, 5, &hlit) || getbits(s, 5, &hdist) || getbits(s, 4, &hclen))
        return -1;
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if (hlit > 286 || hdist > 30)
        return corrupt(s, "too many length or distance codes");

    uint8_t l[MAX_LIT + MAX_DIST] = {0};
    for (unsigned i = 0; i < hclen; i++) {
        if (getbits(s, 3, &v))
            return -1;
        l[order[i]] = (uint8_t)v;
    }
    if (huff_build(s, &s->lens, l, 19, 0))
        return -1;

    unsigned total = hlit + hdist, i = 0;
    memset(l, 0, sizeof l);
    while (i < total) {
        int sym = decode(s, &s->lens);
        if (sym < 0)
            return -1;
        if (sym < 16) {
            l[i++] = (uint8_t)sym;
            continue;
        }
        uint8_t fill = 0;
        unsigned rep;
        if (sym == 16) {
            if (i == 0)
                return corrupt(s, "repeat code with no previous length");
            fill = l[i - 1];
            if (getbits(s, 2, &rep))
                return -1;
            rep += 3;
        } else if (sym == 17) {
            if (getbits(s, 3, &rep))
                return -1;
            rep += 3;
        } else {
            if (getbits(s, 7, &rep))
                return -1;
            rep += 11;
        }
        if (rep > total - i)
            return corrupt(s, "code lengths overrun the code count");
        memset(l + i, fill, rep);
        i += rep;
    }
    if (l[256] == 0)
        return corrupt(s, "no end-of-block code");
    if (huff_build(s, &s->lit, l, (int)hlit, 1))
        return -1;
    return huff_build(s, &s->dist, l + hlit, (int)hdist, 1);
}

/* Decodes literals and matches with the current codes until end-of-block. */
static int codes_block(inflater *s)
{
    static const uint16_t lbase[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                       31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const uint8_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                     2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static const uint16_t dbase[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                       33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                       1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
    static const uint8_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                     6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
        int sym = decode(s, &s->lit);
        if (sym < 0)
            return -1;
        if (sym < 256) {
            if (s->outn == s->cap && grow(s, 1))
                return -1;
            s->out[s->outn++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256)
            return 0;
        sym -= 257;
        if (sym >= 29)
            return corrupt(s, "invalid length symbol");
        unsigned extra, dsym;
        if (getbits(s, lext[sym], &extra))
            return -1;
        size_t len = lbase[sym] + extra;
        int d = decode(s, &s->dist);
        if (d < 0)
            return -1;
        if (d >= 30)
            return corrupt(s, "invalid distance symbol");
        dsym = (unsigned)d;
        if (getbits(s, dext[dsym], &extra))
            return -1;
        size_t dist = dbase[dsym] + extra;
        if (dist > s->outn)
            return corrupt(s, "distance too far back");
        if (s->cap - s->outn < len && grow(s, len))
            return -1;
        uint8_t *dst = s->out + s->outn;
        const uint8_t *src = dst - dist;
        if (dist >= len)
            memcpy(dst, src, len);
        else if (dist == 1)
            memset(dst, *src, len);
        else
            for (size_t i = 0; i < len; i++) /* overlapping copy repeats the last dist bytes */
                dst[i] = src[i];
        s->outn += len;
    }
}

static int inflate_blocks(inflater *s)
{
    unsigned final, type;
    do {
        if (getbits(s, 1, &final) || getbits(s, 2, &type))
            return -1;
        int rc;
        if (type == 0)
            rc = stored_block(s);
        else if (type == 1)
            rc = fixed_codes(s) || codes_block(s);
        else if (type == 2)
            rc = dynamic_codes(s) || codes_block(s);
        else
            return corrupt(s, "invalid block type 3");
        if (rc)
            return -1;
    } while (!final);
    return 0;
}

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skips a zero-terminated header string (FNAME/FCOMMENT); returns 0, or -1 if it runs off the end. */
static int skip_cstring(const uint8_t *in, size_t n, size_t *pos)
{
    const uint8_t *z = *pos < n ? memchr(in + *pos, 0, n - *pos) : NULL;
    if (!z)
        return -1;
    *pos = (size_t)(z - in) + 1;
    return 0;
}

/* Parses the gzip header; on success *pos is the first DEFLATE byte. Returns a problem or NULL. */
static const char *parse_header(const uint8_t *in, size_t n, size_t *pos)
{
    if (n < 2 || in[0] != 0x1f || in[1] != 0x8b)
        return n < 2 ? "truncated header" : "bad magic (expected 1f 8b)";
    if (n < 10)
        return "truncated header";
    if (in[2] != 8)
        return "unknown compression method (expected 8, deflate)";
    unsigned flg = in[3];
    if (flg & F_RESERVED)
        return "reserved header flag bits set";
    size_t p = 10;
    if (flg & F_EXTRA) {
        if (n - p < 2)
            return "truncated header";
        size_t xlen = (size_t)in[p] | (size_t)in[p + 1] << 8;
        p += 2;
        if (n - p < xlen)
            return "truncated header";
        p += xlen;
    }
    if ((flg & F_NAME) && skip_cstring(in, n, &p))
        return "truncated header";
    if ((flg & F_COMMENT) && skip_cstring(in, n, &p))
        return "truncated header";
    if (flg & F_HCRC) {
        if (n - p < 2)
            return "truncated header";
        uint32_t want = (uint32_t)in[p] | (uint32_t)in[p + 1] << 8;
        if ((nvm_crc32(0, in, p) & 0xffffu) != want)
            return "header CRC mismatch";
        p += 2;
    }
    *pos = p;
    return NULL;
}

/* Initial output capacity: the trailer's ISIZE (exact for honest files under 4 GiB), clamped so a lying
 * trailer cannot make us allocate more than max_out or more than DEFLATE could possibly produce. */
static size_t initial_capacity(const uint8_t *in, size_t n, size_t max_out)
{
    size_t cap = n >= 18 ? load_le32(in + n - 4) : 0;
    size_t bound = n > (SIZE_MAX - 4096) / DEFLATE_MAX_RATIO ? SIZE_MAX : n * DEFLATE_MAX_RATIO + 4096;
    if (cap > bound)
        cap = bound;
    return cap > max_out ? max_out : cap;
}

int nvm_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out, size_t *outn,
               const char *name, nvm_err *e)
{
    *out = NULL;
    *outn = 0;
    if (!name)
        name = "gzip data";
    size_t pos = 0;
    const char *problem = parse_header(in, n, &pos);
    if (problem)
        return nvm_fail(e, NVM_EDATA, "%s: corrupt gzip: %s", name, problem);

    inflater *s = calloc(1, sizeof *s); /* ~9 KB of tables: keep them off the caller's stack */
    if (!s)
        return nvm_fail(e, NVM_ERUNTIME, "%s: out of memory decompressing", name);
    s->in = in;
    s->n = n;
    s->pos = pos;
    s->max_out = max_out;
    s->cap = initial_capacity(in, n, max_out);
    s->out = malloc(s->cap ? s->cap : 1);
    int rc = NVM_OK;
    if (!s->out) {
        rc = nvm_fail(e, NVM_ERUNTIME, "%s: out of memory decompressing", name);
        goto done;
    }

    if (inflate_blocks(s)) {
        if (s->err == ERR_LIMIT)
            rc = nvm_fail(e, NVM_EDATA, "%s: gzip data expands to more than the %zu-byte limit", name,
                          max_out);
        else if (s->err == ERR_NOMEM)
            rc = nvm_fail(e, NVM_ERUNTIME, "%s: out of memory decompressing (%zu bytes so far)", name,
                          s->outn);
        else
            rc = nvm_fail(e, NVM_EDATA, "%s: corrupt gzip: %s", name, s->problem);
        goto done;
    }

    /* Trailer: CRC-32 and ISIZE (length mod 2^32), both little-endian, at the byte after the last block. */
    pos = s->pos - s->bitcnt / 8;
    if (n - pos < 8) {
        rc = nvm_fail(e, NVM_EDATA, "%s: corrupt gzip: truncated trailer", name);
        goto done;
    }
    uint32_t crc = nvm_crc32(0, s->out, s->outn), want_crc = load_le32(in + pos);
    uint32_t isize = load_le32(in + pos + 4);
    if (crc != want_crc) {
        rc = nvm_fail(e, NVM_EDATA, "%s: corrupt gzip: CRC-32 mismatch (data 0x%08x, trailer 0x%08x)",
                      name, (unsigned)crc, (unsigned)want_crc);
        goto done;
    }
    if ((uint32_t)s->outn != isize) {
        rc = nvm_fail(e, NVM_EDATA, "%s: corrupt gzip: length mismatch (decoded %zu bytes, trailer says %u)",
                      name, s->outn, (unsigned)isize);
        goto done;
    }
    if (n - pos > 8) {
        rc = nvm_fail(e, NVM_EDATA, "%s: corrupt gzip: %zu bytes of trailing data after the gzip member",
                      name, n - pos - 8);
        goto done;
    }
    if (s->outn < s->cap) { /* give back the unused part of the last doubling */
        uint8_t *p = realloc(s->out, s->outn ? s->outn : 1);
        if (p)
            s->out = p;
    }
    *out = s->out;
    *outn = s->outn;
    s->out = NULL;
done:
    free(s->out);
    free(s);
    return rc;
}
