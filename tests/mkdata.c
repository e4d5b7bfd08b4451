/* Writes small, learnable data sets in the MNIST (raw IDX) and CIFAR-10 (binary batch) formats for the
 * command-line tests:
 *   mkdata DIR N_TRAIN N_TEST   → DIR/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte
 *                                 DIR/cifar-10-batches-bin/data_batch_{1..5}.bin, test_batch.bin
 * Class c brightens a 6×6 square at a class-specific place a little, under strong noise, so that
 * accuracies are mid-range and move with alpha (an easy set would make the CSV comparisons vacuous). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void be32(FILE *f, unsigned v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};
    fwrite(b, 1, 4, f);
}

static int write_set(const char *dir, const char *prefix, int n, unsigned seed)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/mnist/%s-images-idx3-ubyte", dir, prefix);
    FILE *fi = fopen(path, "wb");
    snprintf(path, sizeof path, "%s/mnist/%s-labels-idx1-ubyte", dir, prefix);
    FILE *fl = fopen(path, "wb");
    if (!fi || !fl)
        return 1;
    be32(fi, 0x803), be32(fi, (unsigned)n), be32(fi, 28), be32(fi, 28);
    be32(fl, 0x801), be32(fl, (unsigned)n);
    unsigned x = seed;
    for (int i = 0; i < n; i++) {
        int c = i % 10, r0 = 3 + 8 * (c / 4), c0 = 3 + 6 * (c % 4);
        unsigned char img[784], label = (unsigned char)c;
        for (int p = 0; p < 784; p++) {
            x = x * 1664525u + 1013904223u;
            int r = p / 28, col = p % 28, on = r >= r0 && r < r0 + 6 && col >= c0 && col < c0 + 6;
            img[p] = (unsigned char)((x >> 25) + (on ? 45 : 0));   /* weak signal: accuracy well below 100 % */
        }
        fwrite(img, 1, 784, fi);
        fwrite(&label, 1, 1, fl);
    }
    int bad_fi = fclose(fi) != 0, bad_fl = fclose(fl) != 0;   /* both closed, whatever the first gives */
    return bad_fi || bad_fl;
}

/* n CIFAR records (label byte + R, G, B planes of 32×32): class c brightens a square in one plane. */
static int write_batch(const char *path, int n, unsigned seed)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    unsigned x = seed;
    for (int i = 0; i < n; i++) {
        int c = i % 10, plane = c % 3, r0 = 4 + 6 * (c / 3), c0 = 4 + 5 * (c % 4);
        unsigned char rec[3073];
        rec[0] = (unsigned char)c;
        for (int p = 0; p < 3072; p++) {
            x = x * 1664525u + 1013904223u;
            int pl = p / 1024, r = p % 1024 / 32, col = p % 32;
            int on = pl == plane && r >= r0 && r < r0 + 8 && col >= c0 && col < c0 + 8;
            rec[1 + p] = (unsigned char)((x >> 25) + (on ? 60 : 0));
        }
        fwrite(rec, 1, sizeof rec, f);
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: mkdata DIR N_TRAIN N_TEST\n");
        return 2;
    }
    char sub[1024], path[1100];
    int n_train = atoi(argv[2]), n_test = atoi(argv[3]), rc = 0;
    mkdir(argv[1], 0755);
    snprintf(sub, sizeof sub, "%s/mnist", argv[1]);
    mkdir(sub, 0755);
    rc |= write_set(argv[1], "train", n_train, 1) || write_set(argv[1], "t10k", n_test, 2);
    snprintf(sub, sizeof sub, "%s/cifar-10-batches-bin", argv[1]);
    mkdir(sub, 0755);
    for (int b = 1; b <= 5; b++) {
        snprintf(path, sizeof path, "%s/data_batch_%d.bin", sub, b);
        rc |= write_batch(path, n_train / 5, 10u + (unsigned)b);
    }
    snprintf(path, sizeof path, "%s/test_batch.bin", sub);
    rc |= write_batch(path, n_test, 3);
    return rc;
}
