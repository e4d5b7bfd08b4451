/* A persistent pool of worker threads that run numbered tasks. */
#ifndef NVMSIM_POOL_H
#define NVMSIM_POOL_H

typedef struct nvm_pool nvm_pool;

/* Task body: task in [0, ntasks), worker in [0, nvm_pool_size(pool)) identifies the running thread
 * (the caller of nvm_pool_run is worker 0), so tasks can use per-worker scratch without locks. */
typedef void (*nvm_task_fn)(void *ctx, int task, int worker);

/* Starts nthreads-1 helper threads (the caller is the nth). NULL if threads cannot be created. */
nvm_pool *nvm_pool_new(int nthreads);
void nvm_pool_free(nvm_pool *pool);
int nvm_pool_size(const nvm_pool *pool);   /* 1 for a NULL pool */

/* Runs fn for every task and returns when all are done. Which worker runs which task varies, so results
 * must depend only on the task index. A NULL pool runs tasks in order on the caller. Not reentrant:
 * a task must not call nvm_pool_run on the same pool. */
void nvm_pool_run(nvm_pool *pool, int ntasks, nvm_task_fn fn, void *ctx);

/* Number of online CPU cores (at least 1). */
int nvm_online_cores(void);

#endif
