/* Persistent thread pool. The caller of nvm_pool_run is worker 0 and helpers 1..n-1 wait for work,
 * spinning briefly (consecutive GEMMs of a mini-batch follow each other within microseconds) and then
 * sleeping on a condition variable so that an idle pool costs no CPU.
 *
 * Tasks are claimed from one 64-bit atomic word: generation << 32 | next task index. Claiming is a
 * compare-and-swap that also checks the generation, so a helper that wakes up late for a finished run
 * can never claim (or run with the wrong fn) a task of the next one; nvm_pool_run therefore only has
 * to wait until every task of its own run has completed, never for sleeping helpers. A run takes two
 * generations: the first closes the previous run (no task claimable) before fn/ctx/ntasks change. */
#define _POSIX_C_SOURCE 200809L
#include "nvmsim/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long an idle helper (or the waiting caller) spins before sleeping, in nanoseconds. */
#define SPIN_NS 200000

struct nvm_pool {
    /* The two words every task touches get a cache line each, apart from the read-mostly fields. */
    _Alignas(64) _Atomic uint64_t work;   /* generation << 32 | next task index */
    _Alignas(64) _Atomic int completed;   /* tasks of the current run finished */
    _Alignas(64) _Atomic(nvm_task_fn) fn; /* the current run's job, published by the release store of */
    _Atomic(void *) ctx;                  /* work; atomic only because a late helper may read them while */
    _Atomic int ntasks;                   /* the next run writes them (its claim then fails) */
    _Atomic int stop;
    _Atomic int sleepers;                 /* helpers blocked on wake */
    _Atomic int caller_waiting;           /* the caller is blocked on done */
    int nthreads;
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
};

typedef struct {
    nvm_pool *pool;
    int id;
} helper_arg;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Claims and runs tasks of the run published as v until none are left (or a newer run appears). */
static void run_tasks(nvm_pool *p, uint64_t v, int worker)
{
    uint32_t gen = (uint32_t)(v >> 32);
    nvm_task_fn fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
    void *ctx = atomic_load_explicit(&p->ctx, memory_order_relaxed);
    uint32_t n = (uint32_t)atomic_load_explicit(&p->ntasks, memory_order_relaxed);
    for (;;) {
        if ((uint32_t)(v >> 32) != gen || (uint32_t)v >= n)
            return;
        /* Success proves the run is still going (this task was unclaimed), so fn/ctx/n were its own. */
        if (atomic_compare_exchange_weak_explicit(&p->work, &v, v + 1, memory_order_acquire,
                                                  memory_order_acquire)) {
            fn(ctx, (int)(uint32_t)v, worker);
            int c = atomic_fetch_add(&p->completed, 1) + 1;   /* seq_cst: pairs with caller_waiting */
            if (c == (int)n && atomic_load(&p->caller_waiting)) {
                pthread_mutex_lock(&p->mu);
                pthread_cond_signal(&p->done);
                pthread_mutex_unlock(&p->mu);
            }
            v = atomic_load_explicit(&p->work, memory_order_acquire);
        }
    }
}

static void *helper_main(void *arg)
{
    nvm_pool *p = ((helper_arg *)arg)->pool;
    int id = ((helper_arg *)arg)->id;
    free(arg);
    uint32_t seen = 0;   /* generation already served (runs start at generation 1) */
    for (;;) {
        uint64_t v = atomic_load_explicit(&p->work, memory_order_acquire);
        if ((uint32_t)(v >> 32) == seen) {
            int64_t t0 = now_ns();
            for (int i = 1;; i++) {
                v = atomic_load_explicit(&p->work, memory_order_acquire);
                if ((uint32_t)(v >> 32) != seen || atomic_load(&p->stop))
                    break;
                cpu_relax();
                if (i % 256 == 0 && now_ns() - t0 > SPIN_NS) {
                    pthread_mutex_lock(&p->mu);
                    atomic_fetch_add(&p->sleepers, 1);
                    while ((uint32_t)(atomic_load(&p->work) >> 32) == seen && !atomic_load(&p->stop))
                        pthread_cond_wait(&p->wake, &p->mu);
                    atomic_fetch_sub(&p->sleepers, 1);
                    pthread_mutex_unlock(&p->mu);
                }
            }
        }
        if (atomic_load(&p->stop))
            return NULL;
        v = atomic_load_explicit(&p->work, memory_order_acquire);
        seen = (uint32_t)(v >> 32);
        run_tasks(p, v, id);
    }
}

nvm_pool *nvm_pool_new(int nthreads)
{
    if (nthreads < 1)
        nthreads = 1;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(nvm_pool)) != 0)   /* the cache-line alignment above */
        return NULL;
    nvm_pool *p = memset(mem, 0, sizeof(nvm_pool));
    p->nthreads = nthreads;
    atomic_init(&p->work, 0);
    atomic_init(&p->fn, NULL);
    atomic_init(&p->ctx, NULL);
    atomic_init(&p->ntasks, 0);
    atomic_init(&p->completed, 0);
    atomic_init(&p->stop, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->caller_waiting, 0);
    p->threads = calloc((size_t)nthreads, sizeof *p->threads);
    if (!p->threads || pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p->threads);
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 1; i < nthreads; i++) {
        helper_arg *a = malloc(sizeof *a);
        if (a) {
            a->pool = p;
            a->id = i;
        }
        if (!a || pthread_create(&p->threads[i], NULL, helper_main, a) != 0) {
            free(a);
            p->nthreads = i;   /* nvm_pool_free joins the i-1 helpers started so far */
            nvm_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void nvm_pool_free(nvm_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    atomic_store(&pool->stop, 1);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 1; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->mu);
    free(pool->threads);
    free(pool);
}

int nvm_pool_size(const nvm_pool *pool)
{
    return pool ? pool->nthreads : 1;
}

void nvm_pool_run(nvm_pool *pool, int ntasks, nvm_task_fn fn, void *ctx)
{
    if (ntasks <= 0)
        return;
    if (!pool || pool->nthreads == 1 || ntasks == 1) {
        for (int t = 0; t < ntasks; t++)
            fn(ctx, t, 0);
        return;
    }
    nvm_pool *p = pool;
    uint64_t gen = (atomic_load_explicit(&p->work, memory_order_relaxed) >> 32) + 1;
    if ((uint32_t)gen == 0 || (uint32_t)(gen + 1) == 0)
        gen = 1;   /* generation 0 means "nothing published yet" to a fresh helper */
    /* Close the previous run before its fn/ctx/ntasks are overwritten: a helper still holding a task
     * word of it (it lost a claim race) could otherwise read the new ntasks, see the old run's
     * exhausted index as claimable, win a CAS on the old generation and run a task of the new run
     * with its index shifted (a task twice, the completion count off). After this store every claim
     * on an older generation fails, and one on this closed generation sees no task (index ≥ any n). */
    atomic_store(&p->work, (uint64_t)(uint32_t)gen << 32 | UINT32_MAX);
    gen++;
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&p->ntasks, ntasks, memory_order_relaxed);
    atomic_store_explicit(&p->completed, 0, memory_order_relaxed);
    uint64_t v = (uint64_t)(uint32_t)gen << 32;
    atomic_store(&p->work, v);   /* seq_cst: ordered before the sleepers check below */
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->mu);
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    }
    run_tasks(p, v, 0);

    /* Wait for tasks still running on helpers: spin first, then sleep until the last one signals. */
    int64_t t0 = now_ns();
    for (int i = 1; atomic_load_explicit(&p->completed, memory_order_acquire) < ntasks; i++) {
        cpu_relax();
        if (i % 256 == 0 && now_ns() - t0 > SPIN_NS) {
            pthread_mutex_lock(&p->mu);
            atomic_store(&p->caller_waiting, 1);
            while (atomic_load(&p->completed) < ntasks)
                pthread_cond_wait(&p->done, &p->mu);
            atomic_store(&p->caller_waiting, 0);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

int nvm_online_cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
}
