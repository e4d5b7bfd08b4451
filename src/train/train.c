/* The epoch loop (SGD with momentum over shuffled mini-batches) and batched evaluation. */
#include "nvmsim/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* One Adam update of n parameters. The expression is written once per form; the SSE form performs
 * the same IEEE operations in the same order four lanes at a time (mul, add, div and sqrt are correctly
 * rounded either way), so both give identical bits. gcc keeps the plain loop scalar (sqrtf may set
 * errno): 0.9 % of a 1-thread CNN bench profile, 0.2 % in SSE. */
static void adam_step(float *p, const float *g, float *m, float *v, size_t n, float lr, float c1, float c2)
{
    size_t i = 0;
#if defined(__SSE2__)
    const __m128 b1 = _mm_set1_ps(0.9f), a1 = _mm_set1_ps(0.1f), b2 = _mm_set1_ps(0.999f),
                 a2 = _mm_set1_ps(0.001f), vlr = _mm_set1_ps(lr), vc1 = _mm_set1_ps(c1),
                 vc2 = _mm_set1_ps(c2), eps = _mm_set1_ps(1e-8f);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i);
        __m128 mi = _mm_add_ps(_mm_mul_ps(b1, _mm_loadu_ps(m + i)), _mm_mul_ps(a1, gi));
        __m128 vi = _mm_add_ps(_mm_mul_ps(b2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(a2, gi), gi));
        __m128 step = _mm_div_ps(_mm_mul_ps(vlr, _mm_div_ps(mi, vc1)),
                                 _mm_add_ps(_mm_sqrt_ps(_mm_div_ps(vi, vc2)), eps));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(p + i, _mm_sub_ps(_mm_loadu_ps(p + i), step));
    }
#endif
    for (; i < n; i++) {
        m[i] = 0.9f * m[i] + 0.1f * g[i];
        v[i] = 0.999f * v[i] + 0.001f * g[i] * g[i];
        p[i] -= lr * (m[i] / c1) / (sqrtf(v[i] / c2) + 1e-8f);
    }
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
    nvm_work w;
    /* Optimiser state has its own blocks, in the parameter layout: SGD velocity, or Adam's moments. */
    float *grads = nvm_alloc_floats(a->n_params), *vel = nvm_alloc_floats(a->n_params);
    float *sq = o->optim == NVM_ADAM ? nvm_alloc_floats(a->n_params) : NULL;
    int *perm = nvm_alloc((size_t)n, sizeof *perm);
    uint8_t *yb = nvm_alloc((size_t)o->batch, 1);
    int rc = NVM_OK;
    long step = 0;
    const int logging = nvm_compute_logging(cx);
    const double t0 = logging ? nvm_now() : 0, c0 = logging ? nvm_thread_cpu() : 0;
    if (nvm_work_init(&w, a, o->batch) || !grads || !vel || !perm || !yb || (o->optim == NVM_ADAM && !sq)) {
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
            nvm_forward(a, params, &w, w.act[first], first, L, B, cx);
            loss_sum += nvm_softmax_xent(w.act[L], yb, B, C, w.grad[L]) * B;
            /* Gradient and velocity blocks share the parameter layout; only the trained slice is used. */
            memset(grads + lo, 0, np * sizeof(float));
            nvm_backward(a, params, grads, &w, w.act[first], first, L, B, cx);
            if (o->optim == NVM_ADAM) {
                step++;
                const float c1 = (float)(1 - pow(0.9, (double)step)), c2 = (float)(1 - pow(0.999, (double)step));
                adam_step(params + lo, grads + lo, vel + lo, sq + lo, np, lr, c1, c2);
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
    for (int start = 0; start < n; start += w->max_batch) {
        int B = n - start < w->max_batch ? n - start : w->max_batch;
        nvm_forward_an(a, params, w, x + (size_t)start * in, first, last, B, cx, an,
                       sample0 + (uint64_t)start);
        memcpy(out + (size_t)start * width, w->act[last], (size_t)B * width * sizeof(float));
    }
    if (logging)
        nvm_compute_log_step(cx, NVM_STEP_LAYERS, first, last, n, x, t0, c0);
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
    return nvm_fnv1a(h, ids, sizeof ids);
}
