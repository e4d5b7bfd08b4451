/* The flag table, the parser and the help texts. */
#include "nvmsim/args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvmsim/cli.h"

enum {
    T = NVM_CMD_TRAIN, E = NVM_CMD_EVAL, S = NVM_CMD_SWEEP, I = NVM_CMD_INFO, BN = NVM_CMD_BENCH,
    M = NVM_CMD_MERGE
};

typedef struct {
    const char *name, *arg;   /* arg NULL: a switch that takes no value */
    int cmds;
    const char *help;
} flag_def;

static const flag_def FLAGS[] = {
    {"--net", "NAME", T | S | I | BN,
     "a named network: mlp2 (= --arch t<N_FE>-f10), mlp3 (t<N_FE>-t<N_FE>-f10) or cnn\n"
     "                        (c32-p-c64-p-c64-f64-f10) [mlp2]"},
    {"--nfe", "LIST", T | S | I | BN, "mlp2/mlp3 feature-extractor width N_FE (sweep: a list, e.g. 10,20,50) [100]"},
    {"--arch", "SPEC", T | S | I | BN,
     "any layers instead of --net, e.g. c32-p-c64-p-c64-f64-f10: c<N>[k<K>][s] conv (s = 'same'\n"
     "                        padding), p 2x2 max-pool, f<N> dense ReLU, t<N> dense tanh; '|' instead of\n"
     "                        '-' ends the feature extractor [before the first dense layer]"},
    {"--dataset", "FORMAT", T | E | S | I,
     "data to read: mnist (IDX files: MNIST or any set in its layout) or cifar10 (CIFAR-10\n"
     "                        binary batches) [cifar10 for networks with convolutions, else mnist]"},
    {"--dataset-name", "NAME", T | E | S | I,
     "what to call the data in CSVs and messages [mnist/cifar10 if the files' SHA-256 are\n"
     "                        the official ones, else the folder's name]"},
    {"--images", "N", BN, "synthetic samples timed, scaled to a full epoch [MLP 60000, cnn 8192]"},
    {"--sweep", NULL, BN,
     "time sweep cells instead (the default grid of --net, else of mlp2 and of the cnn, on the\n"
     "                        real data if found, else synthetic): cells/s, s/cell and where a cell's time goes"},
    {"--cells", "N", BN, "with --sweep: cells timed per network [4 per thread for MLPs, 2 per thread for cnn]"},
    {"--alpha", "RANGE", E | S,
     "programming error a in g(w) = (1 + a*eps)*w: START:STOP:STEP (STOP included) or a list\n"
     "                        [sweep 0:1:0.05; eval 0]"},
    {"--noise", "LIST", E | S,
     "noise model(s): gauss (Eq. 1), quant:B (round to 2^B levels over +-max|w| per tensor,\n"
     "                        B = 1..8, then Eq. 1 with --alpha on top), quantmse:B (the same levels over\n"
     "                        the clipping range of least squared error), pcm (PCM programming noise\n"
     "                        scaled by --alpha, drift and 1/f noise at --time) [gauss]"},
    {"--retrain", NULL, E, "also retrain the detector on the chip's noisy features, as a sweep cell does"},
    {"--time", "LIST", E | S,
     "seconds after programming the chip is used at (pcm drifts), e.g. 1,3600,86400,2.6e6,3.15e7 [0]"},
    {"--retrain-at", "T|each", E | S,
     "retrain the detector once on features read at time T (one of --time), or at every time [first]"},
    {"--drift-comp", "LIST", E | S, "global (outputs rescaled per analog layer, as aihwkit) and/or none [global]"},
    {"--faults", "RANGE", E | S, "fraction of devices stuck (nested across rates: one draw per device) [0]"},
    {"--stuck-on", "F", E | S, "share of stuck devices stuck at g_max, the rest at 0 [0.838: 9.04 % on, 1.75 % off]"},
    {"--read", "RANGE", E | S, "read noise: std per device relative to g_max, fresh at every inference [0]"},
    {"--adc", "LIST", E | S, "ADC bits of every analog layer's outputs, 0 = ideal [0]"},
    {"--dac", "LIST", E | S, "DAC bits of every analog layer's inputs, 0 = ideal [0]"},
    {"--analog", "fe|all", E | S, "which layers are on the chip: the feature extractor, or all of them [fe]"},
    {"--alpha-gemm", "KIND", E | S | BN,
     "a gauss chip's first dense layer: linear computes X*W + b once per base network and\n"
     "                        X*(W.eps) + b.eps once per chip, each alpha as the first plus alpha times the\n"
     "                        second (the same model, rounded differently: last bits of features); each runs\n"
     "                        one GEMM per alpha on the programmed weights (the reference; faults, read noise,\n"
     "                        ADC/DAC, quant, pcm, progressive and conv layers always do) [linear]"},
    {"--device", NULL, I, "with --model: the conductance mapping of every analog layer and the model constants"},
    {"--shard", "K/N", S,
     "compute only cells whose index is K mod N, into <out>.shard-K-of-N.csv (merge them\n"
     "                        with `nvmsim merge`); shards load the base networks kept beside <out>"},
    {"--train-only", NULL, S, "train (or find) the base networks, keep them beside <out>, compute no cell"},
    {"--bases-from", "CSV", S,
     "use the base networks kept beside another sweep's CSV (CSV.n<N_FE>.b<B>.nvm) instead of\n"
     "                        training them; each must have been trained with this sweep's training flags"},
    {"--resume", NULL, S, "continue the interrupted sweep in <out>.part (same flags otherwise)"},
    {"--overwrite", NULL, S | M, "replace an existing <out> (otherwise a finished CSV is never overwritten)"},
    {"--runs", "R", S, "chips (independent eps draws) per base network [1]"},
    {"--bases", "B", S, "independently trained base networks per N_FE [1]"},
    {"--chip", "K", E, "which chip's eps to apply with --alpha: 0 to 65534, the chips a sweep's --runs can make [0]"},
    {"--detector", "KIND", E | S,
     "last: retrain the trained detector on the chip's features; new (sweep): a fresh one;\n"
     "                        progressive: program the feature-extractor layers one at a time, each\n"
     "                        followed by retraining every later layer on the chip's outputs [last]"},
    {"--nd", "LIST", S, "hidden neurons of a new detector (MLPs tanh, cnn ReLU); 0 = one softmax layer [0]"},
    {"--retrain-epochs", "N", E | S, "epochs of detector retraining (and of every progressive step) [5]"},
    {"--retrain-lr", "X", E | S, "learning rate of detector retraining (and of the progressive steps) [sgd 0.02, adam 0.0005]"},
    {"--retrain-reads", "K", E | S,
     "read the training set from the chip K times (fresh read noise each; needs --read > 0)\n"
     "                        and retrain on all K*n rows; an epoch is a pass over all of them [1]"},
    {"--degrade-biases", "yes|no", T | E | S,
     "the feature extractor's biases are degraded too: by the chip (eval,\n"
     "                        sweep) and by --train-noise (train, sweep) [yes]"},
    {"--epochs", "N", T | S | BN,
     "training epochs of the base network [15; with convolutions 12; bench --sweep: MLPs 15,\n"
     "                        cnn 1, 0 = untrained]"},
    {"--init", "NAME", T | S,
     "initial weights of the base network: he (uniform, He's limit for ReLU\n"
     "                        layers, Glorot's otherwise; zero biases) or torch (PyTorch's default for Linear\n"
     "                        and Conv2d: weights and biases uniform in +-1/sqrt(fan_in)) [he]"},
    {"--train-noise", "SPEC", T | S,
     "hardware-aware training: every mini-batch runs forward and backward on a\n"
     "                        fresh noisy draw of the feature extractor's weights, whose gradients update\n"
     "                        the clean ones (straight-through).\n"
     "                        gauss:A (Eq. 1 with a = A, 0..10), pcm:A (the --noise pcm chip at time 0:\n"
     "                        programming noise scaled by A, 0..10), faults:P (a share P of devices stuck,\n"
     "                        0..1, 83.8 % of them at g_max), or none; detector retraining never uses it [none]"},
    {"--optim", "NAME", T | E | S | BN, "sgd (with momentum) or adam, base and detector [sgd; with convolutions adam]"},
    {"--lr", "X", T | S | BN, "initial learning rate, cosine-decayed to lr/20 [sgd 0.05, adam 0.001]"},
    {"--momentum", "X", T | E | S, "SGD momentum [0.9]"},
    {"--batch", "N", T | E | S | BN, "mini-batch size (base network and detector) [32; with convolutions 64]"},
    {"--seed", "S", T | E | S, "seed of every random draw [1; eval: the model's]"},
    {"--model", "FILE", E | S | I | BN, "a model file written by `nvmsim train`"},
    {"--out", "FILE", T | S | M, "output: model file [model.nvm]; sweep CSV [<net>.csv]; its folder must exist"},
    {"--data", "DIR", T | E | S | I | BN, "data folder [$NVMSIM_DATA, else ./data]: DIR/mnist/, DIR/cifar-10-batches-bin/"},
    {"--train-limit", "N", T | E | S | I, "use only the first N training samples [all]"},
    {"--test-limit", "N", T | E | S | I, "use only the first N test samples [all]"},
    {"--threads", "N", T | E | S | I | BN, "worker threads [online cores]; results never depend on it"},
};
#define N_FLAGS (int)(sizeof FLAGS / sizeof FLAGS[0])
_Static_assert(N_FLAGS <= NVM_MAX_FLAGS, "raise NVM_MAX_FLAGS");

static int find_flag(const char *name, size_t len)
{
    for (int i = 0; i < N_FLAGS; i++)
        if (strlen(FLAGS[i].name) == len && strncmp(FLAGS[i].name, name, len) == 0)
            return i;
    return -1;
}

int nvm_args_parse(nvm_args *a, int cmd, const char *cmd_name, int argc, char **argv, int first,
                   nvm_err *e)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    a->cmd_name = cmd_name;
    for (int i = first; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            a->help = 1;
            continue;
        }
        if (strncmp(s, "--", 2) != 0 && cmd == NVM_CMD_MERGE) {   /* merge's shard files */
            if (!a->pos && !(a->pos = nvm_alloc((size_t)argc, sizeof *a->pos)))
                return nvm_fail(e, NVM_ERUNTIME, "out of memory");
            a->pos[a->n_pos++] = argv[i];
            continue;
        }
        if (strncmp(s, "--", 2) != 0)
            return nvm_fail(e, NVM_EUSAGE, "unexpected argument '%s' (flags start with --)", s);
        const char *eq = strchr(s, '=');
        size_t len = eq ? (size_t)(eq - s) : strlen(s);
        int k = find_flag(s, len);
        if (k < 0) {
            const char *names[N_FLAGS + 1];
            int m = 0;
            for (int j = 0; j < N_FLAGS; j++)
                if (FLAGS[j].cmds & cmd)
                    names[m++] = FLAGS[j].name;
            names[m++] = "--help";
            char flag[64];
            snprintf(flag, sizeof flag, "%.*s", (int)(len < 63 ? len : 63), s);
            const char *near = nvm_nearest(flag, names, m);
            if (near)
                return nvm_fail(e, NVM_EUSAGE, "unknown flag '%s' for `nvmsim %s`; did you mean %s?", flag,
                                cmd_name, near);
            return nvm_fail(e, NVM_EUSAGE, "unknown flag '%s' for `nvmsim %s`", flag, cmd_name);
        }
        if (!(FLAGS[k].cmds & cmd))
            return nvm_fail(e, NVM_EUSAGE, "%s does not apply to `nvmsim %s`", FLAGS[k].name, cmd_name);
        if (a->val[k])
            return nvm_fail(e, NVM_EUSAGE, "%s given twice", FLAGS[k].name);
        if (!FLAGS[k].arg) {
            if (eq)
                return nvm_fail(e, NVM_EUSAGE, "%s takes no value", FLAGS[k].name);
            a->val[k] = "yes";
            continue;
        }
        if (eq)
            a->val[k] = eq + 1;
        else if (i + 1 < argc)
            a->val[k] = argv[++i];
        else
            return nvm_fail(e, NVM_EUSAGE, "%s needs a value (%s)", FLAGS[k].name, FLAGS[k].arg);
        if (!*a->val[k])
            return nvm_fail(e, NVM_EUSAGE, "%s: empty value, expected %s", FLAGS[k].name, FLAGS[k].arg);
    }
    return NVM_OK;
}

void nvm_args_free(nvm_args *a)
{
    free(a->pos);
    a->pos = NULL;
    a->n_pos = 0;
}

const char *nvm_arg(const nvm_args *a, const char *flag)
{
    int k = find_flag(flag, strlen(flag));
    return k < 0 ? NULL : a->val[k];
}

int nvm_arg_int(const nvm_args *a, const char *flag, long def, long min, long max, int *out,
                nvm_err *e)
{
    const char *v = nvm_arg(a, flag);
    long x = def;
    int rc = v ? nvm_parse_int(flag, v, min, max, &x, e) : NVM_OK;
    *out = (int)x;
    return rc;
}

int nvm_arg_double(const nvm_args *a, const char *flag, double def, double min, double max,
                   double *out, nvm_err *e)
{
    const char *v = nvm_arg(a, flag);
    *out = def;
    return v ? nvm_parse_double(flag, v, min, max, out, e) : NVM_OK;
}

int nvm_arg_yesno(const nvm_args *a, const char *flag, int def, int *out, nvm_err *e)
{
    const char *v = nvm_arg(a, flag);
    *out = def;
    if (!v)
        return NVM_OK;
    if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
        *out = v[0] == 'y';
        return NVM_OK;
    }
    return nvm_fail(e, NVM_EUSAGE, "%s %s: expected yes or no", flag, v);
}

static const char *ABOUT[] = {
    [NVM_CMD_TRAIN] = "Usage: nvmsim train [FLAGS]\n"
                      "Trains a network on a data set (by default mlp2/mlp3 on MNIST, the cnn on CIFAR-10; any\n"
                      "network whose shapes fit runs on either) and saves it (atomically) as a model file.\n"
                      "--init and --train-noise set its recipe (hardware-aware training), recorded in the file.\n",
    [NVM_CMD_EVAL] = "Usage: nvmsim eval --model FILE [FLAGS]\n"
                     "Test accuracy of a saved model, clean and, with --alpha and/or --noise (lists welcome),\n"
                     "with its feature extractor degraded as chip --chip: the same eps the sweep draws for that\n"
                     "seed, base and chip, so a row of a sweep can be inspected alone. --retrain also retrains\n"
                     "the detector on that chip's noisy features, exactly as the sweep's cell does (with\n"
                     "--detector progressive: the layer-by-layer programming and retraining of that cell).\n",
    [NVM_CMD_SWEEP] =
        "Usage: nvmsim sweep [FLAGS]\n"
        "The paper's experiment. For every N_FE: train --bases base networks (or load --model); for\n"
        "every chip (--runs per base) and alpha: degrade the feature extractor with g(w) = (1+a*eps)*w,\n"
        "measure test accuracy, retrain only the detector on the frozen noisy features, measure again\n"
        "(--detector progressive: program the feature-extractor layers one at a time instead, each\n"
        "followed by retraining every later layer on the chip's outputs).\n"
        "One chip's eps is reused for every alpha. Writes a CSV row per (n_fe, n_d, base, chip, alpha),\n"
        "a JSON sidecar <out>.json, and a summary table on stdout. Trained base networks are kept beside\n"
        "the CSV (<out>.n<N_FE>.b<B>.nvm) and reused by --resume. Rows are flushed as cells finish\n"
        "(into <out>.part, renamed to <out> when complete); Ctrl-C keeps the finished rows, and the\n"
        "same command with --resume continues them (the final CSV is byte-identical). --init and\n"
        "--train-noise set how the base networks are trained (their recipe, part of their provenance).\n",
    [NVM_CMD_BENCH] = "Usage: nvmsim bench [--net NAME] [FLAGS]\n"
                      "Times one training epoch on synthetic inputs (and cnn inference), printed in the same\n"
                      "form as scripts/bench_torch.py prints PyTorch's (`make bench` runs both back to back),\n"
                      "then GEMM GFLOP/s against this machine's measured FMA peak.\n"
                      "With --sweep: sweep cells of the default grid (as `nvmsim sweep --net NET` runs them, one\n"
                      "per thread) on the real data (--data; a synthetic set of its shape, with a note, if it is\n"
                      "missing): cells/s, s/cell, and each cell's time split into the features of the training\n"
                      "set, the detector's retraining and the test reads, against the time its feature passes\n"
                      "would take at the FMA peak. The base network is trained first (--epochs; the time a\n"
                      "cell's retraining takes depends on it), or --model's.\n",
    [NVM_CMD_MERGE] = "Usage: nvmsim merge --out FILE SHARD_CSV...\n"
                      "Joins the shards of one sweep (`sweep ... --out FILE --shard K/N`, K = 0..N-1) into FILE,\n"
                      "byte for byte the CSV one machine would write, and FILE.json. Checks that every shard\n"
                      "is complete, of the same grid, present exactly once, and that every row is in place;\n"
                      "any other case is one error naming the shard (exit 3). A quoted glob is expanded.\n",
    [NVM_CMD_INFO] = "Usage: nvmsim info [--dataset FORMAT | --model FILE | --net NAME | --arch SPEC]\n"
                     "Summary of a data set (what it is, files, checksums, counts, pixel statistics raw and as\n"
                     "the network sees them), of a model file, or of an architecture on a data set's input\n"
                     "shape: layers, shapes, parameters, multiply-accumulates per layer and the feature\n"
                     "extractor's share of them.\n",
};

static const char *EXAMPLES[] = {
    [NVM_CMD_TRAIN] = "  nvmsim train --net mlp3 --nfe 100 --out mlp3.nvm\n"
                      "  nvmsim train --net mlp2 --train-noise gauss:0.3 --out mlp2-hwa.nvm\n"
                      "  nvmsim train --net mlp2 --init torch --epochs 3 --out mlp2-torch.nvm\n"
                      "  nvmsim train --net cnn --epochs 12 --out cnn.nvm\n"
                      "  nvmsim train --arch t100-f10 --dataset cifar10 --epochs 3 --out mlp-cifar.nvm\n",
    [NVM_CMD_EVAL] = "  nvmsim eval --model mlp3.nvm --alpha 0.5 --chip 3\n"
                     "  nvmsim eval --model mlp3.nvm --alpha 0:1:0.25 --noise gauss,quant:3 --retrain\n"
                     "  nvmsim eval --model mlp3.nvm --alpha 0.5,1 --chip 3 --retrain --detector progressive\n",
    [NVM_CMD_SWEEP] = "  nvmsim sweep --net mlp2 --alpha 0:1:0.05\n"
                      "  nvmsim sweep --net mlp2 --alpha 0:1:0.05 --alpha-gemm each --out mlp2-each.csv\n"
                      "  nvmsim sweep --net mlp2 --noise pcm --alpha 1 --time 1,3600,86400,2.6e6 --drift-comp global,none --runs 2 --out pcm.csv\n"
                      "  nvmsim sweep --net mlp2 --faults 0:0.2:0.05 --read 0,0.05 --adc 0,4 --alpha 0 --runs 2 --out dev.csv\n"
                      "  nvmsim sweep --net mlp3 --nfe 10,20,50,100,200 --runs 10 --out mlp3-10chips.csv\n"
                      "  nvmsim sweep --net mlp2 --train-noise gauss:0.3 --alpha 0:1:0.1 --runs 5 --out hwa.csv\n"
                      "  nvmsim sweep --net mlp2 --nfe 100 --detector new --nd 0,100 --alpha 0,0.5,1 --out det.csv\n"
                      "  nvmsim sweep --net mlp3 --nfe 100 --detector progressive --alpha 0:1:0.25 --runs 5 --out prog.csv\n"
                      "  nvmsim sweep --net mlp2 --nfe 100 --read 0.1 --alpha 0 --retrain-reads 4 --runs 5 --out reads.csv\n"
                      "  nvmsim sweep --arch 'c32-p-c64|p-c64-f64-f10' --epochs 4 --alpha 0:1:0.25 --runs 2 --out split.csv\n",
    [NVM_CMD_BENCH] = "  nvmsim bench --net cnn --batch 64 --optim adam --threads 2\n"
                      "  nvmsim bench --sweep --net mlp2 --cells 4 --threads 2\n",
    [NVM_CMD_MERGE] = "  nvmsim sweep --net mlp2 --runs 4 --out s.csv --shard 0/2\n"
                      "  nvmsim sweep --net mlp2 --runs 4 --out s.csv --shard 1/2\n"
                      "  nvmsim merge --out s.csv 's.csv.shard-*-of-2.csv'\n",
    [NVM_CMD_INFO] = "  nvmsim info --dataset cifar10\n  nvmsim info --model mlp3.nvm\n"
                     "  nvmsim info --arch c32s-p-c64s-p-c64-f64-f10\n"
                     "  nvmsim info --net cnn --dataset mnist\n"
                     "  nvmsim info --model mlp3.nvm --device\n",
};

void nvm_args_help(int cmd)
{
    printf("%s\nFlags:\n", ABOUT[cmd]);
    for (int i = 0; i < N_FLAGS; i++)
        if (FLAGS[i].cmds & cmd)
            printf("  %-16s %-6s %s\n", FLAGS[i].name, FLAGS[i].arg ? FLAGS[i].arg : "", FLAGS[i].help);
    printf("  %-23s %s\n\nExamples:\n%s", "-h, --help", "this help", EXAMPLES[cmd]);
}

void nvm_args_usage(void)
{
    printf("nvmsim %s - imprecise analog (non-volatile memory) feature extractors, simulated\n\n"
           "Usage: nvmsim COMMAND [FLAGS]      (nvmsim COMMAND --help: its flags and examples)\n\n"
           "Commands:\n"
           "  sweep   the experiment: degrade the feature extractor over alpha, N_FE and chips,\n"
           "          retrain the detector, write CSV + JSON sidecar + a summary table\n"
           "  train   train a network and save a model file\n"
           "  eval    accuracy of a model file, optionally degraded (--alpha A --chip K) and retrained\n"
           "  info    summary of a data set, a model file or an architecture (--arch)\n"
           "  bench   training / inference speed on synthetic data (make bench: against PyTorch)\n"
           "  merge   join the shards of a sweep (sweep --shard K/N) into its CSV, byte for byte\n\n"
           "  --version, --help\n\n"
           "Data: --data DIR, else $NVMSIM_DATA, else ./data (make data fetches MNIST and CIFAR-10).\n"
           "Exit codes: 0 ok; 2 bad command line; 3 bad input file (data, model); 4 run failed (memory,\n"
           "write error, training diverged); 130 interrupted (finished rows kept in <out>.part).\n",
           NVMSIM_VERSION);
}
