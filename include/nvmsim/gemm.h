/* Single-precision GEMM: one blocked, register-tiled kernel with AVX-512 / AVX2 / plain-C paths chosen at
 * run time, plus a plain reference kept for tests. Row-major throughout. */
#ifndef NVMSIM_GEMM_H
#define NVMSIM_GEMM_H

#include "nvmsim/pool.h"

typedef enum { NVM_ISA_GENERIC = 0, NVM_ISA_AVX2 = 1, NVM_ISA_AVX512 = 2 } nvm_isa;

/* Best ISA this CPU supports; the environment variable NVMSIM_ISA=generic|avx2|avx512 can lower it
 * (never raise it above what the CPU has). */
nvm_isa nvm_isa_detect(void);
const char *nvm_isa_name(nvm_isa isa);

/* Everything a GEMM call needs besides its operands: the kernel, an optional thread pool and packing
 * scratch for every worker, allocated once so that no call allocates. */
typedef struct nvm_compute nvm_compute;

/* pool may be NULL (single-threaded). NULL on allocation failure. */
nvm_compute *nvm_compute_new(nvm_isa isa, nvm_pool *pool);
void nvm_compute_free(nvm_compute *cx);
nvm_isa nvm_compute_isa(const nvm_compute *cx);
/* The pool the context was made with (NULL: single-threaded), for layer code that splits work too. */
nvm_pool *nvm_compute_pool(const nvm_compute *cx);

/* An optional log of the whole-data-set steps run on a context, for `nvmsim bench --sweep` (which
 * breaks a sweep cell down by it): every nvm_train, nvm_run_layers(_an, _linear) and nvm_accuracy(_an) call on
 * cx appends one entry while a log is set. Timing only: it changes no result. */
/* LINEAR: nvm_run_layers_linear, layers [0, last) whose layer 0 comes from cached pre-activations (no
 * layer-0 GEMM); x is the data set those are of. PREACT: layer 0's pre-activations alone (a sweep
 * cell's P1 of a chip under --alpha-gemm linear; first = 0, last = 1). */
typedef enum { NVM_STEP_LAYERS, NVM_STEP_TRAIN, NVM_STEP_ACCURACY, NVM_STEP_LINEAR, NVM_STEP_PREACT } nvm_step_kind;
typedef struct {
    nvm_step_kind kind;
    int first, last, n;      /* layers [first, last) on n samples (TRAIN: first = its first trained layer) */
    const float *x;          /* the input rows the step read */
    double seconds, cpu;     /* wall clock, and CPU time of the calling thread */
} nvm_step;
#define NVM_STEP_LOG_MAX 64
typedef struct {
    int n, dropped;          /* entries kept; calls beyond NVM_STEP_LOG_MAX (counted, not kept) */
    nvm_step step[NVM_STEP_LOG_MAX];
} nvm_step_log;
/* log NULL: off (the default). The caller owns log and clears it (n = dropped = 0) when it likes. */
void nvm_compute_set_log(nvm_compute *cx, nvm_step_log *log);
/* Appends a step that started at wall time t0 and thread CPU time c0 (nothing if no log is set). */
void nvm_compute_log_step(nvm_compute *cx, nvm_step_kind kind, int first, int last, int n, const float *x,
                          double t0, double c0);
/* Whether a log is set (callers skip the clock reads otherwise). */
int nvm_compute_logging(const nvm_compute *cx);

/* C[M×N] = beta·C + op(A)·op(B), op(A) M×K, op(B) K×N.
 * A is M×K (lda ≥ K), or K×M (lda ≥ M) when ta; B is K×N (ldb ≥ N), or N×K (ldb ≥ K) when tb.
 * beta is 0 or 1 (beta = 0 never reads C, so C may hold garbage or NaN).
 * Every C element is accumulated over k in a fixed order that does not depend on M, N, the thread
 * count or the ISA path's tiling, so results are identical for any --threads. */
void nvm_gemm(nvm_compute *cx, int ta, int tb, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);

/* nvm_gemm run whole on the calling thread with the scratch of pool worker `worker` (the worker argument of
 * a task of nvm_compute_pool(cx)), for GEMMs inside such tasks; the same bits as nvm_gemm. */
void nvm_gemm_worker(nvm_compute *cx, int worker, int ta, int tb, int M, int N, int K, const float *A, int lda,
                     const float *B, int ldb, float beta, float *C, int ldc);
/* C[M×N] = bias (the same N-vector in every row) + op(A)·op(B): the same bits as copying bias into every
 * row and calling nvm_gemm with beta = 1, without the pass over C (the chain of each element starts at
 * bias[j] in the registers). C is never read. relu: then C = C > 0 ? C : 0 element by element, applied to
 * the registers before they are stored (the same bits as a ReLU pass over C afterwards). */
void nvm_gemm_bias(nvm_compute *cx, int ta, int tb, int M, int N, int K, const float *A, int lda,
                   const float *B, int ldb, const float *bias, int relu, float *C, int ldc);

/* The im2col matrix of a stride-1 k×k convolution of in[B×H×W×C] (NHWC, zero padding pad) as a GEMM
 * operand that is never written out: row (b, oy, ox), column (ky, kx, c), OH = H + 2·pad − k + 1. The
 * GEMM packs each MR-row strip from the image as it goes (the image is L2-resident; a materialised
 * col is 2-9× larger and went to memory and back). */
typedef struct {
    const float *in;
    int B, H, W, C, k, pad, OH, OW;
} nvm_conv_src;

/* C[B·OH·OW × N] = bias + col·Wt (Wt[k·k·C × N]), then the ReLU if relu: the same bits as im2col followed
 * by nvm_gemm_bias. */
void nvm_gemm_conv(nvm_compute *cx, const nvm_conv_src *s, int N, const float *Wt, const float *bias, int relu,
                   float *C);
/* dW[k·k·C × N] += colᵀ·dout (dout[B·OH·OW × N]): the same bits as im2col followed by
 * nvm_gemm(ta = 1, beta = 1). */
void nvm_gemm_conv_wgrad(nvm_compute *cx, const nvm_conv_src *s, int N, const float *dout, float *dW);

/* Plain triple loop with the same contract (slow; the reference the fast paths are tested against). */
void nvm_gemm_ref(int ta, int tb, int M, int N, int K, const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc);

/* GFLOP/s of nvm_gemm on random op(A)[M×K]·op(B)[K×N] (beta = 0), timed over at least `seconds`. */
double nvm_gemm_bench(nvm_compute *cx, int ta, int tb, int M, int N, int K, double seconds);
/* Measured FMA throughput in GFLOP/s of `threads` threads running independent FMA chains on isa. */
double nvm_fma_peak(nvm_isa isa, int threads);
/* The same for the calling thread alone, timed by its CPU clock: the core's rate even on a busy machine
 * (where the wall clock also counts the time the thread waited for a core). */
double nvm_fma_peak_cpu(nvm_isa isa);

#endif
