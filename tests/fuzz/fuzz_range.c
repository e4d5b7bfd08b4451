/* libFuzzer target: command-line numbers, lists and START:STOP:STEP ranges (nvm_parse_range,
 * nvm_parse_int_list, nvm_parse_int, nvm_parse_double, nvm_parse_u64) and nvm_format_double. The first
 * byte picks the bounds: the ones the program uses (--alpha 0..1000, --nfe 1..100000, --nd 0..100000)
 * or extreme ones. */
#include "fuzz_common.h"

#include <math.h>

#include "nvmsim/cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const double DBOUNDS[][2] = {{0, 1000}, {0, 1}, {-1e300, 1e300}, {1e-9, 100}, {-5, -5}};
static const long IBOUNDS[][2] = {{1, 100000}, {0, 100000}, {1, 65535}, {-2147483647L, 2147483647L}, {3, 3}};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const double *db = DBOUNDS[data[0] % 5];
    const long *ib = IBOUNDS[(data[0] >> 3) % 5];
    char *s = malloc(size);
    if (!s)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    nvm_err e = {{0}};

    double *vals = NULL;
    int n = -1;
    int rc = nvm_parse_range("--alpha", s, db[0], db[1], &vals, &n, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK) {
        FUZZ_ASSERT(n >= 1 && n <= NVM_MAX_LIST);
        double slack = 1e-9 * (fabs(db[0]) + fabs(db[1]) + 1);
        for (int i = 0; i < n; i++) {
            FUZZ_ASSERT(isfinite(vals[i]) && vals[i] >= db[0] - slack && vals[i] <= db[1] + slack);
            char buf[32];
            nvm_format_double(vals[i], buf);
            FUZZ_ASSERT(strtod(buf, NULL) == vals[i]);
        }
        free(vals);
    }

    int *ivals = NULL;
    rc = nvm_parse_int_list("--nfe", s, ib[0], ib[1], &ivals, &n, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK) {
        FUZZ_ASSERT(n >= 1 && n <= NVM_MAX_LIST);
        for (int i = 0; i < n; i++)
            FUZZ_ASSERT(ivals[i] >= ib[0] && ivals[i] <= ib[1]);
        free(ivals);
    }

    long l;
    rc = nvm_parse_int("--runs", s, ib[0], ib[1], &l, &e);
    fuzz_check_error(rc, &e);
    FUZZ_ASSERT(rc != NVM_OK || (l >= ib[0] && l <= ib[1]));
    double d;
    rc = nvm_parse_double("--lr", s, db[0], db[1], &d, &e);
    fuzz_check_error(rc, &e);
    FUZZ_ASSERT(rc != NVM_OK || (isfinite(d) && d >= db[0] && d <= db[1]));
    uint64_t u;
    rc = nvm_parse_u64("--seed", s, &u, &e);
    fuzz_check_error(rc, &e);
    free(s);
    return 0;
}
