/* libFuzzer target: shard files as `nvmsim merge` reads them (nvm_shard_parse). The input is a sidecar's
 * text, a NUL byte, then the shard CSV; the first byte picks the file name's K/N. */
#include "fuzz_common.h"

#include "nvmsim/shard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *nul = memchr(data + 1, 0, size - 1);
    size_t json_n = nul ? (size_t)(nul - data - 1) : size - 1;
    size_t csv_n = nul ? size - 1 - json_n - 1 : 0;
    char *json = malloc(json_n + 1), *csv = malloc(csv_n + 1);
    if (!json || !csv) {
        free(json), free(csv);
        return 0;
    }
    memcpy(json, data + 1, json_n);
    json[json_n] = '\0';
    if (csv_n)
        memcpy(csv, nul + 1, csv_n);
    csv[csv_n] = '\0';
    char name[64];
    snprintf(name, sizeof name, "x.csv.shard-%d-of-%d.csv", data[0] % 4, 1 + data[0] / 64);
    nvm_shard sh;
    nvm_err e = {{0}};
    int rc = nvm_shard_parse(name, csv, csv_n, json, &sh, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK) {
        FUZZ_ASSERT(sh.n_rows == nvm_shard_cells(sh.cells, sh.k, sh.n) * sh.rows_per_cell);
        for (long r = 0; r < sh.n_rows; r++)   /* every row lies in the text and ends there */
            FUZZ_ASSERT(sh.rows[r] >= csv && sh.rows[r] < csv + csv_n && strchr(sh.rows[r], '\n'));
    }
    nvm_shard_free(&sh);
    free(json);
    free(csv);
    return 0;
}
