#!/usr/bin/python3
"""PyTorch models in and out of nvmsim: model files as torch.nn.Sequential, and back.

Run with an interpreter that imports torch (Debian: apt-get install python3-torch; it installs into
/usr/bin/python3, which may not be the python3 on PATH). Needs torch and numpy only.

Commands:
  info MODEL.nvm              the file's header and layers, and the torch layers it loads as
  roundtrip IN.nvm OUT.nvm    load IN as a torch module and save it again as OUT; says whether OUT is
                              byte-identical to IN (exit 1 if not)
  to-torch IN.nvm OUT.pt      torch.save() of the module (metadata in its .nvmsim attribute)
  from-torch IN.pt OUT.nvm    a torch.nn.Sequential saved whole with torch.save(model, path), as a model file
                              (torch.load unpickles it, which can run code: only files you trust)
  eval MODEL.nvm              PyTorch's clean test accuracy of the model, on the data nvmsim eval reads,
                              preprocessed exactly as nvmsim does
  train-demo                  trains a small torch Sequential for a moment and saves it as a model file

Data (eval, train-demo): --data DIR, else $NVMSIM_DATA, else ./data, as nvmsim: MNIST IDX files (raw or
.gz) in DIR/mnist/ then DIR/; CIFAR-10 binary batches in DIR/cifar-10-batches-bin/ then DIR/. Inputs
are what nvmsim computes on: MNIST bytes/255 (float32); CIFAR-10 (byte/255 - mean_c)/sd_c with each
channel's mean and population sd over the (--train-limit) training images, in float64 then rounded to
float32. The torch module takes N x C x H x W images (a leading Flatten makes an MLP take N x C*H*W too).

Layers (nvmsim's spec language, see nvmsim train --help): c<N>[k<K>][s] = Conv2d(in, N, K, padding 0
or (K-1)/2) + ReLU; p = MaxPool2d(2); f<N> = Linear + ReLU; t<N> = Linear + Tanh; the last layer is a
Linear without activation; Flatten goes before the first Linear. Weights are converted exactly (float32,
permuted only): nvmsim keeps activations NHWC, conv weights as W[k*k*in_c x out_c] with rows in
(ky, kx, c) order and dense weights as W[n_in x n_out], so the first Linear after convolutions (or on
images of several channels) has its input columns permuted from torch's (C, H, W) flattening.

Metadata: a loaded module carries the file's header in module.nvmsim (net, dataset, seed, base,
test_acc, provenance, recipe, version, spec, fe_layers, input_shape, classes). Saved with its layers and
weights unchanged, it gives the same file byte for byte (versions 1, 2 and 3); with changed weights it
is a new model: version 2, provenance 0 and test_acc NaN (unknown) unless given. Fresh torch modules
are saved as version 2 with net "custom", seed 1 (nvmsim's default), base 0, provenance 0.

Python API (import with sys.path including scripts/):
  load(path) -> torch.nn.Sequential
  save(module, path, dataset=None, net=None, seed=None, base=None, test_acc=None, input_shape=None,
       fe_layers=None)   input_shape (C, H, W) defaults to MNIST's/CIFAR-10's for those data sets;
                         fe_layers puts nvmsim's '|' after that many layers (conv, pool, dense each 1)
  read_model(path) -> (meta, params)   torch-free: header and the float32 parameter block
  data_dir(dir=None) -> dir, else $NVMSIM_DATA, else "data"
  load_data(dir, dataset, train_limit=0, test_limit=0, want_train=True)
                      -> (x_train, y_train, x_test, y_test, files): the inputs nvmsim computes on
  correct(module, x, y) -> number of images whose largest logit (first of ties) is the label

Examples:
  /usr/bin/python3 scripts/nvmsim_torch.py train-demo --train-limit 2000 --epochs 2 --out demo.nvm
  ./nvmsim eval --model demo.nvm
  /usr/bin/python3 scripts/nvmsim_torch.py eval demo.nvm
  ./nvmsim sweep --model demo.nvm --alpha 0:1:0.5 --runs 2 --out demo.csv
  /usr/bin/python3 scripts/nvmsim_torch.py info demo.nvm
  /usr/bin/python3 scripts/nvmsim_torch.py roundtrip demo.nvm demo-again.nvm
  /usr/bin/python3 scripts/nvmsim_torch.py to-torch demo.nvm demo.pt
  /usr/bin/python3 scripts/nvmsim_torch.py from-torch demo.pt demo-from-pt.nvm

Exit codes: 0 ok, 1 roundtrip output differs, 2 bad command line (or an output folder that does not
exist), 3 bad input (model file, data, torch module), 4 torch or numpy not importable, or a write failed;
errors are one line on stderr.
"""
import argparse
import gzip
import hashlib
import math
import os
import re
import struct
import sys
import types
import zlib

try:
    import numpy as np
except ImportError:
    if __name__ != "__main__":
        raise
    print("%s: %s cannot import numpy (Debian: apt-get install python3-numpy python3-torch, then run "
          "/usr/bin/python3)" % (os.path.basename(sys.argv[0]), sys.executable), file=sys.stderr)
    sys.exit(4)

MAGIC = b"NVMSIMMD"
WRITE_VERSION = 2
READ_VERSIONS = (1, 2, 3)
SPEC_BYTES, NAME_BYTES, RECIPE_BYTES = 128, 16, 64
# Limits of src/nn/net.c and src/io/model.c.
MAX_LAYERS, MAX_WIDTH, MAX_SIDE, MAX_PARAMS = 16, 100000, 4096, 1 << 28
NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,15}\Z")
SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32)}
EUSAGE, EDATA, ERUNTIME = 2, 3, 4


class NvmTorchError(Exception):
    """A one-line error: what input, what is wrong, what to do. code is the exit code."""

    def __init__(self, msg, code=EDATA):
        super().__init__(msg)
        self.code = code


def _torch():
    try:
        import torch
    except ImportError:
        raise NvmTorchError("%s cannot import torch (Debian: apt-get install python3-torch, then run "
                            "/usr/bin/python3)" % sys.executable, ERUNTIME) from None
    return torch


# ---- the spec language (a mirror of nvm_arch_parse in src/nn/net.c) ----

def parse_spec(spec, in_h, in_w, in_c, classes):
    """nvmsim's layers for spec on in_h x in_w x in_c inputs: (layers, n_params, fe_layers). Each layer
    is a dict: kind ('conv', 'pool', 'dense'), act ('relu', 'tanh', None), the shapes of src/nn/net.c
    (a dense layer's in_h x in_w x in_c is the spatial shape it flattens), k, pad, w_off, b_off, rows."""
    if len(spec.encode("latin-1")) >= SPEC_BYTES:
        raise NvmTorchError("spec longer than %d characters" % (SPEC_BYTES - 1))
    if not (1 <= in_h <= MAX_SIDE and 1 <= in_w <= MAX_SIDE and 1 <= in_c <= MAX_WIDTH and
            2 <= classes <= MAX_WIDTH):
        raise NvmTorchError("input %dx%dx%d with %d classes is out of range" % (in_h, in_w, in_c, classes))
    toks = re.split(r"([-|])", spec)
    layers, n_params, fe_mark, shape = [], 0, -1, (in_h, in_w, in_c)
    for i in range(0, len(toks), 2):
        tok = toks[i]
        if not tok or len(tok) >= 32:
            raise NvmTorchError("spec %s: empty or overlong layer '%s' (expected e.g. c32-p-c64-p-c64-f64-f10)"
                                % (spec, tok))
        m = re.fullmatch(r"c(\d+)(?:k(\d+))?(s?)|p|([ft])(\d+)", tok)
        if not m:
            raise NvmTorchError("spec %s: cannot read layer '%s' (expected c<N>[k<K>][s], p, f<N> or t<N>)"
                                % (spec, tok))
        if len(layers) == MAX_LAYERS:
            raise NvmTorchError("spec %s: more than %d layers" % (spec, MAX_LAYERS))
        h, w, c = shape
        if h * w * c > MAX_PARAMS:
            raise NvmTorchError("spec %s: '%s' gets a %dx%dx%d input, more than %d values" % (spec, tok, h, w, c,
                                                                                              MAX_PARAMS))
        L = {"kind": "pool" if tok == "p" else "conv" if tok[0] == "c" else "dense", "in_h": h, "in_w": w,
             "in_c": c, "k": 0, "pad": 0, "act": None if tok == "p" else "tanh" if tok[0] == "t" else "relu"}
        if L["kind"] == "conv":
            n, k = int(m.group(1)), int(m.group(2) or 3)
            if not (1 <= n <= MAX_WIDTH and 1 <= k <= 15 and k % 2 == 1):
                raise NvmTorchError("spec %s: '%s' needs 1..%d filters and an odd kernel 1..15" % (spec, tok,
                                                                                                 MAX_WIDTH))
            pad = k // 2 if m.group(3) else 0
            oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
            if oh < 1 or ow < 1:
                raise NvmTorchError("spec %s: '%s' gets a %dx%d input, smaller than its kernel" % (spec, tok, h, w))
            L.update(k=k, pad=pad, out=(oh, ow, n), rows=k * k * c)
        elif L["kind"] == "pool":
            if h < 2 or w < 2:
                raise NvmTorchError("spec %s: 'p' gets a %dx%d input, too small to pool" % (spec, h, w))
            L.update(out=(h // 2, w // 2, c))
        else:
            n = int(m.group(5))
            if not 1 <= n <= MAX_WIDTH:
                raise NvmTorchError("spec %s: '%s' needs 1..%d outputs" % (spec, tok, MAX_WIDTH))
            L.update(out=(1, 1, n), rows=h * w * c)
        oh, ow, oc = L["out"]
        if oh * ow * oc > MAX_PARAMS:
            raise NvmTorchError("spec %s: '%s' gives a %dx%dx%d output, more than %d values" % (spec, tok, oh, ow,
                                                                                               oc, MAX_PARAMS))
        if L["kind"] != "pool":
            if L["rows"] * oc > MAX_PARAMS - n_params:
                raise NvmTorchError("spec %s: more than %d parameters" % (spec, MAX_PARAMS))
            L["w_off"] = n_params
            L["b_off"] = n_params = n_params + L["rows"] * oc
            n_params += oc
        layers.append(L)
        shape = L["out"]
        if i + 1 < len(toks) and toks[i + 1] == "|":
            if fe_mark >= 0:
                raise NvmTorchError("spec %s: more than one '|'" % spec)
            fe_mark = len(layers)
    last = layers[-1]
    if last["kind"] != "dense" or last["out"][2] != classes:
        raise NvmTorchError("spec %s: the last layer must be dense with %d outputs (f%d)" % (spec, classes, classes))
    last["act"] = None
    first_dense = next(i for i, L in enumerate(layers) if L["kind"] == "dense")
    if any(L["kind"] != "dense" for L in layers[first_dense:]):
        raise NvmTorchError("spec %s: convolution or pooling after a dense layer" % spec)
    fe = fe_mark if fe_mark >= 0 else first_dense if first_dense > 0 else len(layers) - 1
    if fe >= len(layers):
        raise NvmTorchError("spec %s: '|' leaves no detector" % spec)
    if all(L["kind"] == "pool" for L in layers[:fe]):
        raise NvmTorchError("spec %s: the feature extractor (before '|') has no weights; put '|' after a c or f "
                            "layer" % spec)
    return layers, n_params, fe


# ---- model files (src/io/model.c) ----

def _field(raw, what, path):
    """A NUL-padded text field of a header."""
    text = raw.split(b"\0", 1)[0]
    try:
        return text.decode("ascii")
    except UnicodeDecodeError:
        raise NvmTorchError("%s: %s field is not text" % (path, what)) from None


def read_model(path):
    """Reads and checks a model file as nvmsim does (magic, version, checksum, header, architecture,
    sizes, finite weights): (meta, params), params a float32 numpy array of the block as stored."""
    try:
        with open(path, "rb") as f:
            buf = f.read(1 << 31)
    except OSError as e:
        raise NvmTorchError("%s: cannot read (%s)" % (path, e.strerror or e)) from None
    if len(buf) < 16 or buf[:8] != MAGIC:
        raise NvmTorchError("%s: not an nvmsim model file (expected magic %s)" % (path, MAGIC.decode()))
    version = struct.unpack_from("<I", buf, 8)[0]
    if version not in READ_VERSIONS:
        raise NvmTorchError("%s: model file version %u, this script reads versions %s (%s)" % (
            path, version, ", ".join(map(str, READ_VERSIONS)),
            "update scripts/nvmsim_torch.py" if version > max(READ_VERSIONS) else "retrain"))
    # The checksum first, as nvmsim: a damaged file fails here, clearly.
    if zlib.crc32(buf[:-4]) != struct.unpack_from("<I", buf, len(buf) - 4)[0]:
        raise NvmTorchError("%s: checksum mismatch (file truncated or corrupted)" % path)
    body, at = buf[:-4], 12
    fmt = "<16s16sQIQ" + ("Q" if version >= 2 else "") + ("%ds" % RECIPE_BYTES if version >= 3 else "") + \
        "5I%ds" % SPEC_BYTES
    if len(body) < at + struct.calcsize(fmt) + 8:
        raise NvmTorchError("%s: truncated header" % path)
    f = list(struct.unpack_from(fmt, body, at))
    at += struct.calcsize(fmt)
    net, dataset, seed, base, acc_bits = f[:5]
    provenance = f[5] if version >= 2 else 0
    recipe = f[6] if version >= 3 else None
    in_h, in_w, in_c, classes, fe_field, spec_raw = f[-6:]
    net = _field(net, "net", path)
    if not NAME_RE.match(net):
        raise NvmTorchError("%s: network name '%s' is not 1-15 of [A-Za-z0-9._-]" % (path, net))
    spec = _field(spec_raw, "spec", path)
    arch = None
    if b"\0" in spec_raw and in_h <= MAX_SIDE and in_w <= MAX_SIDE and in_c <= MAX_WIDTH and classes <= MAX_WIDTH:
        try:
            arch = parse_spec(spec, in_h, in_w, in_c, classes)
        except NvmTorchError:
            pass
    if arch is None:
        raise NvmTorchError("%s: invalid architecture '%s' for %ux%ux%u inputs, %u classes" % (
            path, spec, in_h, in_w, in_c, classes))
    n_params, fe = arch[1:]
    if fe_field != fe:
        raise NvmTorchError("%s: feature extractor of %u layers does not match '%s'" % (path, fe_field, spec))
    if struct.unpack_from("<Q", body, at)[0] != n_params:
        raise NvmTorchError("%s: parameter count does not match the architecture" % path)
    at += 8
    if len(body) - at != 4 * n_params:
        raise NvmTorchError("%s: %d bytes of parameters, expected %d" % (path, len(body) - at, 4 * n_params))
    params = np.frombuffer(body, dtype="<f4", count=n_params, offset=at).astype(np.float32)
    bad = np.flatnonzero(~np.isfinite(params))
    if bad.size:
        raise NvmTorchError("%s: parameter %d is not a finite number" % (path, bad[0]))
    meta = types.SimpleNamespace(
        version=version, net=net, dataset=dataset.split(b"\0", 1)[0].decode("latin-1"), seed=seed, base=base,
        test_acc=struct.unpack("<d", struct.pack("<Q", acc_bits))[0], provenance=provenance, recipe=recipe,
        spec=spec, fe_layers=fe, input_shape=(in_c, in_h, in_w), classes=classes,
        params_sha256=hashlib.sha256(params.tobytes()).hexdigest())
    return meta, params


def _write_atomic(path, data):
    """path.tmp, then rename, as nvmsim writes: readers never see half a file."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise NvmTorchError("%s: folder %s does not exist; create it (mkdir -p %s) or choose another path" % (
            path, folder, folder), EUSAGE)
    tmp = path + ".tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise NvmTorchError("%s: write failed (%s)" % (path, e.strerror or e), ERUNTIME) from None


def write_model(path, meta, params):
    """Writes a model file of meta.version (1, 2 or 3; the recipe is kept verbatim in version 3)."""
    c, h, w = meta.input_shape
    head = struct.pack("<8sI16s16sQIdQ", MAGIC, meta.version, meta.net.encode("ascii"),
                       meta.dataset.encode("latin-1"), meta.seed, meta.base, meta.test_acc, meta.provenance)
    if meta.version == 1:   # no provenance field
        head = head[:-8]
    if meta.version >= 3:
        head += struct.pack("%ds" % RECIPE_BYTES, meta.recipe or b"")
    head += struct.pack("<5I%dsQ" % SPEC_BYTES, h, w, c, meta.classes, meta.fe_layers, meta.spec.encode("latin-1"),
                        params.size)
    body = head + params.astype("<f4").tobytes()
    _write_atomic(path, body + struct.pack("<I", zlib.crc32(body)))


# ---- nvmsim layers <-> torch modules ----

def _describe_torch(layers):
    """The torch modules for nvmsim's layers, as (class name, args, kwargs, nvmsim layer or None)."""
    mods, spatial = [], True
    for L in layers:
        if L["kind"] == "conv":
            mods.append(("Conv2d", (L["in_c"], L["out"][2], L["k"]), {"padding": L["pad"]}, L))
        elif L["kind"] == "pool":
            mods.append(("MaxPool2d", (2,), {}, None))
        else:
            if spatial:
                mods.append(("Flatten", (), {}, None))
                spatial = False
            mods.append(("Linear", (L["rows"], L["out"][2]), {}, L))
        if L["act"]:
            mods.append(("ReLU" if L["act"] == "relu" else "Tanh", (), {}, None))
    return mods


def _torch_text(name, args, kw):
    return "%s(%s)" % (name, ", ".join([str(a) for a in args] + ["%s=%s" % kv for kv in kw.items() if kv[1]]))


def to_module(meta, params):
    """A torch.nn.Sequential computing what nvmsim computes with these parameters, meta in .nvmsim."""
    torch = _torch()
    layers = parse_spec(meta.spec, meta.input_shape[1], meta.input_shape[2], meta.input_shape[0], meta.classes)[0]
    mods = []
    for name, args, kw, L in _describe_torch(layers):
        m = getattr(torch.nn, name)(*args, **kw)
        if L is not None:
            rows, n = L["rows"], L["out"][2]
            W = params[L["w_off"]:L["w_off"] + rows * n].reshape(rows, n)
            if L["kind"] == "conv":   # rows (ky, kx, c) -> weight[o, c, ky, kx]
                Wt = W.reshape(L["k"], L["k"], L["in_c"], n).transpose(3, 2, 0, 1)
            else:                     # rows (h, w, c) of NHWC -> torch's (c, h, w) flattening
                c, h, w = L["in_c"], L["in_h"], L["in_w"]
                Wt = W.reshape(h, w, c, n).transpose(3, 2, 0, 1).reshape(n, rows)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(Wt)))
                m.bias.copy_(torch.from_numpy(params[L["b_off"]:L["b_off"] + n].copy()))
        mods.append(m)
    module = torch.nn.Sequential(*mods)
    module.nvmsim = meta
    return module.eval()


def load(path):
    """A model file as a torch.nn.Sequential (eval mode), its header in module.nvmsim."""
    return to_module(*read_model(path))


def _refuse(i, m, what):
    raise NvmTorchError("layer %d (%s): %s" % (i, type(m).__name__, what))


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def from_module(module, input_shape):
    """(spec without '|', params) of a torch.nn.Sequential of the layers nvmsim has, on
    inputs of input_shape (C, H, W); anything else is refused naming the layer."""
    torch = _torch()
    nn = torch.nn
    if type(module) is not nn.Sequential:
        raise NvmTorchError("expected a torch.nn.Sequential of Conv2d, MaxPool2d(2), Linear, ReLU, Tanh and "
                            "Flatten, got %s" % type(module).__name__)
    mods = list(module)
    if not mods:
        raise NvmTorchError("the Sequential is empty; nvmsim needs at least a Linear layer")
    toks, convert = [], []   # convert: (torch module, (C, H, W) or None for conv)
    shape, flat_from = tuple(input_shape), None   # shape: (C, H, W), or (n,) once flat
    i = 0
    while i < len(mods):
        m, nxt = mods[i], mods[i + 1] if i + 1 < len(mods) else None
        act = {nn.ReLU: "relu", nn.Tanh: "tanh"}.get(type(nxt))
        if type(m) is nn.Conv2d:
            k = _pair(m.kernel_size)
            if len(shape) != 3:
                _refuse(i, m, "a convolution after a Flatten; nvmsim has no convolution after a dense layer")
            if k[0] != k[1]:
                _refuse(i, m, "kernel %dx%d: nvmsim convolutions are square (k x k, k odd 1..15)" % k)
            k = k[0]
            if _pair(m.stride) != (1, 1) or _pair(m.dilation) != (1, 1) or m.groups != 1:
                _refuse(i, m, "stride %s, dilation %s, groups %d: nvmsim convolutions have stride 1, dilation 1, "
                        "groups 1" % (m.stride, m.dilation, m.groups))
            if m.padding_mode != "zeros":
                _refuse(i, m, "padding_mode '%s': nvmsim convolutions pad with zeros" % m.padding_mode)
            if m.bias is None:
                _refuse(i, m, "no bias: nvmsim convolutions have one (bias=True)")
            pad = m.padding if isinstance(m.padding, str) else _pair(m.padding)
            same = pad == "same" or pad == ((k - 1) // 2,) * 2
            if k % 2 == 0 or not (same or pad in ("valid", (0, 0))):
                _refuse(i, m, "kernel %d, padding %s: nvmsim has odd kernels with padding 0 ('valid') or (k-1)/2 "
                        "('same')" % (k, m.padding))
            if m.in_channels != shape[0]:
                _refuse(i, m, "%d input channels, but its input has %d (C, H, W = %s)" % (
                    m.in_channels, shape[0], shape))
            if act != "relu":
                _refuse(i, m, "followed by %s: nvmsim convolutions are followed by nn.ReLU()" % (
                    type(nxt).__name__ if nxt is not None else "nothing"))
            pad = (k - 1) // 2 if same else 0
            shape = (m.out_channels, shape[1] + 2 * pad - k + 1, shape[2] + 2 * pad - k + 1)
            if min(shape[1:]) < 1:
                _refuse(i, m, "its input is smaller than its %dx%d kernel" % (k, k))
            toks.append("c%d%s%s" % (m.out_channels, "k%d" % k if k != 3 else "", "s" if same and k > 1 else ""))
            convert.append((m, None))
            i += 2
        elif type(m) is nn.MaxPool2d:
            if len(shape) != 3:
                _refuse(i, m, "pooling after a Flatten; nvmsim has no pooling after a dense layer")
            if (_pair(m.kernel_size) != (2, 2) or _pair(m.stride) != (2, 2) or _pair(m.padding) != (0, 0) or
                    _pair(m.dilation) != (1, 1) or m.ceil_mode or m.return_indices):
                _refuse(i, m, "nvmsim pools 2x2 with stride 2, no padding, dilation 1, floor mode: use "
                        "nn.MaxPool2d(2)")
            if min(shape[1:]) < 2:
                _refuse(i, m, "a %dx%d input is too small to pool" % shape[1:])
            toks.append("p")
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
            i += 1
        elif type(m) is nn.Flatten:
            if (m.start_dim, m.end_dim) != (1, -1) or len(shape) != 3:
                _refuse(i, m, "nvmsim flattens each image once, before the first Linear: use one nn.Flatten()")
            flat_from, shape = shape, (shape[0] * shape[1] * shape[2],)
            i += 1
        elif type(m) is nn.Linear:
            if len(shape) == 3 and i == 0:   # an MLP fed N x C*H*W, flattened in torch's order
                flat_from, shape = shape, (shape[0] * shape[1] * shape[2],)
            if len(shape) == 3:
                _refuse(i, m, "a Linear on images: put nn.Flatten() before it")
            if m.in_features != shape[0]:
                _refuse(i, m, "%d inputs, but its input has %d values" % (m.in_features, shape[0]))
            if m.bias is None:
                _refuse(i, m, "no bias: nvmsim dense layers have one (bias=True)")
            last = i == len(mods) - 1
            if not last and act is None:
                _refuse(i, m, "followed by %s: nvmsim dense layers are followed by nn.ReLU() or nn.Tanh(), "
                        "except the last" % type(nxt).__name__)
            toks.append(("f" if last or act == "relu" else "t") + str(m.out_features))
            convert.append((m, flat_from or (shape[0], 1, 1)))
            flat_from, shape = None, (m.out_features,)
            i += 1 if last else 2
        elif type(m) in (nn.ReLU, nn.Tanh):
            _refuse(i, m, "an activation that does not follow a Conv2d or Linear (nvmsim's activations belong "
                    "to its conv and dense layers)")
        else:
            _refuse(i, m, "not a layer nvmsim has (Conv2d k x k stride 1 'valid'/'same' + ReLU, MaxPool2d(2), "
                    "Flatten, Linear + ReLU/Tanh, a last Linear without activation)")
    if type(mods[-1]) is not nn.Linear:
        _refuse(len(mods) - 1, mods[-1], "the last layer must be a Linear without activation (the logits; "
                "softmax is in nvmsim's loss)")
    blocks = []
    for m, flat in convert:
        if m.weight.dtype != torch.float32 or m.bias.dtype != torch.float32:
            _refuse(mods.index(m), m, "%s weights: nvmsim stores float32; call model.float() first" % m.weight.dtype)
        W = m.weight.detach().cpu().numpy()
        if flat is None:   # weight[o, c, ky, kx] -> rows (ky, kx, c)
            W = W.transpose(2, 3, 1, 0).reshape(-1, W.shape[0])
        else:              # columns (c, h, w) -> rows (h, w, c)
            c, h, w = flat
            W = W.reshape(-1, c, h, w).transpose(2, 3, 1, 0).reshape(c * h * w, -1)
        blocks += [W.ravel(), m.bias.detach().cpu().numpy()]
    return "-".join(toks), np.concatenate(blocks)


def _mark_fe(spec, fe_layers):
    """spec with '|' after layer fe_layers."""
    toks = spec.split("-")
    if not 1 <= fe_layers < len(toks):
        raise NvmTorchError("fe_layers %d: expected 1..%d (the layers before nvmsim's '|')" % (fe_layers,
                                                                                             len(toks) - 1), EUSAGE)
    return "-".join(toks[:fe_layers]) + "|" + "-".join(toks[fe_layers:])


def _structure(layers):
    return [(L["kind"], L["act"], L["out"], L["k"], L["pad"]) for L in layers]


def _check_name(what, v):
    if not isinstance(v, str) or not NAME_RE.match(v):
        raise NvmTorchError("%s %r: expected 1-15 letters, digits, '.', '_' or '-'" % (what, v), EUSAGE)
    return v


def save(module, path, dataset=None, net=None, seed=None, base=None, test_acc=None, input_shape=None,
         fe_layers=None):
    """Saves a torch.nn.Sequential of nvmsim's layers as a model file (see the module's doc). Arguments
    left None come from module.nvmsim when it was loaded from a file, else: dataset "mnist", net
    "custom", seed 1, base 0, test_acc NaN, input_shape that of the data set."""
    meta = getattr(module, "nvmsim", None)
    old = meta.__dict__ if isinstance(meta, types.SimpleNamespace) else {}
    dataset = _check_name("dataset", dataset) if dataset is not None else old.get("dataset", "mnist")
    shape = tuple(input_shape or old.get("input_shape") or SHAPES.get(dataset) or ())
    if len(shape) != 3 or not all(isinstance(v, int) and v > 0 for v in shape):
        raise NvmTorchError("input_shape %r: give the images' (C, H, W), e.g. (1, 28, 28); data set '%s' has "
                            "no default" % (input_shape, dataset), EUSAGE)
    spec, params = from_module(module, shape)
    classes = module[-1].out_features
    if not 2 <= classes <= MAX_WIDTH:
        raise NvmTorchError("the last Linear has %d outputs: nvmsim needs 2..%d classes" % (classes, MAX_WIDTH))
    if fe_layers is not None:
        spec = _mark_fe(spec, fe_layers)
    layers, _, fe = parse_spec(spec, shape[1], shape[2], shape[0], classes)
    # The file's own spec if these are its layers: it keeps its '|' and its spelling (c32k3 = c32).
    if old and fe_layers is None and old["input_shape"] == shape and old["classes"] == classes and \
            _structure(parse_spec(old["spec"], shape[1], shape[2], shape[0], classes)[0]) == _structure(layers):
        spec, fe = old["spec"], old["fe_layers"]
    # A training run's record (provenance, recipe, accuracy, version) describes only its own weights.
    same = bool(old) and spec == old["spec"] and old["input_shape"] == shape and \
        hashlib.sha256(params.tobytes()).hexdigest() == old["params_sha256"]
    if net is not None:
        _check_name("net", net)
    else:   # a network's name stands for its layers
        net = old["net"] if old and spec == old["spec"] else "custom"
    out = types.SimpleNamespace(
        version=old["version"] if same else WRITE_VERSION, net=net, dataset=dataset, seed=int(seed if seed is not None else old.get("seed", 1)),
        base=int(base if base is not None else old.get("base", 0)),
        test_acc=float(test_acc if test_acc is not None else old["test_acc"] if same else math.nan),
        provenance=old["provenance"] if same else 0, recipe=old["recipe"] if same else None, spec=spec,
        fe_layers=fe, input_shape=shape, classes=classes)
    if not (0 <= out.seed < 1 << 64 and 0 <= out.base < 1 << 32):
        raise NvmTorchError("seed %d / base %d: expected 0..2^64-1 / 0..2^32-1" % (out.seed, out.base), EUSAGE)
    write_model(path, out, params)


# ---- data, exactly as src/data/ reads and scales it ----

def _find(folder, sub, name, try_gz):
    """dir/sub/name[.gz], then dir/name[.gz], as nvm_data_find."""
    for cand in ("%s/%s/%s" % (folder, sub, name), "%s/%s" % (folder, name)):
        for p in (cand, cand + ".gz") if try_gz else (cand,):
            if os.path.isfile(p):
                return p
    raise NvmTorchError("%s/%s/%s%s: no such file, nor in %s/ (set --data DIR or NVMSIM_DATA; `make data` "
                        "fetches the data sets)" % (folder, sub, name, "[.gz]" if try_gz else "", folder))


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise NvmTorchError("%s: cannot read (%s)" % (path, e.strerror or e)) from None


def _idx(path, ndims, limit):
    """An IDX file of bytes (gzip if it starts with 1f 8b): (array of the first `limit` items, raw bytes)."""
    raw = _read(path)
    buf = raw
    if raw[:2] == b"\x1f\x8b":
        try:
            buf = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise NvmTorchError("%s: bad gzip data (%s)" % (path, e)) from None
    if len(buf) < 4 + 4 * ndims or struct.unpack_from(">I", buf)[0] != 0x800 + ndims:
        raise NvmTorchError("%s: not an IDX file of bytes with %d dimensions" % (path, ndims))
    dims = struct.unpack_from(">%dI" % ndims, buf, 4)
    head = 4 + 4 * ndims
    if len(buf) != head + int(np.prod(dims, dtype=np.int64)):
        raise NvmTorchError("%s: %d bytes, the header promises %d" % (path, len(buf),
                                                                      head + int(np.prod(dims, dtype=np.int64))))
    n = min(dims[0], limit) if limit else dims[0]
    return np.frombuffer(buf, np.uint8, n * int(np.prod(dims[1:], dtype=np.int64)), head).reshape((n,) + dims[1:]), raw


def _labels(y, path, classes=10):
    if y.size and y.max() >= classes:
        raise NvmTorchError("%s: label %d is outside 0..%d" % (path, y.max(), classes - 1))
    return y.astype(np.int64)


def _mnist(folder, train_limit, test_limit, want_train):
    scale = np.arange(256, dtype=np.float32) / np.float32(255)   # byte/255.0f, as src/data/mnist.c
    out, files = [], []
    for split, limit in (("train", train_limit), ("t10k", test_limit)):
        if split == "train" and not want_train:
            out += [None, None]
            continue
        ip, lp = _find(folder, "mnist", split + "-images-idx3-ubyte", True), \
            _find(folder, "mnist", split + "-labels-idx1-ubyte", True)
        img, raw_i = _idx(ip, 3, limit)
        lbl, raw_l = _idx(lp, 1, limit)
        if img.shape[1:] != (28, 28):
            raise NvmTorchError("%s: images are %dx%d, expected 28x28 (MNIST)" % (ip, img.shape[1], img.shape[2]))
        if len(lbl) != len(img):
            raise NvmTorchError("%s: %d labels, but %s has %d images" % (lp, len(lbl), ip, len(img)))
        out += [scale[img].reshape(-1, 1, 28, 28), _labels(lbl, lp)]
        files += [(ip, raw_i), (lp, raw_l)]
    return out, files


def _cifar_batch(folder, name, limit):
    path = _find(folder, "cifar-10-batches-bin", name, False)
    raw = _read(path)
    if not raw or len(raw) % 3073:
        raise NvmTorchError("%s: %d bytes, not a whole number of 3073-byte CIFAR-10 records" % (path, len(raw)))
    rec = np.frombuffer(raw, np.uint8).reshape(-1, 3073)[:limit or None]
    return rec[:, 1:].reshape(-1, 3, 1024), _labels(rec[:, 0], path), (path, raw)


def _cifar(folder, train_limit, test_limit, want_train):
    """Training batches in order up to the limit (their per-channel byte sums set the scale), then the
    test batch through the same table, as src/data/cifar.c. x_train is None unless want_train."""
    px, ys, files, n = [], [], [], 0
    for b in range(1, 6):
        if train_limit and n >= train_limit:
            break
        p, y, f = _cifar_batch(folder, "data_batch_%d.bin" % b, train_limit - n if train_limit else 0)
        px.append(p), ys.append(y), files.append(f)
        n += len(y)
    tp, ty, tf = _cifar_batch(folder, "test_batch.bin", test_limit)
    px = np.concatenate(px)
    count = float(px.shape[0] * 1024)
    lut = np.empty((3, 256), np.float32)
    b = np.arange(256, dtype=np.int64)
    for c in range(3):   # exact integer sums (from byte counts), then the double formulas of make_lut
        hist = np.bincount(px[:, c, :].ravel(), minlength=256).astype(np.int64)
        mean = float((hist * b).sum()) / (255.0 * count)
        var = float((hist * b * b).sum()) / (255.0 * 255.0 * count) - mean * mean
        sd = math.sqrt(var) if var > 1e-12 else 1.0
        lut[c] = ((np.arange(256, dtype=np.float64) / 255.0 - mean) / sd).astype(np.float32)
    ch = np.arange(3)[None, :, None]
    xtr = lut[ch, px].reshape(-1, 3, 32, 32) if want_train else None
    return [xtr, np.concatenate(ys), lut[ch, tp].reshape(-1, 3, 32, 32), ty], files + [tf]


def data_dir(folder=None):
    """--data, else $NVMSIM_DATA, else ./data (as nvmsim)."""
    return folder or os.environ.get("NVMSIM_DATA") or "data"


def load_data(folder, dataset, train_limit=0, test_limit=0, want_train=True):
    """(x_train, y_train, x_test, y_test, files) as nvmsim computes on them: x float32 N x C x H x W, y
    int64; files the (path, bytes) read. Without want_train, x_train (and MNIST's y_train) is None; CIFAR-10's
    training batches are still read, their statistics scale the test images."""
    if dataset == "cifar10":
        out, files = _cifar(folder, train_limit, test_limit, want_train)
    else:
        out, files = _mnist(folder, train_limit, test_limit, want_train)
    return tuple(out) + (files,)


# What nvm_dataset_identify (src/data/identify.c) calls a data set: the official files by SHA-256.
KNOWN = {
    "mnist": {"440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
              "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
              "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
              "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
              "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
              "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
              "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
              "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"},
    "cifar10": {"cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
                "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
                "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
                "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
                "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
                "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
                "18cf04461dc65479d720ca1d4daf900d8c51f12f6d825013b71b6f578008cffb"},
}


def identify(files, dataset):
    """What nvm_dataset_identify calls the data set behind files [(path, bytes)]: 'mnist' or 'cifar10' if
    every file is an official one (by SHA-256), else the name of the folder holding the first file (its
    parent's if that is mnist/, cifar-10-batches-bin/ or .), never a known set's name."""
    if all(hashlib.sha256(raw).hexdigest() in KNOWN[dataset] for _, raw in files):
        return dataset
    path = files[0][0]
    end = path.rfind("/")
    if end < 0:
        return "unnamed"
    start = path.rfind("/", 0, end) + 1
    if path[start:end] in ("mnist", "cifar-10-batches-bin", "."):
        end = start - 1 if start > 0 else start
        start = path.rfind("/", 0, end) + 1 if end > 0 else 0
    name = re.sub(r"[^A-Za-z0-9._-]", "-", path[start:end])[:15]
    if not name or name in ("mnist", "cifar10", ".", ".."):
        return "%.8s-like" % (name if name and name[0] != "." else dataset)
    return name


def correct(module, x, y, batch=1000):
    """Test images whose largest logit (the first of ties, as nvmsim's argmax) is the label."""
    torch = _torch()
    flat = isinstance(module[0], torch.nn.Linear)   # an MLP without a leading Flatten takes N x C*H*W
    n = 0
    with torch.no_grad():
        for s in range(0, len(y), batch):
            xb = torch.from_numpy(x[s:s + batch])
            z = module(xb.reshape(len(xb), -1) if flat else xb)
            n += int((z.argmax(1) == torch.from_numpy(y[s:s + batch])).sum())
    return n


def demo_module(kind, shape, classes=10):
    """The small torch networks train-demo trains: an MLP 100 tanh, or a CNN of a 'same' and a 'valid'
    conv with pools and a dense 64 ReLU."""
    nn = _torch().nn
    c, h, w = shape
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(c * h * w, 100), nn.Tanh(), nn.Linear(100, classes))
    h2, w2 = (h // 2 - 2) // 2, (w // 2 - 2) // 2
    return nn.Sequential(nn.Conv2d(c, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 3), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * h2 * w2, 64), nn.ReLU(), nn.Linear(64, classes))


# ---- command line ----

def _positive(v):
    try:
        n = int(v)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError("%s: expected a whole number >= 0" % v)
    return n


class _Parser(argparse.ArgumentParser):
    def error(self, message):   # one line and exit 2, as nvmsim
        self.exit(EUSAGE, "%s: %s; see '%s --help'\n" % (self.prog, message, self.prog))


def _data_args(p, what):
    p.add_argument("--data", metavar="DIR", help="data folder [$NVMSIM_DATA, else ./data]")
    p.add_argument("--dataset", choices=["mnist", "cifar10"], help="data format [%s]" % what)
    p.add_argument("--train-limit", type=_positive, default=0, metavar="N", help="first N training images [all] (CIFAR-10: "
                   "they set the normalisation, as nvmsim's --train-limit)")
    p.add_argument("--test-limit", type=_positive, default=0, metavar="N", help="first N test images [all]")
    p.add_argument("--threads", type=_positive, default=0, metavar="N", help="torch threads [torch's default]")


def _parser():
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "nvmsim_torch.py"
    ap = _Parser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    p = sub.add_parser("info", help="header and layers of a model file")
    p.add_argument("model")
    p = sub.add_parser("roundtrip", help="model file -> torch -> model file; byte-identical?")
    p.add_argument("model")
    p.add_argument("out")
    p = sub.add_parser("to-torch", help="model file -> torch.save() of the Sequential")
    p.add_argument("model")
    p.add_argument("out")
    p = sub.add_parser("from-torch", help="torch.save()d Sequential -> model file")
    p.add_argument("pt")
    p.add_argument("out")
    p.add_argument("--dataset-name", metavar="NAME", help="data set it was trained on [the .pt's own, else mnist]")
    p.add_argument("--net", metavar="NAME", help="network name [custom, or the .pt's own]")
    p.add_argument("--input-shape", metavar="C,H,W", help="its images' shape [the .pt's own, else the data set's]")
    p.add_argument("--fe-layers", type=_positive, metavar="N", help="layers before nvmsim's '|' [nvmsim's default]")
    p = sub.add_parser("eval", help="PyTorch's clean test accuracy of a model file")
    p.add_argument("model")
    _data_args(p, "cifar10 for 3-channel models, else mnist")
    p = sub.add_parser("train-demo", help="train a small torch network briefly, save it as a model file")
    _data_args(p, "mnist")
    p.add_argument("--net", choices=["mlp", "cnn"], help="mlp: Flatten-Linear(100)-Tanh-Linear(10); cnn: "
                   "c16s-p-c32-p-f64-f10 [mlp on mnist, cnn on cifar10]")
    p.add_argument("--epochs", type=_positive, default=1, metavar="N", help="training epochs [1]")
    p.add_argument("--seed", type=_positive, default=1, metavar="S", help="torch's seed and the model's chip seed [1]")
    p.add_argument("--out", default="torch-demo.nvm", metavar="FILE", help="model file [torch-demo.nvm]")
    return ap


def _info(path):
    meta, params = read_model(path)
    c, h, w = meta.input_shape
    print("%s: nvmsim model v%d, %s (%s) on %dx%dx%d inputs, trained on %s with seed %d (base %d), test accuracy "
          "%.4f, provenance %016x%s" % (path, meta.version, meta.net, meta.spec, h, w, c, meta.dataset, meta.seed,
                                        meta.base, meta.test_acc, meta.provenance,
                                        ", recipe '%s'" % meta.recipe.split(b"\0", 1)[0].decode("latin-1")
                                        if meta.recipe is not None else ""))
    layers = parse_spec(meta.spec, h, w, c, meta.classes)[0]
    print("  %d parameters; the first %d of its %d layers are the feature extractor; as torch.nn.Sequential:" % (
        params.size, meta.fe_layers, len(layers)))
    for i, (name, args, kw, _) in enumerate(_describe_torch(layers)):
        print("    (%d) %s" % (i, _torch_text(name, args, kw)))


def _roundtrip(src, out):
    before = _read(src)   # out may be src
    save(load(src), out)
    if _read(out) != before:
        print("%s: differs from %s" % (out, src))
        return 1
    print("%s: byte-identical to %s" % (out, src))
    return 0


def _from_torch(a):
    torch = _torch()
    try:
        m = torch.load(a.pt, map_location="cpu")
    except Exception as e:   # torch.load raises anything its unpickler meets
        raise NvmTorchError("%s: cannot load with torch.load (%s); expected torch.save(model, path) of a "
                            "torch.nn.Sequential" % (a.pt, str(e).splitlines()[0] if str(e) else type(e).__name__))
    if not isinstance(m, torch.nn.Module):
        raise NvmTorchError("%s: holds a Python %s, not a torch module (a state_dict?); save the whole model: "
                            "torch.save(model, path)" % (a.pt, type(m).__name__))
    shape = None
    if a.input_shape:
        try:
            shape = tuple(int(v) for v in a.input_shape.split(","))
        except ValueError:
            shape = (0,)
        if len(shape) != 3 or min(shape) < 1:
            raise NvmTorchError("--input-shape %s: expected C,H,W, e.g. 1,28,28" % a.input_shape, EUSAGE)
    try:
        save(m, a.out, dataset=a.dataset_name, net=a.net, input_shape=shape, fe_layers=a.fe_layers)
    except NvmTorchError as e:   # what is wrong with the module is named by its file; flag and write errors are not
        raise NvmTorchError("%s: %s" % (a.pt, e) if e.code == EDATA else str(e), e.code) from None
    meta = read_model(a.out)[0]
    print("%s: %s (%s) on %s inputs, saved from %s" % (a.out, meta.net, meta.spec, "x".join(
        map(str, meta.input_shape[1:] + meta.input_shape[:1])), a.pt))


def _eval(a):
    meta, params = read_model(a.model)
    fmt = a.dataset or ("cifar10" if meta.input_shape[0] == 3 else "mnist")
    _, _, x, y, _ = load_data(data_dir(a.data), fmt, a.train_limit, a.test_limit, want_train=False)
    if x.shape[1:] != meta.input_shape:
        raise NvmTorchError("%s: model takes %s images, the data has %s; pick its data with --data/--dataset" % (
            a.model, "x".join(map(str, meta.input_shape)), "x".join(map(str, x.shape[1:]))))
    module = to_module(meta, params)
    k = correct(module, x, y)
    print("%s (%s %s, trained on %s): PyTorch clean test accuracy %.6f on %d images (%d correct)" % (
        a.model, meta.net, meta.spec, meta.dataset, k / len(y) if len(y) else 0.0, len(y), k))


def _train_demo(a):
    torch = _torch()
    fmt = a.dataset or "mnist"
    xtr, ytr, xte, yte, files = load_data(data_dir(a.data), fmt, a.train_limit, a.test_limit)
    torch.manual_seed(a.seed)
    model = demo_module(a.net or ("cnn" if fmt == "cifar10" else "mlp"), xtr.shape[1:])
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(a.epochs):
        model.train()
        for idx in torch.randperm(len(yt)).split(64):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        print("  epoch %d/%d  loss of the last batch %.4f" % (epoch + 1, a.epochs, loss.item()), file=sys.stderr)
    model.eval()
    acc = correct(model, xte, yte) / len(yte)
    name = identify(files, fmt)
    save(model, a.out, dataset=name, net="torch-" + (a.net or ("cnn" if fmt == "cifar10" else "mlp")), seed=a.seed,
         test_acc=acc, input_shape=tuple(int(v) for v in xtr.shape[1:]))
    print("%s: PyTorch-trained %s on %d %s images, test accuracy %.4f on %d; saved as an nvmsim model" % (
        a.out, read_model(a.out)[0].spec, len(ytr), name, acc, len(yte)))


def main(argv=None):
    ap = _parser()
    a = ap.parse_args(argv)
    try:
        if getattr(a, "threads", 0):
            _torch().set_num_threads(a.threads)
        if a.cmd == "info":
            _info(a.model)
        elif a.cmd == "roundtrip":
            return _roundtrip(a.model, a.out)
        elif a.cmd == "to-torch":
            module = load(a.model)
            _torch().save(module, a.out)
            print("%s: torch.save() of %s (%s)" % (a.out, a.model, module.nvmsim.spec))
        elif a.cmd == "from-torch":
            _from_torch(a)
        elif a.cmd == "eval":
            _eval(a)
        else:
            _train_demo(a)
    except NvmTorchError as e:
        print("%s %s: %s" % (ap.prog, a.cmd, e), file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main())
