/* libFuzzer target: --arch layer specs (nvm_arch_parse) for the input shapes the program uses and for
 * any shape a model file may declare, then nvm_arch_named / nvm_arch_detector as the sweep calls them.
 * Input: one mode byte, 8 shape bytes, then the spec string. Every accepted architecture must be
 * self-consistent, and small ones are run forward (fuzz_check_arch). */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned u16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    int h, w, c, classes;
    switch (data[0] & 3) {
    case 0: h = 28, w = 28, c = 1, classes = 10; break;   /* MNIST */
    case 1: h = 32, w = 32, c = 3, classes = 10; break;   /* CIFAR-10 */
    case 2: /* small shapes */
        h = 1 + data[1] % 40, w = 1 + data[2] % 40, c = 1 + data[3] % 16, classes = data[4] % 40;
        break;
    default: /* anything a model file may declare, and a little beyond (model.c caps at 4096/100000) */
        h = (int)(u16(data + 1) % 4200), w = (int)(u16(data + 3) % 4200);
        c = (int)((unsigned)data[5] << 16 | u16(data + 6)) % 110000, classes = (int)(data[8] * 400u);
        break;
    }
    char spec[256];
    size_t n = size - 9 < sizeof spec - 1 ? size - 9 : sizeof spec - 1;
    memcpy(spec, data + 9, n);
    spec[n] = '\0';

    nvm_arch a;
    nvm_err e = {{0}};
    int rc = nvm_arch_parse(&a, "cnn", spec, h, w, c, classes, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK) {
        fuzz_check_arch(&a);
        /* The sweep's fresh detector on these features. */
        nvm_arch d;
        int nd = data[1] % 3 == 0 ? 0 : data[2];
        rc = nvm_arch_detector(&d, nvm_arch_features(&a), nd, a.layers[0].act, classes, &e);
        fuzz_check_error(rc, &e);
    }
    /* The MLPs: the spec's leading number as N_FE. */
    int nfe = atoi(spec);
    rc = nvm_arch_named(&a, data[0] & 4 ? "mlp3" : "mlp2", NULL, nfe, h, w, c, classes, &e);
    fuzz_check_error(rc, &e);
    if (rc == NVM_OK)
        fuzz_check_arch(&a);
    return 0;
}
