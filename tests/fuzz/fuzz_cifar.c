/* libFuzzer target: CIFAR-10 binary batches through nvm_cifar_load (the only entry point: it reads a
 * directory), then the HWC reordering the session applies. Input: two bytes of sample limits, then the
 * batch contents, written as data_batch_1.bin (and, when the limit needs them, data_batch_2..5.bin) and
 * test_batch.bin in a private directory under /dev/shm (or $TMPDIR, /tmp). The same bytes in every
 * file keep the input small; label, size and limit handling are what is being exercised. */
#include "fuzz_common.h"

#include <sys/stat.h>

#include "nvmsim/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char cifar_dir[512];

static void write_all(const char *name, const uint8_t *buf, size_t n)
{
    char path[700];
    snprintf(path, sizeof path, "%s/cifar-10-batches-bin/%s", cifar_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(buf, 1, n, f) != n) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

static void cleanup(void)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cifar_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", cifar_dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!cifar_dir[0]) {
        const char *root = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(cifar_dir, sizeof cifar_dir, "%s/nvmsim-fuzz-cifar-XXXXXX", root);
        if (!mkdtemp(cifar_dir))
            abort();
        char sub[600];
        snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", cifar_dir);
        if (mkdir(sub, 0700) != 0)
            abort();
        atexit(cleanup);
    }
    if (size < 2)
        return 0;
    /* train limit 0 (all: five batches) or 1..127; test limit 0 or 1..255 */
    int train_limit = data[0] & 0x7f, test_limit = data[1];
    static const char *const names[5] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                                         "data_batch_4.bin", "data_batch_5.bin"};
    for (int b = 0; b < 5; b++)
        write_all(names[b], data + 2, size - 2);
    write_all("test_batch.bin", data + 2, size - 2);

    nvm_dataset tr, te;
    nvm_file_info files[6];
    nvm_err e = {{0}};
    int rc = nvm_cifar_load(cifar_dir, train_limit, test_limit, &tr, &te, files, &e);
    fuzz_check_error(rc, &e);
    if (rc != NVM_OK) {
        FUZZ_ASSERT(tr.x == NULL && te.x == NULL && tr.y == NULL && te.y == NULL);
        return 0;
    }
    FUZZ_ASSERT(tr.n >= 1 && te.n >= 1 && tr.dim == 3072 && te.dim == 3072);
    FUZZ_ASSERT(train_limit == 0 || tr.n <= train_limit);
    FUZZ_ASSERT(test_limit == 0 || te.n <= test_limit);
    for (int i = 0; i < tr.n; i++)
        FUZZ_ASSERT(tr.y[i] < 10);
    for (int i = 0; i < te.n; i++)
        FUZZ_ASSERT(te.y[i] < 10);
    FUZZ_ASSERT(nvm_dataset_to_hwc(&tr) == NVM_OK && nvm_dataset_to_hwc(&te) == NVM_OK);
    nvm_dataset_free(&tr);
    nvm_dataset_free(&te);
    return 0;
}
