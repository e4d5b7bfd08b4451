/* Model files: round trip, and every kind of damage is a clear NVM_EDATA, never a crash. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "nvmsim/data.h"
#include "nvmsim/model.h"

static void write_bytes(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(b, 1, n, f);
        fclose(f);
    }
}

/* Sets the last 4 bytes of b[n] to the CRC-32 of the rest, as a writer would. */
static void fix_crc(uint8_t *b, size_t n)
{
    uint32_t crc = nvm_crc32(0, b, n - 4);
    for (int k = 0; k < 4; k++)
        b[n - 4 + k] = (uint8_t)(crc >> (8 * k));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* b[n] with bytes [at, at + cut) removed and the version set to v, CRC made right: an older format. */
static uint8_t *older(const uint8_t *b, size_t n, size_t at, size_t cut, uint8_t v, size_t *out_n)
{
    uint8_t *o = malloc(n - cut);
    memcpy(o, b, at);
    memcpy(o + at, b + at + cut, n - at - cut);
    o[8] = v;
    fix_crc(o, n - cut);
    *out_n = n - cut;
    return o;
}

static int load_fails(const char *path, const char *what)
{
    nvm_model m;
    nvm_err e = {{0}};
    int rc = nvm_model_load(path, &m, &e);
    if (rc == NVM_OK) {
        nvm_model_free(&m);
        return 0;
    }
    return rc == NVM_EDATA && strstr(e.msg, path) && (!what || strstr(e.msg, what));
}

int main(void)
{
    char dir[] = "/tmp/nvmsim-test-model-XXXXXX", path[256], bad[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/m.nvm", dir);
    snprintf(bad, sizeof bad, "%s/bad.nvm", dir);
    nvm_model m = {0}, r;
    nvm_err e;
    CHECK(nvm_arch_named(&m.arch, "mlp3", NULL, 20, 28, 28, 1, 10, &e) == NVM_OK);
    m.params = nvm_alloc_floats(m.arch.n_params);
    nvm_stream s = nvm_stream_make(4, NVM_RNG_INIT, 0, 0);
    nvm_arch_init(&m.arch, m.params, &s);
    m.seed = 123456789012345ull;
    m.base = 3;
    m.test_acc = 0.9812;
    m.provenance = 0x0123456789abcdefull;
    snprintf(m.dataset, sizeof m.dataset, "mnist");
    snprintf(m.recipe, sizeof m.recipe, "init=torch train-noise=gauss:0.3 biases=yes");
    CHECK(nvm_model_save(path, &m, &e) == NVM_OK);
    CHECK(nvm_model_load(path, &r, &e) == NVM_OK);
    CHECK(r.arch.n_params == m.arch.n_params && r.arch.fe_params == m.arch.fe_params);
    CHECK(strcmp(r.arch.name, "mlp3") == 0 && r.arch.n_layers == 3 && r.seed == m.seed && r.base == 3);
    CHECK(r.test_acc == m.test_acc && strcmp(r.dataset, "mnist") == 0 && r.provenance == m.provenance);
    CHECK(strcmp(r.recipe, m.recipe) == 0 && r.version == 3 && NVM_MODEL_VERSION == 3);
    CHECK(memcmp(r.params, m.params, m.arch.n_params * sizeof(float)) == 0);
    nvm_model_free(&r);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0);   /* the temporary name is gone after the rename */

    uint8_t *b;
    size_t n;
    CHECK(nvm_read_file(path, 1 << 30, &b, &n, &e) == NVM_OK);
    {   /* The v3 layout, byte for byte as src/io/model.c documents it (scripts/nvmsim_torch.py reads it). */
        const size_t P = m.arch.n_params;
        char want[64] = {0};
        snprintf(want, sizeof want, "%s", m.recipe);
        uint64_t np = get_u32(b + 284) | (uint64_t)get_u32(b + 288) << 32;
        CHECK(n == 292 + 4 * P + 4 && memcmp(b, "NVMSIMMD", 8) == 0 && get_u32(b + 8) == 3);
        CHECK(memcmp(b + 12, "mlp3", 5) == 0 && memcmp(b + 28, "mnist", 6) == 0 && get_u32(b + 52) == 3);
        CHECK(get_u32(b + 44) == (uint32_t)m.seed && get_u32(b + 48) == (uint32_t)(m.seed >> 32));
        CHECK(get_u32(b + 64) == 0x89abcdefu && get_u32(b + 68) == 0x01234567u);
        CHECK(memcmp(b + 72, want, 64) == 0);   /* the recipe, NUL-padded */
        CHECK(get_u32(b + 136) == 28 && get_u32(b + 140) == 28 && get_u32(b + 144) == 1 && get_u32(b + 148) == 10 &&
              get_u32(b + 152) == 2 && strcmp((const char *)b + 156, m.arch.spec) == 0 && np == P);
        float p0;
        memcpy(&p0, b + 292, 4);
        CHECK(p0 == m.params[0] && get_u32(b + n - 4) == nvm_crc32(0, b, n - 4));
    }
    /* Truncated at every length (the header densely, then in steps). */
    int all = 1;
    for (size_t len = 0; len < n; len += len < 200 ? 1 : 997) {
        write_bytes(bad, b, len);
        all &= load_fails(bad, NULL);
    }
    CHECK(all);
    /* One flipped bit anywhere: caught by the checksum (or the magic). */
    all = 1;
    for (size_t i = 0; i < n; i += 131) {
        b[i] ^= 0x10;
        write_bytes(bad, b, n);
        all &= load_fails(bad, NULL);
        b[i] ^= 0x10;
    }
    CHECK(all);
    {   /* A version-2 file (no recipe field, bytes 72..136) still loads: recipe "" (not recorded). */
        size_t n2;
        uint8_t *v2 = older(b, n, 72, 64, 2, &n2);
        write_bytes(bad, v2, n2);
        CHECK(nvm_model_load(bad, &r, &e) == NVM_OK && r.version == 2 && r.recipe[0] == 0 &&
              r.provenance == m.provenance && r.seed == m.seed && strcmp(r.dataset, "mnist") == 0 &&
              memcmp(r.params, m.params, m.arch.n_params * sizeof(float)) == 0);
        /* saved again it is a version-3 file, still without a recipe (nothing is made up) */
        nvm_model r3;
        CHECK(nvm_model_save(bad, &r, &e) == NVM_OK && nvm_model_load(bad, &r3, &e) == NVM_OK && r3.version == 3 &&
              r3.recipe[0] == 0 && r3.provenance == m.provenance);
        nvm_model_free(&r3);
        nvm_model_free(&r);
        free(v2);
    }
    {   /* A version-1 file (no provenance or recipe, bytes 64..136) still loads, with provenance 0. */
        size_t n1;
        uint8_t *v1 = older(b, n, 64, 72, 1, &n1);
        write_bytes(bad, v1, n1);
        CHECK(nvm_model_load(bad, &r, &e) == NVM_OK && r.version == 1 && r.provenance == 0 && r.recipe[0] == 0 &&
              r.seed == m.seed && memcmp(r.params, m.params, m.arch.n_params * sizeof(float)) == 0);
        nvm_model_free(&r);
        free(v1);
    }
    {   /* The recipe field must be NUL-padded printable text: each damage is refused, by name. */
        uint8_t *c = malloc(n);
        static const struct { int at; uint8_t v; } DAMAGE[] = {{72 + 3, 0x07}, {72 + 3, 0xe9}, {72 + 60, 'x'}};
        for (size_t k = 0; k < sizeof DAMAGE / sizeof DAMAGE[0]; k++) {
            memcpy(c, b, n);
            c[DAMAGE[k].at] = DAMAGE[k].v;   /* a control byte, a non-ASCII byte, text after the NUL */
            fix_crc(c, n);
            write_bytes(bad, c, n);
            CHECK(load_fails(bad, "recipe field"));
        }
        memcpy(c, b, n);
        memset(c + 72, 'a', 64);   /* no NUL at all */
        fix_crc(c, n);
        write_bytes(bad, c, n);
        CHECK(load_fails(bad, "recipe field"));
        memcpy(c, b, n);
        memset(c + 72, 0, 64);   /* empty: not recorded, fine */
        fix_crc(c, n);
        write_bytes(bad, c, n);
        CHECK(nvm_model_load(bad, &r, &e) == NVM_OK && r.recipe[0] == 0 && r.version == 3);
        nvm_model_free(&r);
        free(c);
    }
    memcpy(b, "NOTAMODL", 8);
    write_bytes(bad, b, n);
    CHECK(load_fails(bad, "not an nvmsim model"));
    memcpy(b, NVM_MODEL_MAGIC, 8);
    b[8] = NVM_MODEL_VERSION + 1;   /* a newer format version */
    write_bytes(bad, b, n);
    CHECK(load_fails(bad, "upgrade nvmsim"));
    b[8] = NVM_MODEL_VERSION;
    write_bytes(bad, b, n);
    CHECK(!load_fails(bad, NULL));   /* restored: loads again */
    free(b);

    /* Not a file. */
    CHECK(load_fails(dir, NULL));
    snprintf(bad, sizeof bad, "%s/missing.nvm", dir);
    {
        nvm_err e2;
        CHECK(nvm_model_load(bad, &r, &e2) != NVM_OK);
    }
    /* Unwritable destination: an error, not silence. */
    snprintf(bad, sizeof bad, "%s/no/such/dir/m.nvm", dir);
    CHECK(nvm_model_save(bad, &m, &e) == NVM_ERUNTIME && strstr(e.msg, "cannot create"));
    nvm_model_free(&m);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_report("model");
}
