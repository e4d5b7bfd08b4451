/* libFuzzer target: IDX files (the MNIST format), raw or gzip, through nvm_idx_read — the function the
 * MNIST loader calls — reading an in-memory file. The first byte chooses images (3 dimensions, then the
 * 28x28 and label checks the loader makes) or labels (1 dimension); the rest is the file. */
#include "fuzz_common.h"

#include "../../src/data/data_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    if (!f.path[0])
        fuzz_file_open(&f, "fuzz-idx");
    if (size < 1)
        return 0;
    int ndims = data[0] & 1 ? 3 : 1;
    fuzz_file_set(&f, data + 1, size - 1, NULL, 0);

    nvm_idx idx;
    nvm_file_info info;
    nvm_err e = {{0}};
    int rc = nvm_idx_read(f.path, ndims, &idx, &info, &e);
    fuzz_check_error(rc, &e);
    FUZZ_ASSERT(strcmp(info.path, f.path) == 0 || rc != NVM_OK);
    if (rc != NVM_OK) {
        FUZZ_ASSERT(idx.buf == NULL && idx.data == NULL && idx.count == 0);
        return 0;
    }
    FUZZ_ASSERT(idx.ndims == ndims && idx.count == idx.dims[0] && idx.count > 0 && idx.item_bytes > 0);
    FUZZ_ASSERT(idx.data == idx.buf + 4 + 4 * ndims);
    /* Touch every byte the header promised (ASan checks they are inside the buffer). */
    unsigned sum = 0;
    for (size_t i = 0; i < idx.count * idx.item_bytes; i++)
        sum += idx.data[i];
    (void)sum;
    rc = nvm_idx_check_labels(&idx, 10, f.path, &e);
    fuzz_check_error(rc, &e);
    nvm_idx_free(&idx);
    FUZZ_ASSERT(idx.buf == NULL);
    return 0;
}
