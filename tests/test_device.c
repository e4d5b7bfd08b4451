/* Device physics against its formulas: PCM programming, drift and 1/f statistics over many devices,
 * nested stuck-at faults, read-noise variance on dense and conv layers, DAC/ADC levels, drift
 * compensation, and the exactness the sweep relies on (gauss/quant = nvm_degrade, nothing on = the
 * plain forward pass, results independent of batch size and threads). Tolerances are 5 standard errors
 * of the sample at hand. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "moments.h"
#include "nvmsim/device.h"
#include "nvmsim/train.h"

static double Phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

static double phi(double x)
{
    return exp(-0.5 * x * x) / sqrt(2 * 3.141592653589793);
}

/* E[max(0, X)] and E[max(0, X)²] for X ~ N(mu, sd²) */
static double clamped_m1(double mu, double sd)
{
    return mu * Phi(mu / sd) + sd * phi(mu / sd);
}

static double clamped_m2(double mu, double sd)
{
    return (mu * mu + sd * sd) * Phi(mu / sd) + mu * sd * phi(mu / sd);
}

/* E[|X|] for X ~ N(mu, sd²) (the folded normal); E[X²] = mu² + sd² */
static double folded_m1(double mu, double sd)
{
    return sd * sqrt(2 / 3.141592653589793) * exp(-mu * mu / (2 * sd * sd)) + mu * (1 - 2 * Phi(-mu / sd));
}

/* E[exp(-L·|X|)] for X ~ N(mu, sd²): the mean drift factor ((t + t0)/t0)^-ν with L = ln((t + t0)/t0) */
static double folded_mgf(double mu, double sd, double L)
{
    return exp(-L * mu + L * L * sd * sd / 2) * Phi(mu / sd - L * sd) +
           exp(L * mu + L * L * sd * sd / 2) * Phi(-mu / sd - L * sd);
}

static const double GR[] = {0.0, 0.01, 0.1, 0.3, 0.6, 1.0};
enum { NGR = 6, PER_BIN = 20000 };

static void pcm_statistics(void)
{
    const nvm_chip chip = {11, 2, 5, 1, 0};
    for (int k = 0; k < NGR; k++) {
        const double gt = GR[k] * NVM_DEV_GMAX, sp = nvm_pcm_prog_sigma(gt);
        const double mu = nvm_pcm_nu_mean(gt), sd = nvm_pcm_nu_sd(gt), t = 1e4;
        const double L = log((t + NVM_PCM_T0) / NVM_PCM_T0), S = nvm_pcm_flicker_t(t);
        acc gp1 = {0}, gp2 = {0}, nu1 = {0}, nu2 = {0}, dr = {0}, f1 = {0}, f2 = {0};
        int exact0 = 1, exact = 1;
        for (int i = 0; i < PER_BIN; i++) {
            uint64_t dev = (uint64_t)k * PER_BIN + (uint64_t)i;
            nvm_pcm_xi xi = nvm_pcm_draw(&chip, dev);
            nvm_pcm_state st, s0;
            nvm_pcm_device(gt, 1.0, t, &xi, &st);
            acc_add(&gp1, st.g_prog);
            acc_add(&gp2, st.g_prog * st.g_prog);
            acc_add(&nu1, st.nu);
            acc_add(&nu2, st.nu * st.nu);
            /* Each stage is its formula with this device's own draws (where no clamp at 0 acts). */
            if (st.g_prog > 0)
                exact &= fabs((st.g_prog - gt) / sp - xi.prog) < 1e-9 * (1 + fabs(xi.prog));
            exact &= st.nu == fabs(mu + sd * xi.drift);
            exact &= fabs(st.g_drift - st.g_prog * pow((t + NVM_PCM_T0) / NVM_PCM_T0, -st.nu)) <=
                     1e-12 * (1 + st.g_prog);
            if (st.g > 0 && st.g_drift > 0) {
                double z = (st.g - st.g_drift) / (st.g_drift * nvm_pcm_q(st.g_prog) * S);
                exact &= fabs(z - xi.flicker) < 1e-6 * (1 + fabs(xi.flicker));
            }
            nvm_pcm_device(gt, 0.0, t, &xi, &s0);   /* α = 0: programmed exactly */
            exact0 &= s0.g_prog == gt;
            if (gt > 0) {
                acc_add(&dr, s0.g_drift / s0.g_prog);
                double r = s0.g / s0.g_drift;   /* 1/f: max(0, 1 + Q·S·ξ') */
                acc_add(&f1, r);
                acc_add(&f2, r * r);
            }
        }
        CHECK(exact0);
        CHECK(exact);
        /* Programming noise: G_p = max(0, G_T + σ_prog·ξ) (idle device: G_T = 0, σ_prog > 0). */
        CHECK_MEAN(gp1, clamped_m1(gt, sp));
        CHECK_MEAN(gp2, clamped_m2(gt, sp));
        /* Drift exponent: folded normal |μ_ν + σ_ν·ξ|. */
        CHECK_MEAN(nu1, folded_m1(mu, sd));
        CHECK_MEAN(nu2, mu * mu + sd * sd);
        if (gt > 0) {
            CHECK_MEAN(dr, folded_mgf(mu, sd, L));
            double q = nvm_pcm_q(gt) * S;
            CHECK_MEAN(f1, clamped_m1(1, q));
            CHECK_MEAN(f2, clamped_m2(1, q));
        }
    }
    /* The formulas themselves at a few points. */
    CHECK_NEAR(nvm_pcm_prog_sigma(NVM_DEV_GMAX), 0.26348 + 1.9650 - 1.1731, 1e-12);
    CHECK_NEAR(nvm_pcm_nu_mean(NVM_DEV_GMAX), 0.049, 1e-12);          /* 0.0244 clipped up */
    CHECK_NEAR(nvm_pcm_nu_mean(0.0), 0.1, 1e-12);                     /* idle: clipped down */
    CHECK_NEAR(nvm_pcm_nu_sd(0.0), 0.045, 1e-12);
    CHECK_NEAR(nvm_pcm_nu_mean(0.1 * NVM_DEV_GMAX), -0.0155 * log(0.1) + 0.0244, 1e-12);
    CHECK_NEAR(nvm_pcm_nu_sd(0.1 * NVM_DEV_GMAX), -0.0125 * log(0.1) - 0.0059, 1e-12);
    CHECK_NEAR(nvm_pcm_prog_sigma(0.5 * NVM_DEV_GMAX), 0.26348 + 1.9650 * 0.5 - 1.1731 * 0.25, 1e-12);
    CHECK_NEAR(nvm_pcm_q(NVM_DEV_GMAX), 0.0088, 1e-12);
    CHECK_NEAR(nvm_pcm_q(0.3 * NVM_DEV_GMAX), 0.0088 / pow(0.3, 0.65), 1e-12);
    CHECK_NEAR(nvm_pcm_flicker_t(1e4), sqrt(log((1e4 + 20 + 250e-9) / 500e-9)), 1e-12);
    CHECK_NEAR(nvm_pcm_q(0.0), 0.2, 1e-12);
    CHECK_NEAR(nvm_pcm_flicker_t(0.0), sqrt(log((20 + 250e-9) / 500e-9)), 1e-12);
    /* Drift at t = 0 is none; G_d at large t is below G_p. */
    nvm_pcm_xi xi = {0.3, -0.2, 0.0};
    nvm_pcm_state st;
    nvm_pcm_device(10.0, 1.0, 0.0, &xi, &st);
    CHECK(st.g_drift == st.g_prog && st.g == st.g_prog);
    nvm_pcm_device(10.0, 1.0, 1e6, &xi, &st);
    CHECK(st.g_drift < 0.8 * st.g_prog);
}

/* A small MLP (t<H>-f10 on 1×1×in) with random parameters, nonzero biases. */
static float *mlp(nvm_arch *a, const char *spec, int in, uint64_t seed)
{
    nvm_err e;
    CHECK(nvm_arch_parse(a, "t", spec, 1, 1, in, 10, &e) == NVM_OK);
    float *p = nvm_alloc_floats(a->n_params);
    nvm_stream s = nvm_stream_make(seed, NVM_RNG_INIT, 0, 0);
    for (size_t i = 0; i < a->n_params; i++)
        p[i] = (float)(0.4 * (nvm_uniform(&s, i) - 0.5));
    return p;
}

static void faults(void)
{
    const nvm_chip chip = {5, 1, 3, 1, 0};
    const int N = 200000;
    const double rates[3] = {0.01, 0.05, 0.2}, F = NVM_STUCK_ON_DEFAULT;
    int count[3] = {0}, nested = 1, same_level = 1, on = 0;
    for (int i = 0; i < N; i++) {
        nvm_fault f[3];
        for (int r = 0; r < 3; r++) {
            f[r] = nvm_device_fault(&chip, (uint64_t)i, rates[r], F);
            count[r] += f[r] != NVM_FAULT_NONE;
        }
        nested &= (f[0] == NVM_FAULT_NONE || f[1] != NVM_FAULT_NONE) && (f[1] == NVM_FAULT_NONE || f[2] != NVM_FAULT_NONE);
        same_level &= (f[0] == NVM_FAULT_NONE || f[0] == f[2]) && (f[1] == NVM_FAULT_NONE || f[1] == f[2]);
        on += f[2] == NVM_FAULT_ON;
    }
    CHECK(nested && same_level);
    for (int r = 0; r < 3; r++)
        CHECK_NEAR((double)count[r] / N, rates[r], 5 * sqrt(rates[r] * (1 - rates[r]) / N));
    CHECK_NEAR((double)on / count[2], F, 5 * sqrt(F * (1 - F) / count[2]));
    CHECK_NEAR(F, 0.8378, 1e-4);
    CHECK(nvm_device_fault(&chip, 7, 0.0, F) == NVM_FAULT_NONE);

    /* The chip: each pair with a faulty device reads (stuck(G+) - stuck(G-))/s, G± from the Eq. 1 value;
     * every other parameter exactly nvm_degrade's. */
    nvm_arch a;
    float *p = mlp(&a, "t30-f10", 40, 3);
    float *g = nvm_alloc_floats(a.n_params), *out = nvm_alloc_floats(a.n_params);
    nvm_device d;
    nvm_device_defaults(&d);
    d.alpha = 0.3;
    d.fault_rate = 0.05;
    const nvm_noise gauss = {0};
    nvm_degrade(&a, p, g, &gauss, d.alpha, &chip);
    nvm_device_realise(&a, p, out, &d, &chip);
    const double s = nvm_device_scale(&a, p, 0, 1);
    int ok = 1, changed = 0;
    for (size_t i = 0; i < a.n_params; i++) {
        nvm_fault fp = nvm_device_fault(&chip, 2 * i, d.fault_rate, d.stuck_on);
        nvm_fault fm = nvm_device_fault(&chip, 2 * i + 1, d.fault_rate, d.stuck_on);
        if (i >= a.fe_params || (fp == NVM_FAULT_NONE && fm == NVM_FAULT_NONE)) {
            ok &= memcmp(&out[i], &g[i], sizeof(float)) == 0;
            continue;
        }
        double gp = s * (g[i] > 0 ? g[i] : 0), gm = s * (g[i] < 0 ? -g[i] : 0);
        gp = fp == NVM_FAULT_ON ? 25.0 : fp == NVM_FAULT_OFF ? 0.0 : gp;
        gm = fm == NVM_FAULT_ON ? 25.0 : fm == NVM_FAULT_OFF ? 0.0 : gm;
        ok &= fabs(out[i] - (gp - gm) / s) <= 1e-6 * (1 + fabs((gp - gm) / s));
        changed += out[i] != g[i];
    }
    CHECK(ok);
    CHECK(changed > (int)(0.05 * a.fe_params));   /* ~ 2·f·(1 - f) of pairs, most of them changed */
    free(p);
    free(g);
    free(out);
}

/* pcm realise = the device functions, pair by pair; only analog parameters change. */
static void pcm_chip(void)
{
    nvm_arch a;
    float *p = mlp(&a, "t20-t20-f10", 30, 4);
    float *out = nvm_alloc_floats(a.n_params), *out2 = nvm_alloc_floats(a.n_params);
    nvm_device d;
    nvm_device_defaults(&d);
    d.model = NVM_DEV_PCM;
    d.alpha = 1.0;
    d.time = 3600;
    d.fault_rate = 0.02;
    for (int bias = 0; bias <= 1; bias++) {
        const nvm_chip chip = {9, 0, 1, bias, 0};
        nvm_device_realise(&a, p, out, &d, &chip);
        int ok = 1;
        for (int l = 0; l < a.n_layers; l++) {
            const nvm_layer *L = &a.layers[l];
            const double s = nvm_device_scale(&a, p, l, bias);
            for (size_t i = L->w_off; i < L->b_off + (size_t)L->out_c; i++) {
                int analog = l < a.fe_layers && (bias || i < L->b_off);
                if (!analog) {
                    ok &= out[i] == p[i];
                    continue;
                }
                double G[2];
                for (int k = 0; k < 2; k++) {
                    double gt = s * (k == 0 ? (p[i] > 0 ? p[i] : 0) : (p[i] < 0 ? -p[i] : 0));
                    nvm_pcm_xi xi = nvm_pcm_draw(&chip, 2 * i + (uint64_t)k);
                    nvm_pcm_state st;
                    nvm_pcm_device(gt, d.alpha, d.time, &xi, &st);
                    nvm_fault f = nvm_device_fault(&chip, 2 * i + (uint64_t)k, d.fault_rate, d.stuck_on);
                    G[k] = f == NVM_FAULT_ON ? 25.0 : f == NVM_FAULT_OFF ? 0.0 : st.g;
                }
                ok &= out[i] == (float)((G[0] - G[1]) / s);
            }
        }
        CHECK(ok);
    }
    /* analog_all: the detector too. */
    const nvm_chip chip = {9, 0, 1, 1, 0}, other = {9, 0, 2, 1, 0};
    d.analog_all = 1;
    d.fault_rate = 0;
    nvm_device_realise(&a, p, out, &d, &chip);
    const nvm_layer *last = &a.layers[a.n_layers - 1];
    int det_changed = 0;
    for (size_t i = last->w_off; i < a.n_params; i++)
        det_changed += out[i] != p[i];
    CHECK(det_changed > (int)(0.9 * (a.n_params - last->w_off)));
    /* Common random numbers: an hour later the same chip has the same programming, drift and 1/f
     * draws (deviations from the target strongly correlated); another chip's are other draws. */
    for (int k = 0; k < 2; k++) {
        nvm_device d2 = d;
        d2.time = 7200;
        nvm_device_realise(&a, p, out2, &d2, k ? &other : &chip);
        acc xy = {0}, xx = {0}, yy = {0};
        for (size_t i = 0; i < a.n_params; i++) {
            double x = out[i] - p[i], y = out2[i] - p[i];
            acc_add(&xy, x * y), acc_add(&xx, x * x), acc_add(&yy, y * y);
        }
        double r = acc_mean(&xy) / sqrt(acc_mean(&xx) * acc_mean(&yy));
        CHECK(k ? r < 0.95 : r > 0.995);   /* (the common drift shrinkage correlates any two chips) */
    }
    free(p);
    free(out);
    free(out2);
}

static void exactness(void)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_named(&a, "mlp3", NULL, 50, 28, 28, 1, 10, &e) == NVM_OK);
    float *p = nvm_alloc_floats(a.n_params), *g = nvm_alloc_floats(a.n_params),
          *h = nvm_alloc_floats(a.n_params);
    nvm_stream init = nvm_stream_make(3, NVM_RNG_INIT, 0, 50);
    nvm_arch_init(&a, p, &init);
    for (size_t i = 0; i < a.n_params; i++)
        if (p[i] == 0)
            p[i] = 0.01f;
    for (int bias = 0; bias <= 1; bias++)
        for (int bits = 0; bits <= 3; bits += 3) {
            const nvm_chip chip = {7, 1, 4, bias, 0};
            const nvm_noise n = {.bits = bits};
            nvm_device d;
            nvm_device_defaults(&d);
            d.model = bits ? NVM_DEV_QUANT : NVM_DEV_GAUSS;
            d.bits = bits;
            d.alpha = 0.4;
            d.read_sigma = 0.05;   /* inference-time effects do not touch the block */
            d.drift_comp = 1;
            d.time = 100;
            nvm_degrade(&a, p, g, &n, d.alpha, &chip);
            nvm_device_realise(&a, p, h, &d, &chip);
            CHECK(memcmp(g, h, a.n_params * sizeof(float)) == 0);
            /* analog_all: the feature extractor as before, the detector degraded too */
            d.analog_all = 1;
            nvm_device_realise(&a, p, h, &d, &chip);
            CHECK(memcmp(g, h, a.fe_params * sizeof(float)) == 0);
            CHECK(memcmp(p + a.fe_params, h + a.fe_params, (a.n_params - a.fe_params) * sizeof(float)) != 0);
        }
    free(p);
    free(g);
    free(h);
}

/* Layer `l` of a run on n identical rows x (width of layer l), with and without analog effects: the
 * noise z-scores z = (y - y0)/(read_std·‖x‖) pooled over outputs and samples have mean 0, variance 1. */
static void read_noise_dense(void)
{
    enum { N = 4000 };
    nvm_arch a;
    float *p = mlp(&a, "t16-f10", 50, 6);
    float *x = nvm_alloc_floats((size_t)N * 16), *y0 = nvm_alloc_floats((size_t)N * 10),
          *y = nvm_alloc_floats((size_t)N * 10), *y2 = nvm_alloc_floats((size_t)N * 10);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 16; k++)
            x[(size_t)i * 16 + k] = (float)(0.1 * k - 0.7);
    nvm_compute *cx = nvm_compute_new(NVM_ISA_GENERIC, NULL);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 256) == NVM_OK);
    nvm_run_layers(&a, p, 1, 2, x, N, y0, &w, cx);
    for (int bias = 0; bias <= 1; bias++) {
        const nvm_chip chip = {3, 0, 2, bias, 0};
        nvm_device d;
        nvm_device_defaults(&d);
        d.read_sigma = 0.03;
        d.analog_all = 1;
        nvm_analog an;
        nvm_device_analog(&a, p, &d, &chip, NULL, NULL, &an);
        /* expected std from scratch: √2·σ·g_max/s·‖x‖, s = 25/max|W (+ b)|, ‖x‖ with the bias's 1 */
        const nvm_layer *L = &a.layers[1];
        double m = 0, q = bias;
        for (size_t i = L->w_off; i < L->b_off + (bias ? 10u : 0u); i++)
            m = fabs(p[i]) > m ? fabs(p[i]) : m;
        for (int k = 0; k < 16; k++)
            q += (double)x[k] * x[k];
        const double sd = sqrt(2.0) * 0.03 * 25 / (25 / m) * sqrt(q);
        CHECK_NEAR(an.layer[1].read_std, sqrt(2.0) * 0.03 * m, 1e-6 * m);
        CHECK(an.layer[0].read_std > 0 && an.layer[1].bias_on_array == bias);
        nvm_run_layers_an(&a, p, 1, 2, x, N, y, &w, cx, &an, 0);
        acc z1 = {0}, z2 = {0};
        for (size_t i = 0; i < (size_t)N * 10; i++) {
            double z = (y[i] - y0[i]) / sd;
            acc_add(&z1, z), acc_add(&z2, z * z);
        }
        CHECK_MEAN(z1, 0.0);
        CHECK_MEAN(z2, 1.0);
        /* Deterministic per (pass, sample, output); another pass reads anew. */
        nvm_run_layers_an(&a, p, 1, 2, x, N, y2, &w, cx, &an, 0);
        CHECK(memcmp(y, y2, (size_t)N * 10 * sizeof(float)) == 0);
        an.pass = 1;
        nvm_run_layers_an(&a, p, 1, 2, x, N, y2, &w, cx, &an, 0);
        int differ = 0;
        for (size_t i = 0; i < (size_t)N * 10; i++)
            differ += y[i] != y2[i];
        CHECK(differ > N * 9);
        /* The noise belongs to the global sample index: run from sample 100 on (identical inputs), row i
         * reads what row 100 + i read before, and not what row i read. */
        an.pass = 0;
        nvm_run_layers_an(&a, p, 1, 2, x, N, y2, &w, cx, &an, 100);
        CHECK(memcmp(y + 1000, y2, (size_t)(N - 100) * 10 * sizeof(float)) == 0);
        CHECK(memcmp(y, y2, 10 * sizeof(float)) != 0);
    }
    nvm_work_free(&w);
    nvm_compute_free(cx);
    free(p);
    free(x);
    free(y0);
    free(y);
    free(y2);
}

/* A 'same' convolution: border patches hold fewer inputs, so the std differs per output position. */
static void read_noise_conv(void)
{
    enum { N = 2000, H = 6, C = 2, OC = 3 };
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "c3s-p-f10", H, H, C, 10, &e) == NVM_OK);
    float *p = nvm_alloc_floats(a.n_params);
    nvm_stream s = nvm_stream_make(12, NVM_RNG_INIT, 0, 0);
    for (size_t i = 0; i < a.n_params; i++)
        p[i] = (float)(0.4 * (nvm_uniform(&s, i) - 0.5));
    const nvm_layer *L = &a.layers[0];
    for (int j = 0; j < OC; j++)
        p[L->b_off + (size_t)j] = 100;   /* ReLU passes everything: the noise is seen whole */
    const int in = H * H * C, outn = H * H * OC;
    float *x = nvm_alloc_floats((size_t)N * in), *y0 = nvm_alloc_floats((size_t)N * outn),
          *y = nvm_alloc_floats((size_t)N * outn), *y7 = nvm_alloc_floats((size_t)N * outn);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < in; k++)
            x[(size_t)i * in + k] = (float)(0.05 * (k % 13) - 0.3);
    nvm_pool *pool = nvm_pool_new(2);
    nvm_compute *cx = nvm_compute_new(nvm_isa_detect(), pool), *cx1 = nvm_compute_new(NVM_ISA_GENERIC, NULL);
    nvm_work w, w7;
    CHECK(nvm_work_init(&w, &a, 300) == NVM_OK && nvm_work_init(&w7, &a, 7) == NVM_OK);
    nvm_run_layers(&a, p, 0, 1, x, N, y0, &w, cx);
    const nvm_chip chip = {4, 0, 0, 0, 0};   /* bias digital: s from the weights alone, ‖x‖ without 1 */
    nvm_device d;
    nvm_device_defaults(&d);
    d.read_sigma = 0.02;
    nvm_analog an;
    nvm_device_analog(&a, p, &d, &chip, NULL, NULL, &an);
    nvm_run_layers_an(&a, p, 0, 1, x, N, y, &w, cx, &an, 0);
    double m = 0;
    for (size_t i = L->w_off; i < L->b_off; i++)
        m = fabs(p[i]) > m ? fabs(p[i]) : m;
    acc z1 = {0}, z2 = {0}, zb = {0};
    for (int oy = 0; oy < H; oy++)
        for (int ox = 0; ox < H; ox++) {
            double q = 0;   /* the patch, zeros outside the image */
            for (int ky = -1; ky <= 1; ky++)
                for (int kx = -1; kx <= 1; kx++)
                    if (oy + ky >= 0 && oy + ky < H && ox + kx >= 0 && ox + kx < H)
                        for (int c = 0; c < C; c++) {
                            double v = x[((oy + ky) * H + ox + kx) * C + c];
                            q += v * v;
                        }
            const double sd = sqrt(2.0) * 0.02 * m * sqrt(q);
            const int border = oy == 0 || ox == 0 || oy == H - 1 || ox == H - 1;
            for (int i = 0; i < N; i++)
                for (int j = 0; j < OC; j++) {
                    size_t o = (size_t)i * outn + (size_t)(oy * H + ox) * OC + (size_t)j;
                    double z = (y[o] - y0[o]) / sd;
                    acc_add(&z1, z), acc_add(&z2, z * z);
                    if (border)
                        acc_add(&zb, z * z);
                }
        }
    CHECK_MEAN(z1, 0.0);
    CHECK_MEAN(z2, 1.0);
    CHECK_MEAN(zb, 1.0);
    /* Batch size and threads change nothing. */
    nvm_run_layers_an(&a, p, 0, 1, x, N, y7, &w7, cx1, &an, 0);
    CHECK(memcmp(y, y7, (size_t)N * outn * sizeof(float)) == 0);
    /* The whole network (pool, dense) too, with every effect on and the accuracy. */
    d.dac_bits = 4;
    d.adc_bits = 6;
    d.analog_all = 1;
    nvm_dev_calib cal;
    nvm_device_calibrate(&a, p, x, N, &w, cx, &cal);
    nvm_device_analog(&a, p, &d, &chip, &cal, NULL, &an);
    float *z = nvm_alloc_floats((size_t)N * 10), *z7 = nvm_alloc_floats((size_t)N * 10);
    uint8_t *lab = malloc(N);
    for (int i = 0; i < N; i++)
        lab[i] = (uint8_t)(i % 10);
    nvm_run_layers_an(&a, p, 0, a.n_layers, x, N, z, &w, cx, &an, 0);
    nvm_run_layers_an(&a, p, 0, a.n_layers, x, N, z7, &w7, cx1, &an, 0);
    CHECK(memcmp(z, z7, (size_t)N * 10 * sizeof(float)) == 0);
    double acc1 = nvm_accuracy_an(&a, p, 0, x, lab, N, &w, cx, &an, 0);
    double acc7 = nvm_accuracy_an(&a, p, 0, x, lab, N, &w7, cx1, &an, 0);
    CHECK(acc1 == acc7);
    nvm_work_free(&w);
    nvm_work_free(&w7);
    nvm_compute_free(cx);
    nvm_compute_free(cx1);
    nvm_pool_free(pool);
    free(p), free(x), free(y0), free(y), free(y7), free(z), free(z7), free(lab);
}

static void converters(void)
{
    enum { N = 6001 };
    static float x[N], q[N];
    for (int i = 0; i < N; i++)
        x[i] = (float)(-1.5 + 3.0 * i / (N - 1));   /* -1.5 .. 1.5 */
    for (int bits = 1; bits <= 8; bits++) {
        const int levels = 1 << bits;
        for (int sgn = 0; sgn <= 1; sgn++) {
            const double lo = sgn ? -1.0 : 0.0, step = (1.0 - lo) / (levels - 1);
            nvm_dac_quantize(NVM_ISA_GENERIC, x, q, N, bits, 1.0f, sgn);
            int on_level = 1, near = 1, clipped = 1, hit[256] = {0}, distinct = 0;
            for (int i = 0; i < N; i++) {
                double k = (q[i] - lo) / step;
                on_level &= fabs(k - nearbyint(k)) < 1e-4 && k > -1e-4 && k < levels - 1 + 1e-4;
                if (x[i] >= lo && x[i] <= 1)
                    near &= fabs(q[i] - x[i]) <= step / 2 + 1e-6;
                else
                    clipped &= q[i] == (x[i] < lo ? (float)lo : 1.0f);
                int ki = (int)nearbyint(k);
                if (ki >= 0 && ki < levels && !hit[ki])
                    hit[ki] = 1, distinct++;
            }
            CHECK(on_level);
            CHECK(near);
            CHECK(clipped);
            CHECK(distinct == levels);
        }
        /* unsigned ranges hold 0 exactly; signed ones do not (2^B symmetric levels) */
        float zero = 0, out;
        nvm_dac_quantize(NVM_ISA_GENERIC, &zero, &out, 1, bits, 1.0f, 0);
        CHECK(out == 0);
        nvm_dac_quantize(NVM_ISA_GENERIC, &zero, &out, 1, bits, 1.0f, 1);
        CHECK(fabs(fabs(out) - 1.0 / ((1 << bits) - 1)) < 1e-6);
    }
    /* ADC: ±y_max, in place */
    float y[5] = {-9, -0.26f, 0.0f, 0.26f, 9};
    nvm_adc_quantize(NVM_ISA_GENERIC, y, 5, 2, 3.0f);   /* levels -3, -1, 1, 3 */
    CHECK(y[0] == -3 && y[1] == -1 && y[3] == 1 && y[4] == 3 && fabs(y[2]) == 1);
    float none[3] = {1, 2, 3};
    nvm_dac_quantize(NVM_ISA_GENERIC, none, none, 3, 4, 0.0f, 0);
    CHECK(none[0] == 0 && none[2] == 0);

    /* In the forward pass: a signed DAC on a 'same' convolution quantises before im2col (the padding
     * stays 0, which a signed DAC could not produce), i.e. = the plain pass on quantised inputs. */
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", "c4s-p-f10", 6, 6, 2, 10, &e) == NVM_OK);
    float *p = nvm_alloc_floats(a.n_params), xs[4 * 72], xq[4 * 72];
    nvm_stream s = nvm_stream_make(2, NVM_RNG_INIT, 0, 0);
    for (size_t i = 0; i < a.n_params; i++)
        p[i] = (float)(nvm_uniform(&s, i) - 0.5);
    for (int i = 0; i < 4 * 72; i++)
        xs[i] = (float)(2 * nvm_uniform(&s, 999 + (uint64_t)i) - 1);
    nvm_compute *cx = nvm_compute_new(NVM_ISA_GENERIC, NULL);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 4) == NVM_OK);
    nvm_dev_calib cal;
    nvm_device_calibrate(&a, p, xs, 4, &w, cx, &cal);
    CHECK(cal.samples == 4 && cal.x_signed[0] && !cal.x_signed[2]);   /* conv input signed; after ReLU+pool not */
    nvm_device d;
    nvm_device_defaults(&d);
    d.dac_bits = 3;
    const nvm_chip chip = {1, 0, 0, 1, 0};
    nvm_analog an;
    nvm_device_analog(&a, p, &d, &chip, &cal, NULL, &an);
    CHECK(an.layer[0].dac_bits == 3 && an.layer[0].dac_signed && an.layer[0].dac_max == cal.x_max[0]);
    CHECK(an.layer[2].dac_bits == 0);   /* the detector is digital */
    nvm_forward_an(&a, p, &w, xs, 0, 1, 4, cx, &an, 0);
    float *ya = nvm_alloc_floats(4 * 144);
    memcpy(ya, w.act[1], 4 * 144 * sizeof(float));
    nvm_dac_quantize(NVM_ISA_GENERIC, xs, xq, 4 * 72, 3, cal.x_max[0], 1);
    nvm_forward(&a, p, &w, xq, 0, 1, 4, cx);
    CHECK(memcmp(ya, w.act[1], 4 * 144 * sizeof(float)) == 0);
    /* ADC on the last layer (no activation): every output on a level of ±y_max */
    d.dac_bits = 0;
    d.adc_bits = 3;
    d.analog_all = 1;
    nvm_device_analog(&a, p, &d, &chip, &cal, NULL, &an);
    nvm_forward_an(&a, p, &w, xs, 0, a.n_layers, 4, cx, &an, 0);
    const double ym = cal.y_max[2], st = 2 * ym / 7;
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        double k = (w.act[a.n_layers][i] + ym) / st;
        ok &= fabs(k - nearbyint(k)) < 1e-4 && k > -1e-4 && k < 7 + 1e-4;
    }
    CHECK(ok);
    nvm_work_free(&w);
    nvm_compute_free(cx);
    free(p);
    free(ya);
}

/* Calibration: only the first 1000 samples; input signs; pre-activation maxima (with and without b). */
static void calibration(void)
{
    enum { N = 1500, IN = 12 };
    nvm_arch a;
    float *p = mlp(&a, "t8-f10", IN, 8);
    float *x = nvm_alloc_floats((size_t)N * IN);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < IN; k++)
            x[(size_t)i * IN + k] = (float)(i < 1000 ? ((i * 7 + k * 3) % 17) / 17.0 : 50.0);
    nvm_compute *cx = nvm_compute_new(NVM_ISA_GENERIC, NULL);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 64) == NVM_OK);
    nvm_dev_calib cal;
    nvm_device_calibrate(&a, p, x, N, &w, cx, &cal);
    double xm = 0, ym = 0, yn = 0;
    for (int i = 0; i < 1000; i++) {
        for (int k = 0; k < IN; k++)
            xm = x[(size_t)i * IN + k] > xm ? x[(size_t)i * IN + k] : xm;
        for (int j = 0; j < 8; j++) {
            double v = 0;
            for (int k = 0; k < IN; k++)
                v += (double)x[(size_t)i * IN + k] * p[a.layers[0].w_off + (size_t)k * 8 + (size_t)j];
            yn = fabs(v) > yn ? fabs(v) : yn;
            v += p[a.layers[0].b_off + (size_t)j];
            ym = fabs(v) > ym ? fabs(v) : ym;
        }
    }
    CHECK(cal.samples == 1000);
    CHECK(cal.x_max[0] == (float)xm && !cal.x_signed[0]);
    CHECK(cal.x_signed[1] && cal.x_max[1] > 0 && cal.x_max[1] <= 1);   /* tanh outputs */
    CHECK_NEAR(cal.y_max[0], ym, 1e-5 * ym);
    CHECK_NEAR(cal.y_max_nob[0], yn, 1e-5 * yn);
    nvm_work_free(&w);
    nvm_compute_free(cx);
    free(p);
    free(x);
}

/* Drift compensation: on a drifted pcm chip (no read noise) the all-ones response of each analog layer,
 * scaled by c, has exactly the mean |y| of the chip at t₁. */
static void drift_compensation(void)
{
    nvm_arch a;
    float *p = mlp(&a, "t20-f10", 30, 10);
    float *now = nvm_alloc_floats(a.n_params), *ref = nvm_alloc_floats(a.n_params);
    nvm_compute *cx = nvm_compute_new(NVM_ISA_GENERIC, NULL);
    nvm_work w;
    CHECK(nvm_work_init(&w, &a, 1) == NVM_OK);
    float ones[30];
    for (int k = 0; k < 30; k++)
        ones[k] = 1;
    for (int bias = 0; bias <= 1; bias++) {
        const nvm_chip chip = {21, 0, 3, bias, 0};
        nvm_device d;
        nvm_device_defaults(&d);
        d.model = NVM_DEV_PCM;
        d.alpha = 1;
        d.time = 1e6;
        d.time_ref = 60;
        d.drift_comp = 1;
        d.analog_all = 1;
        nvm_device_realise(&a, p, now, &d, &chip);
        float c[NVM_MAX_LAYERS];
        nvm_device_drift_comp(&a, p, now, ref, &d, &chip, c);
        CHECK(c[0] > 1.1 && c[1] > 1.1);   /* a million seconds of drift */
        nvm_analog an;
        nvm_device_analog(&a, p, &d, &chip, NULL, c, &an);
        CHECK(an.layer[1].out_scale == c[1]);
        for (int l = 0; l < 2; l++) {   /* layer 1: no activation; layer 0: via its all-ones rows */
            const nvm_layer *L = &a.layers[l];
            if (l == 0)   /* check c against the definition directly */
                CHECK_NEAR(c[0], nvm_device_comp_factor(&a, 0, ref, now, bias), 1e-6);
            else {
                nvm_forward_an(&a, now, &w, ones, 1, 2, 1, cx, &an, 0);
                double got = 0, want = 0, raw = 0;
                for (int j = 0; j < 10; j++) {
                    double yr = bias ? ref[L->b_off + (size_t)j] : 0, yn = bias ? now[L->b_off + (size_t)j] : 0;
                    for (int r = 0; r < 20; r++)
                        yr += ref[L->w_off + (size_t)r * 10 + (size_t)j], yn += now[L->w_off + (size_t)r * 10 + (size_t)j];
                    /* a digital bias is added after the gain: take it off again */
                    got += fabs(w.act[2][j] - (bias ? 0 : now[L->b_off + (size_t)j]));
                    want += fabs(yr);
                    raw += fabs(yn);
                }
                CHECK_NEAR(got / want, 1.0, 1e-5);
                CHECK(raw / want < 0.9);
            }
        }
        /* gauss chips do not drift: c = 1 exactly */
        nvm_device g;
        nvm_device_defaults(&g);
        g.alpha = 0.2;
        g.fault_rate = 0.1;
        g.time = 1e6;
        g.analog_all = 1;
        nvm_device_realise(&a, p, now, &g, &chip);
        nvm_device_drift_comp(&a, p, now, ref, &g, &chip, c);
        CHECK(c[0] == 1 && c[1] == 1);
    }
    nvm_work_free(&w);
    nvm_compute_free(cx);
    free(p);
    free(now);
    free(ref);
}

/* Nothing on: the analog entry points are the plain ones, bit for bit (MLP and CNN). */
static void all_off(void)
{
    const char *specs[2] = {"t40-t20-f10", "c8-p-c8s-f16-f10"};
    const int side[2] = {1, 8}, ch[2] = {60, 3};
    for (int t = 0; t < 2; t++) {
        nvm_arch a;
        nvm_err e;
        CHECK(nvm_arch_parse(&a, "t", specs[t], side[t], side[t], ch[t], 10, &e) == NVM_OK);
        const int in = a.layers[0].n_in, n = 50;
        float *p = nvm_alloc_floats(a.n_params), *x = nvm_alloc_floats((size_t)n * in);
        float *y0 = nvm_alloc_floats((size_t)n * 10), *y1 = nvm_alloc_floats((size_t)n * 10);
        nvm_stream s = nvm_stream_make(5, NVM_RNG_INIT, 0, 0);
        for (size_t i = 0; i < a.n_params; i++)
            p[i] = (float)(nvm_uniform(&s, i) - 0.45);
        for (size_t i = 0; i < (size_t)n * in; i++)
            x[i] = (float)nvm_uniform(&s, 100000 + i);
        nvm_compute *cx = nvm_compute_new(nvm_isa_detect(), NULL);
        nvm_work w;
        CHECK(nvm_work_init(&w, &a, 16) == NVM_OK);
        nvm_run_layers(&a, p, 0, a.n_layers, x, n, y0, &w, cx);
        nvm_device d;
        nvm_device_defaults(&d);
        d.analog_all = 1;
        d.drift_comp = 1;   /* on, but with c = 1 */
        float c[NVM_MAX_LAYERS];
        for (int l = 0; l < NVM_MAX_LAYERS; l++)
            c[l] = 1;
        const nvm_chip chip = {1, 0, 0, 1, 0};
        nvm_analog an, zero;
        nvm_device_analog(&a, p, &d, &chip, NULL, c, &an);
        memset(&zero, 0, sizeof zero);
        nvm_run_layers_an(&a, p, 0, a.n_layers, x, n, y1, &w, cx, &an, 0);
        CHECK(memcmp(y0, y1, (size_t)n * 10 * sizeof(float)) == 0);
        nvm_run_layers_an(&a, p, 0, a.n_layers, x, n, y1, &w, cx, &zero, 0);
        CHECK(memcmp(y0, y1, (size_t)n * 10 * sizeof(float)) == 0);
        uint8_t lab[50];
        for (int i = 0; i < n; i++)
            lab[i] = (uint8_t)(i * 3 % 10);
        CHECK(nvm_accuracy(&a, p, 0, x, lab, n, &w, cx) == nvm_accuracy_an(&a, p, 0, x, lab, n, &w, cx, &an, 0));
        nvm_work_free(&w);
        nvm_compute_free(cx);
        free(p), free(x), free(y0), free(y1);
    }
}

static void mapping_and_misc(void)
{
    nvm_arch a;
    float *p = mlp(&a, "t20-t20-f10", 30, 13);
    p[5] = 0.5f;                       /* the largest weight of layer 0 */
    p[a.layers[0].b_off + 3] = -0.8f;  /* larger still: counts only with the bias on the array */
    nvm_device d;
    nvm_device_defaults(&d);
    nvm_dev_map m[NVM_MAX_LAYERS];
    int n;
    nvm_device_mapping(&a, p, &d, 0, m, &n);
    CHECK(n == 2 && m[0].layer == 0 && m[1].layer == 1 && m[0].rows == 30 && m[0].cols == 20);
    CHECK_NEAR(m[0].s, 25 / 0.5, 1e-9);
    CHECK_NEAR(m[0].g_max, 25, 1e-5);
    CHECK(m[0].g_min > 0 && m[0].g_min < 1 && m[0].devices == 2 * 30 * 20);
    nvm_device_mapping(&a, p, &d, 1, m, &n);
    CHECK(m[0].rows == 31 && m[0].bias_row && fabs(m[0].s - 25 / 0.8) < 1e-6);
    d.analog_all = 1;
    nvm_device_mapping(&a, p, &d, 1, m, &n);
    CHECK(n == 3 && m[2].layer == 2);
    FILE *f = tmpfile();
    nvm_device_print_mapping(f, &a, p, &d, 1);
    CHECK(ftell(f) > 100);
    fclose(f);
    int nc;
    const nvm_dev_const *k = nvm_device_constants(&nc);
    CHECK(nc > 15 && strcmp(k[0].name, "g_max_uS") == 0 && k[0].value == 25);
    nvm_err e;
    char name[16];
    CHECK(nvm_device_parse_model("pcm", &d, &e) == NVM_OK && d.model == NVM_DEV_PCM);
    nvm_device_model_name(&d, name);
    CHECK(strcmp(name, "pcm") == 0);
    CHECK(nvm_device_parse_model("quant:4", &d, &e) == NVM_OK && d.model == NVM_DEV_QUANT && d.bits == 4);
    nvm_device_model_name(&d, name);
    CHECK(strcmp(name, "quant:4") == 0);
    CHECK(nvm_device_parse_model("pcmx", &d, &e) == NVM_EUSAGE && strstr(e.msg, "--noise pcmx"));
    free(p);
}

/* The read-noise normals: Φ(z) is the uniform it came from (tails included), the moments are those
 * of N(0, 1), and a run cut into pieces gives the same values. */
static void fast_normals(void)
{
    enum { N = 1 << 21 };
    float *z = nvm_alloc_floats(N), *z2 = nvm_alloc_floats(N);
    nvm_stream s = nvm_stream_make(17, NVM_RNG_READ, 3, 5 << 8);
    nvm_read_normals(NVM_ISA_GENERIC, &s, 1000, z, N);
    acc m1 = {0}, m2 = {0}, m4 = {0}, t3 = {0};
    double worst = 0, zmax = 0;
    for (int i = 0; i < N; i++) {
        double v = z[i];
        acc_add(&m1, v), acc_add(&m2, v * v), acc_add(&m4, v * v * v * v), acc_add(&t3, fabs(v) > 3);
        zmax = fabs(v) > zmax ? fabs(v) : zmax;
        if (i % 4 == 0) {   /* the uniforms of this block, as nvm_read_normals makes them */
            uint64_t k = 1000 + (uint64_t)i / 4;
            uint32_t ctr[4] = {(uint32_t)k, (uint32_t)(k >> 32), s.tag, s.sub}, r[4];
            nvm_philox(ctr, s.key, r);
            for (int j = 0; j < 4; j++) {
                double u = ((r[j] >> 9) + 0.5) * 0x1.0p-23, tail = u < 0.5 ? u : 1 - u;
                double err = fabs(0.5 * erfc(-z[i + j] / sqrt(2.0)) - u) / tail;
                worst = err > worst ? err : worst;
            }
        }
    }
    CHECK(worst < 1e-5);   /* measured 3.6e-6 */
    CHECK(zmax < 5.4 && zmax > 4.5);
    CHECK_MEAN(m1, 0.0);
    CHECK_MEAN(m2, 1.0);
    CHECK_MEAN(m4, 3.0);
    CHECK_MEAN(t3, 2 * Phi(-3.0));
    /* in pieces of 4k values, and from a later block */
    for (int i = 0; i < 1000; i += 100)
        nvm_read_normals(NVM_ISA_GENERIC, &s, 1000 + (uint64_t)i / 4, z2 + i, 100);
    CHECK(memcmp(z, z2, 1000 * sizeof(float)) == 0);
    nvm_read_normals(NVM_ISA_GENERIC, &s, 1000 + 4096 / 4, z2, 999);
    CHECK(memcmp(z + 4096, z2, 999 * sizeof(float)) == 0);
    free(z);
    free(z2);
}

/* The vectorised kernels against plain references, on every instruction set this machine has:
 * the quantiser against clip + nearbyint (ties and NaN included), the read noise against a row norm
 * summed in order and one normal per output, on shapes whose rows and chunks end off the vector
 * widths. Each must give the reference's bits. */
static float level_ref(double x, double lo, double hi, double step)
{
    x = x < lo ? lo : x > hi ? hi : x;
    return (float)(lo + step * nearbyint((x - lo) / step));
}

static void kernels_match_references(void)
{
    enum { N = 5003 };
    static float x[N], q[N], ref[N];
    nvm_stream s = nvm_stream_make(5, NVM_RNG_READ, 2, 9);
    nvm_read_normals(NVM_ISA_GENERIC, &s, 0, x, N);
    for (int i = 0; i < N; i++)
        x[i] *= 0.7f;
    for (int bits = 1; bits <= 8; bits++) {   /* exact ties: every half level of [0, 1] */
        for (int i = 0; i < 600; i++)
            x[i] = (float)((i - 50) * 0.5 / ((1 << bits) - 1));
        x[600] = NAN;
        for (int sgn = 0; sgn <= 1; sgn++) {
            const double hi = 1.0, lo = sgn ? -1.0 : 0.0, step = (hi - lo) / ((1 << bits) - 1);
            for (int i = 0; i < N; i++)
                ref[i] = level_ref(x[i], lo, hi, step);
            for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
                nvm_dac_quantize((nvm_isa)isa, x, q, N, bits, 1.0f, sgn);
                CHECK(isnan(q[600]));
                q[600] = ref[600] = 0;
                CHECK(memcmp(q, ref, sizeof q) == 0);
            }
        }
    }
    /* normals: every isa the same bits, in any pieces */
    enum { Z = 1 << 16 };
    float *z0 = nvm_alloc_floats(Z), *z1 = nvm_alloc_floats(Z);
    nvm_read_normals(NVM_ISA_GENERIC, &s, 77, z0, Z);
    for (int isa = NVM_ISA_AVX2; isa <= (int)nvm_isa_detect(); isa++) {
        nvm_read_normals((nvm_isa)isa, &s, 77, z1, Z);
        CHECK(memcmp(z0, z1, Z * sizeof(float)) == 0);
    }
    /* read noise: B samples of P reads of K inputs, N outputs (conv-like; P·N = 333 spans chunks) */
    enum { B = 3, P = 37, K = 29, NO = 9 };
    float *rows = nvm_alloc_floats(B * P * K), *y = nvm_alloc_floats(B * P * NO), *yr = nvm_alloc_floats(B * P * NO),
          *rstd = nvm_alloc_floats(B * P), zz[B * P * NO];
    nvm_read_normals(NVM_ISA_GENERIC, &s, 5000, rows, B * P * K);
    for (int bias = 0; bias <= 1; bias++)
        for (int isa = NVM_ISA_GENERIC; isa <= (int)nvm_isa_detect(); isa++) {
            for (int i = 0; i < B * P * NO; i++)
                y[i] = yr[i] = 0.25f * (float)(i % 7);
            nvm_read_noise_add((nvm_isa)isa, y, rows, B, P, K, NO, bias, 0.03f, &s, 3, 1000, rstd);
            for (int b = 0; b < B; b++) {   /* the header's counter: [layer 4 | sample 32 | output/4 26] */
                const uint64_t blk = ((uint64_t)3 << 58) | ((uint64_t)(1000 + b) << 26);
                nvm_read_normals(NVM_ISA_GENERIC, &s, blk, zz, P * NO);
                for (int p = 0; p < P; p++) {
                    double qq = bias;
                    for (int k = 0; k < K; k++)
                        qq += (double)rows[((size_t)b * P + p) * K + k] * rows[((size_t)b * P + p) * K + k];
                    const float sd = (float)(0.03f * sqrt(qq));
                    for (int j = 0; j < NO; j++)
                        yr[((size_t)b * P + p) * NO + j] += sd * zz[p * NO + j];
                }
            }
            CHECK(memcmp(y, yr, B * P * NO * sizeof(float)) == 0);
        }
    free(z0);
    free(z1);
    free(rows);
    free(y);
    free(yr);
    free(rstd);
}

int main(void)
{
    kernels_match_references();
    fast_normals();
    pcm_statistics();
    faults();
    pcm_chip();
    exactness();
    read_noise_dense();
    read_noise_conv();
    converters();
    calibration();
    drift_compensation();
    all_off();
    mapping_and_misc();
    return check_report("device");
}
