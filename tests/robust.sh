#!/bin/sh
# Hostile input: runs nvmsim on every file of the malformed corpus (tests/malformed/make_corpus.sh) and
# on bad command-line values, and asserts for each case: the documented exit code (3 for a bad file, 2
# for a bad value), no signal (exit < 128), exactly one line on stderr naming the file (or the flag), no
# sanitizer report (stderr, and $NVMSIM_SANITIZER_LOGS when `make test-asan` sets it), and no file
# created (commands run in an empty directory, with --out pointing into it).
#   Usage: tests/robust.sh ./nvmsim build/tests/mkdata
set -u
NVMSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKDATA=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nvmsim-robust-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
SANLOGS=${NVMSIM_SANITIZER_LOGS:-}

bad() { fails=$((fails + 1)); echo "robust.sh: FAIL: $*" >&2; }

sh "$HERE/malformed/make_corpus.sh" "$T/c" "$MKDATA" || { echo "robust.sh: cannot build the corpus" >&2; exit 1; }
C=$T/c
SYN=$C/syn

# expect CODE PATTERN ARGS...: nvmsim ARGS exits with CODE and writes exactly one stderr line containing
# PATTERN (a fixed string; and $ALSO too, when set), nothing else goes wrong. Few processes per case:
# this runs a few hundred times.
expect() {
    code=$1 pat=$2
    shift 2
    args=$*   # "$@" is reused below
    checks=$((checks + 1))
    "$NVMSIM" "$@" >"$L/stdout" 2>"$L/stderr"
    rc=$?
    why=
    [ "$rc" -eq "$code" ] || why="exit $rc, want $code;"
    [ "$rc" -lt 128 ] || why="$why killed by signal $((rc - 128));"
    # stderr: one line, naming PAT (and ALSO), no sanitizer report (shell builtins only: no forks)
    n=0 named='' san=''
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        case $line in *"$pat"*) case $line in *"${ALSO:-}"*) named=1 ;; esac ;; esac
        case $line in *Sanitizer* | *"runtime error"*) san=1 ;; esac
        line=
    done <"$L/stderr"
    [ "$n" -eq 1 ] || why="$why $n stderr lines, want 1;"
    [ -n "$named" ] || why="$why stderr does not name '$pat'${ALSO:+ and '$ALSO'};"
    [ -z "$san" ] || why="$why sanitizer report;"
    if [ -n "$SANLOGS" ]; then
        set -- "$SANLOGS"/*
        if [ -e "$1" ]; then
            why="$why sanitizer report in $SANLOGS;"
            cat "$@" >&2
            mkdir -p "$SANLOGS.robust" && mv "$@" "$SANLOGS.robust/"   # reported once, kept for a look
        fi
    fi
    set -- "$O"/* "$O"/.[!.]*
    if [ -e "$1" ] || [ -e "$2" ]; then
        why="$why left files behind: $*;"
        rm -rf "$O" && mkdir "$O" && cd "$O" || exit 1
    fi
    [ -z "$why" ] || bad "nvmsim $args -> $why stderr: $(head -c 400 "$L/stderr")"
}
# succeed ARGS...: a control case that must work (so the failures above fail for the reason meant).
succeed() {
    checks=$((checks + 1))
    "$NVMSIM" "$@" >"$L/stdout" 2>"$L/stderr" || bad "control: nvmsim $* failed: $(head -c 300 "$L/stderr")"
    rm -rf "$O" && mkdir "$O" && cd "$O" || exit 1
}

# The cases run in two lanes at once (a few hundred short runs; process start-up dominates). Each lane
# has its own scratch folder L and its own empty working directory O.
data_cases() {
    succeed info --data "$SYN"
    succeed info --dataset cifar10 --data "$SYN"
    # Bad MNIST files: info, and train (which must not write its model).
    # The message names the file (its path, or for a missing one where it was looked for).
    for d in "$C"/mnist/*/; do
        d=${d%/}
        read -r f <"$d/broken"
        ALSO=$d
        expect 3 "$f" info --data "$d"
        expect 3 "$f" train --data "$d" --nfe 2 --epochs 1 --out "$O/m.nvm"
    done
    # Bad CIFAR-10 batches: info --dataset cifar10, and a cnn sweep (no CSV, no sidecar).
    for d in "$C"/cifar/*/; do
        d=${d%/}
        read -r f <"$d/broken"
        ALSO=$d
        expect 3 "$f" info --dataset cifar10 --data "$d"
        expect 3 "$f" sweep --arch c2-p-f10 --epochs 1 --alpha 0 --data "$d" --out "$O/c.csv"
    done
    ALSO=
}

model_and_cli_cases() {
    succeed eval --model "$C/model-ok.nvm" --data "$SYN"
    succeed eval --model "$C/model-ok3.nvm" --data "$SYN"
    succeed info --model "$C/model-ok3.nvm"
    # Bad model files: info, eval and sweep refuse them; well-formed ones for other data (fit-*) load in
    # info but are refused by eval and sweep.
    for f in "$C"/model/*.nvm; do
        case ${f##*/} in
        fit-*) succeed info --model "$f" ;;
        *) expect 3 "$f" info --model "$f" ;;
        esac
        expect 3 "$f" eval --model "$f" --data "$SYN"
        net=mlp2
        case ${f##*/} in *cnn*) net=cnn ;; esac
        expect 3 "$f" sweep --net $net --model "$f" --data "$SYN" --alpha 0 --retrain-epochs 1 --out "$O/s.csv"
    done

    # Bad command-line values: exit 2, one line naming the flag, before any data is read.
    S="sweep --data $SYN --out $O/x.csv"
    expect 2 "--alpha 1:0:0.1" $S --alpha 1:0:0.1
    expect 2 "--alpha 0:1:0" $S --alpha 0:1:0
    expect 2 "--alpha nan" $S --alpha nan
    expect 2 "--alpha inf" $S --alpha inf
    expect 2 "--alpha 1e999" $S --alpha 1e999
    expect 2 "--alpha -0.5" $S --alpha -0.5
    expect 2 "--alpha 0:1:1e-300" $S --alpha 0:1:1e-300
    expect 2 "--alpha" $S --alpha ""
    expect 2 "--alpha" $S --alpha 0,,1
    expect 2 "--alpha 0:1:0.1:5" $S --alpha 0:1:0.1:5
    expect 2 '--alpha 0\n1' $S --alpha "$(printf '0\n1')"
    expect 2 "--nfe 0" $S --nfe 0
    expect 2 "--nfe 99999999999999999999" $S --nfe 99999999999999999999
    expect 2 "--nfe" $S --nfe 1,,2
    expect 2 "--nfe" $S --nfe 10,
    expect 2 "--threads 0" $S --threads 0
    expect 2 "--threads 100000" $S --threads 100000
    expect 2 "--runs -1" $S --runs -1
    expect 2 "--runs 1.5" $S --runs 1.5
    expect 2 "--seed abc" $S --seed abc
    expect 2 "--seed -1" $S --seed -1
    expect 2 "--seed 18446744073709551616" $S --seed 18446744073709551616
    expect 2 "--epochs 0" $S --epochs 0
    expect 2 "--lr inf" $S --lr inf
    expect 2 "--batch 0" $S --batch 0
    expect 2 "--arch c32-q" $S --arch c32-q
    expect 2 "--arch c32|" $S --arch 'c32|'
    expect 2 "--arch c1k16-f10" $S --arch c1k16-f10
    expect 2 "--arch f10-c3" $S --arch f10-c3-f10
    expect 2 "--arch" $S --arch ""
    expect 2 "--arch" $S --arch "$(printf 'c%0200d' 1)"
    expect 2 "--noise quant:0" $S --noise quant:0
    expect 2 "--noise quant:" $S --noise quant:
    expect 2 "--noise" $S --noise gauss,
    expect 2 "--noise" $S --noise "$(printf 'gauss\033[2J')"
    expect 2 "--nd" $S --detector new --nd -1
    expect 2 "--train-limit -5" $S --train-limit -5
    expect 2 "--train-noise gauss:1.5x" $S --train-noise gauss:1.5x
    expect 2 "--train-noise gauss:nan" $S --train-noise gauss:nan
    expect 2 "--train-noise faults:2" $S --train-noise faults:2
    expect 2 "--train-noise quant:3" $S --train-noise quant:3
    expect 2 "--train-noise" $S --train-noise "$(printf 'pcm:1\033[2J')"
    expect 2 "--init xavier" $S --init xavier
    expect 2 "--train-noise gauss:-1" train --data "$SYN" --train-noise gauss:-1 --out "$O/m.nvm"
    expect 2 "--data needs a value" info --data
    expect 2 "--alpha 2000" eval --model "$C/model-ok.nvm" --data "$SYN" --alpha 2000
    expect 2 "--chip x" eval --model "$C/model-ok.nvm" --data "$SYN" --alpha 1 --chip x
    expect 2 "--nfe 0" train --data "$SYN" --nfe 0 --out "$O/m.nvm"
    expect 2 "--dataset imagenet" info --dataset imagenet --data "$SYN"
    expect 2 'unknown command' "$(printf 'sw\neep')"
}

lane() {
    L=$T/lane-$1 O=$T/lane-$1/out checks=0 fails=0
    if [ -n "$SANLOGS" ]; then   # each lane logs apart, so a report is blamed on the right case
        SANLOGS=$SANLOGS/lane-$1
        mkdir -p "$SANLOGS"
        export ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$SANLOGS/asan" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$SANLOGS/ubsan"
    fi
    mkdir -p "$O" && cd "$O" && $2
    echo "$checks $fails" >"$L/count"
}
lane 1 data_cases &
lane 2 model_and_cli_cases &
wait
read -r c1 f1 <"$T/lane-1/count" || { c1=0 f1=1; bad "lane 1 did not finish"; }
read -r c2 f2 <"$T/lane-2/count" || { c2=0 f2=1; bad "lane 2 did not finish"; }
cd "$T" || exit 1
checks=$((c1 + c2)) fails=$((fails + f1 + f2))

printf '%-14s %s (%d checks, %d failed)\n' "robust" "$([ $fails -eq 0 ] && echo ok || echo FAIL)" $checks $fails >&2
[ $fails -eq 0 ]
