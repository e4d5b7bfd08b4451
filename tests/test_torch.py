"""The in-process half of tests/test_torch.sh (one torch import for all of it): round trips, accuracy
equality between nvmsim eval and PyTorch, refused modules and damaged files. It writes into T the files
the shell half checks with cmp and through the command line.
Usage: python3 tests/test_torch.py NVMSIM DATA T MLP.nvm CNN.nvm   (the .nvm files trained by nvmsim)
Last stdout line: CHECKS <checks> <failed>."""
import contextlib
import io
import os
import re
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import nvmsim_torch as nt  # noqa: E402
import torch  # noqa: E402

nn = torch.nn
NVMSIM, DATA, T, MLP_NVM, CNN_NVM = sys.argv[1:6]
checks = fails = 0


def check(ok, what):
    global checks, fails
    checks += 1
    if not ok:
        fails += 1
        print("test_torch.py: FAIL: %s" % what, file=sys.stderr)


def run(args):
    """nvmsim_torch's command line in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = nt.main(args)
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def data(path):
    with open(path, "rb") as f:
        return f.read()


def with_crc(body):
    return body + struct.pack("<I", zlib.crc32(body))


# 1. nvmsim-trained models -> torch -> file: byte-identical (the shell cmp's the .rt files too); the
# same for versions 1 (no provenance) and 3 (a recipe after the provenance) made from nvmsim's file.
for f in (MLP_NVM, CNN_NVM):
    rc, out, err = run(["roundtrip", f, f + ".rt"])
    check(rc == 0 and "byte-identical" in out and data(f) == data(f + ".rt"), "roundtrip %s: %d %s%s" % (f, rc, out, err))
body = data(MLP_NVM)[:-4]
PROV = 12 + 16 + 16 + 8 + 4 + 8   # magic, version, net, dataset, seed, base, test_acc
REST = PROV + {1: 0, 2: 8, 3: 72}[struct.unpack_from("<I", body, 8)[0]]   # in_h ... after provenance, recipe
recipe = b"sgd lr=0.05 momentum=0.9 batch=32".ljust(64, b"\0")
prov = body[PROV:PROV + 8] if REST > PROV else bytes(8)
v1 = with_crc(body[:8] + struct.pack("<I", 1) + body[12:PROV] + body[REST:])
v3 = with_crc(body[:8] + struct.pack("<I", 3) + body[12:PROV] + prov + recipe + body[REST:])
for v, buf in ((1, v1), (3, v3)):
    src = os.path.join(T, "v%d.nvm" % v)
    with open(src, "wb") as f:
        f.write(buf)
    m = nt.load(src)
    check(m.nvmsim.version == v and m.nvmsim.recipe == (recipe if v == 3 else None), "v%d metadata: %s" % (v, m.nvmsim))
    nt.save(m, src + ".rt")
    check(data(src + ".rt") == buf, "v%d file -> torch -> file is not byte-identical" % v)
check(subprocess.run([NVMSIM, "info", "--model", os.path.join(T, "v1.nvm")], capture_output=True).returncode == 0,
      "nvmsim does not read the v1 file made here")

# 2. torch Sequential -> file -> torch: the same modules, identical tensors and outputs; and a saved
# module loaded and saved again gives the same file.
torch.manual_seed(3)
MLP = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 10))
CNN = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 5, padding=2), nn.ReLU(),
                    nn.MaxPool2d(2), nn.Conv2d(6, 8, 1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 7 * 7, 12), nn.Tanh(),
                    nn.Linear(12, 10))
for name, mod, ds, spec in (("mlp", MLP, "mnist", "t32-f16-f10"), ("cnn", CNN, "cifar10", "c4-p-c6k5s-p-c8k1-t12-f10")):
    path = os.path.join(T, "torch-%s.nvm" % name)
    nt.save(mod, path, dataset=ds)
    back = nt.load(path)
    a, b = mod.state_dict(), back.state_dict()
    check(repr(back) == repr(mod), "%s: loaded as\n%s\nsaved\n%s" % (name, back, mod))
    check(a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a), "%s: tensors differ after the round trip" % name)
    x = torch.randn((5,) + nt.SHAPES[ds])
    with torch.no_grad():
        check(torch.equal(mod(x), back(x)), "%s: outputs differ after the round trip" % name)
    check(back.nvmsim.spec == spec and back.nvmsim.version == 2 and back.nvmsim.provenance == 0 and
          back.nvmsim.net == "custom", "%s: metadata %s" % (name, back.nvmsim))
    nt.save(back, path + ".again")
    check(data(path) == data(path + ".again"), "%s: file -> torch -> file differs" % name)
    r = subprocess.run([NVMSIM, "info", "--model", path], capture_output=True, text=True)
    check(r.returncode == 0 and spec in r.stdout, "nvmsim info %s: %s%s" % (path, r.stdout, r.stderr))
# '|' where asked; a leading Linear takes N x 784 and loads with a Flatten in front.
nt.save(CNN, os.path.join(T, "fe.nvm"), dataset="cifar10", fe_layers=2)
check(nt.read_model(os.path.join(T, "fe.nvm"))[0].spec == "c4-p|c6k5s-p-c8k1-t12-f10", "fe_layers=2")
bare = nn.Sequential(*list(MLP)[1:])
nt.save(bare, os.path.join(T, "bare.nvm"), dataset="mnist")
back = nt.load(os.path.join(T, "bare.nvm"))
check(torch.equal(back[1].weight, bare[0].weight) and type(back[0]) is nn.Flatten, "MLP without Flatten")
# Changed weights make a new model: no provenance, accuracy unknown.
m = nt.load(MLP_NVM)
with torch.no_grad():
    m[1].bias[0] += 1
nt.save(m, os.path.join(T, "tuned.nvm"))
meta = nt.read_model(os.path.join(T, "tuned.nvm"))[0]
check(meta.provenance == 0 and meta.test_acc != meta.test_acc and meta.net == "mlp2" and meta.dataset == m.nvmsim.dataset,
      "fine-tuned model kept its training record: %s" % meta)


# 3. The same test images, the same count of correct ones: nvmsim eval vs PyTorch, for models trained in
# torch (an MLP on the MNIST layout, a CNN and an MLP on the CIFAR-10 layout) and the nvmsim-trained ones. Both sides
# take the argmax of float32 logits computed in different orders, so a near-tie could in principle
# differ; the counts must be equal, and each model must be well above chance (0.1) so that they are not
# the counts of a constant prediction.
def nvmsim_correct(path):
    """nvmsim eval's count of correct images: its accuracy has 6 decimals, exact for up to 500,000 images."""
    r = subprocess.run([NVMSIM, "eval", "--model", path, "--data", DATA], capture_output=True, text=True)
    m = re.search(r"clean test accuracy ([0-9.]+) on (\d+) ", r.stdout)
    check(m is not None, "nvmsim eval %s: %s%s" % (path, r.stdout, r.stderr))
    return (round(float(m.group(1)) * int(m.group(2))), int(m.group(2))) if m else (None, None)


# (demo-mlp-cifar: a first Linear that reads 3 channels, whose columns are permuted.)
DEMOS = {"demo-mnist.nvm": ["--epochs", "2"], "demo-cifar.nvm": ["--dataset", "cifar10", "--epochs", "2"],
         "demo-mlp-cifar.nvm": ["--dataset", "cifar10", "--net", "mlp"]}
for name, args in DEMOS.items():
    out = os.path.join(T, name)
    rc, so, se = run(["train-demo", "--data", DATA, "--out", out] + args)
    check(rc == 0 and os.path.exists(out), "train-demo %s: %d %s%s" % (args, rc, so, se))
for path in [os.path.join(T, name) for name in DEMOS] + [MLP_NVM, CNN_NVM]:
    rc, so, se = run(["eval", path, "--data", DATA])
    m = re.search(r"accuracy ([0-9.]+) on (\d+) images \((\d+) correct\)", so)
    check(rc == 0 and m is not None, "eval %s: %d %s%s" % (path, rc, so, se))
    if not m:
        continue
    k, n = int(m.group(3)), int(m.group(2))
    nk, nn_ = nvmsim_correct(path)
    check((nk, nn_) == (k, n), "%s: nvmsim eval counts %s of %s correct, PyTorch %d of %d" % (path, nk, nn_, k, n))
    check(k > 0.2 * n, "%s: accuracy %d/%d is too close to chance for the comparison to mean much" % (path, k, n))
    print("  %-34s nvmsim %s/%s correct, PyTorch %d/%d" % (os.path.basename(path), nk, nn_, k, n))
    if "demo" in path:   # the accuracy stored by train-demo is torch's on the same images
        check(nt.read_model(path)[0].test_acc == k / n, "%s: stored test_acc is not torch's %d/%d" % (path, k, n))


# 4. Refused modules: one line naming the layer and what nvmsim has.
class Custom(nn.Module):
    def forward(self, x):
        return x


def conv(*a, **kw):
    return nn.Sequential(nn.Conv2d(*a, **kw), nn.ReLU(), nn.Flatten(), nn.Linear(4, 10))


REFUSED = [
    (conv(3, 4, 3, stride=2), "layer 0 (Conv2d): stride"),
    (conv(3, 4, 3, dilation=2), "dilation"),
    (conv(3, 4, 3, bias=False), "no bias"),
    (conv(3, 3, 3, groups=3), "groups 3"),
    (conv(3, 4, (3, 5)), "kernel 3x5: nvmsim convolutions are square"),
    (conv(3, 4, 4, padding="same"), "odd kernels"),
    (conv(3, 4, 3, padding=2), "padding (2, 2)"),
    (conv(3, 4, 3, padding_mode="reflect"), "padding_mode 'reflect'"),
    (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Tanh()), "followed by Tanh"),
    (nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2)), "followed by MaxPool2d"),
    (nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU()), "1 input channels, but its input has 3"),
    (nn.Sequential(nn.MaxPool2d(3)), "layer 0 (MaxPool2d): nvmsim pools 2x2"),
    (nn.Sequential(nn.MaxPool2d(2, stride=1)), "nvmsim pools 2x2"),
    (nn.Sequential(nn.AvgPool2d(2)), "layer 0 (AvgPool2d): not a layer nvmsim has"),
    (nn.Sequential(nn.BatchNorm2d(3)), "layer 0 (BatchNorm2d): not a layer"),
    (nn.Sequential(nn.Flatten(), nn.Dropout(), nn.Linear(3072, 10)), "layer 1 (Dropout): not a layer"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 8), nn.Sigmoid(), nn.Linear(8, 10)), "layer 1 (Linear): followed by Sigmoid"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 8), nn.Linear(8, 10)), "followed by Linear"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 10), nn.ReLU()), "layer 2 (ReLU): the last layer must be a Linear "
     "without activation"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 10, bias=False)), "no bias"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3000, 10)), "3000 inputs, but its input has 3072"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 1)), "2..100000 classes"),
    (nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Linear(30, 10)), "layer 2 (Linear): a Linear on images"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 8), nn.ReLU(), nn.Conv2d(8, 8, 1), nn.ReLU()), "convolution after"),
    (nn.Sequential(nn.ReLU(), nn.Flatten(), nn.Linear(3072, 10)), "layer 0 (ReLU): an activation that does not follow"),
    (nn.Sequential(nn.Flatten(), nn.Flatten(), nn.Linear(3072, 10)), "layer 1 (Flatten)"),
    (nn.Sequential(nn.Flatten(), nn.Linear(3072, 10)).double(), "torch.float64 weights"),
    (Custom(), "expected a torch.nn.Sequential"),
]
for mod, want in REFUSED:
    out = os.path.join(T, "refused.nvm")
    try:
        nt.save(mod, out, dataset="cifar10")
        msg = None
    except nt.NvmTorchError as e:
        msg = str(e)
    check(msg is not None and want in msg and "\n" not in msg and not os.path.exists(out),
          "refusal of %r: got %r, want %r" % (mod, msg, want))
try:
    nt.save(MLP, os.path.join(T, "refused.nvm"), dataset="fashion")
    msg = None
except nt.NvmTorchError as e:
    msg = str(e)
check(msg is not None and "input_shape" in msg, "no input shape for an unknown data set: %r" % msg)
# The same through the command line (main() here; it is what the script runs): one line, exit 3, no file.
torch.save(conv(3, 4, 3, stride=2), os.path.join(T, "stride2.pt"))
torch.save(MLP.state_dict(), os.path.join(T, "state.pt"))
for pt, want in (("stride2.pt", "stride2.pt: layer 0 (Conv2d): stride (2, 2), dilation (1, 1), groups 1: nvmsim "
                  "convolutions have stride 1"), ("state.pt", "state.pt: holds a Python OrderedDict, not a torch module")):
    rc, so, se = run(["from-torch", os.path.join(T, pt), os.path.join(T, "out.nvm")])
    check(rc == 3 and want in se and se.count("\n") == 1 and not os.path.exists(os.path.join(T, "out.nvm")),
          "from-torch %s: exit %s, stderr %r" % (pt, rc, se))
rc1 = run(["to-torch", CNN_NVM, os.path.join(T, "cnn-nvm.pt")])[0]
rc2, so, se = run(["from-torch", os.path.join(T, "cnn-nvm.pt"), os.path.join(T, "cnn-nvm.nvm")])
check(rc1 == rc2 == 0 and data(os.path.join(T, "cnn-nvm.nvm")) == data(CNN_NVM), "to-torch + from-torch: %s%s" % (so, se))
torch.save(CNN, os.path.join(T, "cnn.pt"))
rc, so, se = run(["from-torch", os.path.join(T, "cnn.pt"), os.path.join(T, "cnn-pt.nvm"), "--dataset-name", "cifar10"])
check(rc == 0 and data(os.path.join(T, "cnn-pt.nvm")) == data(os.path.join(T, "torch-cnn.nvm")),
      "from-torch of the CNN differs from save(): %d %s%s" % (rc, so, se))


# 5. Damaged files: refused with the reason, before torch is needed. The shell half runs the command line on
# the truncated and the bit-flipped one.
good = data(MLP_NVM)
DAMAGED = [
    (good[:len(good) // 2], "trunc.nvm", "checksum mismatch"),
    (good[:100] + bytes([good[100] ^ 4]) + good[101:], "flip.nvm", "checksum mismatch"),
    (good[:10], "tiny.nvm", "not an nvmsim model file"),
    (good[:8] + struct.pack("<I", 9) + good[12:], "v9.nvm", "model file version 9"),
    (with_crc(good[:-8]), "short.nvm", "bytes of parameters, expected"),
    (with_crc(good[:-8] + struct.pack("<f", float("nan"))), "nan.nvm", "is not a finite number"),
    (with_crc(good[:REST + 16] + struct.pack("<I", 0) + good[REST + 20:-4]), "fe.nvm", "feature extractor of 0"),
]
for buf, name, want in DAMAGED:
    path = os.path.join(T, name)
    with open(path, "wb") as f:
        f.write(buf)
    try:
        nt.read_model(path)
        msg = None
    except nt.NvmTorchError as e:
        msg = str(e)
    check(msg is not None and want in msg and msg.startswith(path), "%s: got %r, want %r" % (name, msg, want))

print("CHECKS %d %d" % (checks, fails))
