/* nvmsim train: one base network, saved as a model file (the network a sweep trains as base 0). */
#include <stdio.h>
#include <string.h>

#include "nvmsim/commands.h"
#include "nvmsim/model.h"
#include "nvmsim/report.h"
#include "nvmsim/session.h"

static void print_epoch(void *ctx, int epoch, int epochs, double loss)
{
    double *t0 = ctx;
    char el[32];
    nvm_format_duration(nvm_now() - *t0, el);
    fprintf(stderr, "  epoch %d/%d  loss %.4f  (%s)\n", epoch, epochs, loss, el);
}

int nvm_cmd_train(const nvm_args *a, nvm_err *e)
{
    const char *out = nvm_arg(a, "--out") ? nvm_arg(a, "--out") : "model.nvm";
    nvm_net_choice n;
    nvm_train_opts o;
    nvm_model m = {0};
    int nfe, rc, biases;
    if ((rc = nvm_choose_net(a, &n, e)) || (rc = nvm_train_defaults(a, n.conv, &o, e)) ||
        (rc = nvm_arg_yesno(a, "--degrade-biases", 1, &biases, e)) ||
        (rc = nvm_recipe_args(a, biases, &o.recipe, e)) ||
        (rc = nvm_arg_int(a, "--nfe", 100, 1, 100000, &nfe, e)) || (rc = nvm_arg_seed(a, 1, &m.seed, e)) ||
        (rc = nvm_check_out("--out", out, e)))
        return rc;
    if (nvm_arg(a, "--degrade-biases") && o.recipe.noise.model == NVM_TNOISE_NONE)
        return nvm_fail(e, NVM_EUSAGE, "--degrade-biases: training degrades nothing without --train-noise; add "
                        "--train-noise MODEL:LEVEL or drop it");
    o.noise_seed = m.seed;   /* the train noise of base network 0, as a sweep's */
    o.noise_base = 0;
    int side = n.cifar ? 32 : 28, w0 = nfe;   /* a bad spec fails now, not after the data is read */
    if ((rc = nvm_build_arch(&m.arch, &n, &w0, side, side, n.cifar ? 3 : 1, 10, e)))
        return rc;
    nvm_session s;
    nvm_compute *cx = NULL;
    nvm_work w = {0};
    if ((rc = nvm_session_open(&s, a, n.cifar, e)) ||
        (rc = nvm_build_arch(&m.arch, &n, &nfe, s.train.h, s.train.w, s.train.c, s.train.classes, e)))
        goto done;
    cx = nvm_compute_new(s.isa, s.pool);
    m.params = nvm_alloc_floats(m.arch.n_params);
    if (!cx || !m.params || nvm_work_init(&w, &m.arch, nvm_eval_batch(&m.arch)) != NVM_OK) {
        rc = nvm_fail(e, NVM_ERUNTIME, "out of memory");
        goto done;
    }
    nvm_recipe_text(&o.recipe, m.recipe);
    fprintf(stderr, "training %s (%s, %zu parameters) on %d %s images: %d epochs, batch %d, %s lr %g, %s\n",
            n.net, m.arch.spec, m.arch.n_params, s.train.n, s.dataset, o.epochs, o.batch,
            o.optim == NVM_ADAM ? "adam" : "sgd", o.lr, m.recipe);
    double t0 = nvm_now();
    nvm_stream init = nvm_stream_make(m.seed, NVM_RNG_INIT, 0, (uint32_t)nfe);
    nvm_arch_init_with(&m.arch, m.params, &init, o.recipe.init);
    rc = nvm_train(&m.arch, m.params, 0, s.train.x, s.train.y, s.train.n, &o,
                   nvm_stream_make(m.seed, NVM_RNG_SHUFFLE, 0, 0), cx, print_epoch, &t0, e);
    if (rc == NVM_OK) {
        m.test_acc = nvm_accuracy(&m.arch, m.params, 0, s.test.x, s.test.y, s.test.n, &w, cx);
        m.provenance = nvm_train_provenance(&m.arch, &o, m.seed, 0, (uint32_t)nfe, s.data_hash);
        snprintf(m.dataset, sizeof m.dataset, "%.15s", s.dataset);
        rc = nvm_model_save(out, &m, e);
    }
    if (rc == NVM_OK)
        printf("%s (%s): test accuracy %.2f %% on %d %s images after %d epochs (%.1f s); saved %s\n", n.net,
               m.arch.spec, 100 * m.test_acc, s.test.n, s.dataset, o.epochs, nvm_now() - t0, out);
done:
    nvm_work_free(&w);
    nvm_compute_free(cx);
    nvm_model_free(&m);
    nvm_session_close(&s);
    return rc;
}
