/* GEMM against the reference for every ISA path this CPU has, bit-identity across thread counts,
 * and the thread pool on its own. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "nvmsim/common.h"
#include "nvmsim/gemm.h"
#include "nvmsim/pool.h"

static uint32_t rng_state = 2463534242u;
static float frand(void)   /* uniform in [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) * 0x1p-23f - 1.0f;
}

typedef struct {
    int ta, tb, M, N, K, pad;   /* pad: extra leading-dimension slack for A, B and C */
} shape;

typedef struct {
    int lda, ldb, ldc;
    size_t na, nb, nc;
    float *A, *B, *C0;          /* operands and the initial C (NaN where beta = 0 must not read) */
} operands;

static void make_operands(operands *o, const shape *s, float beta)
{
    o->lda = (s->ta ? s->M : s->K) + s->pad;
    o->ldb = (s->tb ? s->K : s->N) + s->pad;
    o->ldc = s->N + s->pad;
    o->na = (size_t)(s->ta ? s->K : s->M) * o->lda;
    o->nb = (size_t)(s->tb ? s->N : s->K) * o->ldb;
    o->nc = (size_t)s->M * o->ldc;
    /* Exact sizes from malloc (not rounded up), so ASan/valgrind catch any read past the end. */
    o->A = malloc((o->na ? o->na : 1) * sizeof(float));
    o->B = malloc((o->nb ? o->nb : 1) * sizeof(float));
    o->C0 = malloc((o->nc ? o->nc : 1) * sizeof(float));
    for (size_t i = 0; i < o->na; i++)
        o->A[i] = frand();
    for (size_t i = 0; i < o->nb; i++)
        o->B[i] = frand();
    for (size_t i = 0; i < o->nc; i++)
        o->C0[i] = beta == 0.0f ? NAN : frand();
}

static void free_operands(operands *o)
{
    free(o->A);
    free(o->B);
    free(o->C0);
}

static float *run(nvm_compute *cx, const shape *s, const operands *o, float beta)
{
    float *C = malloc((o->nc ? o->nc : 1) * sizeof(float));
    memcpy(C, o->C0, o->nc * sizeof(float));
    if (cx)
        nvm_gemm(cx, s->ta, s->tb, s->M, s->N, s->K, o->A, o->lda, o->B, o->ldb, beta, C, o->ldc);
    else
        nvm_gemm_ref(s->ta, s->tb, s->M, s->N, s->K, o->A, o->lda, o->B, o->ldb, beta, C, o->ldc);
    return C;
}

/* op(A)(i, k) and op(B)(k, j) of the operands. */
static float op_a(const shape *s, const operands *o, int i, int k)
{
    return s->ta ? o->A[(size_t)k * o->lda + i] : o->A[(size_t)i * o->lda + k];
}

static float op_b(const shape *s, const operands *o, int k, int j)
{
    return s->tb ? o->B[(size_t)j * o->ldb + k] : o->B[(size_t)k * o->ldb + j];
}

/* Allowed error per element: 1e-5·(K+1)·(|beta·c| + Σ_k |a·b|), so the bound follows the magnitudes summed. */
static double *tolerances(const shape *s, const operands *o, float beta)
{
    double *T = malloc((o->nc ? o->nc : 1) * sizeof(double));
    for (int i = 0; i < s->M; i++)
        for (int j = 0; j < s->N; j++) {
            size_t at = (size_t)i * o->ldc + j;
            double mag = beta == 0.0f ? 0.0 : fabs(o->C0[at]);
            for (int k = 0; k < s->K; k++)
                mag += fabs((double)op_a(s, o, i, k) * op_b(s, o, k, j));
            T[at] = 1e-5 * (s->K + 1) * mag;
        }
    return T;
}

/* C within T of the reference R, and the padding columns of C untouched. Returns 1 if all good (one
 * CHECK per call, not per element). */
static int close_to_ref(const shape *s, const operands *o, float beta, const float *C, const float *R,
                        const double *T)
{
    for (int i = 0; i < s->M; i++)
        for (int j = 0; j < o->ldc; j++) {
            size_t at = (size_t)i * o->ldc + j;
            int ok = j >= s->N ? memcmp(&C[at], &o->C0[at], sizeof(float)) == 0
                               : isfinite(C[at]) && fabs((double)C[at] - R[at]) <= T[at];
            if (!ok) {
                fprintf(stderr, "  ta=%d tb=%d %dx%dx%d beta=%g: C[%d,%d] = %.9g, ref %.9g\n", s->ta, s->tb,
                        s->M, s->N, s->K, beta, i, j, C[at], R[at]);
                return 0;
            }
        }
    return 1;
}

/* The FMA paths' contract, computed plainly: C[i][j] = fmaf chain over k ascending from beta·C (0 or C). */
static float *run_fma_chain(const shape *s, const operands *o, float beta)
{
    float *C = malloc((o->nc ? o->nc : 1) * sizeof(float));
    memcpy(C, o->C0, o->nc * sizeof(float));
    for (int i = 0; i < s->M; i++)
        for (int j = 0; j < s->N; j++) {
            float acc = beta == 0.0f ? 0.0f : C[(size_t)i * o->ldc + j];
            for (int k = 0; k < s->K; k++)
                acc = fmaf(op_a(s, o, i, k), op_b(s, o, k, j), acc);
            C[(size_t)i * o->ldc + j] = acc;
        }
    return C;
}

static int same_bits(const float *x, const float *y, size_t n)
{
    return memcmp(x, y, n * sizeof(float)) == 0;
}

/* One compute context per ISA path this CPU has and per pool (none, 1, 2, 3 threads), reused for
 * every shape so that stale scratch from an earlier product would show up. */
enum { NPOOLS = 4 };
static nvm_compute *cxs[NVM_ISA_AVX512 + 1][NPOOLS];

/* Every ISA path against the reference; each path identical for every pool; AVX2 and AVX-512 identical
 * to a plain fmaf chain per element (so to each other, on any CPU that has one of them), generic
 * identical to the reference. */
static void test_shape(const shape *s)
{
    for (int b = 0; b < 2; b++) {
        float beta = (float)b;
        operands o;
        make_operands(&o, s, beta);
        float *R = run(NULL, s, &o, beta), *F = run_fma_chain(s, &o, beta);
        double *T = tolerances(s, &o, beta);
        for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
            float *C = run(cxs[isa][0], s, &o, beta);
            CHECK(close_to_ref(s, &o, beta, C, R, T));
            CHECK(same_bits(C, isa == NVM_ISA_GENERIC ? R : F, o.nc));
            for (int p = 1; p < NPOOLS; p++) {
                float *Cp = run(cxs[isa][p], s, &o, beta);
                CHECK(same_bits(C, Cp, o.nc));
                free(Cp);
            }
            free(C);
        }
        free(F);
        free(R);
        free(T);
        free_operands(&o);
    }
}

/* nvm_gemm_bias: the same bits as copying the bias into every row and accumulating with beta = 1, on
 * every ISA path and pool; the padding columns of C stay untouched. With relu: the same bits as that
 * followed by x > 0 ? x : 0 (act_forward's ReLU) on every element. */
static void test_bias(const shape *s)
{
    operands o;
    make_operands(&o, s, 1.0f);
    float *bias = malloc(((size_t)s->N + 1) * sizeof(float));
    for (int j = 0; j < s->N; j++)
        bias[j] = frand();
    for (int i = 0; i < s->M; i++)   /* the initial C of the reference: bias in every row */
        memcpy(o.C0 + (size_t)i * o.ldc, bias, (size_t)s->N * sizeof(float));
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
        float *R = run(cxs[isa][0], s, &o, 1.0f), *Rr = malloc((o.nc ? o.nc : 1) * sizeof(float));
        for (size_t i = 0; i < o.nc; i++)
            Rr[i] = (int)(i % (size_t)o.ldc) < s->N ? (R[i] > 0 ? R[i] : 0.0f) : R[i];
        for (int p = 0; p < NPOOLS; p++)
            for (int relu = 0; relu <= 1; relu++) {
                float *C = malloc((o.nc ? o.nc : 1) * sizeof(float));
                for (size_t i = 0; i < o.nc; i++)   /* garbage where the result goes, C0 in the padding */
                    C[i] = (int)(i % (size_t)o.ldc) < s->N ? NAN : o.C0[i];
                nvm_gemm_bias(cxs[isa][p], s->ta, s->tb, s->M, s->N, s->K, o.A, o.lda, o.B, o.ldb, bias, relu, C,
                              o.ldc);
                CHECK(same_bits(C, relu ? Rr : R, o.nc));
                free(C);
            }
        free(R);
        free(Rr);
    }
    free(bias);
    free_operands(&o);
}

static void test_gemm(void)
{
    nvm_pool *pools[NPOOLS] = {NULL, nvm_pool_new(1), nvm_pool_new(2), nvm_pool_new(3)};
    CHECK(pools[1] && pools[2] && pools[3]);
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++)
        for (int p = 0; p < NPOOLS; p++) {
            cxs[isa][p] = nvm_compute_new((nvm_isa)isa, pools[p]);
            CHECK(cxs[isa][p] != NULL && nvm_compute_isa(cxs[isa][p]) == (nvm_isa)isa);
            if (!cxs[isa][p])
                return;
        }
    static const int dims[] = {1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 33};
    int ndims = (int)(sizeof dims / sizeof *dims);
    /* Small shapes: every transpose combination, sizes around the tiles, with and without padding. */
    for (int t = 0; t < 4; t++)
        for (int i = 0; i < ndims; i += 2)
            for (int j = 0; j < ndims; j++)
                for (int k = 0; k < ndims; k += 4) {
                    shape s = {t & 1, t >> 1, dims[i], dims[j], dims[k], (i + j + k) % 3};
                    test_shape(&s);
                    test_bias(&s);
                }
    /* Larger shapes: several k blocks, many tasks, edges, and the project's GEMMs (scaled down where
     * the full size would be slow against the reference). */
    static const shape big[] = {
        {0, 0, 32, 100, 784, 0},  {1, 0, 784, 100, 32, 0},  {0, 1, 32, 784, 100, 0},
        {0, 0, 32, 10, 100, 0},   {1, 0, 100, 10, 32, 0},   {0, 1, 32, 100, 10, 0},
        {0, 0, 601, 100, 784, 3}, {0, 0, 577, 32, 27, 0},   {1, 0, 27, 32, 2311, 1},
        {0, 1, 577, 27, 32, 2},   {0, 0, 169, 64, 288, 0},  {1, 0, 288, 64, 169, 0},
        {0, 1, 169, 288, 64, 5},  {1, 1, 97, 257, 389, 4},  {0, 0, 1, 300, 1000, 0},
        {0, 1, 300, 1, 1000, 0},  {1, 1, 67, 71, 73, 1},    {0, 0, 259, 263, 769, 0},
    };
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        test_shape(&big[i]);
        test_bias(&big[i]);
    }
    shape k0 = {0, 0, 3, 5, 0, 1};   /* K = 0: C = bias */
    test_bias(&k0);

    /* K = 0: C = beta·C. M = 0 or N = 0: nothing touched. */
    nvm_compute *cx = cxs[nvm_isa_detect()][2];
    float c[4] = {NAN, NAN, NAN, NAN}, a[1] = {1}, bb[1] = {1};
    nvm_gemm(cx, 0, 0, 2, 2, 0, a, 1, bb, 2, 0.0f, c, 2);
    CHECK(c[0] == 0.0f && c[1] == 0.0f && c[2] == 0.0f && c[3] == 0.0f);
    c[0] = 5.0f;
    nvm_gemm(cx, 0, 0, 2, 2, 0, a, 1, bb, 2, 1.0f, c, 2);
    CHECK(c[0] == 5.0f && c[1] == 0.0f);
    c[0] = NAN;
    nvm_gemm(cx, 0, 0, 0, 2, 3, a, 3, bb, 2, 0.0f, c, 2);
    nvm_gemm(cx, 0, 0, 2, 0, 3, a, 3, bb, 2, 0.0f, c, 2);
    CHECK(isnan(c[0]));
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++)
        for (int p = 0; p < NPOOLS; p++)
            nvm_compute_free(cxs[isa][p]);
    for (int p = 0; p < NPOOLS; p++)
        nvm_pool_free(pools[p]);
}

static void test_isa(void)
{
    nvm_isa isa = nvm_isa_detect();
    CHECK(isa >= NVM_ISA_GENERIC && isa <= NVM_ISA_AVX512);
    CHECK(strcmp(nvm_isa_name(NVM_ISA_GENERIC), "generic") == 0);
    CHECK(strcmp(nvm_isa_name(NVM_ISA_AVX2), "avx2") == 0);
    CHECK(strcmp(nvm_isa_name(NVM_ISA_AVX512), "avx512") == 0);
    /* NVMSIM_ISA can lower the choice, never raise it. */
    const char *old = getenv("NVMSIM_ISA");
    char *saved = old ? strdup(old) : NULL;
    setenv("NVMSIM_ISA", "generic", 1);
    CHECK(nvm_isa_detect() == NVM_ISA_GENERIC);
    setenv("NVMSIM_ISA", "avx512", 1);
    nvm_isa raised = nvm_isa_detect();
    unsetenv("NVMSIM_ISA");
    CHECK(raised == nvm_isa_detect());
    if (saved)
        setenv("NVMSIM_ISA", saved, 1);
    free(saved);
    /* Asking for more than the CPU has gives what it has. */
    nvm_compute *cx = nvm_compute_new(NVM_ISA_AVX512, NULL);
    CHECK(cx && nvm_compute_isa(cx) <= NVM_ISA_AVX512);
    nvm_compute_free(cx);
    CHECK(nvm_online_cores() >= 1);
}

/* ---- pool ---- */

typedef struct {
    _Atomic int runs[1000];
    _Atomic long sum;
    int nworkers;
    _Atomic int bad_worker;
} pool_ctx;

static void count_task(void *ctx, int task, int worker)
{
    pool_ctx *p = ctx;
    atomic_fetch_add(&p->runs[task], 1);
    atomic_fetch_add(&p->sum, (long)task * task);
    if (worker < 0 || worker >= p->nworkers)
        atomic_store(&p->bad_worker, 1);
}

static void test_pool(void)
{
    CHECK(nvm_pool_size(NULL) == 1);
    for (int threads = 1; threads <= 4; threads++) {
        nvm_pool *pool = threads == 4 ? NULL : nvm_pool_new(threads);
        CHECK(threads == 4 || pool != NULL);
        CHECK(nvm_pool_size(pool) == (threads == 4 ? 1 : threads));
        static pool_ctx p;
        int all_once = 1, sums_ok = 1;
        for (int rep = 0; rep < 2000; rep++) {
            int n = rep % 100 == 1 ? 1000 : rep % 7 == 0 ? 0 : rep % 5 == 0 ? 1 : rep % 37;
            for (int t = 0; t < 1000; t++)
                atomic_store(&p.runs[t], 0);
            atomic_store(&p.sum, 0);
            atomic_store(&p.bad_worker, 0);
            p.nworkers = nvm_pool_size(pool);
            nvm_pool_run(pool, n, count_task, &p);
            long want = 0;
            for (int t = 0; t < 1000; t++) {
                all_once &= atomic_load(&p.runs[t]) == (t < n);
                want += t < n ? (long)t * t : 0;
            }
            sums_ok &= atomic_load(&p.sum) == want && !atomic_load(&p.bad_worker);
        }
        CHECK(all_once);
        CHECK(sums_ok);
        nvm_pool_free(pool);
    }
    /* Helpers that went to sleep wake up again. */
    nvm_pool *pool = nvm_pool_new(2);
    static pool_ctx p;
    p.nworkers = 2;
    struct timespec ms = {0, 2000000};
    for (int rep = 0; rep < 3; rep++) {
        nanosleep(&ms, NULL);
        atomic_store(&p.sum, 0);
        nvm_pool_run(pool, 100, count_task, &p);
        CHECK(atomic_load(&p.sum) == 328350);
    }
    nvm_pool_free(pool);
}

int main(void)
{
    test_isa();
    test_pool();
    test_gemm();
    return check_report("gemm");
}
