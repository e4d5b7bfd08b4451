/* libFuzzer target: nvm_gunzip (gzip header, DEFLATE stored/fixed/dynamic blocks, CRC-32 and ISIZE
 * trailer) on arbitrary bytes, with an output limit small enough that expansion bombs reach it. */
#include "fuzz_common.h"

#include "nvmsim/data.h"

enum { MAX_OUT = 1 << 22 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = (uint8_t *)1;
    size_t outn = 1;
    nvm_err e = {{0}};
    int rc = nvm_gunzip(data, size, MAX_OUT, &out, &outn, "fuzz.gz", &e);
    fuzz_check_error(rc, &e);
    if (rc != NVM_OK) {
        FUZZ_ASSERT(out == NULL && outn == 0);
        return 0;
    }
    FUZZ_ASSERT(out != NULL && outn <= MAX_OUT);
    /* What was accepted is exactly what the trailer promised. */
    FUZZ_ASSERT(size >= 18);
    uint32_t crc = (uint32_t)data[size - 8] | (uint32_t)data[size - 7] << 8 |
                   (uint32_t)data[size - 6] << 16 | (uint32_t)data[size - 5] << 24;
    uint32_t isize = (uint32_t)data[size - 4] | (uint32_t)data[size - 3] << 8 |
                     (uint32_t)data[size - 2] << 16 | (uint32_t)data[size - 1] << 24;
    FUZZ_ASSERT(nvm_crc32(0, out, outn) == crc && (uint32_t)outn == isize);
    free(out);
    return 0;
}
