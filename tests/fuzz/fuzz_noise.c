/* libFuzzer target: --noise values (nvm_noise_parse_list, nvm_noise_parse), --train-noise specs
 * (nvm_train_noise_parse) and the names written back: a name reads back as the same model and level,
 * and a recipe's text fits the model file's field as printable text. */
#include "fuzz_common.h"

#include <math.h>

#include "nvmsim/noise.h"
#include "nvmsim/train.h"

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
    nvm_train_noise tn = {NVM_TNOISE_NONE, 0, 1}, back = {NVM_TNOISE_NONE, 0, 0};
    rc = nvm_train_noise_parse(s, &tn, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK) {
        FUZZ_ASSERT(tn.model >= NVM_TNOISE_NONE && tn.model <= NVM_TNOISE_FAULTS && tn.biases == 1);
        FUZZ_ASSERT(isfinite(tn.level) && tn.level >= 0 && tn.level <= (tn.model == NVM_TNOISE_FAULTS ? 1 : 10));
        char name[32], text[NVM_RECIPE_LEN];
        nvm_train_noise_name(&tn, name);
        FUZZ_ASSERT(nvm_train_noise_parse(name, &back, &e) == NVM_OK && back.model == tn.model &&
                    back.level == tn.level);
        for (int init = 0; init < 2; init++) {
            nvm_recipe r = {(nvm_init)init, tn};
            nvm_recipe_text(&r, text);
            size_t len = strlen(text);
            FUZZ_ASSERT(len > 0 && len < NVM_RECIPE_LEN && strstr(text, name));
            for (size_t i = 0; i < len; i++)
                FUZZ_ASSERT(text[i] >= 0x20 && text[i] < 0x7f);
        }
    }
    free(s);
    return 0;
}
