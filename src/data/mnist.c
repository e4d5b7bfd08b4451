/* MNIST: four IDX files (train/test × images/labels), raw or gzip, from dir/mnist/ or dir/. */
#include "data_internal.h"

#include <stdlib.h>
#include <string.h>

enum { MNIST_SIDE = 28, MNIST_DIM = MNIST_SIDE * MNIST_SIDE, MNIST_CLASSES = 10 };

void nvm_dataset_free(nvm_dataset *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* Finds and reads one IDX file of the split. */
static int read_idx(const char *dir, const char *name, int ndims, nvm_idx *idx, nvm_file_info *info,
                    nvm_err *e)
{
    char path[1024];
    uint64_t size;
    int rc = nvm_data_find(dir, "mnist", name, 1, NVM_DATA_MAX_FILE, path, &size, e);
    if (rc)
        return rc;
    return nvm_idx_read(path, ndims, idx, info, e);
}

/* Loads one split: images and labels files, the first `limit` samples (0 = all). info[0..1] are filled. */
static int load_split(const char *dir, const char *img_name, const char *lbl_name, int limit,
                      nvm_dataset *d, nvm_file_info info[2], nvm_err *e)
{
    nvm_idx img, lbl;
    memset(&lbl, 0, sizeof lbl);
    int rc = read_idx(dir, img_name, 3, &img, &info[0], e);
    if (rc)
        return rc;
    if (img.dims[1] != MNIST_SIDE || img.dims[2] != MNIST_SIDE) {
        rc = nvm_fail(e, NVM_EDATA, "%s: images are %ux%u, expected 28x28 (MNIST)", info[0].path,
                      (unsigned)img.dims[1], (unsigned)img.dims[2]);
        goto done;
    }
    if ((rc = read_idx(dir, lbl_name, 1, &lbl, &info[1], e)) != NVM_OK)
        goto done;
    if ((rc = nvm_idx_check_labels(&lbl, MNIST_CLASSES, info[1].path, e)) != NVM_OK)
        goto done;
    if (lbl.count != img.count) {
        rc = nvm_fail(e, NVM_EDATA, "%s: %zu labels, but %s has %zu images", info[1].path, lbl.count,
                      info[0].path, img.count);
        goto done;
    }

    size_t n = limit > 0 && (size_t)limit < img.count ? (size_t)limit : img.count;
    d->x = nvm_alloc_floats(n * MNIST_DIM);
    d->y = malloc(n);
    if (!d->x || !d->y) {
        nvm_dataset_free(d);
        rc = nvm_fail(e, NVM_ERUNTIME, "%s: out of memory for %zu images", info[0].path, n);
        goto done;
    }
    /* Table so every pixel gets exactly byte/255.0f, without a division per pixel. */
    float scale[256];
    for (int b = 0; b < 256; b++)
        scale[b] = (float)b / 255.0f;
    for (size_t i = 0; i < n * MNIST_DIM; i++)
        d->x[i] = scale[img.data[i]];
    memcpy(d->y, lbl.data, n);
    d->n = (int)n;
    d->norm_sd[0] = 1.0;
    d->c = 1;
    d->h = d->w = MNIST_SIDE;
    d->dim = MNIST_DIM;
    d->classes = MNIST_CLASSES;
done:
    nvm_idx_free(&img);
    nvm_idx_free(&lbl);
    return rc;
}

int nvm_mnist_load(const char *dir, int train_limit, int test_limit, nvm_dataset *train,
                   nvm_dataset *test, nvm_file_info files[4], nvm_err *e)
{
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    nvm_file_info local[4];
    nvm_file_info *info = files ? files : local;
    memset(info, 0, 4 * sizeof *info);
    if (train_limit < 0 || test_limit < 0)
        return nvm_fail(e, NVM_EUSAGE, "MNIST sample limit %d is negative (0 means all)",
                        train_limit < 0 ? train_limit : test_limit);

    int rc = load_split(dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", train_limit, train,
                        info, e);
    if (rc == NVM_OK)
        rc = load_split(dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", test_limit, test,
                        info + 2, e);
    if (rc) {
        nvm_dataset_free(train);
        nvm_dataset_free(test);
    }
    return rc;
}
