/* Architecture specs: the default CNN's shapes and size, every malformed spec, and the layer kernels'
 * identities (col2im is the adjoint of im2col; max-pool against a naive loop). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nvmsim/noise.h"
#include "../src/nn/layers.h"

static void default_cnn(void)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_named(&a, "cnn", NULL, 100, 32, 32, 3, 10, &e) == NVM_OK);
    CHECK(a.n_params == 122570);
    CHECK(a.n_layers == 7 && a.fe_layers == 5);
    CHECK(nvm_arch_features(&a) == 1024);
    CHECK(nvm_arch_detector_width(&a) == 64);
    CHECK(a.layers[0].out_h == 30 && a.layers[1].out_h == 15 && a.layers[2].out_h == 13);
    CHECK(a.layers[3].out_h == 6 && a.layers[4].out_h == 4 && a.layers[4].out_c == 64);
    CHECK(a.fe_params == 3 * 3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 3 * 3 * 64 * 64 + 64);
    uint64_t fe = nvm_arch_macs(&a, 0, a.fe_layers), all = nvm_arch_macs(&a, 0, a.n_layers);
    CHECK(fe == 30 * 30 * 32 * 27 + 13 * 13 * 64 * 288 + 4 * 4 * 64 * 576);
    CHECK(all - fe == 1024 * 64 + 64 * 10);

    CHECK(nvm_arch_parse(&a, "cnn", "c32s-p-c64s-p-c64-f64-f10", 32, 32, 3, 10, &e) == NVM_OK);
    CHECK(a.layers[0].out_h == 32 && a.layers[0].pad == 1 && nvm_arch_features(&a) == 6 * 6 * 64);
    CHECK(nvm_arch_parse(&a, "cnn", "c8k5-p|c16-f10", 32, 32, 3, 10, &e) == NVM_OK);
    CHECK(a.fe_layers == 2 && a.layers[0].k == 5 && a.layers[0].out_h == 28);
    CHECK(nvm_arch_parse(&a, "mlp2", "t100-f10", 28, 28, 1, 10, &e) == NVM_OK);
    CHECK(a.fe_layers == 1 && a.n_params == 784 * 100 + 100 + 1010);
}

static void bad_specs(void)
{
    const char *bad[] = {"", "c32", "c32-p-f64", "x3-f10", "c-f10", "c32k4-f10", "c32k2-f10", "p-p-p-p-p-p-f10",
                         "c0-f10", "f10-c3-f10", "c3--f10", "c3-f10-", "c3|p|f10", "f10|", "c99999999-f10",
                         "c3k99-f10", "c3-f11", "t10-p-f10", "c3ss-f10", "c40k31-f10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        nvm_arch a;
        nvm_err e = {{0}};
        int rc = nvm_arch_parse(&a, "cnn", bad[i], 32, 32, 3, 10, &e);
        CHECK(rc == NVM_EUSAGE);
        CHECK(strstr(e.msg, "--arch") != NULL);
        if (rc != NVM_EUSAGE)
            fprintf(stderr, "accepted bad spec '%s'\n", bad[i]);
    }
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static void kernels(void)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "c5s-p-c3-f4", 7, 7, 3, 4, &e) == NVM_OK);
    const int B = 2;
    nvm_stream s = nvm_stream_make(1, NVM_RNG_INIT, 1, 1);
    for (int l = 0; l < 3; l += 2) {   /* the 'same' and the 'valid' convolution */
        const nvm_layer *L = &a.layers[l];
        size_t nx = (size_t)B * L->n_in, nc = (size_t)B * L->out_h * L->out_w * L->k * L->k * L->in_c;
        float *x = nvm_alloc_floats(nx), *col = nvm_alloc_floats(nc), *dcol = nvm_alloc_floats(nc),
              *dx = nvm_alloc_floats(nx);
        for (size_t i = 0; i < nx; i++)
            x[i] = (float)nvm_normal(&s, i);
        for (size_t i = 0; i < nc; i++)
            dcol[i] = (float)nvm_normal(&s, 100000 + i);
        nvm_im2col(L, x, col, B);
        nvm_col2im(L, dcol, dx, B);
        /* <im2col(x), dcol> = <x, col2im(dcol)> */
        CHECK_NEAR(dot(col, dcol, nc), dot(x, dx, nx), 1e-3 * (1 + fabs(dot(col, dcol, nc))));
        free(x), free(col), free(dcol), free(dx);
    }
    const nvm_layer *P = &a.layers[1];   /* 7×7×5 → 3×3×5: the odd last row and column are dropped */
    CHECK(P->out_h == 3 && P->out_w == 3);
    float in[2 * 7 * 7 * 5], out[2 * 3 * 3 * 5], dout[2 * 3 * 3 * 5], din[2 * 7 * 7 * 5];
    for (int i = 0; i < 2 * 245; i++)
        in[i] = (float)nvm_normal(&s, 200000 + (uint64_t)i);
    for (int i = 0; i < 2 * 45; i++)
        dout[i] = 1.0f + (float)i;
    nvm_maxpool_forward(P, in, out, B);
    nvm_maxpool_backward(P, in, out, dout, din, B);
    int good = 1;
    double routed = 0;
    for (int b = 0; b < B; b++)
        for (int oy = 0; oy < 3; oy++)
            for (int ox = 0; ox < 3; ox++)
                for (int c = 0; c < 5; c++) {
                    float m = -1e30f;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx2 = 0; dx2 < 2; dx2++) {
                            float v = in[((b * 7 + 2 * oy + dy) * 7 + 2 * ox + dx2) * 5 + c];
                            m = v > m ? v : m;
                        }
                    good &= out[((b * 3 + oy) * 3 + ox) * 5 + c] == m;
                }
    for (int i = 0; i < 2 * 245; i++)
        routed += din[i];
    CHECK(good);
    CHECK_NEAR(routed, 90 * 91 / 2.0, 1e-3);   /* every output's gradient lands exactly once */
}

/* The fast tanh against libm's, over the whole float range that matters. */
static void fast_tanh(void)
{
    double worst = 0;
    for (double x = -12; x <= 12; x += 1e-4) {
        double t = tanh(x), err = fabs(nvm_tanh((float)x) - t) / fmax(fabs(t), 1e-30);
        worst = err > worst ? err : worst;
    }
    for (float x = 1e-30f; x < 1e-2f; x *= 1.01f) {   /* tiny arguments: relative accuracy */
        double err = fabs(nvm_tanh(x) - tanh(x)) / tanh(x) + fabs(nvm_tanh(-x) + tanh(x)) / tanh(x);
        worst = err > worst ? err : worst;
    }
    CHECK(worst < 1e-6);
    CHECK(nvm_tanh(100.0f) <= 1.0f && nvm_tanh(100.0f) > 0.99999f && nvm_tanh(-100.0f) == -nvm_tanh(100.0f));
    /* nvm_tanh_array on every width gives nvm_tanh's bits: a sweep of magnitudes, both signs, the clamp
     * and the small-argument boundaries, zeros, infinities, NaN and subnormals. */
    enum { NT = 4099 };
    static float tv[NT], tr[NT];
    for (int i = 0; i < NT; i++) {
        double mag = pow(10.0, -45.0 + 47.0 * i / NT);
        tv[i] = (float)(i % 2 ? -mag : mag);
    }
    const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 0.0004f, -0.0004f, 0.00039999998f,
                             7.90531110763549805f, -7.90531110763549805f, 7.9053116f, 1e-45f, -3e-39f};
    memcpy(tv, special, sizeof special);
    for (int i = 0; i < NT; i++)
        tr[i] = nvm_tanh(tv[i]);
    for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
        static float t2[NT];
        memcpy(t2, tv, sizeof t2);
        nvm_tanh_array((nvm_isa)isa, t2, NT);
        CHECK(memcmp(t2, tr, sizeof t2) == 0);
    }
}

/* Property, over many generated specs and every place of '|': the feature extractor owns exactly the
 * tensors of the layers before the boundary; its MACs and its parameters come from the same layers; a
 * boundary with no weights before it is refused; and α > 0 changes the network's outputs whenever the
 * feature extractor has weights (the bug: '|' before a pool degraded nothing). */
static void fe_boundary_property(void)
{
    nvm_stream r = nvm_stream_make(7, NVM_RNG_INIT, 9, 9);
    uint64_t draw = 0;
    int specs = 0, refused = 0, changed = 0, tested = 0;
    for (int trial = 0; trial < 300; trial++) {
        /* Random layers: up to 3 convs (each maybe followed by a pool), then 1-3 dense layers. */
        char layers[12][16];   /* p + 3 × (conv, pool) + 3 dense = at most 10 */
        int nl = 0, convs = (int)(nvm_uniform(&r, draw++) * 4);
        if (nvm_uniform(&r, draw++) < 0.3)   /* a leading pool: '|' right after it leaves no weights */
            snprintf(layers[nl++], 16, "p");
        for (int c = 0; c < convs; c++) {
            int k = nvm_uniform(&r, draw++) < 0.3 ? 1 : 3, same = nvm_uniform(&r, draw++) < 0.5;
            int filters = 1 + (int)(nvm_uniform(&r, draw++) * 4);
            snprintf(layers[nl++], 16, "c%d%s%s", filters, k == 1 ? "k1" : "", same ? "s" : "");
            if (nvm_uniform(&r, draw++) < 0.6)
                snprintf(layers[nl++], 16, "p");
        }
        int dense = 1 + (int)(nvm_uniform(&r, draw++) * 3);
        for (int d = 0; d < dense - 1; d++) {
            char kind = nvm_uniform(&r, draw++) < 0.5 ? 't' : 'f';
            snprintf(layers[nl++], 16, "%c%d", kind, 1 + (int)(nvm_uniform(&r, draw++) * 6));
        }
        snprintf(layers[nl++], 16, "f3");
        for (int bar = 1; bar < nl; bar++) {   /* '|' after layer bar-1 */
            char spec[NVM_MAX_SPEC] = "";
            for (int l = 0; l < nl; l++) {
                if (l)
                    strcat(spec, l == bar ? "|" : "-");
                strcat(spec, layers[l]);
            }
            nvm_arch a;
            nvm_err e;
            int rc = nvm_arch_parse(&a, "prop", spec, 12, 12, 2, 3, &e);
            int has_weights = 0;
            for (int l = 0; l < bar; l++)
                has_weights |= layers[l][0] != 'p';
            if (!has_weights) {
                refused += rc == NVM_EUSAGE && strstr(e.msg, "no weights") != NULL;
                CHECK(rc == NVM_EUSAGE);
                continue;
            }
            if (rc != NVM_OK)   /* e.g. a pool on a 1x1 input: not this property's business */
                continue;
            specs++;
            CHECK(a.fe_layers == bar);
            size_t owned = 0;
            for (int t = 0; t < a.n_tensors; t++) {
                int layer = -1;
                for (int l = 0; l < a.n_layers; l++)
                    if (a.layers[l].kind != NVM_POOL &&
                        (a.layers[l].w_off == a.tensors[t].offset || a.layers[l].b_off == a.tensors[t].offset))
                        layer = l;
                CHECK(layer >= 0);
                if (layer < bar)
                    owned += a.tensors[t].count;
                CHECK((a.tensors[t].offset < a.fe_params) == (layer < bar));
            }
            CHECK(owned == a.fe_params && owned > 0);
            uint64_t fe = nvm_arch_macs(&a, 0, a.fe_layers);
            CHECK(fe > 0 && fe < nvm_arch_macs(&a, 0, a.n_layers));
            /* α > 0 changes the outputs. */
            float *p = nvm_alloc_floats(a.n_params), *deg = nvm_alloc_floats(a.n_params);
            float *x = nvm_alloc_floats((size_t)4 * a.layers[0].n_in);
            nvm_stream init = nvm_stream_make(3, NVM_RNG_INIT, 0, (uint32_t)trial);
            nvm_arch_init(&a, p, &init);
            /* Positive weights and biases on positive inputs keep every unit alive (no dead ReLU, no
             * saturated tanh hides a change): then any change in the feature extractor must show. */
            for (int t = 0; t < a.n_tensors; t++)
                for (size_t i = 0; i < a.tensors[t].count; i++) {
                    float *v = &p[a.tensors[t].offset + i];
                    *v = a.tensors[t].is_bias ? 0.1f : fabsf(*v) / sqrtf((float)a.tensors[t].rows);
                }
            for (int i = 0; i < 4 * a.layers[0].n_in; i++)
                x[i] = (float)nvm_uniform(&init, 5000000 + (uint64_t)i);
            nvm_chip chip = {11, 0, (uint32_t)bar, 1, 0};
            nvm_noise gauss = {0};
            nvm_degrade(&a, p, deg, &gauss, 0.5, &chip);
            nvm_work w;
            nvm_compute *cx = nvm_compute_new(NVM_ISA_GENERIC, NULL);
            CHECK(nvm_work_init(&w, &a, 4) == NVM_OK);
            float out0[12], out1[12];
            nvm_forward(&a, p, &w, x, 0, a.n_layers, 4, cx);
            memcpy(out0, w.act[a.n_layers], sizeof out0);
            nvm_forward(&a, deg, &w, x, 0, a.n_layers, 4, cx);
            memcpy(out1, w.act[a.n_layers], sizeof out1);
            tested++;
            changed += memcmp(out0, out1, sizeof out0) != 0;
            if (!memcmp(out0, out1, sizeof out0))
                fprintf(stderr, "alpha 0.5 left the outputs of %s unchanged\n", spec);
            CHECK(memcmp(deg + a.fe_params, p + a.fe_params, (a.n_params - a.fe_params) * sizeof(float)) == 0);
            nvm_work_free(&w);
            nvm_compute_free(cx);
            free(p), free(deg), free(x);
        }
    }
    CHECK(specs > 200 && refused > 20);
    CHECK(changed == tested);
    /* The case that was wrong: '|' right before a pool. */
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "cnn", "c32-p-c64|p-c64-f64-f10", 32, 32, 3, 10, &e) == NVM_OK);
    CHECK(a.fe_params == 3 * 3 * 3 * 32 + 32 + 3 * 3 * 32 * 64 + 64);
}

int main(void)
{
    fast_tanh();
    fe_boundary_property();
    default_cnn();
    bad_specs();
    kernels();
    return check_report("arch");
}
