#!/usr/bin/python3
"""PyTorch timing of the networks `nvmsim bench` times, printed in the same form, for a side-by-side run.

Set-up (Debian 12; PyTorch's default reference BLAS is far slower, so add OpenBLAS's pthread build):
    apt-get update && apt-get install -y python3-torch python3-numpy libopenblas0-pthread
Run with Debian's interpreter (the one python3-torch installs into):
    /usr/bin/python3 scripts/bench_torch.py cnn --threads 2
    make bench          # nvmsim bench and this script back to back for cnn, mlp2, mlp3, and a table

Environment: before torch is imported the script unsets OPENBLAS_CORETYPE (a forced core type can pick a
slow kernel) and sets OPENBLAS_NUM_THREADS=1 unless it is set, so that OpenBLAS does not start its own
thread pool beside torch's (torch.set_num_threads(--threads) is the only parallelism); --keep-env leaves
the environment alone. The header line says what was used.

Networks, exactly those of src/nn/net.c (the --arch language of nvmsim is parsed here too):
    mlp2  784-N_FE-10, tanh hidden layer              (nvmsim spec t<N_FE>-f10)
    mlp3  784-N_FE-N_FE-10, tanh hidden layers        (t<N_FE>-t<N_FE>-f10)
    cnn   c32-p-c64-p-c64-f64-f10 on 32x32x3: 3x3 'valid' convolutions with ReLU, 2x2 max-pool, dense 64
          ReLU, dense 10 (122,570 parameters); --arch SPEC for another: c<N>[k<K>][s] conv (s: 'same'
          padding) + ReLU, p 2x2 max-pool, f<N> dense ReLU, t<N> dense tanh, the last f<N> without
          activation; '|' is read as '-'
Training as `nvmsim bench`: synthetic uniform [0, 1) inputs and random labels, softmax cross-entropy, MLPs
SGD with momentum 0.9 (lr 0.05) at batch 32, the CNN Adam (lr 0.001) at batch 64; three warm-up batches,
then one shuffled pass over --images samples, timed and scaled to an epoch (MLP: 60,000 samples, CNN:
50,000). CNN inference: batches of 256 in eval mode without gradients, argmax and accuracy included
(nvmsim computes the accuracy too), timed over the same --images samples.

Prints (the lines `nvmsim bench` prints, with "torch" for "nvmsim"):
    # torch <version> threads=<n> batch=<b> optim=<o> net=<net> (<spec>) ...
    # torch <net> forward MACs/sample: <n>  (from the layer shapes: conv out_h*out_w*out_c*k*k*in_c, dense in*out)
    torch <net> train: <s> s/epoch (<samples/s> samples/s)
    torch cnn infer: <images/s> images/s
Exit codes: 0 ok, 2 bad command line, 4 torch not importable (one line on stderr).
"""
import argparse
import os
import re
import sys
import time

EPOCH = {"mlp2": 60000, "mlp3": 60000, "cnn": 50000}
CNN_SPEC = "c32-p-c64-p-c64-f64-f10"


def spec_for(net, nfe, arch):
    if net == "mlp2":
        return "t%d-f10" % nfe
    if net == "mlp3":
        return "t%d-t%d-f10" % (nfe, nfe)
    return arch or CNN_SPEC


def parse_spec(spec):
    """nvmsim's --arch language -> [(kind, n, k, same, act)], kind 'c', 'p' or 'f'; act 'relu', 'tanh' or None."""
    toks = re.split(r"[-|]", spec)
    layers = []
    for i, t in enumerate(toks):
        m = re.fullmatch(r"c(\d+)(?:k(\d+))?(s?)", t)
        if m:
            layers.append(("c", int(m.group(1)), int(m.group(2) or 3), m.group(3) == "s", "relu"))
            continue
        if t == "p":
            layers.append(("p", 0, 2, False, None))
            continue
        m = re.fullmatch(r"([ft])(\d+)", t)
        if m:
            last = i == len(toks) - 1
            layers.append(("f", int(m.group(2)), 0, False, None if last else ("tanh" if m.group(1) == "t" else "relu")))
            continue
        raise ValueError("cannot read layer %r of %r (expected c<N>[k<K>][s], p, f<N> or t<N>)" % (t, spec))
    if not layers or layers[-1][0] != "f":
        raise ValueError("%r: the last layer must be dense" % spec)
    return layers


def build(torch, nn, layers, in_shape):
    """torch.nn.Sequential of the layers on inputs of in_shape (C, H, W) or (D,), and the forward
    multiply-accumulates per sample from the shapes."""
    mods, macs = [], 0
    shape = in_shape
    for kind, n, k, same, act in layers:
        if kind == "c":
            c, h, w = shape
            pad = k // 2 if same else 0
            mods.append(nn.Conv2d(c, n, k, padding=pad))
            h, w = h + 2 * pad - k + 1, w + 2 * pad - k + 1
            macs += h * w * n * k * k * c
            shape = (n, h, w)
        elif kind == "p":
            c, h, w = shape
            mods.append(nn.MaxPool2d(2))
            shape = (c, h // 2, w // 2)
        else:
            if len(shape) == 3:
                mods.append(nn.Flatten())
                shape = (shape[0] * shape[1] * shape[2],)
            mods.append(nn.Linear(shape[0], n))
            macs += shape[0] * n
            shape = (n,)
        if act == "relu":
            mods.append(nn.ReLU())
        elif act == "tanh":
            mods.append(nn.Tanh())
    return nn.Sequential(*mods), macs


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("net", choices=["mlp2", "mlp3", "cnn"])
    ap.add_argument("--nfe", type=int, default=100, help="MLP feature-extractor width N_FE [100]")
    ap.add_argument("--arch", default=None, help="cnn layers [%s]" % CNN_SPEC)
    ap.add_argument("--threads", type=int, default=2, help="torch threads [2]")
    ap.add_argument("--images", type=int, default=None, help="samples timed, scaled to an epoch [MLP 60000, cnn 8192]")
    ap.add_argument("--batch", type=int, default=None, help="mini-batch [MLP 32, cnn 64]")
    ap.add_argument("--optim", choices=["sgd", "adam"], default=None, help="[MLP sgd, cnn adam]")
    ap.add_argument("--lr", type=float, default=None, help="[sgd 0.05, adam 0.001]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-env", action="store_true", help="do not touch OPENBLAS_CORETYPE / OPENBLAS_NUM_THREADS")
    a = ap.parse_args(argv)
    if a.net == "mlp2" or a.net == "mlp3":
        if a.arch:
            ap.error("--arch is for cnn")
    if a.threads < 1 or a.nfe < 1 or (a.images is not None and a.images < 256) or (a.batch is not None and a.batch < 1):
        ap.error("--threads, --nfe and --batch must be >= 1, --images >= 256")
    try:
        layers = parse_spec(spec_for(a.net, a.nfe, a.arch))
    except ValueError as e:
        ap.error(str(e))

    envnote = []
    if not a.keep_env:
        if "OPENBLAS_CORETYPE" in os.environ:
            envnote.append("OPENBLAS_CORETYPE=%s unset" % os.environ.pop("OPENBLAS_CORETYPE"))
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    envnote.append("OPENBLAS_NUM_THREADS=%s" % os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"))
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as e:
        print("bench_torch.py: torch cannot be imported by %s (%s); Debian: apt-get install python3-torch "
              "libopenblas0-pthread, then run /usr/bin/python3 %s" % (sys.executable, e, sys.argv[0]), file=sys.stderr)
        return 4

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    cifar = a.net == "cnn"
    in_shape = (3, 32, 32) if cifar else (784,)
    model, macs = build(torch, nn, layers, in_shape)
    n = a.images or (8192 if cifar else 60000)
    batch = a.batch or (64 if cifar else 32)
    optim = a.optim or ("adam" if cifar else "sgd")
    lr = a.lr or (0.001 if optim == "adam" else 0.05)
    x = torch.rand((n,) + in_shape)
    y = torch.randint(0, 10, (n,))
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if optim == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    nparams = sum(p.numel() for p in model.parameters())

    def step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for i in range(3):   # warm-up on three batches, as nvmsim bench does
        step(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])
    perm = torch.randperm(n)
    t0 = time.perf_counter()
    for i in range(0, n, batch):
        idx = perm[i:i + batch]
        loss = step(x[idx], y[idx])
    loss.item()
    dt = time.perf_counter() - t0

    print("# torch %s threads=%d batch=%d optim=%s net=%s (%s) params=%d images=%d %s"
          % (torch.__version__, torch.get_num_threads(), batch, optim, a.net, spec_for(a.net, a.nfe, a.arch),
             nparams, n, " ".join(envnote)))
    print("# torch %s forward MACs/sample: %d" % (a.net, macs))
    print("torch %s train: %.3f s/epoch (%s samples/s)" % (a.net, dt * EPOCH[a.net] / n, "{:,.0f}".format(n / dt)))
    sys.stdout.flush()
    if cifar:
        model.eval()
        with torch.no_grad():
            model(x[:256])
            t0 = time.perf_counter()
            correct = 0
            for i in range(0, n, 256):
                correct += int((model(x[i:i + 256]).argmax(1) == y[i:i + 256]).sum())
            dt = time.perf_counter() - t0
        print("torch cnn infer: %s images/s" % "{:,.0f}".format(n / dt))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
