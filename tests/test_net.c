/* Finite-difference gradient checks of the loss, dense+tanh layers and their inputs; a training run
 * that must learn a separable set; and the invariances the sweep relies on. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nvmsim/train.h"

/* Mean loss of layers [first, L) on the inputs in w->act[first]. */
static double loss_of(const nvm_arch *a, const float *p, nvm_work *w, int first, const uint8_t *y, int B,
                      nvm_compute *cx, float *scratch)
{
    nvm_forward(a, p, w, w->act[first], first, a->n_layers, B, cx);
    return nvm_softmax_xent(w->act[a->n_layers], y, B, a->classes, scratch);
}

/* Largest relative error between finite differences and back-propagation over every parameter of a
 * on the batch x (B samples). */
static double param_gradcheck(const nvm_arch *a, float *p, const float *x, const uint8_t *y, int B,
                              nvm_compute *cx)
{
    nvm_work w;
    float *g = nvm_alloc_floats(a->n_params), scratch[64];
    CHECK(nvm_work_init(&w, a, B) == NVM_OK);
    memcpy(w.act[0], x, (size_t)B * a->layers[0].n_in * sizeof(float));
    loss_of(a, p, &w, 0, y, B, cx, w.grad[a->n_layers]);
    nvm_backward(a, p, g, &w, w.act[0], 0, a->n_layers, B, cx);
    double worst = 0;
    for (size_t i = 0; i < a->n_params; i++) {
        float keep = p[i], h = 1e-3f;   /* small: larger steps cross ReLU / max-pool kinks */
        p[i] = keep + h;
        double up = loss_of(a, p, &w, 0, y, B, cx, scratch);
        p[i] = keep - h;
        double down = loss_of(a, p, &w, 0, y, B, cx, scratch);
        p[i] = keep;
        double num = (up - down) / (2 * h), err = fabs(num - g[i]) / (fabs(num) + fabs(g[i]) + 1e-2);
        worst = err > worst ? err : worst;
    }
    nvm_work_free(&w);
    free(g);
    return worst;
}

/* Conv ('valid' and 'same'), ReLU, max-pool and dense-ReLU layers in one small CNN. */
static void cnn_gradcheck(nvm_compute *cx)
{
    enum { B = 3 };
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "c3-p-c4s-f5-f3", 6, 6, 2, 3, &e) == NVM_OK);
    CHECK(a.fe_layers == 3 && a.layers[2].out_h == 2 && a.layers[2].out_c == 4);
    float *p = nvm_alloc_floats(a.n_params), x[B * 72];
    uint8_t y[B] = {2, 0, 1};
    nvm_stream s = nvm_stream_make(8, NVM_RNG_INIT, 0, 0);
    for (size_t i = 0; i < a.n_params; i++)
        p[i] = (float)(nvm_uniform(&s, i) - 0.4);   /* mostly positive: ReLUs pass gradient */
    for (int i = 0; i < B * 72; i++)
        x[i] = (float)(2 * nvm_uniform(&s, 5000 + (uint64_t)i) - 1);
    CHECK(param_gradcheck(&a, p, x, y, B, cx) < 1e-2);
    free(p);
}

static void gradcheck(nvm_compute *cx)
{
    enum { B = 4 };
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "t5-t4-f3", 1, 1, 6, 3, &e) == NVM_OK);
    float *p = nvm_alloc_floats(a.n_params), *g = nvm_alloc_floats(a.n_params), x[B * 6], scratch[B * 3];
    uint8_t y[B] = {0, 2, 1, 2};
    nvm_stream s = nvm_stream_make(5, NVM_RNG_INIT, 0, 0);
    for (size_t i = 0; i < a.n_params; i++)
        p[i] = (float)(2 * nvm_uniform(&s, i) - 1);
    for (int i = 0; i < B * 6; i++)
        x[i] = (float)(2 * nvm_uniform(&s, 1000 + (uint64_t)i) - 1);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, B) == NVM_OK);

    /* Loss: d/dlogits. */
    float z[B * 3], dz[B * 3];
    for (int i = 0; i < B * 3; i++)
        z[i] = (float)(3 * nvm_uniform(&s, 2000 + (uint64_t)i) - 1.5);
    nvm_softmax_xent(z, y, B, 3, dz);
    for (int i = 0; i < B * 3; i++) {
        float keep = z[i], h = 1e-2f;
        z[i] = keep + h;
        double up = nvm_softmax_xent(z, y, B, 3, scratch);
        z[i] = keep - h;
        double down = nvm_softmax_xent(z, y, B, 3, scratch);
        z[i] = keep;
        CHECK_NEAR(dz[i], (up - down) / (2 * h), 2e-4);
    }

    /* Every parameter of every layer. */
    CHECK(param_gradcheck(&a, p, x, y, B, cx) < 1e-2);
    memcpy(w.act[0], x, sizeof x);
    loss_of(&a, p, &w, 0, y, B, cx, w.grad[a.n_layers]);
    memset(g, 0, a.n_params * sizeof(float));
    nvm_backward(&a, p, g, &w, w.act[0], 0, a.n_layers, B, cx);
    float hidden_grad[B * 5], h1[B * 5];
    memcpy(hidden_grad, w.grad[1], sizeof hidden_grad);   /* dL/d(pre-activation of layer 1) */
    memcpy(h1, w.act[1], sizeof h1);
    double worst = 0;

    /* The input gradient of layer 2 (what back-propagation hands to layer 1, which turns it into the
     * gradient of its pre-activation: times tanh' = 1 - out²). */
    worst = 0;
    for (int i = 0; i < B * 5; i++) {
        memcpy(w.act[0], x, sizeof x);
        nvm_forward(&a, p, &w, w.act[0], 0, 1, B, cx);
        float keep = w.act[1][i], h = 1e-2f;
        w.act[1][i] = keep + h;
        double up = loss_of(&a, p, &w, 1, y, B, cx, scratch);
        w.act[1][i] = keep - h;
        double down = loss_of(&a, p, &w, 1, y, B, cx, scratch);
        double num = (up - down) / (2 * h) * (1 - (double)h1[i] * h1[i]);
        double err = fabs(num - hidden_grad[i]) / (fabs(num) + fabs(hidden_grad[i]) + 1e-2);
        worst = err > worst ? err : worst;
    }
    CHECK(worst < 1e-2);
    nvm_work_free(&w);
    free(p);
    free(g);
}

/* Three Gaussian blobs in 20 dimensions, well separated. */
static void blobs(float *x, uint8_t *y, int n, uint64_t seed)
{
    nvm_stream s = nvm_stream_make(seed, NVM_RNG_INIT, 9, 9);
    for (int i = 0; i < n; i++) {
        y[i] = (uint8_t)(i % 3);
        for (int d = 0; d < 20; d++)
            x[i * 20 + d] = (float)(0.5 * nvm_normal(&s, (uint64_t)i * 20 + d) + (d % 3 == y[i] ? 1.0 : 0.0));
    }
}

static void learns(nvm_compute *cx)
{
    enum { N = 600 };
    static float x[N * 20], xt[N * 20];
    static uint8_t y[N], yt[N];
    blobs(x, y, N, 1);
    blobs(xt, yt, N, 2);
    const int hidden = 16;
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "t16-f3", 1, 1, 20, 3, &e) == NVM_OK);
    float *p = nvm_alloc_floats(a.n_params);
    nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, 0);
    nvm_arch_init(&a, p, &init);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 64) == NVM_OK);
    double before = nvm_accuracy(&a, p, 0, xt, yt, N, &w, cx);
    nvm_train_opts o = {.epochs = 10, .batch = 16, .lr = 0.05, .momentum = 0.9, .optim = NVM_SGD};
    CHECK(nvm_train(&a, p, 0, x, y, N, &o, nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0), cx, NULL, NULL, &e) == NVM_OK);
    double after = nvm_accuracy(&a, p, 0, xt, yt, N, &w, cx);
    CHECK(after > 0.97);
    CHECK(after > before + 0.2);

    /* Retraining only the detector leaves the feature extractor untouched and still learns. */
    float *fe = nvm_alloc_floats(a.fe_params), *feats = nvm_alloc_floats((size_t)N * hidden),
          *ftest = nvm_alloc_floats((size_t)N * hidden);
    memcpy(fe, p, a.fe_params * sizeof(float));
    memset(p + a.fe_params, 0, (a.n_params - a.fe_params) * sizeof(float));
    nvm_run_layers(&a, p, 0, 1, x, N, feats, &w, cx);
    nvm_run_layers(&a, p, 0, 1, xt, N, ftest, &w, cx);
    CHECK(nvm_train(&a, p, 1, feats, y, N, &o, nvm_stream_make(1, NVM_RNG_DET_SHUFFLE, 0, 0), cx, NULL, NULL, &e) == NVM_OK);
    CHECK(memcmp(fe, p, a.fe_params * sizeof(float)) == 0);
    CHECK(nvm_accuracy(&a, p, 1, ftest, yt, N, &w, cx) > 0.97);
    /* Features then detector give exactly the accuracy of the whole network. */
    CHECK(nvm_accuracy(&a, p, 1, ftest, yt, N, &w, cx) == nvm_accuracy(&a, p, 0, xt, yt, N, &w, cx));

    /* A learning rate that blows up is reported, not trained through. */
    nvm_train_opts wild = {.epochs = 3, .batch = 16, .lr = 1e38, .momentum = 0.9, .optim = NVM_SGD};   /* weights overflow to inf, loss to NaN */
    e.msg[0] = 0;
    int rc = nvm_train(&a, p, 0, x, y, N, &wild, nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0), cx, NULL, NULL, &e);
    CHECK(rc == NVM_ERUNTIME);
    CHECK(strstr(e.msg, "diverged in epoch 1") != NULL);
    nvm_work_free(&w);
    free(p);
    free(fe);
    free(feats);
    free(ftest);
}

/* Training gives bit-identical parameters with and without a thread pool, and with the step log of
 * `nvmsim bench --sweep` on (which records each whole-set call and changes nothing). */
static void thread_independent(void)
{
    enum { N = 300 };
    static float x[N * 20];
    static uint8_t y[N];
    blobs(x, y, N, 3);
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "t70-t40-f3", 1, 1, 20, 3, &e) == NVM_OK);
    float *p1 = nvm_alloc_floats(a.n_params), *p2 = nvm_alloc_floats(a.n_params);
    nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, 0);
    nvm_arch_init(&a, p1, &init);
    memcpy(p2, p1, a.n_params * sizeof(float));
    nvm_pool *pool = nvm_pool_new(3);
    nvm_compute *c1 = nvm_compute_new(nvm_isa_detect(), NULL), *c3 = nvm_compute_new(nvm_isa_detect(), pool);
    nvm_train_opts o = {.epochs = 2, .batch = 32, .lr = 0.05, .momentum = 0.9, .optim = NVM_SGD};
    nvm_stream sh = nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0);
    static nvm_step_log log;
    nvm_compute_set_log(c3, &log);
    CHECK(nvm_train(&a, p1, 0, x, y, N, &o, sh, c1, NULL, NULL, &e) == NVM_OK);
    CHECK(nvm_train(&a, p2, 0, x, y, N, &o, sh, c3, NULL, NULL, &e) == NVM_OK);
    CHECK(memcmp(p1, p2, a.n_params * sizeof(float)) == 0);
    nvm_work w;
    static float f1[N * 70], f3[N * 70];
    CHECK(nvm_work_init(&w, &a, 64) == NVM_OK);
    nvm_run_layers(&a, p1, 0, 1, x, N, f1, &w, c1);
    nvm_run_layers(&a, p1, 0, 1, x, N, f3, &w, c3);
    CHECK(memcmp(f1, f3, sizeof f1) == 0);
    CHECK(nvm_accuracy(&a, p1, 0, x, y, N, &w, c1) == nvm_accuracy(&a, p1, 0, x, y, N, &w, c3));
    CHECK(log.n == 3 && log.dropped == 0);
    CHECK(log.step[0].kind == NVM_STEP_TRAIN && log.step[0].n == N && log.step[0].x == x);
    CHECK(log.step[1].kind == NVM_STEP_LAYERS && log.step[1].first == 0 && log.step[1].last == 1);
    CHECK(log.step[2].kind == NVM_STEP_ACCURACY && log.step[2].last == a.n_layers);
    CHECK(log.step[0].seconds >= 0 && log.step[0].cpu >= 0);
    nvm_compute_set_log(c3, NULL);
    nvm_run_layers(&a, p1, 0, 1, x, N, f3, &w, c3);
    CHECK(log.n == 3);
    nvm_work_free(&w);
    nvm_compute_free(c1);
    nvm_compute_free(c3);
    nvm_pool_free(pool);
    free(p1);
    free(p2);
}

/* nvm_adam_step on every vector width against the plain loop (one element at a time: n = 1 calls run
 * only the scalar tail), on moments and gradients with zeros, subnormals, huge and negative values. */
static void adam_widths(void)
{
    enum { N = 203 };
    float p0[N], g[N], m0[N], v0[N], pr[N], mr[N], vr[N], p[N], m[N], v[N];
    nvm_stream s = nvm_stream_make(4, NVM_RNG_INIT, 1, 2);
    for (int i = 0; i < N; i++) {
        double u = nvm_uniform(&s, (uint64_t)i), w = nvm_uniform(&s, 1000 + (uint64_t)i);
        p0[i] = (float)(u - 0.5);
        g[i] = i % 7 == 0 ? 0.0f : i % 11 == 0 ? 1e-39f : i % 13 == 0 ? -3e4f : (float)(w - 0.5) * 1e-3f;
        m0[i] = i % 5 == 0 ? 2e-41f * (float)(i % 3) : (float)(u - 0.3) * 1e-4f;
        v0[i] = i % 9 == 0 ? 1e-44f : i % 4 == 0 ? 0.0f : (float)w * 1e-7f;
    }
    memcpy(pr, p0, sizeof pr), memcpy(mr, m0, sizeof mr), memcpy(vr, v0, sizeof vr);
    for (int i = 0; i < N; i++)
        nvm_adam_step(NVM_ISA_GENERIC, pr + i, g + i, mr + i, vr + i, 1, 1e-3f, 0.19f, 0.002f);
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
        memcpy(p, p0, sizeof p), memcpy(m, m0, sizeof m), memcpy(v, v0, sizeof v);
        nvm_adam_step((nvm_isa)isa, p, g, m, v, N, 1e-3f, 0.19f, 0.002f);
        CHECK(memcmp(p, pr, sizeof p) == 0 && memcmp(m, mr, sizeof m) == 0 && memcmp(v, vr, sizeof v) == 0);
    }
}

int main(void)
{
    for (int isa = 0; isa <= (int)nvm_isa_detect(); isa++) {
        nvm_compute *cx = nvm_compute_new((nvm_isa)isa, NULL);
        gradcheck(cx);
        cnn_gradcheck(cx);
        learns(cx);
        nvm_compute_free(cx);
    }
    thread_independent();
    adam_widths();
    return check_report("net");
}
