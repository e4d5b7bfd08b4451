/* The cell's progressive programming and retraining reads: the steps are the feature extractor's
 * weight layers in order (pools skipped), step l programs exactly the tensors of layers 0..l with the
 * draws those tensors have under --detector last (every device model), only those layers get analog
 * descriptors, the read passes never collide, and on a small in-memory data set: progressive equals
 * last for a one-layer feature extractor (also with K reads under read noise), differs for two layers,
 * and is deterministic; --retrain-reads 1 is the default. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "toy_set.h"
#include "nvmsim/cell.h"

static void check_steps(const char *spec, int side, int ch)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", spec, side, side, ch, 10, &e) == NVM_OK);
    nvm_prog_step st[NVM_MAX_LAYERS];
    const int n = nvm_prog_steps(&a, st);
    int weights = 0;
    for (int l = 0; l < a.fe_layers; l++)
        weights += a.layers[l].kind != NVM_POOL;
    CHECK(n == weights && n >= 1);
    for (int i = 0; i < n; i++) {
        CHECK(a.layers[st[i].layer].kind != NVM_POOL);
        CHECK(st[i].next > st[i].layer && st[i].next <= a.fe_layers);
        CHECK(i == 0 || st[i].layer == st[i - 1].next);   /* in order, none left out */
        for (int l = st[i].layer + 1; l < st[i].next; l++)
            CHECK(a.layers[l].kind == NVM_POOL);
        CHECK((i + 1 == n) == (st[i].next == a.fe_layers));
        if (st[i].next < a.fe_layers)
            CHECK(a.layers[st[i].next].kind != NVM_POOL);
    }
    CHECK(n == 0 || st[0].layer == 0 || a.layers[0].kind == NVM_POOL);
}

static void random_block(const nvm_arch *a, float *p, uint32_t sub)
{
    nvm_stream s = nvm_stream_make(7, NVM_RNG_INIT, 3, sub);
    nvm_arch_init(a, p, &s);
    for (int t = 0; t < a->n_tensors; t++)   /* nonzero biases, so that they are degraded too */
        if (a->tensors[t].is_bias)
            for (size_t i = 0; i < a->tensors[t].count; i++)
                p[a->tensors[t].offset + i] = (float)(0.1 * (nvm_uniform(&s, 1000000 + i) - 0.5));
}

/* The layer whose tensor holds parameter i. */
static int layer_of(const nvm_arch *a, size_t i)
{
    for (int l = 0; l < a->n_layers; l++) {
        const nvm_layer *L = &a->layers[l];
        if (L->kind != NVM_POOL && i >= L->w_off && i < L->b_off + (size_t)L->out_c)
            return l;
    }
    return -1;
}

/* For every step: the view's chip equals the full feature extractor's chip on layers 0..l (same draws),
 * the clean block everywhere else, and differs from the previous step's chip exactly in layer l. */
static void check_views(const char *spec, int side, int ch, const nvm_device *d, int biases)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", spec, side, side, ch, 10, &e) == NVM_OK);
    float *clean = nvm_alloc_floats(a.n_params), *full = nvm_alloc_floats(a.n_params),
          *step = nvm_alloc_floats(a.n_params), *prev = nvm_alloc_floats(a.n_params);
    random_block(&a, clean, 1);
    const nvm_chip chip = {.seed = 11, .base = 2, .chip = 5, .degrade_biases = biases};
    nvm_device_realise(&a, clean, full, d, &chip);
    memcpy(prev, clean, a.n_params * sizeof(float));
    nvm_prog_step st[NVM_MAX_LAYERS];
    const int n = nvm_prog_steps(&a, st);
    for (int k = 0; k < n; k++) {
        nvm_arch v;
        nvm_prog_view(&a, st[k].layer, &v);
        nvm_device_realise(&v, clean, step, d, &chip);
        int same_prog = 1, same_rest = 1, only_l = 1, changed_l = 0;
        for (size_t i = 0; i < a.n_params; i++) {
            const int l = layer_of(&a, i);
            const int programmed = l >= 0 && l <= st[k].layer && (biases || i < a.layers[l].b_off);
            if (programmed)
                same_prog &= memcmp(&step[i], &full[i], sizeof(float)) == 0;
            else
                same_rest &= memcmp(&step[i], &clean[i], sizeof(float)) == 0;
            if (step[i] != prev[i]) {
                only_l &= l == st[k].layer;
                changed_l++;
            }
        }
        CHECK(same_prog);
        CHECK(same_rest);
        CHECK(only_l);
        CHECK(changed_l > 0);
        nvm_analog an;
        nvm_device_analog(&v, clean, d, &chip, NULL, NULL, &an);
        for (int l = 0; l < a.n_layers; l++)
            CHECK((an.layer[l].read_std > 0) == (l <= st[k].layer && a.layers[l].kind != NVM_POOL));
        memcpy(prev, step, a.n_params * sizeof(float));
    }
    CHECK(memcmp(prev, full, a.n_params * sizeof(float)) == 0);   /* the last step is the whole chip */
    free(clean);
    free(full);
    free(step);
    free(prev);
}

typedef struct {
    double deg, ret;
    int fe_same[2];   /* the retrained block's layers 0 and 1 are still the clean ones */
} result;

static result run(const char *spec, int progressive, int reads, double read_sigma, const nvm_dataset *train,
                  const nvm_dataset *test)
{
    nvm_arch a;
    nvm_err e;
    CHECK(nvm_arch_parse(&a, "t", spec, 4, 4, 1, 4, &e) == NVM_OK);
    float *clean = nvm_alloc_floats(a.n_params);
    nvm_stream init = nvm_stream_make(1, NVM_RNG_INIT, 0, 0);
    nvm_arch_init(&a, clean, &init);
    nvm_train_opts tr = {.epochs = 4, .batch = 8, .lr = 0.05, .momentum = 0.9, .optim = NVM_SGD},
                   rt = {.epochs = 2, .batch = 8, .lr = 0.02, .momentum = 0.9, .optim = NVM_SGD};
    nvm_compute *cx = nvm_compute_new(NVM_ISA_GENERIC, NULL);
    CHECK(nvm_train(&a, clean, 0, train->x, train->y, train->n, &tr, nvm_stream_make(1, NVM_RNG_SHUFFLE, 0, 0), cx,
                    NULL, NULL, &e) == NVM_OK);
    nvm_compute_free(cx);
    const double times[1] = {0};
    const int comps[1] = {1}, nd[1] = {0};
    const nvm_cell_ctx c = {.a = &a, .clean = clean, .train = train, .test = test, .retrain = &rt, .times = times,
                            .n_time = 1, .comps = comps, .n_comp = 1, .retrain_at = 0, .progressive = progressive,
                            .reads = reads, .nd = nd, .n_nd = 1, .seed = 3, .base = 0, .degrade_biases = 1};
    nvm_cell_scratch s;
    CHECK(nvm_cell_scratch_init(&s, &c, NVM_ISA_GENERIC) == NVM_OK);
    nvm_device d;
    nvm_device_defaults(&d);
    d.alpha = 0.5;
    d.read_sigma = read_sigma;
    result r = {-1, -1, {-1, -1}};
    CHECK(nvm_cell_run(&c, d, 1, &s, &r.deg, &r.ret, &e) == NVM_OK);
    result again = {-2, -2, {-1, -1}};   /* the scratch keeps nothing from one cell to the next */
    CHECK(nvm_cell_run(&c, d, 1, &s, &again.deg, &again.ret, &e) == NVM_OK);
    CHECK(r.deg == again.deg && r.ret == again.ret);
    for (int l = 0; l < 2 && l < a.fe_layers; l++) {
        const nvm_layer *L = &a.layers[l];
        const size_t n = L->b_off + (size_t)L->out_c - L->w_off;
        r.fe_same[l] = memcmp(s.rclean + L->w_off, clean + L->w_off, n * sizeof(float)) == 0;
    }
    nvm_cell_scratch_free(&s);
    free(clean);
    return r;
}

int main(void)
{
    /* Steps: the paper's nets, every split of the default CNN, pools in odd places. */
    static const char *SPECS[] = {"t16-f10", "t16-t16-f10", "t8-t8|t8-f10", "c32-p-c64-p-c64-f64-f10",
                                  "c32|p-c64-p-c64-f64-f10", "c32-p|c64-p-c64-f64-f10", "c32-p-c64|p-c64-f64-f10",
                                  "p-c8s-p-p-c8s-p|f10", "c8-c8-c8-c8|f10"};
    for (size_t i = 0; i < sizeof SPECS / sizeof SPECS[0]; i++)
        check_steps(SPECS[i], 32, 3);
    nvm_arch a;
    nvm_err e;
    nvm_prog_step st[NVM_MAX_LAYERS];
    CHECK(nvm_arch_parse(&a, "t", NVM_CNN_SPEC, 32, 32, 3, 10, &e) == NVM_OK);
    CHECK(nvm_prog_steps(&a, st) == 3 && st[0].next == 2 && st[1].next == 4 && st[2].next == 5);
    /* Retraining inputs: the features, or the widest step's input (15·15·32 after the first pool). */
    CHECK(nvm_cell_retrain_floats(&a, 100, 1, 0) == 100u * 1024);
    CHECK(nvm_cell_retrain_floats(&a, 100, 3, 0) == 300u * 1024);
    CHECK(nvm_cell_retrain_floats(&a, 100, 2, 1) == 200u * 7200);
    CHECK(nvm_cell_check_retrain(&a, 60000, 40000, 0, 1, &e) == NVM_EUSAGE);   /* 2.4e9 rows */
    CHECK(strstr(e.msg, "--retrain-reads 40000") != NULL);
    CHECK(nvm_cell_check_retrain(&a, 100, 2, 1, 2, &e) == NVM_OK);

    /* Step l programs exactly layers 0..l, with the draws of --detector last, under every model. */
    nvm_device d;
    nvm_device_defaults(&d);
    d.alpha = 0.3;
    d.read_sigma = 0.02;
    check_views("t6-t5-t4-f10", 3, 1, &d, 1);
    check_views("t6-t5-t4-f10", 3, 1, &d, 0);
    check_views("c3-p-c4|p-f10", 12, 2, &d, 1);
    d.model = NVM_DEV_QUANT, d.bits = 3;
    check_views("t6-t5-t4-f10", 3, 1, &d, 1);
    nvm_device_defaults(&d);
    d.model = NVM_DEV_PCM, d.alpha = 1, d.time = 3600, d.read_sigma = 0.02;
    check_views("t6-t5-t4-f10", 3, 1, &d, 1);
    check_views("c3-p-c4|p-f10", 12, 2, &d, 0);
    d.fault_rate = 0.1;
    check_views("t6-t5-t4-f10", 3, 1, &d, 1);
    nvm_device_defaults(&d);
    d.alpha = 0.3, d.fault_rate = 0.2, d.read_sigma = 0.02;
    check_views("c3-p-c4|p-f10", 12, 2, &d, 1);

    /* Read passes: test (2 per column, 2·NVM_MAX_TIMES columns), retraining per time, progressive steps. */
    unsigned char used[256] = {0};
    int clash = 0, range = 0;
    for (int col = 0; col < 2 * NVM_MAX_TIMES; col++)
        for (int r = 0; r < 2; r++) {
            uint32_t p = nvm_cell_pass_test(col, r);
            range |= p > 255;
            clash |= p <= 255 && used[p]++;
        }
    for (int t = 0; t < NVM_MAX_TIMES; t++) {
        uint32_t p = nvm_cell_pass_train(t);
        range |= p > 255;
        clash |= p <= 255 && used[p]++;
    }
    for (int s = 0; s < NVM_MAX_LAYERS; s++) {
        uint32_t p = nvm_cell_pass_step(s);
        range |= p > 255;
        clash |= p <= 255 && used[p]++;
    }
    CHECK(!clash && !range);

    /* Whole cells on a small in-memory set. */
    nvm_dataset train, test;
    make_set(&train, 96, 4, 1);
    make_set(&test, 64, 4, 2);
    result l1 = run("t8-f4", 0, 1, 0, &train, &test), p1 = run("t8-f4", 1, 1, 0, &train, &test);
    CHECK(l1.deg == p1.deg && l1.ret == p1.ret);
    result l1r = run("t8-f4", 0, 3, 0.05, &train, &test), p1r = run("t8-f4", 1, 3, 0.05, &train, &test);
    CHECK(l1r.deg == p1r.deg && l1r.ret == p1r.ret);
    result d0 = run("t8-f4", 0, 0, 0.05, &train, &test), k1 = run("t8-f4", 0, 1, 0.05, &train, &test);
    CHECK(d0.deg == k1.deg && d0.ret == k1.ret);
    CHECK(d0.deg == l1r.deg);   /* K changes only the retraining */
    result l2 = run("t8-t8-f4", 0, 1, 0, &train, &test), p2 = run("t8-t8-f4", 1, 1, 0, &train, &test);
    CHECK(l2.deg == p2.deg);     /* acc_degraded is the original network on the chip */
    CHECK(l2.fe_same[0] && l2.fe_same[1]);   /* last retrains the detector only */
    CHECK(p2.fe_same[0] && !p2.fe_same[1]);  /* progressive: layer 1 is programmed from retrained weights */
    CHECK(p1.fe_same[0]);
    nvm_dataset_free(&train);
    nvm_dataset_free(&test);
    return check_report("cell");
}
