#!/bin/sh
# Builds the malformed-input corpus that tests/robust.sh feeds to nvmsim. It is made here, with gzip,
# dd and od, independently of the unit tests' generators; the model files are written from the format
# description (README, src/io/model.c header comment) rather than by the program, their CRC-32 taken
# from gzip's trailer.
#   Usage: tests/malformed/make_corpus.sh OUT MKDATA
# OUT/syn/                  a valid synthetic data set (MNIST and CIFAR-10 formats), the base of the rest
# OUT/mnist/CASE/           a data directory (for --data) whose mnist/ has one bad file; CASE/broken
# OUT/cifar/CASE/           names it (relative to CASE/); same for cifar-10-batches-bin/
# OUT/model/CASE.nvm        a bad model file (fit-*.nvm: well-formed, but not for this data)
# OUT/model-ok.nvm          a valid model written the same way (control: must be accepted)
set -eu
OUT=$1 MKDATA=$2
rm -rf "$OUT"
mkdir -p "$OUT/mnist" "$OUT/cifar" "$OUT/model"
"$MKDATA" "$OUT/syn" 50 20 >/dev/null
S=$OUT/syn/mnist
SC=$OUT/syn/cifar-10-batches-bin
TRI=train-images-idx3-ubyte TRL=train-labels-idx1-ubyte TEI=t10k-images-idx3-ubyte TEL=t10k-labels-idx1-ubyte

# ---- byte helpers -------------------------------------------------------------------------------------
# le32s/be32s print a 32-bit value as a printf format of octal escapes (text, so it survives $(...),
# which would drop NUL bytes); le32/be32 print the bytes themselves.
oct4() { printf '\\%03o\\%03o\\%03o\\%03o' "$1" "$2" "$3" "$4"; }
le32s() { oct4 $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }
be32s() { oct4 $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }
le32() { printf "$(le32s "$1")"; }
be32() { printf "$(be32s "$1")"; }
le64() { le32 $(($1 & 4294967295)); le32 $(($1 >> 32 & 4294967295)); }
padded() { printf '%s' "$1"; head -c $(($2 - ${#1})) /dev/zero; }     # string, NUL-padded to N bytes
size() { wc -c <"$1" | tr -d ' '; }
# put FILE OFFSET PRINTF-FORMAT: overwrites bytes in place
put() { _f=$1 _o=$2; shift 2; printf "$@" | dd of="$_f" bs=1 seek="$_o" conv=notrunc 2>/dev/null; }
# flip FILE OFFSET: inverts the lowest bit of one byte
flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    put "$1" "$2" "$(printf '\\%03o' $((b ^ 1)))"
}
# crc FILE: appends the CRC-32 (IEEE, little-endian) of the file's bytes, as gzip's trailer holds it
crc() { gzip -c -n "$1" | tail -c 8 | head -c 4 >"$1.crc"; cat "$1.crc" >>"$1"; rm -f "$1.crc"; }

# ---- MNIST: a data directory per case ----------------------------------------------------------------
# The bad file goes in CASE/ itself; CASE/mnist links to a shared folder holding the three other files
# (the loader looks in DIR/mnist/ first, then DIR/). mcase NAME FILE sets f to the path the bad file is
# to be written to; for FILE.gz, the raw file of that name is absent, so the .gz one is read.
for x in $TRI $TRL $TEI $TEL; do
    mkdir -p "$OUT/good-but-$x"
    for y in $TRI $TRL $TEI $TEL; do [ "$x" = "$y" ] || ln -s "$S/$y" "$OUT/good-but-$x/$y"; done
done
mcase() {
    mkdir "$OUT/mnist/$1"
    ln -s "$OUT/good-but-${2%.gz}" "$OUT/mnist/$1/mnist"
    echo "$2" >"$OUT/mnist/$1/broken"
    f=$OUT/mnist/$1/$2
}

mcase empty $TRI; : >"$f"
mcase directory $TRI; mkdir "$f"
mcase magic-random $TRI; { printf 'NVMSIMMD'; tail -c +9 "$S/$TRI"; } >"$f"
mcase magic-labels-as-images $TRI; cp "$S/$TRL" "$f"
mcase magic-images-as-labels $TEL; cp "$S/$TEI" "$f"
mcase type-code $TRI; cp "$S/$TRI" "$f"; put "$f" 2 '\011'
mcase dims-4 $TRI; cp "$S/$TRI" "$f"; put "$f" 3 '\004'
mcase label-10 $TEL; cp "$S/$TEL" "$f"; put "$f" 12 '\012'
mcase label-255 $TRL; cp "$S/$TRL" "$f"; put "$f" 20 '\377'
mcase count-mismatch $TRL; { be32 2049; be32 49; tail -c +9 "$S/$TRL" | head -c 49; } >"$f"
mcase count-4e9 $TRI; cp "$S/$TRI" "$f"; put "$f" 4 "$(be32s 4000000000)"
mcase count-4e9-labels $TEL; cp "$S/$TEL" "$f"; put "$f" 4 "$(be32s 4000000000)"
mcase count-1e7 $TRI; cp "$S/$TRI" "$f"; put "$f" 4 "$(be32s 10000000)"
mcase count-0 $TEI; cp "$S/$TEI" "$f"; put "$f" 4 "$(be32s 0)"
mcase rows-0 $TRI; cp "$S/$TRI" "$f"; put "$f" 8 "$(be32s 0)"
mcase rows-huge $TRI; cp "$S/$TRI" "$f"; put "$f" 8 "$(be32s 4294967295)"
mcase side-29 $TEI; { be32 2051; be32 20; be32 29; be32 28; head -c $((20 * 29 * 28)) /dev/zero; } >"$f"
mcase extra-byte $TRI; { cat "$S/$TRI"; printf 'x'; } >"$f"
n=$(size "$S/$TRI")
for cut in 1 3 4 7 8 15 16 17 800 $((n / 2)) $((n - 1)); do
    mcase "truncated-raw-$cut" $TRI; head -c "$cut" "$S/$TRI" >"$f"
done
mcase truncated-labels $TEL; head -c 15 "$S/$TEL" >"$f"

# gzip files: truncated at many offsets (header, blocks, trailer), bad CRC, lying ISIZE, trailing
# garbage, bad method, reserved flags, and a valid gzip of the wrong kind of file.
gzip -9 -n -c "$S/$TRI" >"$OUT/tri.gz"
gzip -9 -n -c "$S/$TEL" >"$OUT/tel.gz"
n=$(size "$OUT/tri.gz")
for cut in 1 2 5 9 10 11 12 40 $((n / 2)) $((n - 9)) $((n - 8)) $((n - 5)) $((n - 1)); do
    mcase "gz-truncated-$cut" $TRI.gz; head -c "$cut" "$OUT/tri.gz" >"$f"
done
mcase gz-empty-member $TRI.gz; : | gzip -n -c >"$f"
mcase gz-bad-crc $TRI.gz; cp "$OUT/tri.gz" "$f"; flip "$f" $((n - 8))
mcase gz-lying-isize $TRI.gz; cp "$OUT/tri.gz" "$f"; flip "$f" $((n - 4))
mcase gz-isize-4g $TRI.gz; cp "$OUT/tri.gz" "$f"; put "$f" $((n - 4)) '\377\377\377\377'
mcase gz-trailing-garbage $TRI.gz; { cat "$OUT/tri.gz"; printf 'garbage'; } >"$f"
mcase gz-two-members $TRI.gz; { cat "$OUT/tri.gz" "$OUT/tri.gz"; } >"$f"
mcase gz-method $TRI.gz; cp "$OUT/tri.gz" "$f"; put "$f" 2 '\007'
mcase gz-reserved-flags $TRI.gz; cp "$OUT/tri.gz" "$f"; put "$f" 3 '\340'
mcase gz-block-type-3 $TRI.gz; cp "$OUT/tri.gz" "$f"; put "$f" 10 '\007'
mcase gz-corrupt-body $TRI.gz; cp "$OUT/tri.gz" "$f"; for o in 30 31 32 33; do flip "$f" $o; done
mcase gz-of-labels $TRI.gz; cp "$OUT/tel.gz" "$f"
mcase gz-label-255 $TEL.gz; { head -c 8 "$S/$TEL"; printf '\377'; tail -c +10 "$S/$TEL"; } | gzip -n -c >"$f"
n=$(size "$OUT/tel.gz")
mcase gz-labels-truncated $TEL.gz; head -c $((n - 3)) "$OUT/tel.gz" >"$f"
mcase gz-directory $TRI.gz; mkdir "$f"

# ---- CIFAR-10: a data directory per case --------------------------------------------------------------
for x in data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin; do
    mkdir -p "$OUT/good-but-$x"
    for y in "$SC"/*.bin; do [ "$x" = "${y##*/}" ] || ln -s "$y" "$OUT/good-but-$x/${y##*/}"; done
done
ccase() {
    mkdir "$OUT/cifar/$1"
    ln -s "$OUT/good-but-$2" "$OUT/cifar/$1/cifar-10-batches-bin"
    echo "$2" >"$OUT/cifar/$1/broken"
    f=$OUT/cifar/$1/$2
}
ccase empty data_batch_1.bin; : >"$f"
ccase directory data_batch_1.bin; mkdir "$f"
ccase missing data_batch_3.bin;
ccase size-plus-5 test_batch.bin; { cat "$SC/test_batch.bin"; printf '12345'; } >"$f"
ccase size-minus-1 data_batch_5.bin; n=$(size "$SC/data_batch_5.bin"); head -c $((n - 1)) "$SC/data_batch_5.bin" >"$f"
ccase one-byte test_batch.bin; printf '\000' >"$f"
ccase label-10 data_batch_2.bin; cp "$SC/data_batch_2.bin" "$f"; put "$f" $((3 * 3073)) '\012'
ccase label-255 test_batch.bin; cp "$SC/test_batch.bin" "$f"; put "$f" 0 '\377'

# ---- model files --------------------------------------------------------------------------------------
# model OUT VERSION NET DATASET IN_H IN_W IN_C CLASSES FE_LAYERS SPEC N_PARAMS [N_WRITTEN]: a model file
# of zero parameters (N_WRITTEN of them; default N_PARAMS), CRC-32 appended.
model() {
    {
        printf 'NVMSIMMD'; le32 "$2"; padded "$3" 16; padded "$4" 16
        le64 1; le32 0; le64 0                          # seed, base, test accuracy (0.0)
        le32 "$5"; le32 "$6"; le32 "$7"; le32 "$8"; le32 "$9"
        padded "${10}" 128; le64 "${11}"
        head -c $((4 * ${12:-${11}})) /dev/zero
    } >"$1"
    crc "$1"
}
# model3 OUT RECIPE-PRINTF-FORMAT: a version-3 mlp2 (t4-f10) whose 64-byte recipe field is the format's
# bytes, NUL-padded to 64 (the format may give all 64 itself).
model3() {
    printf "$2" >"$1.recipe"
    {
        printf 'NVMSIMMD'; le32 3; padded mlp2 16; padded mnist 16
        le64 1; le32 0; le64 0; le64 0                  # seed, base, test accuracy (0.0), provenance
        cat "$1.recipe"; head -c $((64 - $(size "$1.recipe"))) /dev/zero
        le32 28; le32 28; le32 1; le32 10; le32 1
        padded t4-f10 128; le64 $P
        head -c $((4 * P)) /dev/zero
    } >"$1"
    rm -f "$1.recipe"
    crc "$1"
}
M=$OUT/model
P=$((784 * 4 + 4 + 4 * 10 + 10))                       # parameters of t4-f10 on 28x28x1
model "$OUT/model-ok.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 $P
model3 "$OUT/model-ok3.nvm" 'init=torch train-noise=gauss:0.3 biases=yes'
model "$M/newer-version.nvm" 4 mlp2 mnist 28 28 1 10 1 t4-f10 $P
model "$M/v3-with-v1-layout.nvm" 3 mlp2 mnist 28 28 1 10 1 t4-f10 $P
model3 "$M/recipe-escape.nvm" 'init=he\033[31mred'
model3 "$M/recipe-newline.nvm" 'init=he\ntrain-noise=none'
model3 "$M/recipe-high-byte.nvm" 'init=h\351'
model3 "$M/recipe-after-nul.nvm" 'init=he\000\000x'
model3 "$M/recipe-no-nul.nvm" "$(printf '%064d' 0)"
model "$M/version-0.nvm" 0 mlp2 mnist 28 28 1 10 1 t4-f10 $P
model "$M/foreign-net.nvm" 1 'res net/50' imagenet 28 28 1 10 1 t4-f10 $P
model "$M/net-escape.nvm" 1 "$(printf '\033[31mred')" mnist 28 28 1 10 1 t4-f10 $P
model "$M/spec-newline.nvm" 1 mlp2 mnist 28 28 1 10 1 "$(printf 't4\n-f10')" $P
model "$M/spec-garbage.nvm" 1 cnn cifar10 32 32 3 10 1 c32-q-f10 $P
model "$M/spec-last-not-classes.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f7 $P
model "$M/fe-layers.nvm" 1 mlp2 mnist 28 28 1 10 2 t4-f10 $P
model "$M/n-params-lie.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 $((P + 1)) $P
model "$M/n-params-huge.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 4611686018427387904 $P
model "$M/params-short.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 $P $((P - 1))
model "$M/params-long.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 $P $((P + 1))
model "$M/input-absurd.nvm" 1 cnn cifar10 4096 4096 100000 10 1 c1-f10 0
model "$M/input-zero.nvm" 1 mlp2 mnist 0 28 1 10 1 t4-f10 $P
model "$M/classes-1.nvm" 1 mlp2 mnist 28 28 1 1 1 t4-f1 $((784 * 4 + 4 + 4 + 1))
model "$M/header-only.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 0 0
# NaN parameter (0x7fc00000) at index 5, CRC made after
model "$M/param-nan.nvm" 1 mlp2 mnist 28 28 1 10 1 t4-f10 $P
n=$(size "$M/param-nan.nvm"); head -c $((n - 4)) "$M/param-nan.nvm" >"$M/param-nan.tmp"
put "$M/param-nan.tmp" $((220 + 4 * 5)) '\000\000\300\177'; crc "$M/param-nan.tmp"; mv "$M/param-nan.tmp" "$M/param-nan.nvm"
# Well-formed, but not for the data it is used with: 32x32 inputs, 5 or 12 classes, a cnn for 30x30x1.
model "$M/fit-inputs-1024.nvm" 1 mlp2 mnist 32 32 1 10 1 t4-f10 $((1024 * 4 + 4 + 4 * 10 + 10))
model "$M/fit-classes-5.nvm" 1 mlp2 mnist 28 28 1 5 1 t4-f5 $((784 * 4 + 4 + 4 * 5 + 5))
model "$M/fit-classes-12.nvm" 1 mlp2 mnist 28 28 1 12 1 t4-f12 $((784 * 4 + 4 + 4 * 12 + 12))
model "$M/fit-cnn-30x30.nvm" 1 cnn cifar10 30 30 1 10 2 c2-p-f10 $((9 * 2 + 2 + 14 * 14 * 2 * 10 + 10))

# Damaged copies of the valid model: truncated, bit-flipped, empty, not a model at all.
n=$(size "$OUT/model-ok.nvm")
for cut in 0 4 8 12 15 16 100 219 220 $((n - 5)) $((n - 4)) $((n - 1)); do
    head -c "$cut" "$OUT/model-ok.nvm" >"$M/truncated-$cut.nvm"
done
for off in 0 8 12 30 45 64 76 80 90 212 300 $((n - 1)); do
    cp "$OUT/model-ok.nvm" "$M/bitflip-$off.nvm"; flip "$M/bitflip-$off.nvm" "$off"
done
{ cat "$OUT/model-ok.nvm"; printf 'x'; } >"$M/trailing-byte.nvm"
cp "$S/$TEL" "$M/idx-file.nvm"
cp "$OUT/tri.gz" "$M/gzip-file.nvm"
mkdir "$M/directory.nvm"
rm -f "$OUT/tri.gz" "$OUT/tel.gz"
