/* Splitting the layer code that is not a GEMM (im2col, col2im, pooling, activations) across the pool. */
#include "layers.h"

typedef struct {
    size_t n, chunk;
    nvm_range_fn *fn;
    void *ctx;
} chunk_job;

static void chunk_task(void *ctx, int task, int worker)
{
    (void)worker;
    const chunk_job *j = ctx;
    size_t i0 = (size_t)task * j->chunk, i1 = i0 + j->chunk < j->n ? i0 + j->chunk : j->n;
    j->fn(j->ctx, i0, i1);
}

void nvm_for_chunks(nvm_compute *cx, size_t n, size_t chunk, nvm_range_fn *fn, void *ctx)
{
    if (n == 0)
        return;
    if (chunk < 1)
        chunk = 1;
    size_t tasks = (n + chunk - 1) / chunk;
    if (tasks == 1 || tasks > 1u << 30) {   /* one piece: no hand-over at all */
        fn(ctx, 0, n);
        return;
    }
    chunk_job j = {n, chunk, fn, ctx};
    nvm_pool_run(nvm_compute_pool(cx), (int)tasks, chunk_task, &j);
}

size_t nvm_image_chunk(size_t floats_per_image)
{
    size_t per = floats_per_image ? 32768 / floats_per_image : 1;
    return per < 1 ? 1 : per;
}
