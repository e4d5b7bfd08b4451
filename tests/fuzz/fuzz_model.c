/* libFuzzer target: model files through nvm_model_load, reading an in-memory file. Each input is loaded
 * twice: as it is (almost always refused by the CRC-32 check), and with the correct CRC-32 appended, so
 * the fuzzer gets past the checksum to the header, architecture and parameter checks. An accepted model
 * must be self-consistent; small ones are run forward, as `nvmsim eval` would. */
#include "fuzz_common.h"

#include "nvmsim/data.h"
#include "nvmsim/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void load(const fuzz_file *f)
{
    nvm_model m;
    nvm_err e = {{0}};
    int rc = nvm_model_load(f->path, &m, &e);
    fuzz_check_error(rc, &e);
    if (rc != NVM_OK) {
        FUZZ_ASSERT(m.params == NULL);
        return;
    }
    FUZZ_ASSERT(memchr(m.dataset, 0, sizeof m.dataset));
    fuzz_check_arch(&m.arch);
    nvm_model_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    if (!f.path[0])
        fuzz_file_open(&f, "fuzz-model");
    fuzz_file_set(&f, data, size, NULL, 0);
    load(&f);
    uint32_t crc = nvm_crc32(0, data, size);
    uint8_t tail[4] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24)};
    fuzz_file_set(&f, data, size, tail, 4);
    load(&f);
    return 0;
}
