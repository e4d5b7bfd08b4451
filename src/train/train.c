/* The epoch loop (SGD with momentum over shuffled mini-batches) and batched evaluation. */
#include "nvmsim/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* One Adam update of n parameters. The expression is written once per form; the vector forms perform
 * the same IEEE operations in the same order 4 (SSE), 8 (AVX2) or 16 (AVX-512) lanes at a time (mul, add,
 * div and sqrt are correctly rounded either way, nothing is contracted), so all give identical bits.
 * gcc keeps the plain loop scalar (sqrtf may set errno). Wide vectors matter most when moments are
 * subnormal (sparse features: a moment decays by 0.9 per step of zero gradient), where every
 * instruction, not every lane, pays a microcode assist. */
#define ADAM_BODY(V, LD, ST, SET1, ADD, SUB, MUL, DIV, SQRT, W)                                        \
    const V b1 = SET1(0.9f), a1 = SET1(0.1f), b2 = SET1(0.999f), a2 = SET1(0.001f), vlr = SET1(lr),     \
            vc1 = SET1(c1), vc2 = SET1(c2), eps = SET1(1e-8f);                                          \
    size_t i = 0;                                                                                       \
    for (; i + (W) <= n; i += (W)) {                                                                    \
        V gi = LD(g + i);                                                                               \
        V mi = ADD(MUL(b1, LD(m + i)), MUL(a1, gi));                                                    \
        V vi = ADD(MUL(b2, LD(v + i)), MUL(MUL(a2, gi), gi));                                           \
        V step = DIV(MUL(vlr, DIV(mi, vc1)), ADD(SQRT(DIV(vi, vc2)), eps));                             \
        ST(m + i, mi);                                                                                  \
        ST(v + i, vi);                                                                                  \
        ST(p + i, SUB(LD(p + i), step));                                                                \
    }                                                                                                   \
    return i;

#if defined(__SSE2__)
static size_t adam_sse(float *p, const float *g, float *m, float *v, size_t n, float lr, float c1, float c2)
{
    ADAM_BODY(__m128, _mm_loadu_ps, _mm_storeu_ps, _mm_set1_ps, _mm_add_ps, _mm_sub_ps, _mm_mul_ps, _mm_div_ps,
              _mm_sqrt_ps, 4)
}

__attribute__((target("avx2"))) static size_t adam_avx2(float *p, const float *g, float *m, float *v, size_t n,
                                                        float lr, float c1, float c2)
{
    ADAM_BODY(__m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_add_ps, _mm256_sub_ps,
              _mm256_mul_ps, _mm256_div_ps, _mm256_sqrt_ps, 8)
}

__attribute__((target("avx512f"))) static size_t adam_avx512(float *p, const float *g, float *m, float *v, size_t n,
                                                            float lr, float c1, float c2)
{
    ADAM_BODY(__m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_add_ps, _mm512_sub_ps,
              _mm512_mul_ps, _mm512_div_ps, _mm512_sqrt_ps, 16)
}
#endif

void nvm_adam_step(nvm_isa isa, float *p, const float *g, float *m, float *v, size_t n, float lr, float c1, float c2)
{
    size_t i = 0;
#if defined(__SSE2__)
    i = isa == NVM_ISA_AVX512 ? adam_avx512(p, g, m, v, n, lr, c1, c2)
        : isa == NVM_ISA_AVX2 ? adam_avx2(p, g, m, v, n, lr, c1, c2) : adam_sse(p, g, m, v, n, lr, c1, c2);
#endif
    (void)isa;
    for (; i < n; i++) {   /* the tail, and the reference every vector form is tested against */
        m[i] = 0.9f * m[i] + 0.1f * g[i];
        v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
        p[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + 1e-8f);
    }
}

/* nvm_adam_step on cx's pool in chunks of ADAM_CHUNK parameters (each element on its own: the split changes
 * nothing); below two chunks, on the caller. */
#define ADAM_CHUNK 16384
typedef struct {
    nvm_isa isa;
    float *p, *m, *v;
    const float *g;
    size_t n;
    float lr, c1, c2;
} adam_job;

static void adam_task(void *ctx, int task, int worker)
{
    (void)worker;
    const adam_job *j = ctx;
    size_t i0 = (size_t)task * ADAM_CHUNK, n = j->n - i0 < ADAM_CHUNK ? j->n - i0 : ADAM_CHUNK;
    nvm_adam_step(j->isa, j->p + i0, j->g + i0, j->m + i0, j->v + i0, n, j->lr, j->c1, j->c2);
}

static void adam_pool(nvm_compute *cx, float *p, const float *g, float *m, float *v, size_t n, float lr, float c1,
                      float c2)
{
    adam_job j = {nvm_compute_isa(cx), p, m, v, g, n, lr, c1, c2};
    int tasks = (int)((n + ADAM_CHUNK - 1) / ADAM_CHUNK);
    if (tasks < 2)
        nvm_adam_step(j.isa, p, g, m, v, n, lr, c1, c2);
    else
        nvm_pool_run(nvm_compute_pool(cx), tasks, adam_task, &j);
}

/* Cosine decay from lr to lr/20 across the epochs: the last epochs fine-tune. */
static double epoch_lr(const nvm_train_opts *o, int epoch)
{
    double lo = o->lr / 20.0, t = o->epochs > 1 ? (double)epoch / (o->epochs - 1) : 0.0;
    return lo + 0.5 * (o->lr - lo) * (1.0 + cos(3.141592653589793 * t));
}

int nvm_train(const nvm_arch *a, float *params, int first, const float *x, const uint8_t *y, int n,
              const nvm_train_opts *o, nvm_stream shuffle, nvm_compute *cx, nvm_epoch_fn on_epoch,
              void *ctx, nvm_err *e)
{
    const int L = a->n_layers, in = a->layers[first].n_in, C = a->classes;
    const size_t lo = nvm_arch_param_offset(a, first), np = a->n_params - lo;   /* the trained slice */
    nvm_work w = {0};
    /* Optimiser state has its own blocks, in the parameter layout: SGD velocity, or Adam's moments. */
    float *grads = nvm_alloc_floats(a->n_params), *vel = nvm_alloc_floats(a->n_params);
    float *sq = o->optim == NVM_ADAM ? nvm_alloc_floats(a->n_params) : NULL;
    int *perm = nvm_alloc((size_t)n, sizeof *perm);
    uint8_t *yb = nvm_alloc((size_t)o->batch, 1);
    /* Train noise: every mini-batch runs forward and backward on its own noisy copy of the block (one
     * buffer for the whole run); the gradients update the clean parameters (straight-through). */
    const nvm_train_noise *tn = &o->recipe.noise;
    const int noisy = tn->model != NVM_TNOISE_NONE && first < a->fe_layers;
    float *noisy_params = noisy ? nvm_alloc_floats(a->n_params) : NULL;
    const float *run = noisy ? noisy_params : params;   /* what the passes compute with */
    const uint64_t batches = n > 0 ? ((uint64_t)n + (uint64_t)o->batch - 1) / (uint64_t)o->batch : 0;
    int rc = NVM_OK;
    long step = 0;
    uint32_t minibatch = 0;   /* counts every mini-batch of the run: the train noise's key */
    const int logging = nvm_compute_logging(cx);
    const double t0 = logging ? nvm_now() : 0, c0 = logging ? nvm_thread_cpu() : 0;
    if (noisy && (uint64_t)o->epochs * batches > (uint64_t)UINT32_MAX + 1) {
        rc = nvm_fail(e, NVM_EUSAGE, "--train-noise: %llu mini-batches (%d epochs of %llu), at most 2^32 are "
                      "keyed; raise --batch or lower --epochs", (unsigned long long)o->epochs * batches, o->epochs,
                      (unsigned long long)batches);
        goto done;
    }
    if (nvm_work_init(&w, a, o->batch) || !grads || !vel || !perm || !yb || (o->optim == NVM_ADAM && !sq) ||
        (noisy && !noisy_params)) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory for training (%d samples, batch %d)", n, o->batch);
        goto done;
    }
    for (int epoch = 0; epoch < o->epochs; epoch++) {
        nvm_stream s = shuffle;
        s.sub += (uint32_t)epoch;
        nvm_permutation(&s, perm, n);
        const float lr = (float)epoch_lr(o, epoch), mu = (float)o->momentum;
        double loss_sum = 0.0;
        for (int start = 0; start < n; start += o->batch) {
            int B = n - start < o->batch ? n - start : o->batch;
            for (int i = 0; i < B; i++) {
                memcpy(w.act[first] + (size_t)i * in, x + (size_t)perm[start + i] * in,
                       (size_t)in * sizeof(float));
                yb[i] = y[perm[start + i]];
            }
            if (noisy)
                nvm_train_noise_apply(a, params, noisy_params, tn, o->noise_seed, o->noise_base, minibatch++, cx);
            nvm_forward(a, run, &w, w.act[first], first, L, B, cx);
            loss_sum += nvm_softmax_xent(w.act[L], yb, B, C, w.grad[L]) * B;
            /* Gradient and velocity blocks share the parameter layout; only the trained slice is used. */
            memset(grads + lo, 0, np * sizeof(float));
            nvm_backward(a, run, grads, &w, w.act[first], first, L, B, cx);
            if (o->optim == NVM_ADAM) {
                step++;
                const float c1 = (float)(1 - pow(0.9, (double)step)), c2 = (float)(1 - pow(0.999, (double)step));
                adam_pool(cx, params + lo, grads + lo, vel + lo, sq + lo, np, lr, c1, c2);
            } else {
                for (size_t i = lo; i < a->n_params; i++) {
                    vel[i] = mu * vel[i] + grads[i];
                    params[i] -= lr * vel[i];
                }
            }
        }
        double loss = loss_sum / n;
        if (!isfinite(loss)) {
            rc = nvm_fail(e, NVM_ERUNTIME,
                          "training diverged in epoch %d (loss %g) with learning rate %g; lower --lr",
                          epoch + 1, loss, lr);
            goto done;
        }
        if (on_epoch)
            on_epoch(ctx, epoch + 1, o->epochs, loss);
    }
done:
    if (logging)
        nvm_compute_log_step(cx, NVM_STEP_TRAIN, first, L, n, x, t0, c0);
    nvm_work_free(&w);
    free(grads);
    free(vel);
    free(sq);
    free(perm);
    free(yb);
    free(noisy_params);
    return rc;
}

int nvm_eval_batch(const nvm_arch *a)
{
    /* Inference reads one layer's input and writes its output at a time: a batch whose largest such pair
     * is about 1.5 MB stays in a core's L2 from layer to layer (the cnn: 12 images; its 62-image batches
     * of an earlier 64 MB rule ran 30 % slower, their conv1 outputs going through L3). The batch never
     * changes a result: every sample's outputs, noise draws included, are computed on their own. */
    size_t widest = 1;
    for (int l = 0; l < a->n_layers; l++) {
        size_t w = (size_t)a->layers[l].n_in + (size_t)a->layers[l].n_out;
        widest = w > widest ? w : widest;
    }
    size_t b = ((size_t)384 << 10) / widest;
    return b < 4 ? 4 : b > 512 ? 512 : (int)b;
}

void nvm_run_layers(const nvm_arch *a, const float *params, int first, int last, const float *x,
                    int n, float *out, nvm_work *w, nvm_compute *cx)
{
    nvm_run_layers_an(a, params, first, last, x, n, out, w, cx, NULL, 0);
}

void nvm_run_layers_an(const nvm_arch *a, const float *params, int first, int last, const float *x,
                       int n, float *out, nvm_work *w, nvm_compute *cx, const nvm_analog *an,
                       uint64_t sample0)
{
    const int in = a->layers[first].n_in, width = a->layers[last - 1].n_out, logging = nvm_compute_logging(cx);
    const double t0 = logging ? nvm_now() : 0, c0 = logging ? nvm_thread_cpu() : 0;
    float *act_last = w->act[last];
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        w->act[last] = out + (size_t)start * width;   /* the last layer writes its rows of out itself */
        nvm_forward_an(a, params, w, x + (size_t)start * in, first, last, B, cx, an,
                       sample0 + (uint64_t)start);
    }
    w->act[last] = act_last;
    if (logging)
        nvm_compute_log_step(cx, NVM_STEP_LAYERS, first, last, n, x, t0, c0);
}

void nvm_run_layers_linear(const nvm_arch *a, const float *params, int last, const float *p0, const float *p1,
                           double alpha, const float *x, int n, float *out, nvm_work *w, nvm_compute *cx)
{
    const int N = a->layers[0].n_out, width = a->layers[last - 1].n_out, logging = nvm_compute_logging(cx);
    const double t0 = logging ? nvm_now() : 0, c0 = logging ? nvm_thread_cpu() : 0;
    float *act_last = w->act[last];
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        const size_t off = (size_t)start * N;
        w->act[last] = out + (size_t)start * width;   /* the last layer writes its rows of out itself */
        nvm_forward_linear(a, params, w, p0 + off, p1 ? p1 + off : NULL, alpha, last, B, cx);
    }
    w->act[last] = act_last;
    if (logging)
        nvm_compute_log_step(cx, NVM_STEP_LINEAR, 0, last, n, x, t0, c0);
}

double nvm_accuracy(const nvm_arch *a, const float *params, int first, const float *x,
                    const uint8_t *y, int n, nvm_work *w, nvm_compute *cx)
{
    return nvm_accuracy_an(a, params, first, x, y, n, w, cx, NULL, 0);
}

double nvm_accuracy_an(const nvm_arch *a, const float *params, int first, const float *x,
                       const uint8_t *y, int n, nvm_work *w, nvm_compute *cx, const nvm_analog *an,
                       uint64_t sample0)
{
    const int L = a->n_layers, in = a->layers[first].n_in, C = a->classes, logging = nvm_compute_logging(cx);
    const double t0 = logging ? nvm_now() : 0, c0 = logging ? nvm_thread_cpu() : 0;
    int correct = 0;
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        nvm_forward_an(a, params, w, x + (size_t)start * in, first, L, B, cx, an,
                       sample0 + (uint64_t)start);
        for (int i = 0; i < B; i++) {
            const float *z = w->act[L] + (size_t)i * C;
            int best = 0;
            for (int c = 1; c < C; c++)
                best = z[c] > z[best] ? c : best;
            correct += best == y[start + i];
        }
    }
    if (logging)
        nvm_compute_log_step(cx, NVM_STEP_ACCURACY, first, L, n, x, t0, c0);
    return n > 0 ? (double)correct / n : 0.0;
}

uint64_t nvm_train_provenance(const nvm_arch *a, const nvm_train_opts *o, uint64_t seed, uint32_t base,
                              uint32_t init_sub, uint64_t data)
{
    uint64_t h = nvm_fnv1a(NVM_FNV0, a->spec, strlen(a->spec) + 1);
    int32_t ints[] = {a->in_h, a->in_w, a->in_c, a->classes, a->fe_layers, o->epochs, o->batch, (int32_t)o->optim};
    double reals[] = {o->lr, o->optim == NVM_SGD ? o->momentum : 0.0};
    uint64_t ids[] = {seed, base, init_sub, data};
    h = nvm_fnv1a(h, ints, sizeof ints);
    h = nvm_fnv1a(h, reals, sizeof reals);
    h = nvm_fnv1a(h, ids, sizeof ids);
    if (nvm_recipe_is_default(&o->recipe))   /* as before recipes existed: kept networks stay valid */
        return h;
    char text[NVM_RECIPE_LEN];
    nvm_recipe_text(&o->recipe, text);
    return nvm_fnv1a(h, text, strlen(text) + 1);
}
