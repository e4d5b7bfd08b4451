/* What a data set is: known by its files' SHA-256, else named by the user or by its folder. A folder of
 * IDX files is not MNIST just because it has MNIST's file names. */
#include <stdio.h>
#include <string.h>

#include "nvmsim/data.h"

typedef struct {
    const char *name;
    const char *file;     /* base name as found (a set is known if every file read matches) */
    const char *sha256;
} known_file;

static const known_file KNOWN[] = {
    /* MNIST as distributed (gzip) and decompressed. */
    {"mnist", "train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
    {"mnist", "train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
    {"mnist", "t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
    {"mnist", "t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
    {"mnist", "train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"},
    {"mnist", "train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"},
    {"mnist", "t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"},
    {"mnist", "t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
    /* CIFAR-10 binary version; the test batch also in the class-interleaved order of some re-packed copies
     * (the same 10,000 images and labels, see data/SHA256SUMS and scripts/fetch_data.sh). */
    {"cifar10", "data_batch_1.bin", "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"},
    {"cifar10", "data_batch_2.bin", "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"},
    {"cifar10", "data_batch_3.bin", "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"},
    {"cifar10", "data_batch_4.bin", "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"},
    {"cifar10", "data_batch_5.bin", "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"},
    {"cifar10", "test_batch.bin", "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b"},
    {"cifar10", "test_batch.bin", "18cf04461dc65479d720ca1d4daf900d8c51f12f6d825013b71b6f578008cffb"},
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int known(const char *name, const nvm_file_info *f)
{
    for (size_t k = 0; k < sizeof KNOWN / sizeof KNOWN[0]; k++)
        if (strcmp(KNOWN[k].name, name) == 0 && strcmp(KNOWN[k].file, base_name(f->path)) == 0 &&
            strcmp(KNOWN[k].sha256, f->sha256) == 0)
            return 1;
    return 0;
}

/* out = s with every character outside [A-Za-z0-9._-] made '-', at most NVM_NAME_MAX characters. */
static void sanitize(const char *s, size_t n, char out[64])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < NVM_NAME_MAX; i++) {
        char c = s[i];
        int okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        out[k++] = okc ? c : '-';
    }
    out[k] = '\0';
}

void nvm_dataset_identify(const nvm_file_info *files, int n, int cifar, const char *user_name, char out[64])
{
    const char *want = cifar ? "cifar10" : "mnist";
    int all = 1, any = 0;
    for (int i = 0; i < n; i++)
        if (files[i].path[0]) {   /* CIFAR batches past --train-limit are not read */
            any = 1;
            all = all && known(want, &files[i]);
        }
    if (user_name) {
        sanitize(user_name, strlen(user_name), out);
        return;
    }
    if (any && all) {
        snprintf(out, 64, "%s", want);
        return;
    }
    /* The folder holding the files, or its parent when that is a standard sub-folder name. */
    const char *path = files[0].path, *end = strrchr(path, '/');
    if (!end) {
        snprintf(out, 64, "unnamed");
        return;
    }
    const char *start = end;
    while (start > path && start[-1] != '/')
        start--;
    size_t len = (size_t)(end - start);
    if ((len == 5 && strncmp(start, "mnist", 5) == 0) || (len == 20 && strncmp(start, "cifar-10-batches-bin", 20) == 0) ||
        (len == 1 && *start == '.')) {
        end = start > path ? start - 1 : start;
        start = end;
        while (start > path && start[-1] != '/')
            start--;
        len = (size_t)(end - start);
    }
    sanitize(start, len, out);
    /* Never the name of a known set it is not. */
    if (!out[0] || strcmp(out, "mnist") == 0 || strcmp(out, "cifar10") == 0 || strcmp(out, ".") == 0 ||
        strcmp(out, "..") == 0) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "%s", out);
        snprintf(out, 64, "%.8s-like", tmp[0] && tmp[0] != '.' ? tmp : want);
    }
}
