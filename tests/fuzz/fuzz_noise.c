/* libFuzzer target: --noise values (nvm_noise_parse_list, nvm_noise_parse) and the names written back. */
#include "fuzz_common.h"

#include "nvmsim/noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    nvm_noise *list = NULL, one;
    int n = -1;
    nvm_err e = {{0}};
    int rc = nvm_noise_parse_list(s, &list, &n, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK) {
        FUZZ_ASSERT(n >= 1 && n <= 64);
        for (int i = 0; i < n; i++) {
            FUZZ_ASSERT(list[i].bits >= 0 && list[i].bits <= 8);
            char name[16];
            nvm_noise_name(&list[i], name);
            /* A name reads back as the same model. */
            FUZZ_ASSERT(nvm_noise_parse(name, &one, &e) == NVM_OK && one.bits == list[i].bits);
        }
        free(list);
    }
    rc = nvm_noise_parse(s, &one, &e);
    fuzz_check_error(rc, &e);
    free(s);
    return 0;
}
