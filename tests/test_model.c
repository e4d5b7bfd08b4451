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
    CHECK(nvm_model_save(path, &m, &e) == NVM_OK);
    CHECK(nvm_model_load(path, &r, &e) == NVM_OK);
    CHECK(r.arch.n_params == m.arch.n_params && r.arch.fe_params == m.arch.fe_params);
    CHECK(strcmp(r.arch.name, "mlp3") == 0 && r.arch.n_layers == 3 && r.seed == m.seed && r.base == 3);
    CHECK(r.test_acc == m.test_acc && strcmp(r.dataset, "mnist") == 0 && r.provenance == m.provenance);
    CHECK(memcmp(r.params, m.params, m.arch.n_params * sizeof(float)) == 0);
    nvm_model_free(&r);
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0);   /* the temporary name is gone after the rename */

    uint8_t *b;
    size_t n;
    CHECK(nvm_read_file(path, 1 << 30, &b, &n, &e) == NVM_OK);
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
    {   /* A version-1 file (no provenance field, bytes 64..72) still loads, with provenance 0. */
        uint8_t *v1 = malloc(n);
        memcpy(v1, b, 64);
        memcpy(v1 + 64, b + 72, n - 76);
        v1[8] = 1;
        uint32_t crc = nvm_crc32(0, v1, n - 12);
        for (int k = 0; k < 4; k++)
            v1[n - 12 + k] = (uint8_t)(crc >> (8 * k));
        write_bytes(bad, v1, n - 8);
        CHECK(nvm_model_load(bad, &r, &e) == NVM_OK && r.provenance == 0 && r.seed == m.seed &&
              memcmp(r.params, m.params, m.arch.n_params * sizeof(float)) == 0);
        nvm_model_free(&r);
        free(v1);
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
