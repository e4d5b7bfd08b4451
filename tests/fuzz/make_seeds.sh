#!/bin/sh
# Regenerates the fuzz seed corpora in tests/fuzz/corpus/NAME/ (committed; small valid and near-valid
# inputs). Needs gzip, and nvmsim + mkdata for the model seeds.
#   Usage: tests/fuzz/make_seeds.sh ./nvmsim build/tests/mkdata
set -eu
NVMSIM=$1 MKDATA=$2
C=$(cd "$(dirname "$0")" && pwd)/corpus
T=$(mktemp -d /tmp/nvmsim-seeds-XXXXXX)
trap 'rm -rf "$T"' EXIT
# the corpus also holds inputs the fuzzers found (hash-named): only the named seeds are rewritten
mkdir -p "$C/gunzip" "$C/idx" "$C/cifar" "$C/model" "$C/arch" "$C/range" "$C/noise" "$C/shard"

# Deterministic bytes: N bytes of an LCG (incompressible enough for gzip to pick stored blocks).
lcg_bytes() { awk -v n="$1" 'BEGIN { x = 12345; for (i = 0; i < n; i++) { x = (x * 1103515245 + 12345) % 2147483648; printf "%c", int(x / 8388608) } }' LC_ALL=C; }

# A tiny data set: 20 training and 10 test samples in both formats.
"$MKDATA" "$T/syn" 20 10 >/dev/null
M=$T/syn/mnist

# gunzip: gzip -9 and -1 of text and of IDX data, an empty member, a stored (incompressible) member,
# a member with the file name kept, and near-valid ones (CRC and ISIZE off by one).
printf 'hello, gzip\n' >"$T/hello"
gzip -9 -n -c "$T/hello" >"$C/gunzip/text-9.gz"
gzip -1 -n -c "$M/t10k-labels-idx1-ubyte" >"$C/gunzip/labels-1.gz"
head -c 2000 "$M/t10k-images-idx3-ubyte" | gzip -9 -n -c >"$C/gunzip/images-9.gz"
: | gzip -9 -n -c >"$C/gunzip/empty.gz"
LC_ALL=C lcg_bytes 600 | gzip -9 -n -c >"$C/gunzip/stored.gz"
cp "$T/hello" "$T/named" && gzip -9 -c "$T/named" >"$C/gunzip/named.gz"
f=$C/gunzip/text-9.gz; n=$(wc -c <"$f")
{ head -c $((n - 8)) "$f"; printf '\000\000\000\000'; tail -c 4 "$f"; } >"$C/gunzip/badcrc.gz"
{ head -c $((n - 4)) "$f"; printf '\377\377\377\177'; } >"$C/gunzip/badisize.gz"

# idx: first byte odd = images (3 dimensions), even = labels; then the file, raw or gzip.
{ printf '\001'; cat "$M/t10k-images-idx3-ubyte"; } >"$C/idx/images-raw"
{ printf '\000'; cat "$M/t10k-labels-idx1-ubyte"; } >"$C/idx/labels-raw"
{ printf '\001'; gzip -9 -n -c "$M/t10k-images-idx3-ubyte"; } >"$C/idx/images-gz"
{ printf '\000'; gzip -9 -n -c "$M/t10k-labels-idx1-ubyte"; } >"$C/idx/labels-gz"
printf '\001\000\000\010\003\000\000\000\002\000\000\000\002\000\000\000\002abcdefgh' >"$C/idx/images-2x2"
printf '\000\000\000\010\001\000\000\000\003\000\011\012' >"$C/idx/labels-bad"
printf '\001\000\000\010\003\356\153\050\000\000\000\000\034\000\000\000\034' >"$C/idx/images-huge"

# cifar: byte 0 = train limit (0 = all), byte 1 = test limit, then the batch bytes.
B=$T/syn/cifar-10-batches-bin/test_batch.bin
{ printf '\001\001'; head -c 3073 "$B"; } >"$C/cifar/one-record"
{ printf '\002\000'; head -c 6146 "$B"; } >"$C/cifar/two-records"
{ printf '\000\000'; head -c 3073 "$B"; } >"$C/cifar/all"
{ printf '\001\001\012'; head -c 3072 "$B" | tail -c 3072; } >"$C/cifar/bad-label"
{ printf '\001\001'; head -c 3000 "$B"; } >"$C/cifar/short"

# model: files written by `nvmsim train`, whole and without their CRC-32 (the target appends one).
"$NVMSIM" train --data "$T/syn" --dataset cifar10 --arch c1k1-p-p-p-p-f10 --epochs 1 --threads 1 \
    --out "$T/cnn.nvm" >/dev/null 2>&1
"$NVMSIM" train --data "$T/syn" --dataset cifar10 --arch 'c2k3s-p|c1-p-p-f3-f10' --epochs 1 --threads 1 \
    --out "$T/cnn2.nvm" >/dev/null 2>&1
"$NVMSIM" train --data "$T/syn" --net mlp2 --nfe 1 --epochs 1 --threads 1 --out "$T/mlp2.nvm" >/dev/null 2>&1
"$NVMSIM" train --data "$T/syn" --net mlp3 --nfe 1 --epochs 1 --threads 1 --out "$T/mlp3.nvm" >/dev/null 2>&1
for m in cnn cnn2 mlp2 mlp3; do
    cp "$T/$m.nvm" "$C/model/$m.nvm"
    head -c $(($(wc -c <"$T/$m.nvm") - 4)) "$T/$m.nvm" >"$C/model/$m-nocrc"
done
# ... and as the version-2 files nvmsim wrote before recipes (the same without the recipe field, bytes
# 72..135), which are still read; the CRC-32 from gzip's trailer.
for m in mlp2 mlp3; do
    n=$(wc -c <"$T/$m.nvm")
    { printf 'NVMSIMMD\002\000\000\000'; tail -c +13 "$T/$m.nvm" | head -c 60; tail -c +137 "$T/$m.nvm" | head -c $((n - 140)); } \
        >"$C/model/$m-v2.nvm"
    gzip -c -n "$C/model/$m-v2.nvm" | tail -c 8 | head -c 4 >>"$C/model/$m-v2.nvm"
done

# arch: mode byte (0 MNIST, 1 CIFAR-10, 2 small shape from bytes 1-4, 3 any shape), 8 shape bytes, spec.
a() { { printf "$1"; printf '%s' "$2"; } >"$C/arch/$3"; }
a '\001\000\000\000\000\000\000\000\000' 'c32-p-c64-p-c64-f64-f10' cnn-default
a '\001\000\000\000\000\000\000\000\000' 'c8k5s-p|c16-p-f32-f10' cnn-mark
a '\000\000\000\000\000\000\000\000\000' 't100-f10' mlp2
a '\004\000\000\000\000\000\000\000\000' '100-t100-t100-f10' mlp3
a '\002\007\005\002\012\000\000\000\000' 'c3k3-p-t20|f10' small
a '\003\020\000\020\000\000\000\003\001' 'c4k15s-p-p-f400' big
a '\001\000\000\000\000\000\000\000\000' 'c32-q-f10' bad-layer

# range: byte 0 picks the bounds (0: 0..1000 as --alpha, 8: 0..100000 as --nd), then the value.
r() { { printf "$1"; printf '%s' "$2"; } >"$C/range/$3"; }
r '\000' '0:1:0.05' alpha-range
r '\000' '0,0.25,0.5,1' alpha-list
r '\000' '1:0:0.1' stop-below
r '\000' '0:1:0' zero-step
r '\000' 'nan' nan
r '\000' '0:1000:0.1' long-range
r '\010' '10,20,50,100,200' nfe-list
r '\010' '-1' negative
r '\030' '18446744073709551615' u64-max

# noise
printf 'gauss' >"$C/noise/gauss"
printf 'quant:1,quant:8,gauss' >"$C/noise/list"
printf 'quant:9' >"$C/noise/bad-bits"
printf 'quant:,gauss,' >"$C/noise/empty-parts"
printf 'gauss:0.3' >"$C/noise/train-gauss"
printf 'faults:1e-3' >"$C/noise/train-faults"
printf 'pcm:.5' >"$C/noise/train-pcm"
printf 'pcm:11' >"$C/noise/train-bad-level"
# shard: K/N byte (64 + K: shard K of 2), a shard's sidecar, NUL, the shard CSV (as `sweep --shard` writes).
for k in 0 1; do
    "$NVMSIM" sweep --data "$T/syn" --nfe 8 --epochs 1 --alpha 0,1 --runs 2 --retrain-epochs 1 --out "$T/fz.csv" \
        --shard $k/2 >/dev/null
    { printf "\\$(printf %03o $((64 + k)))"; cat "$T/fz.csv.shard-$k-of-2.csv.json"; printf '\000'
      cat "$T/fz.csv.shard-$k-of-2.csv"; } >"$C/shard/seed-$k"
done

echo "seeds written to $C: $(find "$C" -type f | wc -l) files, $(du -sk "$C" | cut -f1) KB"
