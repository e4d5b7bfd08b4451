/* Data layer: CRC-32, SHA-256, gunzip (against the real gzip tool and hand-made streams), file reading,
 * IDX/MNIST and CIFAR-10 loading with every malformed kind we refuse, and (when NVMSIM_DATA has them) the
 * real data sets' known facts. Inputs are built at run time in a mkdtemp directory. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* ---------- helpers ---------- */

#define CHECK_ERR(rc, e, want, substr)                                                              \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        int ok_ = rc_ == (want) && strstr((e).msg, (substr)) != NULL && !strchr((e).msg, '\n');    \
        CHECK(ok_);                                                                                \
        if (!ok_)                                                                                  \
            fprintf(stderr, "  rc=%d (want %d), msg \"%s\" (want \"%s\")\n", rc_, (int)(want),       \
                    (e).msg, (substr));                                                            \
    } while (0)

typedef struct {
    uint64_t s;
} lcg;

static uint32_t lcg_next(lcg *g)
{
    g->s = g->s * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g->s >> 33);
}

static char tmp_root[256];

/* Joins tmp_root and a relative path into a static-size buffer owned by the caller. */
static const char *tpath(char *buf, size_t cap, const char *rel)
{
    snprintf(buf, cap, "%s/%s", tmp_root, rel);
    return buf;
}

static int write_file(const char *path, const void *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = n ? fwrite(buf, 1, n, f) : 0;
    int rc = fclose(f);
    return w == n && rc == 0 ? 0 : -1;
}

static void mkdirs(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", path);
    CHECK(system(cmd) == 0);
}

/* gzips src into dst with `gzip -c -<level>` (the real tool). */
static int run_gzip(const char *src, int level, const char *dst)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "gzip -c -%d '%s' > '%s'", level, src, dst);
    return system(cmd);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---------- CRC-32 and SHA-256 ---------- */

static void test_crc32(void)
{
    CHECK(nvm_crc32(0, "123456789", 9) == 0xCBF43926u);
    CHECK(nvm_crc32(0, "", 0) == 0);
    CHECK(nvm_crc32(0, "a", 1) == 0xE8B7BE43u);
    CHECK(nvm_crc32(nvm_crc32(0, "1234", 4), "56789", 5) == 0xCBF43926u);

    /* The large-buffer (sliced) path must agree with byte-at-a-time chaining of small pieces. */
    size_t n = 300001;
    uint8_t *b = malloc(n);
    lcg g = {42};
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)lcg_next(&g);
    uint32_t chained = 0;
    for (size_t off = 0; off < n; off += 1000)
        chained = nvm_crc32(chained, b + off, n - off < 1000 ? n - off : 1000);
    CHECK(nvm_crc32(0, b, n) == chained);
    CHECK(nvm_crc32(nvm_crc32(0, b, 70001), b + 70001, n - 70001) == chained);
    free(b);
}

static void test_sha256(void)
{
    char hex[65];
    nvm_sha256_hex("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    nvm_sha256_hex("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: 2 pad blocks */
    nvm_sha256_hex(m, strlen(m), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
    uint8_t *a = malloc(1000000);
    memset(a, 'a', 1000000);
    nvm_sha256_hex(a, 1000000, hex);
    CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
    free(a);
    uint8_t d[32];
    nvm_sha256("abc", 3, d);
    CHECK(d[0] == 0xba && d[31] == 0xad);
}

/* ---------- gunzip against the real gzip ---------- */

/* Content kinds for round trips; returns a malloc'd buffer of *n bytes. */
static uint8_t *make_content(int kind, size_t *n)
{
    static const char *const words[] = {"the ", "noise ", "of ", "memristive ", "weights ", "drifts, ",
                                        "and ", "accuracy ", "falls.\n", "A ", "crossbar ", "array "};
    lcg g = {(uint64_t)kind + 7};
    size_t len = kind == 0 ? 100000 : kind == 1 ? 200000 : kind == 2 ? 120000 : kind == 3 ? 0 : 96000;
    uint8_t *b = malloc(len ? len : 1);
    if (kind == 0) {
        memset(b, 0, len);
    } else if (kind == 1) {
        for (size_t i = 0; i < len; i++)
            b[i] = (uint8_t)lcg_next(&g);
    } else if (kind == 2) {
        size_t i = 0;
        while (i < len) {
            const char *w = words[lcg_next(&g) % 12];
            for (size_t k = 0; w[k] && i < len; k++)
                b[i++] = (uint8_t)w[k];
        }
    } else if (kind == 4) {
        /* A 30,000-byte random block repeated with rare edits: matches 30,000 back, near the 32 KiB
         * window edge, over a > 64 KiB stream. */
        for (size_t i = 0; i < len; i++)
            b[i] = i < 30000 ? (uint8_t)lcg_next(&g) : b[i - 30000];
        for (size_t i = 30000; i < len; i += 997)
            b[i] ^= 0x5a;
    }
    *n = len;
    return b;
}

static void test_gunzip_roundtrip(void)
{
    char src[512], gz[512];
    tpath(src, sizeof src, "content.bin");
    tpath(gz, sizeof gz, "content.bin.gz");
    for (int kind = 0; kind < 5; kind++) {
        size_t n;
        uint8_t *c = make_content(kind, &n);
        CHECK(write_file(src, c, n) == 0);
        for (int level = 1; level <= 9; level += 8) {
            CHECK(run_gzip(src, level, gz) == 0);
            nvm_err e = {{0}};
            uint8_t *in, *out;
            size_t inn, outn;
            CHECK(nvm_read_file(gz, 1 << 26, &in, &inn, &e) == NVM_OK);
            int rc = nvm_gunzip(in, inn, n, &out, &outn, gz, &e);
            CHECK(rc == NVM_OK);
            if (rc)
                fprintf(stderr, "  kind %d level %d: %s\n", kind, level, e.msg);
            CHECK(outn == n && out && (n == 0 || memcmp(out, c, n) == 0));
            free(out);
            /* One byte less room than needed must be refused, not truncated. */
            if (n > 0) {
                rc = nvm_gunzip(in, inn, n - 1, &out, &outn, "x.gz", &e);
                CHECK_ERR(rc, e, NVM_EDATA, "limit");
                CHECK(out == NULL && outn == 0);
            }
            free(in);
        }
        free(c);
    }
}

/* ---------- hand-made DEFLATE streams ---------- */

typedef struct {
    uint8_t buf[1024];
    size_t n;
    unsigned acc, cnt;
} bitw;

static void bw_bits(bitw *w, unsigned v, unsigned k) /* LSB first, as DEFLATE's plain fields */
{
    for (unsigned i = 0; i < k; i++) {
        w->acc |= ((v >> i) & 1u) << w->cnt;
        if (++w->cnt == 8) {
            w->buf[w->n++] = (uint8_t)w->acc;
            w->acc = w->cnt = 0;
        }
    }
}

static void bw_huff(bitw *w, unsigned code, unsigned len) /* Huffman codes go MSB first */
{
    for (unsigned i = len; i-- > 0;)
        bw_bits(w, (code >> i) & 1u, 1);
}

static void bw_flush(bitw *w)
{
    if (w->cnt)
        bw_bits(w, 0, 8 - w->cnt);
}

/* Fixed-code literal/length symbol. */
static void bw_fixed(bitw *w, unsigned sym)
{
    if (sym < 144)
        bw_huff(w, 0x30 + sym, 8);
    else if (sym < 256)
        bw_huff(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        bw_huff(w, sym - 256, 7);
    else
        bw_huff(w, 0xc0 + sym - 280, 8);
}

/* Wraps a raw DEFLATE body in a minimal gzip member whose trailer describes `plain`. */
static size_t wrap_gzip(const uint8_t *body, size_t n, const void *plain, size_t pn, uint8_t *out)
{
    static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
    memcpy(out, hdr, 10);
    memcpy(out + 10, body, n);
    uint32_t crc = nvm_crc32(0, plain, pn);
    for (int i = 0; i < 4; i++) {
        out[10 + n + i] = (uint8_t)(crc >> (8 * i));
        out[14 + n + i] = (uint8_t)(pn >> (8 * i));
    }
    return n + 18;
}

/* Gunzips buf and checks it yields plain (want == NVM_OK) or fails with NVM_EDATA naming substr. */
static void expect_gunzip(const uint8_t *buf, size_t n, const char *plain, const char *substr, int line)
{
    nvm_err e = {{0}};
    uint8_t *out;
    size_t outn;
    int rc = nvm_gunzip(buf, n, 1 << 20, &out, &outn, "t.gz", &e);
    int ok = plain ? rc == NVM_OK && outn == strlen(plain) && memcmp(out, plain, outn) == 0
                   : rc == NVM_EDATA && out == NULL && strstr(e.msg, substr) && strstr(e.msg, "t.gz: ");
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: rc=%d msg \"%s\" (want \"%s\")\n", line, rc, rc ? e.msg : "",
                plain ? plain : substr);
    free(out);
}
#define EXPECT_GUNZIP(buf, n, plain, substr) expect_gunzip(buf, n, plain, substr, __LINE__)

static void test_gunzip_crafted(void)
{
    uint8_t g[1200];
    size_t n;

    /* Two stored blocks, the first not final. */
    {
        bitw w = {{0}, 0, 0, 0};
        bw_bits(&w, 0, 1);
        bw_bits(&w, 0, 2);
        bw_flush(&w);
        const uint8_t b1[4] = {7, 0, 0xf8, 0xff};
        memcpy(w.buf + w.n, b1, 4);
        memcpy(w.buf + w.n + 4, "Hello, ", 7);
        w.n += 11;
        bw_bits(&w, 1, 1);
        bw_bits(&w, 0, 2);
        bw_flush(&w);
        const uint8_t b2[4] = {5, 0, 0xfa, 0xff};
        memcpy(w.buf + w.n, b2, 4);
        memcpy(w.buf + w.n + 4, "world", 5);
        w.n += 9;
        n = wrap_gzip(w.buf, w.n, "Hello, world", 12, g);
        EXPECT_GUNZIP(g, n, "Hello, world", NULL);
        g[10 + 3] ^= 1; /* NLEN no longer the complement of LEN */
        EXPECT_GUNZIP(g, n, NULL, "complement");
    }
    /* Fixed codes: "abc" then a match of length 6 at distance 3 (overlapping copy). */
    {
        bitw w = {{0}, 0, 0, 0};
        bw_bits(&w, 1, 1);
        bw_bits(&w, 1, 2);
        bw_fixed(&w, 'a');
        bw_fixed(&w, 'b');
        bw_fixed(&w, 'c');
        bw_fixed(&w, 260);  /* length 6 */
        bw_huff(&w, 2, 5);  /* distance 3 */
        bw_fixed(&w, 256);
        bw_flush(&w);
        n = wrap_gzip(w.buf, w.n, "abcabcabc", 9, g);
        EXPECT_GUNZIP(g, n, "abcabcabc", NULL);
        /* Lying ISIZE and flipped CRC. */
        g[n - 4] ^= 1;
        EXPECT_GUNZIP(g, n, NULL, "length mismatch");
        g[n - 4] ^= 1;
        g[n - 8] ^= 0x80;
        EXPECT_GUNZIP(g, n, NULL, "CRC-32 mismatch");
        g[n - 8] ^= 0x80;
        /* Trailing garbage is rejected (documented policy). */
        g[n] = 0;
        EXPECT_GUNZIP(g, n + 1, NULL, "trailing data");
        /* Header variants: bad magic, bad method, reserved flags. */
        g[0] = 0x1e;
        EXPECT_GUNZIP(g, n, NULL, "bad magic");
        g[0] = 0x1f;
        g[2] = 7;
        EXPECT_GUNZIP(g, n, NULL, "compression method");
        g[2] = 8;
        g[3] = 0x20;
        EXPECT_GUNZIP(g, n, NULL, "reserved");
        g[3] = 0;
        EXPECT_GUNZIP(g, n, "abcabcabc", NULL);
    }
    /* Optional header fields: FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT, with a correct header CRC. */
    {
        uint8_t body[64];
        bitw w = {{0}, 0, 0, 0};
        bw_bits(&w, 1, 1);
        bw_bits(&w, 1, 2);
        bw_fixed(&w, 'z');
        bw_fixed(&w, 256);
        bw_flush(&w);
        memcpy(body, w.buf, w.n);
        uint8_t h[64] = {0x1f, 0x8b, 8, 1 | 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3, 3, 0, 'a', 'b', 'c'};
        size_t p = 15;
        memcpy(h + p, "name\0comment", 13);
        p += 13;
        uint32_t hc = nvm_crc32(0, h, p);
        h[p++] = (uint8_t)hc;
        h[p++] = (uint8_t)(hc >> 8);
        uint8_t tmp[256];
        size_t m = wrap_gzip(body, w.n, "z", 1, tmp);
        memcpy(g, h, p);
        memcpy(g + p, tmp + 10, m - 10);
        EXPECT_GUNZIP(g, p + m - 10, "z", NULL);
        g[p - 1] ^= 1;
        EXPECT_GUNZIP(g, p + m - 10, NULL, "header CRC");
    }
    /* Distance beyond the output so far. */
    {
        bitw w = {{0}, 0, 0, 0};
        bw_bits(&w, 1, 1);
        bw_bits(&w, 1, 2);
        bw_fixed(&w, 'a');
        bw_fixed(&w, 257);
        bw_huff(&w, 1, 5); /* distance 2 > 1 byte written */
        bw_fixed(&w, 256);
        bw_flush(&w);
        n = wrap_gzip(w.buf, w.n, "aaaa", 4, g);
        EXPECT_GUNZIP(g, n, NULL, "distance too far back");
    }
    /* Reserved symbols: length 286, distance 30. */
    {
        bitw w = {{0}, 0, 0, 0};
        bw_bits(&w, 1, 1);
        bw_bits(&w, 1, 2);
        bw_fixed(&w, 286);
        bw_flush(&w);
        n = wrap_gzip(w.buf, w.n, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "invalid length symbol");
        bitw v = {{0}, 0, 0, 0};
        bw_bits(&v, 1, 1);
        bw_bits(&v, 1, 2);
        bw_fixed(&v, 'a');
        bw_fixed(&v, 257);
        bw_huff(&v, 30, 5);
        bw_flush(&v);
        n = wrap_gzip(v.buf, v.n, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "invalid distance symbol");
    }
    /* Block type 3. */
    {
        const uint8_t body[2] = {0x07, 0};
        n = wrap_gzip(body, 2, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "invalid block type");
    }
    /* Dynamic blocks with bad code-length codes. */
    {
        bitw w = {{0}, 0, 0, 0}; /* 19 code-length codes all of length 1: over-subscribed */
        bw_bits(&w, 1, 1);
        bw_bits(&w, 2, 2);
        bw_bits(&w, 0, 5);
        bw_bits(&w, 0, 5);
        bw_bits(&w, 15, 4);
        for (int i = 0; i < 19; i++)
            bw_bits(&w, 1, 3);
        bw_flush(&w);
        n = wrap_gzip(w.buf, w.n, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "over-subscribed");

        bitw v = {{0}, 0, 0, 0}; /* a single code-length code of length 2: incomplete */
        bw_bits(&v, 1, 1);
        bw_bits(&v, 2, 2);
        bw_bits(&v, 0, 5);
        bw_bits(&v, 0, 5);
        bw_bits(&v, 0, 4);
        bw_bits(&v, 0, 3);
        bw_bits(&v, 0, 3);
        bw_bits(&v, 0, 3);
        bw_bits(&v, 2, 3);
        bw_flush(&v);
        n = wrap_gzip(v.buf, v.n, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "incomplete");

        /* Complete code-length code {0: '0', 16: '1'}; then a repeat with nothing to repeat. */
        bitw u = {{0}, 0, 0, 0};
        bw_bits(&u, 1, 1);
        bw_bits(&u, 2, 2);
        bw_bits(&u, 0, 5);
        bw_bits(&u, 0, 5);
        bw_bits(&u, 0, 4);             /* 4 code-length codes, for symbols 16, 17, 18, 0 */
        unsigned cl[4] = {1, 0, 0, 1}; /* 16 and 0 get length 1 */
        for (int i = 0; i < 4; i++)
            bw_bits(&u, cl[i], 3);
        bitw t = u;
        bw_huff(&u, 1, 1);
        bw_bits(&u, 0, 2);
        bw_flush(&u);
        n = wrap_gzip(u.buf, u.n, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "repeat code");
        /* Same code: 258 zero lengths (one 0, then repeats) leave no end-of-block code. */
        bw_huff(&t, 0, 1);
        for (int i = 0; i < 42; i++) {
            bw_huff(&t, 1, 1);
            bw_bits(&t, 3, 2); /* repeat 6 */
        }
        bw_huff(&t, 1, 1);
        bw_bits(&t, 2, 2); /* repeat 5 */
        bw_flush(&t);
        n = wrap_gzip(t.buf, t.n, "", 0, g);
        EXPECT_GUNZIP(g, n, NULL, "end-of-block");
    }
    /* Empty input and a lone header. */
    EXPECT_GUNZIP(g, 0, NULL, "truncated");
    EXPECT_GUNZIP(g, 10, NULL, "truncated");
}

/* Every prefix of a real .gz fails cleanly; random single-byte corruption never crashes. */
static void test_gunzip_malformed(void)
{
    char src[512], gz[512];
    tpath(src, sizeof src, "small.txt");
    tpath(gz, sizeof gz, "small.txt.gz");
    size_t n;
    uint8_t *c = make_content(2, &n);
    n = 3000;
    CHECK(write_file(src, c, n) == 0);
    CHECK(run_gzip(src, 9, gz) == 0);
    nvm_err e = {{0}};
    uint8_t *in, *out;
    size_t inn, outn;
    CHECK(nvm_read_file(gz, 1 << 20, &in, &inn, &e) == NVM_OK);
    int all_fail = 1;
    for (size_t k = 0; k < inn; k++) {
        int rc = nvm_gunzip(in, k, 1 << 20, &out, &outn, "p.gz", &e);
        if (rc != NVM_EDATA || out != NULL || !strstr(e.msg, "p.gz: corrupt gzip: ")) {
            all_fail = 0;
            fprintf(stderr, "  prefix %zu: rc=%d %s\n", k, rc, e.msg);
        }
        free(out);
    }
    CHECK(all_fail);
    CHECK(nvm_gunzip(in, inn, 1 << 20, &out, &outn, "p.gz", &e) == NVM_OK && outn == n);
    free(out);

    /* Single flipped bytes anywhere: either detected (NVM_EDATA) or harmless (e.g. inside the stored
     * file name), never a crash, hang or wrong output accepted. */
    lcg g = {99};
    uint8_t *m = malloc(inn);
    int sound = 1, detected = 0;
    for (int it = 0; it < 3000; it++) {
        memcpy(m, in, inn);
        size_t at = lcg_next(&g) % inn;
        m[at] ^= (uint8_t)(1 + lcg_next(&g) % 255);
        int rc = nvm_gunzip(m, inn, 1 << 20, &out, &outn, "f.gz", &e);
        if (rc == NVM_EDATA)
            detected++;
        else if (!(rc == NVM_OK && outn == n && memcmp(out, c, n) == 0))
            sound = 0;
        free(out);
    }
    CHECK(sound);
    CHECK(detected > 2900);
    free(m);
    free(in);
    free(c);
}

/* ---------- nvm_read_file ---------- */

static void test_read_file(void)
{
    char p[512], d[512];
    nvm_err e = {{0}};
    uint8_t *buf;
    size_t n;
    tpath(p, sizeof p, "empty.bin");
    CHECK(write_file(p, "", 0) == 0);
    CHECK(nvm_read_file(p, 10, &buf, &n, &e) == NVM_OK && n == 0 && buf != NULL);
    free(buf);
    tpath(p, sizeof p, "ten.bin");
    CHECK(write_file(p, "0123456789", 10) == 0);
    CHECK(nvm_read_file(p, 10, &buf, &n, &e) == NVM_OK && n == 10 && memcmp(buf, "0123456789", 10) == 0);
    free(buf);
    CHECK_ERR(nvm_read_file(p, 9, &buf, &n, &e), e, NVM_EDATA, "file is 10 bytes, more than the 9-byte limit");
    CHECK(buf == NULL && n == 0);
    CHECK(strstr(e.msg, p) == e.msg);
    tpath(p, sizeof p, "missing.bin");
    CHECK_ERR(nvm_read_file(p, 10, &buf, &n, &e), e, NVM_EDATA, "no such file (set --data DIR or NVMSIM_DATA");
    tpath(d, sizeof d, "adir");
    mkdirs(d);
    CHECK_ERR(nvm_read_file(d, 10, &buf, &n, &e), e, NVM_EDATA, "is a directory");
    CHECK_ERR(nvm_read_file("/dev/null", 10, &buf, &n, &e), e, NVM_EDATA, "not a regular file");
    if (geteuid() != 0) { /* root reads anything */
        tpath(p, sizeof p, "ten.bin");
        chmod(p, 0);
        CHECK_ERR(nvm_read_file(p, 10, &buf, &n, &e), e, NVM_EDATA, "permission denied");
        chmod(p, 0644);
    }
}

/* ---------- IDX / MNIST ---------- */

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint8_t pixel(size_t i, size_t k) { return (uint8_t)(i * 37 + k * 13); }
static uint8_t label(size_t i) { return (uint8_t)((i * 7 + 3) % 10); }

/* IDX images: n × h × w with pixel(i, k). */
static uint8_t *idx_images(uint32_t n, uint32_t h, uint32_t w, size_t *len)
{
    *len = 16 + (size_t)n * h * w;
    uint8_t *b = malloc(*len);
    put_be32(b, 0x803);
    put_be32(b + 4, n);
    put_be32(b + 8, h);
    put_be32(b + 12, w);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < (size_t)h * w; k++)
            b[16 + i * h * w + k] = pixel(i, k);
    return b;
}

static uint8_t *idx_labels(uint32_t n, size_t *len)
{
    *len = 8 + n;
    uint8_t *b = malloc(*len);
    put_be32(b, 0x801);
    put_be32(b + 4, n);
    for (size_t i = 0; i < n; i++)
        b[8 + i] = label(i);
    return b;
}

static const char *const mnist_files[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                           "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};

/* Writes a valid small MNIST (5 train, 3 test) into dir/sub (sub may be ""); gz_mask bit i gzips file i. */
static void write_mnist(const char *dir, const char *sub, unsigned gz_mask)
{
    char d[600], p[700];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    mkdirs(d);
    for (int f = 0; f < 4; f++) {
        size_t len;
        uint32_t cnt = f < 2 ? 5 : 3;
        uint8_t *b = f % 2 == 0 ? idx_images(cnt, 28, 28, &len) : idx_labels(cnt, &len);
        snprintf(p, sizeof p, "%s/%s", d, mnist_files[f]);
        CHECK(write_file(p, b, len) == 0);
        free(b);
        if (gz_mask >> f & 1u) {
            char cmd[800];
            snprintf(cmd, sizeof cmd, "gzip -f -6 '%s'", p);
            CHECK(system(cmd) == 0);
        }
    }
}

static void check_small_mnist(const nvm_dataset *tr, const nvm_dataset *te, int ntrain, int ntest)
{
    CHECK(tr->n == ntrain && te->n == ntest);
    CHECK(tr->c == 1 && tr->h == 28 && tr->w == 28 && tr->dim == 784 && tr->classes == 10);
    CHECK(te->c == 1 && te->dim == 784 && te->classes == 10);
    int pix_ok = 1, lab_ok = 1;
    for (int s = 0; s < 2; s++) {
        const nvm_dataset *d = s ? te : tr;
        for (int i = 0; i < d->n; i++) {
            lab_ok &= d->y[i] == label((size_t)i);
            for (int k = 0; k < 784; k++)
                pix_ok &= d->x[(size_t)i * 784 + (size_t)k] == (float)pixel((size_t)i, (size_t)k) / 255.0f;
        }
    }
    CHECK(pix_ok);
    CHECK(lab_ok);
}

static void check_file_info(const nvm_file_info *fi, const char *want_suffix)
{
    CHECK(ends_with(fi->path, want_suffix));
    nvm_err e;
    uint8_t *b;
    size_t n;
    if (nvm_read_file(fi->path, 1 << 26, &b, &n, &e) != NVM_OK) {
        CHECK(0);
        return;
    }
    char hex[65];
    nvm_sha256_hex(b, n, hex);
    CHECK(fi->bytes == n && strcmp(fi->sha256, hex) == 0);
    free(b);
}

static void test_mnist_valid(void)
{
    char dir[512];
    nvm_dataset tr, te;
    nvm_file_info fi[4];
    nvm_err e = {{0}};

    tpath(dir, sizeof dir, "m_raw");
    write_mnist(dir, "mnist", 0);
    int rc = nvm_mnist_load(dir, 0, 0, &tr, &te, fi, &e);
    CHECK(rc == NVM_OK);
    if (rc)
        fprintf(stderr, "  %s\n", e.msg);
    check_small_mnist(&tr, &te, 5, 3);
    CHECK(tr.x[0] == 0.0f && tr.x[783] == (float)pixel(0, 783) / 255.0f);
    for (int f = 0; f < 4; f++)
        check_file_info(&fi[f], mnist_files[f]);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
    CHECK(tr.x == NULL && tr.y == NULL && tr.n == 0);

    /* Limits: first N; a limit above the count uses all. NULL files is allowed. */
    rc = nvm_mnist_load(dir, 2, 100, &tr, &te, NULL, &e);
    CHECK(rc == NVM_OK);
    check_small_mnist(&tr, &te, 2, 3);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
    CHECK_ERR(nvm_mnist_load(dir, -1, 0, &tr, &te, NULL, &e), e, NVM_EUSAGE, "negative");

    /* gzip-compressed (all, or some), and the files directly in dir/. */
    tpath(dir, sizeof dir, "m_gz");
    write_mnist(dir, "mnist", 0xf);
    rc = nvm_mnist_load(dir, 0, 0, &tr, &te, fi, &e);
    CHECK(rc == NVM_OK);
    check_small_mnist(&tr, &te, 5, 3);
    for (int f = 0; f < 4; f++) {
        char suf[64];
        snprintf(suf, sizeof suf, "mnist/%s.gz", mnist_files[f]);
        check_file_info(&fi[f], suf);
    }
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);

    tpath(dir, sizeof dir, "m_flat");
    write_mnist(dir, "", 0x5);
    rc = nvm_mnist_load(dir, 4, 0, &tr, &te, fi, &e);
    CHECK(rc == NVM_OK);
    check_small_mnist(&tr, &te, 4, 3);
    CHECK(ends_with(fi[0].path, "m_flat/train-images-idx3-ubyte.gz"));
    CHECK(ends_with(fi[1].path, "m_flat/train-labels-idx1-ubyte"));
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);

    /* dir/mnist/ wins over dir/ (junk in dir/ is not even looked at). */
    char p[700];
    tpath(dir, sizeof dir, "m_gz");
    snprintf(p, sizeof p, "%s/train-images-idx3-ubyte", dir);
    CHECK(write_file(p, "junk", 4) == 0);
    rc = nvm_mnist_load(dir, 0, 0, &tr, &te, fi, &e);
    CHECK(rc == NVM_OK && ends_with(fi[0].path, "m_gz/mnist/train-images-idx3-ubyte.gz"));
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
}

/* One malformed case: a fresh valid MNIST in its own folder, then file f replaced by buf (or by a
 * directory when buf is NULL and n == 1, or removed when buf is NULL and n == 0). Expects NVM_EDATA
 * with a message naming file f and containing substr. */
static void mnist_bad(const char *name, int f, const void *buf, size_t n, const char *substr)
{
    char dir[512], rel[128], p[700];
    snprintf(rel, sizeof rel, "bad_%s", name);
    tpath(dir, sizeof dir, rel);
    write_mnist(dir, "mnist", 0);
    snprintf(p, sizeof p, "%s/mnist/%s", dir, mnist_files[f]);
    if (buf) {
        CHECK(write_file(p, buf, n) == 0);
    } else {
        CHECK(remove(p) == 0);
        if (n == 1)
            CHECK(mkdir(p, 0755) == 0);
    }
    nvm_dataset tr, te;
    nvm_file_info fi[4];
    nvm_err e = {{0}};
    int rc = nvm_mnist_load(dir, 0, 0, &tr, &te, fi, &e);
    int ok = rc == NVM_EDATA && strstr(e.msg, substr) && strstr(e.msg, mnist_files[f]) &&
             !strchr(e.msg, '\n') && tr.x == NULL && te.x == NULL && tr.y == NULL && tr.n == 0;
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  case %s: rc=%d msg \"%s\" (want \"%s\")\n", name, rc, e.msg, substr);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
}

static void test_mnist_malformed(void)
{
    size_t il, ll;
    uint8_t *img = idx_images(5, 28, 28, &il);
    uint8_t *lab = idx_labels(5, &ll);
    uint8_t *b = malloc(il + 16);

    memcpy(b, img, il);
    put_be32(b, 0x12340803);
    mnist_bad("magic", 0, b, il, "expected magic 0x00000803 (IDX images), found 0x12340803");
    memcpy(b, lab, ll);
    put_be32(b, 0x802);
    mnist_bad("ndims", 1, b, ll, "has 2 dimensions, expected 1");
    memcpy(b, img, il);
    b[2] = 0x0d;
    mnist_bad("type", 0, b, il, "type code 0x0d, expected 0x08");
    mnist_bad("header", 0, img, 10, "truncated IDX header");
    mnist_bad("tiny", 1, lab, 3, "too short for an IDX header");
    mnist_bad("trunc", 0, img, il - 1, "truncated: the header declares 3920 data bytes but the file holds 3919");
    memcpy(b, img, il);
    memset(b + il, 0, 16);
    mnist_bad("extra", 0, b, il + 16, "16 extra bytes after the 3920 data bytes");
    memcpy(b, lab, ll);
    b[8 + 4] = 10;
    mnist_bad("label10", 1, b, ll, "label 10 at index 4 is outside 0..9");
    b[8 + 4] = 255;
    mnist_bad("label255", 1, b, ll, "label 255 at index 4 is outside 0..9");
    memcpy(b, lab, ll);
    put_be32(b + 4, 4);
    mnist_bad("count", 1, b, ll - 1, "4 labels, but");
    mnist_bad("empty", 2, "", 0, "file is empty");
    mnist_bad("dir", 3, NULL, 1, "is a directory");
    mnist_bad("missing", 3, NULL, 0, "no such file");
    memcpy(b, img, 16);
    put_be32(b + 4, 4000000000u);
    mnist_bad("huge", 0, b, 16, "IDX size 0 is 4000000000, expected 1..10000000");
    put_be32(b + 4, 5);
    put_be32(b + 8, 0);
    mnist_bad("zerodim", 0, b, 16, "IDX size 1 is 0");
    put_be32(b + 8, 70000);
    mnist_bad("wide", 0, b, 16, "IDX size 1 is 70000, expected 1..1024");
    free(img);
    img = idx_images(5, 27, 28, &il);
    mnist_bad("side", 0, img, il, "images are 27x28, expected 28x28");

    /* A corrupt .gz: the gzip error names the file. */
    char dir[512], p[700], cmd[800];
    tpath(dir, sizeof dir, "bad_gz");
    write_mnist(dir, "mnist", 0x2);
    snprintf(p, sizeof p, "%s/mnist/train-labels-idx1-ubyte.gz", dir);
    uint8_t *gz;
    size_t gzn;
    nvm_err e;
    CHECK(nvm_read_file(p, 1 << 20, &gz, &gzn, &e) == NVM_OK);
    gz[gzn - 6] ^= 0xff; /* inside the CRC */
    CHECK(write_file(p, gz, gzn) == 0);
    free(gz);
    nvm_dataset tr, te;
    CHECK_ERR(nvm_mnist_load(dir, 0, 0, &tr, &te, NULL, &e), e, NVM_EDATA,
              "train-labels-idx1-ubyte.gz: corrupt gzip: CRC-32 mismatch");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    CHECK_ERR(nvm_mnist_load(dir, 0, 0, &tr, &te, NULL, &e), e, NVM_EDATA,
              "mnist/train-images-idx3-ubyte[.gz]: no such file, nor in");
    free(img);
    free(lab);
    free(b);
}

/* ---------- CIFAR-10 ---------- */

static const char *const cifar_files[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                           "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"};

/* Record r of batch f: label (r + f) % 10, pixels from an LCG seeded by (f, r). */
static void cifar_record(int f, size_t r, uint8_t *rec)
{
    lcg g = {(uint64_t)f * 1000003u + r};
    rec[0] = (uint8_t)((r + (size_t)f) % 10);
    for (int k = 0; k < 3072; k++) /* channel-dependent range so the per-channel stats differ */
        rec[1 + k] = (uint8_t)(lcg_next(&g) % (100u + 70u * (unsigned)(k / 1024)));
}

/* Writes batches with recs[f] records each (0 = no file) into dir/sub. */
static void write_cifar(const char *dir, const char *sub, const int recs[6])
{
    char d[600], p[700];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    mkdirs(d);
    for (int f = 0; f < 6; f++) {
        if (!recs[f])
            continue;
        size_t n = (size_t)recs[f] * 3073;
        uint8_t *b = malloc(n);
        for (int r = 0; r < recs[f]; r++)
            cifar_record(f, (size_t)r, b + (size_t)r * 3073);
        snprintf(p, sizeof p, "%s/%s", d, cifar_files[f]);
        CHECK(write_file(p, b, n) == 0);
        free(b);
    }
}

static void test_cifar_valid(void)
{
    static const int recs[6] = {4, 3, 4, 2, 5, 3};
    char dir[512];
    tpath(dir, sizeof dir, "c_ok");
    write_cifar(dir, "cifar-10-batches-bin", recs);
    nvm_dataset tr, te;
    nvm_file_info fi[6];
    nvm_err e = {{0}};
    int rc = nvm_cifar_load(dir, 0, 0, &tr, &te, fi, &e);
    CHECK(rc == NVM_OK);
    if (rc) {
        fprintf(stderr, "  %s\n", e.msg);
        return;
    }
    CHECK(tr.n == 18 && te.n == 3 && tr.c == 3 && tr.h == 32 && tr.w == 32 && tr.dim == 3072);
    CHECK(tr.classes == 10 && te.dim == 3072);
    for (int f = 0; f < 6; f++)
        check_file_info(&fi[f], cifar_files[f]);

    /* Expected stats from the bytes; normalised train channels have mean 0 and std 1. */
    double mean[3] = {0}, sq[3] = {0};
    uint8_t rec[3073];
    int lab_ok = 1;
    size_t s = 0;
    for (int f = 0; f < 5; f++)
        for (int r = 0; r < recs[f]; r++, s++) {
            cifar_record(f, (size_t)r, rec);
            lab_ok &= tr.y[s] == rec[0];
            for (int k = 0; k < 3072; k++) {
                double v = rec[1 + k] / 255.0;
                mean[k / 1024] += v;
                sq[k / 1024] += v * v;
            }
        }
    CHECK(lab_ok);
    double cnt = 18.0 * 1024;
    for (int c = 0; c < 3; c++) {
        mean[c] /= cnt;
        sq[c] = sqrt(sq[c] / cnt - mean[c] * mean[c]);
    }
    double m[3] = {0}, v2[3] = {0};
    for (size_t i = 0; i < (size_t)tr.n; i++)
        for (int k = 0; k < 3072; k++) {
            double x = tr.x[i * 3072 + (size_t)k];
            m[k / 1024] += x;
            v2[k / 1024] += x * x;
        }
    for (int c = 0; c < 3; c++) {
        CHECK_NEAR(m[c] / cnt, 0.0, 1e-5);
        CHECK_NEAR(sqrt(v2[c] / cnt - (m[c] / cnt) * (m[c] / cnt)), 1.0, 1e-4);
    }
    CHECK(fabs(sq[0] - sq[2]) > 0.05); /* the channels really were scaled differently */
    /* The test set uses the training statistics, CHW layout. */
    int test_ok = 1;
    for (int r = 0; r < 3; r++) {
        cifar_record(5, (size_t)r, rec);
        test_ok &= te.y[r] == rec[0];
        for (int k = 0; k < 3072; k++) {
            double want = (rec[1 + k] / 255.0 - mean[k / 1024]) / sq[k / 1024];
            test_ok &= fabs(te.x[(size_t)r * 3072 + (size_t)k] - want) < 1e-5;
        }
    }
    CHECK(test_ok);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);

    /* Limits: batches past the limit are not read, even if broken. */
    char p[700];
    snprintf(p, sizeof p, "%s/cifar-10-batches-bin/data_batch_3.bin", dir);
    CHECK(write_file(p, "bad", 3) == 0);
    rc = nvm_cifar_load(dir, 6, 2, &tr, &te, fi, &e);
    CHECK(rc == NVM_OK && tr.n == 6 && te.n == 2);
    CHECK(fi[0].path[0] && fi[1].path[0] && !fi[2].path[0] && !fi[3].path[0] && !fi[4].path[0]);
    CHECK(fi[2].bytes == 0 && !fi[2].sha256[0] && ends_with(fi[5].path, "test_batch.bin"));
    if (rc == NVM_OK) {
        cifar_record(1, 1, rec); /* sample 5 = batch 2, record 1 */
        CHECK(tr.y[5] == rec[0]);
    }
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
    CHECK_ERR(nvm_cifar_load(dir, 8, 0, &tr, &te, fi, &e), e, NVM_EDATA,
              "data_batch_3.bin: file is 3 bytes, not a whole number of 3073-byte CIFAR-10 records");
    CHECK(tr.x == NULL && te.x == NULL);
    CHECK_ERR(nvm_cifar_load(dir, 0, -2, &tr, &te, fi, &e), e, NVM_EUSAGE, "negative");

    /* Fallback: batches directly in dir/. */
    tpath(dir, sizeof dir, "c_flat");
    write_cifar(dir, "", recs);
    rc = nvm_cifar_load(dir, 0, 0, &tr, &te, NULL, &e);
    CHECK(rc == NVM_OK && tr.n == 18 && te.n == 3);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
}

static void cifar_bad(const char *name, int f, const void *buf, size_t n, const char *substr)
{
    static const int recs[6] = {2, 2, 2, 2, 2, 2};
    char dir[512], rel[128], p[700];
    snprintf(rel, sizeof rel, "cbad_%s", name);
    tpath(dir, sizeof dir, rel);
    write_cifar(dir, "cifar-10-batches-bin", recs);
    snprintf(p, sizeof p, "%s/cifar-10-batches-bin/%s", dir, cifar_files[f]);
    if (buf)
        CHECK(write_file(p, buf, n) == 0);
    else
        CHECK(remove(p) == 0);
    nvm_dataset tr, te;
    nvm_err e = {{0}};
    int rc = nvm_cifar_load(dir, 0, 0, &tr, &te, NULL, &e);
    int ok = rc == NVM_EDATA && strstr(e.msg, substr) && strstr(e.msg, cifar_files[f]) && tr.x == NULL &&
             te.x == NULL;
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  case %s: rc=%d msg \"%s\" (want \"%s\")\n", name, rc, e.msg, substr);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
}

static void test_cifar_malformed(void)
{
    uint8_t *b = calloc(3 * 3073, 1);
    cifar_record(0, 0, b);
    cifar_record(0, 1, b + 3073);
    cifar_bad("size", 1, b, 2 * 3073 + 5, "file is 6151 bytes, not a whole number of 3073-byte");
    cifar_bad("empty", 5, b, 0, "file is empty");
    b[3073] = 10;
    cifar_bad("label", 0, b, 2 * 3073, "label 10 at record 1 is outside 0..9");
    b[3073] = 0;
    b[0] = 200;
    cifar_bad("label_test", 5, b, 2 * 3073, "label 200 at record 0");
    cifar_bad("missing", 4, NULL, 0, "cifar-10-batches-bin/data_batch_5.bin: no such file");
    free(b);
}

/* ---------- the real data sets, when present ---------- */

static void test_real_mnist(const char *dir)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/mnist/train-labels-idx1-ubyte.gz", dir);
    struct stat st;
    if (stat(p, &st) != 0)
        return;
    nvm_dataset tr, te;
    nvm_file_info fi[4];
    nvm_err e = {{0}};
    double t0 = nvm_now();
    int rc = nvm_mnist_load(dir, 0, 0, &tr, &te, fi, &e);
    double t1 = nvm_now();
    CHECK(rc == NVM_OK);
    if (rc) {
        fprintf(stderr, "  %s\n", e.msg);
        return;
    }
    CHECK(tr.n == 60000 && te.n == 10000);
    static const int counts[10] = {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
    int cnt[10] = {0};
    for (int i = 0; i < tr.n; i++)
        cnt[tr.y[i]]++;
    int counts_ok = 1;
    for (int c = 0; c < 10; c++)
        counts_ok &= cnt[c] == counts[c];
    CHECK(counts_ok);
    double s = 0, s2 = 0;
    size_t n = (size_t)tr.n * 784;
    for (size_t i = 0; i < n; i++) {
        s += tr.x[i];
        s2 += (double)tr.x[i] * tr.x[i];
    }
    double mean = s / (double)n;
    CHECK_NEAR(mean, 0.1307, 0.0005);
    CHECK_NEAR(sqrt(s2 / (double)n - mean * mean), 0.3081, 0.0005);
    CHECK(strcmp(fi[0].sha256, "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609") == 0);
    CHECK(strcmp(fi[3].sha256, "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6") == 0);
    CHECK(fi[0].bytes == 9912422);
    fprintf(stderr, "test_data: real MNIST loaded in %.2f s\n", t1 - t0);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
}

static void test_real_cifar(const char *dir)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/cifar-10-batches-bin/data_batch_5.bin", dir);
    struct stat st;
    if (stat(p, &st) != 0)
        return;
    nvm_dataset tr, te;
    nvm_file_info fi[6];
    nvm_err e = {{0}};
    double t0 = nvm_now();
    int rc = nvm_cifar_load(dir, 0, 0, &tr, &te, fi, &e);
    double t1 = nvm_now();
    CHECK(rc == NVM_OK);
    if (rc) {
        fprintf(stderr, "  %s\n", e.msg);
        return;
    }
    CHECK(tr.n == 50000 && te.n == 10000);
    int cnt[10] = {0}, tcnt[10] = {0}, ok = 1;
    for (int i = 0; i < tr.n; i++)
        cnt[tr.y[i]]++;
    for (int i = 0; i < te.n; i++)
        tcnt[te.y[i]]++;
    for (int c = 0; c < 10; c++)
        ok &= cnt[c] == 5000 && tcnt[c] == 1000;
    CHECK(ok);
    CHECK(strcmp(fi[0].sha256, "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5") == 0);
    CHECK(fi[4].bytes == 30730000);
    /* Channel 0 (red) of the training set is normalised to mean 0 and second moment 1. */
    double m = 0, m2 = 0;
    for (size_t i = 0; i < (size_t)tr.n; i++)
        for (int k = 0; k < 1024; k++) {
            double x = tr.x[i * 3072 + (size_t)k];
            m += x;
            m2 += x * x;
        }
    double cnt0 = (double)tr.n * 1024;
    CHECK_NEAR(m / cnt0, 0.0, 1e-4);
    CHECK_NEAR(m2 / cnt0, 1.0, 1e-3);
    fprintf(stderr, "test_data: real CIFAR-10 loaded in %.2f s\n", t1 - t0);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nvmsim_test_data_XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        return 1;
    }
    test_crc32();
    test_sha256();
    test_gunzip_crafted();
    test_gunzip_roundtrip();
    test_gunzip_malformed();
    test_read_file();
    test_mnist_valid();
    test_mnist_malformed();
    test_cifar_valid();
    test_cifar_malformed();
    const char *real = getenv("NVMSIM_DATA");
    if (real && *real) {
        test_real_mnist(real);
        test_real_cifar(real);
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    CHECK(system(cmd) == 0);
    return check_report("data");
}
