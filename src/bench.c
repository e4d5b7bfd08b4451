/* nvmsim bench: training and inference speed on synthetic inputs, in the same form as
 * scripts/bench_torch.py prints PyTorch's, plus GEMM GFLOP/s against the measured FMA peak. */
#include "nvmsim/bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/session.h"

/* 12345.6 → "12,346" (the format scripts/bench_torch.py uses) */
static void thousands(double v, char out[32])
{
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t n = strlen(digits), k = 0;
    for (size_t i = 0; i < n; i++) {
        out[k++] = digits[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n)
            out[k++] = ',';
    }
    out[k] = '\0';
}

/* ta/tb: the weight gradient (inᵀ·dout) and input gradient (dout·Wᵀ) forms of the backward pass */
static void gemm_line(nvm_compute *cx, int ta, int tb, int M, int N, int K, double peak, int threads)
{
    double g = nvm_gemm_bench(cx, ta, tb, M, N, K, 0.3);
    printf("nvmsim gemm %s%dx%dx%d: %.1f GFLOP/s (%.0f %% of the %.0f GFLOP/s FMA peak, %d thread%s)\n",
           ta ? "At·B " : tb ? "A·Bt " : "", M, N, K, g, 100 * g / peak, peak, threads, threads > 1 ? "s" : "");
}

int nvm_cmd_bench(const nvm_args *a, nvm_err *e)
{
    nvm_net_choice n;
    nvm_train_opts o;
    nvm_arch arch;
    int rc, nfe, threads, images;
    if (nvm_arg(a, "--sweep") && nvm_arg(a, "--images"))
        return nvm_fail(e, NVM_EUSAGE, "--images sets the synthetic epoch; --sweep times cells on the data set: "
                        "drop one");
    if (nvm_arg(a, "--sweep"))
        return nvm_bench_sweep(a, e);
    static const char *SWEEP_ONLY[] = {"--cells", "--data", "--model", "--epochs"};
    for (size_t i = 0; i < sizeof SWEEP_ONLY / sizeof *SWEEP_ONLY; i++)
        if (nvm_arg(a, SWEEP_ONLY[i]))
            return nvm_fail(e, NVM_EUSAGE, "%s is for sweep cells (one training epoch is timed on synthetic inputs): "
                            "add --sweep", SWEEP_ONLY[i]);
    if ((rc = nvm_choose_net(a, &n, e)) || (rc = nvm_train_defaults(a, n.cifar, &o, e)) ||
        (rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) ||
        (rc = nvm_arg_int(a, "--threads", nvm_online_cores(), 1, 256, &threads, e)) ||
        (rc = nvm_arg_int(a, "--images", n.cifar ? 8192 : 60000, 256, 1000000, &images, e)) ||
        (rc = nvm_build_arch(&arch, &n, &nfe, n.cifar ? 32 : 28, n.cifar ? 32 : 28, n.cifar ? 3 : 1, 10, e)))
        return rc;
    const int epoch = n.cifar ? 50000 : 60000, dim = arch.layers[0].n_in;
    nvm_pool *pool = threads > 1 ? nvm_pool_new(threads) : NULL;
    nvm_isa isa = nvm_isa_detect();
    nvm_compute *cx = nvm_compute_new(isa, pool);
    float *x = nvm_alloc_floats((size_t)images * dim), *params = nvm_alloc_floats(arch.n_params);
    uint8_t *y = nvm_alloc((size_t)images, 1);
    nvm_work w = {0};
    if ((threads > 1 && !pool) || !cx || !x || !params || !y ||
        nvm_work_init(&w, &arch, 256) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory or threads for the benchmark");
        goto done;
    }
    nvm_stream s = nvm_stream_make(1, NVM_RNG_INIT, 99, 99);
    for (size_t i = 0; i < (size_t)images * dim; i++)
        x[i] = (float)nvm_uniform(&s, i);
    for (int i = 0; i < images; i++)
        y[i] = (uint8_t)(nvm_uniform(&s, (uint64_t)images * dim + i) * 10);
    nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, (uint32_t)nfe);
    nvm_arch_init(&arch, params, &init);
    printf("# nvmsim %s threads=%d batch=%d optim=%s isa=%s net=%s (%s)\n", NVMSIM_VERSION, threads,
           o.batch, o.optim == NVM_ADAM ? "adam" : "sgd", nvm_isa_name(isa), n.net, arch.spec);
    nvm_train_opts warm = o;
    warm.epochs = 1;
    nvm_stream sh = nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0);
    /* Warm-up on three batches, as scripts/bench_torch.py does, then one timed pass over all images. */
    if ((rc = nvm_train(&arch, params, 0, x, y, 3 * o.batch < images ? 3 * o.batch : images, &warm, sh,
                        cx, NULL, NULL, e)))
        goto done;
    double t0 = nvm_now();
    if ((rc = nvm_train(&arch, params, 0, x, y, images, &warm, sh, cx, NULL, NULL, e)))
        goto done;
    double dt = nvm_now() - t0;
    char rate[32];
    thousands(images / dt, rate);
    printf("nvmsim %s train: %.3f s/epoch (%s samples/s)\n", n.net, dt * epoch / images, rate);
    if (n.cifar) {
        t0 = nvm_now();
        nvm_accuracy(&arch, params, 0, x, y, images, &w, cx);
        thousands(images / (nvm_now() - t0), rate);
        printf("nvmsim cnn infer: %s images/s\n", rate);
    }
    double peak = nvm_fma_peak(isa, threads);
    if (n.cifar) {   /* the three convolutions' forward GEMMs at batch 64, then conv1-2's backward */
        gemm_line(cx, 0, 0, 64 * 900, 32, 27, peak, threads);
        gemm_line(cx, 0, 0, 64 * 169, 64, 288, peak, threads);
        gemm_line(cx, 0, 0, 64 * 16, 64, 576, peak, threads);
        gemm_line(cx, 1, 0, 27, 32, 64 * 900, peak, threads);
        gemm_line(cx, 1, 0, 288, 64, 64 * 169, peak, threads);
        gemm_line(cx, 0, 1, 64 * 169, 288, 64, peak, threads);
    } else {         /* a training step's forward GEMM, and feature extraction for a sweep */
        gemm_line(cx, 0, 0, o.batch, nfe, 784, peak, threads);
        gemm_line(cx, 0, 0, 4096, nfe, 784, peak, threads);
    }
done:
    nvm_work_free(&w);
    free(x);
    free(params);
    free(y);
    nvm_compute_free(cx);
    nvm_pool_free(pool);
    return rc;
}
