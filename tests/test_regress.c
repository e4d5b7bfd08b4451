/* Replays every fuzz seed (tests/fuzz/corpus/NAME/) and every input that once made a fuzz target fail
 * (tests/regress/NAME/) through the fuzz targets themselves, compiled into this ordinary test program:
 * each input must end in a documented error code with a one-line message, or in a self-consistent
 * result (the targets abort otherwise), and under `make test-asan` without a sanitizer report. */
#include "fuzz/fuzz_common.h"

#include <dirent.h>
#include <sys/stat.h>

#define LLVMFuzzerTestOneInput fuzz_one_arch
#include "fuzz/fuzz_arch.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_cifar
#include "fuzz/fuzz_cifar.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_gunzip
#include "fuzz/fuzz_gunzip.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_idx
#include "fuzz/fuzz_idx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_model
#include "fuzz/fuzz_model.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_noise
#include "fuzz/fuzz_noise.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_range
#include "fuzz/fuzz_range.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_one_shard
#include "fuzz/fuzz_shard.c"
#undef LLVMFuzzerTestOneInput

#include "check.h"

static const struct {
    const char *name;
    int (*one)(const uint8_t *, size_t);
} TARGETS[] = {{"arch", fuzz_one_arch},   {"cifar", fuzz_one_cifar}, {"gunzip", fuzz_one_gunzip},
               {"idx", fuzz_one_idx},     {"model", fuzz_one_model}, {"noise", fuzz_one_noise},
               {"range", fuzz_one_range}, {"shard", fuzz_one_shard}};

/* Runs every regular file in dir through one; returns how many there were (-1: no such directory). */
static int replay(const char *dir, int (*one)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int count = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        char path[1024];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (ent->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        FILE *f = fopen(path, "rb");
        uint8_t *buf = malloc((size_t)st.st_size + 1);
        size_t n = f && buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        CHECK(f && buf && n == (size_t)st.st_size);
        if (f)
            fclose(f);
        if (buf && n == (size_t)st.st_size) {
            int rc = one(buf, n);   /* aborts, with the invariant that failed, on a violation */
            CHECK(rc == 0);
            count++;
        }
        free(buf);
    }
    closedir(d);
    return count;
}

int main(void)
{
    int seeds = 0, regressions = 0;
    for (size_t t = 0; t < sizeof TARGETS / sizeof TARGETS[0]; t++) {
        char dir[256];
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", TARGETS[t].name);
        int n = replay(dir, TARGETS[t].one);
        CHECK(n > 0);   /* every target has seeds (run from the top of the source tree) */
        if (n <= 0)
            fprintf(stderr, "test_regress: no seeds in %s\n", dir);
        seeds += n > 0 ? n : 0;
        snprintf(dir, sizeof dir, "tests/regress/%s", TARGETS[t].name);
        n = replay(dir, TARGETS[t].one);
        regressions += n > 0 ? n : 0;
    }
    fprintf(stderr, "test_regress: %d fuzz seeds and %d fuzz regressions replayed\n", seeds, regressions);
    return check_report("regress");
}
