#!/bin/sh
# Tests of scripts/nvmsim_torch.py (PyTorch models in and out) against the real binary on synthetic data:
# nvmsim-trained models -> torch -> file byte-identical (cmp), also for file versions 1 and 3; torch
# Sequentials (an MLP with tanh, a CNN with 'valid' and 'same' convolutions and pools) -> file -> torch
# with identical tensors; `nvmsim eval` and PyTorch count the same correct test images for models trained
# in torch (MLP on the MNIST layout, CNN on the CIFAR-10 layout) and in nvmsim; unsupported torch layers and
# damaged files are refused with one line. Most checks run in one python process (tests/test_torch.py,
# one torch import: refused modules go through the script's main() there); the errors here run the script
# itself (numpy only: a bad file or flag fails before torch is imported).
# Skipped (exit 0, one line) when no python3 has torch and numpy ($TORCH_PYTHON, /usr/bin/python3, python3).
# Usage: tests/test_torch.sh ./nvmsim build/tests/mkdata
set -u
t0=$(date +%s)
NVMSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKDATA=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SCRIPT=$HERE/../scripts/nvmsim_torch.py

. "$HERE/find_python.sh"
if ! PY=$(find_python "${TORCH_PYTHON:-}" torch numpy); then
    echo "test_torch: skipped: no python3 with torch (Debian: apt-get install python3-torch)"
    exit 0
fi

T=$(mktemp -d /tmp/nvmsim-torch-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "test_torch.sh: FAIL: $*" >&2; }

# expect CODE PATTERN ARGS...: the script exits CODE with exactly one stderr line matching PATTERN (no
# traceback) and writes no file named out.nvm.
expect() {
    code=$1 pat=$2
    shift 2
    rm -f "$T/out.nvm"
    "$PY" "$SCRIPT" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    lines=$(wc -l <"$T/err")
    if [ "$rc" -ne "$code" ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pat" "$T/err" || [ -e "$T/out.nvm" ]; then
        bad "nvmsim_torch.py $* -> exit $rc (want $code), $lines stderr lines (want 1): $(head -c 400 "$T/err")"
    else
        ok
    fi
}

"$MKDATA" "$T/syn" 400 200 >/dev/null || { echo "test_torch.sh: cannot make synthetic data" >&2; exit 1; }
# Two small nvmsim-trained models (about a second each): mlp2 (tanh) on the MNIST layout, a CNN with a
# 'same' and a 'valid' convolution, pools and dense ReLU on the CIFAR-10 layout.
"$NVMSIM" train --data "$T/syn" --nfe 16 --epochs 2 --out "$T/mlp.nvm" >/dev/null 2>&1 || bad "nvmsim train mlp2"
"$NVMSIM" train --data "$T/syn" --arch c8s-p-c16-p-f64-f10 --epochs 5 --lr 0.002 --batch 32 --out "$T/cnn.nvm" \
    >/dev/null 2>&1 || bad "nvmsim train cnn"

"$PY" "$HERE/test_torch.py" "$NVMSIM" "$T/syn" "$T" "$T/mlp.nvm" "$T/cnn.nvm" >"$T/py.out"
line=$(tail -n 1 "$T/py.out")
sed '$d' "$T/py.out" >&2   # the accuracy counts compared
case $line in
CHECKS*) set -- $line; checks=$((checks + $2)) fails=$((fails + $3)) ;;
*) bad "tests/test_torch.py did not finish: $line" ;;
esac
for f in mlp cnn; do
    cmp -s "$T/$f.nvm" "$T/$f.nvm.rt" && ok || bad "nvmsim-trained $f.nvm -> torch -> file is not byte-identical"
done

# The command line: bad input is one line and an exit code, never a traceback; nothing is written.
expect 3 "trunc.nvm: checksum mismatch (file truncated or corrupted)" info "$T/trunc.nvm"
expect 3 "flip.nvm: checksum mismatch" eval "$T/flip.nvm" --data "$T/syn"
expect 3 "tiny.nvm: not an nvmsim model file" roundtrip "$T/tiny.nvm" "$T/out.nvm"
expect 3 "v9.nvm: model file version 9" to-torch "$T/v9.nvm" "$T/out.nvm"
expect 3 "nope.nvm: cannot read" info "$T/nope.nvm"
expect 3 "nvmsim_torch.py eval: .*mnist/t10k-images-idx3-ubyte\[.gz\]: no such file" eval "$T/mlp.nvm" --data "$T"
expect 3 "model takes 1x28x28 images, the data has 3x32x32" eval "$T/mlp.nvm" --data "$T/syn" --dataset cifar10
expect 2 "the following arguments are required: model" eval
expect 2 "argument --test-limit: -3: expected a whole number >= 0" eval "$T/mlp.nvm" --test-limit -3
# --help is the module's documentation, with its Python API.
"$PY" "$SCRIPT" --help 2>&1 | grep -q "load(path) -> torch.nn.Sequential" && ok || bad "--help lacks the API"

printf '%-14s %s (%d checks, %d failed, %d s)\n' "torch" "$([ $fails -eq 0 ] && echo ok || echo FAIL)" $checks $fails \
    $(($(date +%s) - t0)) >&2
[ $fails -eq 0 ]
