#!/bin/sh
# Command-line tests: help, exit codes and one-line errors for bad input, determinism across thread
# counts, alpha = 0 exactness, train/eval/sweep agreement, the cnn; a smoke sweep on real MNIST if
# NVMSIM_DATA has it.   Usage: tests/cli.sh ./nvmsim build/tests/mkdata
set -u
NVMSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKDATA=$2
T=$(mktemp -d /tmp/nvmsim-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0

ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "cli.sh: FAIL: $*" >&2; }

# expect CODE PATTERN ARGS...: exit code CODE, exactly one stderr line matching PATTERN, no stdout file.
expect() {
    code=$1 pat=$2
    shift 2
    "$NVMSIM" "$@" >"$T/out" 2>"$T/err"
    rc=$?
    lines=$(wc -l <"$T/err")
    if [ "$rc" -ne "$code" ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pat" "$T/err"; then
        bad "nvmsim $* -> exit $rc (want $code), $lines stderr lines (want 1): $(head -c 300 "$T/err")"
    else
        ok
    fi
}

"$MKDATA" "$T/syn" 400 200 || { echo "cli.sh: cannot make synthetic data" >&2; exit 1; }
D="--data $T/syn"

# Help and version.
for c in "" train eval sweep info; do
    if "$NVMSIM" $c --help | grep -q "Usage: nvmsim"; then ok; else bad "nvmsim $c --help"; fi
done
"$NVMSIM" --version | grep -q "^nvmsim [0-9]" && ok || bad "--version"

# Bad command lines: exit 2, one line naming the input.
expect 2 "alpha 1:0:0.1: STOP" sweep $D --alpha 1:0:0.1
expect 2 "STEP must be greater than 0" sweep $D --alpha 0:1:0
expect 2 "alpha nan" sweep $D --alpha nan
expect 2 "nfe 0" sweep $D --nfe 0
expect 2 "threads 0" sweep $D --threads 0
expect 2 "unknown flag '--bogus'" sweep --bogus 1
expect 2 "did you mean --alpha?; see 'nvmsim sweep --help'" sweep --alpah 1
expect 2 "did you mean sweep?" sweeep
expect 2 "see 'nvmsim train --help'" train --epochs 0
expect 2 "net foo: unknown network" sweep $D --net foo
expect 2 "--runs needs a value" sweep --runs
expect 2 "add --detector new" sweep $D --nd 5
expect 2 "detector old" sweep $D --detector old
expect 2 "--chip does not apply" sweep --chip 1
expect 2 "--epochs given twice" train --epochs 1 --epochs 2
expect 2 "unknown command 'sweeep'" sweeep
expect 2 "expected sweep, train, eval, info, bench or merge" frobnicate
expect 2 "eval needs --model" eval $D
expect 2 "lr -1" train $D --lr -1

# Bad data and model files: exit 3, one line naming the file.
expect 3 "$T/none" info --data "$T/none"
mkdir -p "$T/trunc/mnist"
cp "$T/syn/mnist/"* "$T/trunc/mnist/"
head -c 5000 "$T/syn/mnist/train-images-idx3-ubyte" >"$T/trunc/mnist/train-images-idx3-ubyte"
expect 3 "train-images-idx3-ubyte" info --data "$T/trunc"
printf 'garbage that is not a model file at all' >"$T/garbage.nvm"
expect 3 "garbage.nvm: not an nvmsim model" eval $D --model "$T/garbage.nvm"
expect 3 "$T" info --model "$T"

# A small real run on the synthetic set.
S="$D --nfe 16 --epochs 3 --alpha 0:1:0.25 --runs 2 --retrain-epochs 2"
"$NVMSIM" sweep $S --threads 1 --out "$T/a.csv" >"$T/sum1" 2>"$T/err1" || bad "sweep (threads 1): $(cat "$T/err1")"
"$NVMSIM" sweep $S --threads 2 --out "$T/b.csv" >/dev/null 2>&1 || bad "sweep (threads 2)"
"$NVMSIM" sweep $S --threads 3 --out "$T/c.csv" >/dev/null 2>&1 || bad "sweep (threads 3)"
cmp -s "$T/a.csv" "$T/b.csv" && cmp -s "$T/a.csv" "$T/c.csv" && ok || bad "CSV differs across --threads 1/2/3"
head -1 "$T/a.csv" | grep -q '^net,dataset,n_fe,n_d,detector,noise,alpha,base,chip,acc_clean,acc_degraded,acc_retrained' \
    && ok || bad "CSV header"
[ "$(wc -l <"$T/a.csv")" -eq 11 ] && ok || bad "CSV rows: $(wc -l <"$T/a.csv") lines, want 1 + 2 chips x 5 alphas"
[ -f "$T/a.csv.json" ] && [ ! -f "$T/a.csv.part" ] && ok || bad "sidecar missing or .part left behind"
grep -q '"sha256": "[0-9a-f]\{64\}"' "$T/a.csv.json" && ok || bad "sidecar lacks data checksums"
# alpha = 0: degraded accuracy equals the clean one exactly; alphas print in shortest form.
awk -F, 'NR > 1 && $7 == "0" && $10 != $11 { exit 1 }' "$T/a.csv" && ok || bad "alpha 0: acc_degraded != acc_clean"
cut -d, -f7 "$T/a.csv" | sort -u | tr '\n' ' ' | grep -q '^0 0.25 0.5 0.75 1 alpha $' && ok || bad "alpha column: $(cut -d, -f7 "$T/a.csv" | sort -u | tr '\n' ' ')"
grep -q "clean test accuracy" "$T/sum1" && ok || bad "no summary table"
# The synthetic classes are learnable (chance is 0.1): the clean net must have learned them.
awk -F, 'NR == 2 && $10 < 0.5 { exit 1 }' "$T/a.csv" && ok || bad "clean accuracy below 0.5 on the synthetic set"
# A different seed gives different numbers.
"$NVMSIM" sweep $S --seed 2 --out "$T/s2.csv" >/dev/null 2>&1
cmp -s "$T/a.csv" "$T/s2.csv" && bad "--seed 2 gave the same CSV as seed 1" || ok

# train + eval + sweep --model agree with the sweep that trained its own base network.
"$NVMSIM" train $D --nfe 16 --epochs 3 --out "$T/m.nvm" >/dev/null 2>&1 || bad "train"
"$NVMSIM" info --model "$T/m.nvm" | grep -q "fc1.w" && ok || bad "info --model"
"$NVMSIM" sweep $D --model "$T/m.nvm" --alpha 0:1:0.25 --runs 2 --retrain-epochs 2 --out "$T/m.csv" >/dev/null 2>&1
cmp -s "$T/a.csv" "$T/m.csv" && ok || bad "sweep --model differs from the sweep that trained the same base"
want=$(awk -F, '$7 == "0.5" && $9 == "1" { print $11 }' "$T/a.csv")
got=$("$NVMSIM" eval $D --model "$T/m.nvm" --alpha 0.5 --chip 1 | awk '$1 == "gauss" && $2 == "0.5" { print $3 }')
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval --alpha 0.5 --chip 1 gave '$got', the sweep row says '$want'"
# eval takes the lists its help promises, and --retrain reproduces a sweep cell's retrained accuracy.
"$NVMSIM" eval $D --model "$T/m.nvm" --alpha 0:1:0.25 --chip 1 --retrain --retrain-epochs 2 >"$T/ev" 2>&1 || bad "eval --retrain: $(cat "$T/ev")"
for al in 0 0.5 1; do
    want=$(awk -F, -v a=$al '$7 == a && $9 == "1" { print $11, $12 }' "$T/a.csv")
    got=$(awk -v a=$al '$1 == "gauss" && $2 == a { print $3, $4 }' "$T/ev")
    [ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval --retrain alpha $al gave '$got', the sweep row says '$want'"
done
[ "$("$NVMSIM" eval $D --model "$T/m.nvm" --alpha 0,1 --noise gauss,quant:2 | grep -c '^  \(gauss\|quant\)')" -eq 4 ] && ok || bad "eval noise x alpha lists"
expect 2 "--chip picks the degraded chip: add --alpha" eval $D --model "$T/m.nvm" --chip 2
expect 2 "--chip 65535: expected a whole number from 0 to 65534" eval $D --model "$T/m.nvm" --alpha 1 --chip 65535
expect 2 "--retrain-epochs sets detector retraining: add --retrain" eval $D --model "$T/m.nvm" --alpha 1 --retrain-epochs 3
# --alpha-gemm: linear (the default, above) and each give the same rows at alpha 0 byte for byte and the
# others within 3 test images; each is thread-independent too and eval follows the sweep under either;
# the sidecar records it; a .part of each does not resume as linear (its rows differ in the last bits)
# but does as each; an mlp3 (two-layer feature extractor) under linear is thread-independent and eval
# equals its rows; bad values and a lone --alpha-gemm in eval are one line.
"$NVMSIM" sweep $S --threads 1 --alpha-gemm each --out "$T/ae.csv" >/dev/null 2>"$T/err" || bad "sweep --alpha-gemm each: $(cat "$T/err")"
"$NVMSIM" sweep $S --threads 2 --alpha-gemm each --out "$T/ae2.csv" >/dev/null 2>&1
cmp -s "$T/ae.csv" "$T/ae2.csv" && ok || bad "--alpha-gemm each: CSV differs across --threads 1/2"
[ "$(awk -F, '$7 == "0"' "$T/a.csv")" = "$(awk -F, '$7 == "0"' "$T/ae.csv")" ] && ok || bad "alpha 0 rows differ between --alpha-gemm linear and each"
paste -d, "$T/a.csv" "$T/ae.csv" | awk -F, 'NR > 1 { d = $11 - $32; e = $12 - $33; if (d < 0) d = -d; if (e < 0) e = -e;
    if (d > 0.0151 || e > 0.0151 || $7 != $28 || $9 != $30) bad = 1 } END { exit bad }' && ok || bad "--alpha-gemm linear and each differ by more than 3 test images"
grep -q '"alpha_gemm": "each"' "$T/ae.csv.json" && grep -q '"alpha_gemm": "linear"' "$T/a.csv.json" && ok || bad "sidecar lacks alpha_gemm"
want=$(awk -F, '$7 == "0.5" && $9 == "1" { print $11 }' "$T/ae.csv")
got=$("$NVMSIM" eval $D --model "$T/m.nvm" --alpha 0.5 --chip 1 --alpha-gemm each | awk '$1 == "gauss" && $2 == "0.5" { print $3 }')
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval --alpha-gemm each gave '$got', the each sweep row says '$want'"
"$NVMSIM" eval $D --model "$T/m.nvm" --alpha 0:1:0.25 --chip 1 --retrain --retrain-epochs 2 --alpha-gemm each >"$T/eve" 2>&1 || bad "eval --retrain --alpha-gemm each: $(cat "$T/eve")"
for al in 0 0.5 1; do
    want=$(awk -F, -v a=$al '$7 == a && $9 == "1" { print $11, $12 }' "$T/ae.csv")
    got=$(awk -v a=$al '$1 == "gauss" && $2 == a { print $3, $4 }' "$T/eve")
    [ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval --retrain --alpha-gemm each alpha $al gave '$got', the sweep row says '$want'"
done
"$NVMSIM" sweep $S --alpha-gemm each --out "$T/ar.csv" >/dev/null 2>&1
mv "$T/ar.csv" "$T/ar.csv.part"
expect 2 "started with other settings" sweep $S --out "$T/ar.csv" --resume
"$NVMSIM" sweep $S --alpha-gemm each --out "$T/ar.csv" --resume >/dev/null 2>"$T/err" && cmp -s "$T/ar.csv" "$T/ae.csv" && ok || bad "resume --alpha-gemm each: $(cat "$T/err")"
L3="$D --net mlp3 --nfe 8 --epochs 2 --alpha 0:1:0.5 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $L3 --threads 1 --out "$T/l3a.csv" >/dev/null 2>"$T/err" || bad "mlp3 sweep: $(cat "$T/err")"
"$NVMSIM" sweep $L3 --threads 2 --out "$T/l3b.csv" >/dev/null 2>&1
cmp -s "$T/l3a.csv" "$T/l3b.csv" && ok || bad "mlp3 --alpha-gemm linear differs across --threads 1/2"
"$NVMSIM" eval $D --model "$T/l3a.csv.n8.b0.nvm" --alpha 0:1:0.5 --chip 1 --retrain --retrain-epochs 1 >"$T/ev3" 2>&1 || bad "mlp3 eval: $(cat "$T/ev3")"
for al in 0 0.5 1; do
    want=$(awk -F, -v a=$al '$7 == a && $9 == "1" { print $11, $12 }' "$T/l3a.csv")
    got=$(awk -v a=$al '$1 == "gauss" && $2 == a { print $3, $4 }' "$T/ev3")
    [ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "mlp3 eval --retrain alpha $al gave '$got', the sweep row says '$want'"
done
expect 2 "alpha-gemm fast: expected linear" sweep $D --alpha-gemm fast
expect 2 "--alpha-gemm picks the degraded chip: add --alpha" eval $D --model "$T/m.nvm" --alpha-gemm each
# A flag that the combination would ignore is an error.
expect 2 "--epochs: .* has no effect on a given model" sweep $D --model "$T/m.nvm" --epochs 3 --out "$T/ign.csv"
expect 2 "momentum is SGD's" train $D --optim adam --momentum 0.5 --out "$T/ign.nvm"

# Training recipes (--init, --train-noise): accepted by train and sweep, recorded in the model file, info
# and the sidecar, part of the provenance (a kept base network of another recipe is trained again, one of
# the same recipe is reused), thread-independent; gauss:0 is plain training bit for bit (straight-through);
# bad specs are one line and exit 2; v2 model files (before recipes) still work with eval and sweep.
"$NVMSIM" info --model "$T/m.nvm" | grep -q "^  recipe: init=he train-noise=none$" && ok || bad "info: default recipe"
for spec in gauss:0.3 pcm:1 faults:0.1; do
    "$NVMSIM" train $D --nfe 16 --epochs 3 --train-noise $spec --threads 1 --out "$T/r1.nvm" >/dev/null 2>"$T/err" || bad "train --train-noise $spec: $(cat "$T/err")"
    "$NVMSIM" train $D --nfe 16 --epochs 3 --train-noise $spec --threads 2 --out "$T/r2.nvm" >/dev/null 2>&1
    cmp -s "$T/r1.nvm" "$T/r2.nvm" && ok || bad "train --train-noise $spec: model differs across --threads 1/2"
    cmp -s "$T/r1.nvm" "$T/m.nvm" && bad "train --train-noise $spec gave the plain model" || ok
    "$NVMSIM" info --model "$T/r1.nvm" | grep -q "^  recipe: init=he train-noise=$spec biases=yes$" && ok || bad "info: recipe of $spec"
done
"$NVMSIM" train $D --nfe 16 --epochs 3 --init torch --train-noise gauss:0.2 --degrade-biases no --out "$T/rt.nvm" >/dev/null 2>&1
"$NVMSIM" info --model "$T/rt.nvm" | grep -q "^  recipe: init=torch train-noise=gauss:0.2 biases=no$" && ok || bad "info: torch recipe"
"$NVMSIM" train $D --nfe 16 --epochs 3 --train-noise gauss:0 --out "$T/r0.nvm" >/dev/null 2>&1
n=$(wc -c <"$T/m.nvm")   # the same layers and parameters (bytes 136 to the CRC); only recipe and provenance differ
tail -c +137 "$T/r0.nvm" | head -c $((n - 140)) >"$T/r0.body"
tail -c +137 "$T/m.nvm" | head -c $((n - 140)) >"$T/m.body"
cmp -s "$T/r0.body" "$T/m.body" && ! cmp -s "$T/r0.nvm" "$T/m.nvm" && ok || bad "gauss:0 training differs from plain training"
RS="$D --nfe 16 --epochs 3 --alpha 0,0.5 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $RS --out "$T/rc.csv" >/dev/null 2>&1
ino=$(ls -i "$T/rc.csv.n16.b0.nvm")
"$NVMSIM" sweep $RS --out "$T/rc.csv" --overwrite --train-noise gauss:0.3 --threads 1 >/dev/null 2>"$T/err" || bad "sweep --train-noise: $(cat "$T/err")"
[ "$(ls -i "$T/rc.csv.n16.b0.nvm")" != "$ino" ] && "$NVMSIM" info --model "$T/rc.csv.n16.b0.nvm" | grep -q "train-noise=gauss:0.3" \
    && ok || bad "a kept base network of another recipe was reused"
grep -q '"init": "he", "train_noise": "gauss:0.3", "train_noise_biases": true, "recipe": "init=he train-noise=gauss:0.3 biases=yes"' "$T/rc.csv.json" \
    && ok || bad "sidecar recipe: $(grep '"train"' "$T/rc.csv.json")"
ino=$(ls -i "$T/rc.csv.n16.b0.nvm")
cp "$T/rc.csv" "$T/rc1.csv"
"$NVMSIM" sweep $RS --out "$T/rc.csv" --overwrite --train-noise gauss:0.3 --threads 2 >/dev/null 2>&1
[ "$(ls -i "$T/rc.csv.n16.b0.nvm")" = "$ino" ] && ok || bad "the kept base network of the same recipe was trained again"
rm -f "$T/rc.csv.n16.b0.nvm"
"$NVMSIM" sweep $RS --out "$T/rc.csv" --overwrite --train-noise gauss:0.3 --threads 2 >/dev/null 2>&1
cmp -s "$T/rc.csv" "$T/rc1.csv" && ok || bad "sweep --train-noise CSV differs across --threads 1/2"
"$NVMSIM" sweep $RS --out "$T/rc0.csv" --train-noise gauss:0 >/dev/null 2>&1
"$NVMSIM" sweep $RS --out "$T/rcp.csv" >/dev/null 2>&1
cmp -s "$T/rc0.csv" "$T/rcp.csv" && ! cmp -s "$T/rc1.csv" "$T/rcp.csv" && ok || bad "sweep: gauss:0 rows differ from plain ones, or gauss:0.3 rows do not"
"$NVMSIM" sweep $RS --out "$T/rct.csv" --init torch --train-noise faults:0.05 >/dev/null 2>&1 && grep -q '"recipe": "init=torch train-noise=faults:0.05 biases=yes"' "$T/rct.csv.json" \
    && ok || bad "sweep --init torch --train-noise faults"
expect 2 "train-noise gauss: expected none or MODEL:LEVEL" train $D --train-noise gauss
expect 2 "train-noise gauss:11: gauss needs a level from 0 to 10" sweep $D --train-noise gauss:11
expect 2 "train-noise faults:-0.1: faults needs a level from 0 to 1" train $D --train-noise faults:-0.1
expect 2 "train-noise pcm:inf" sweep $D --train-noise pcm:inf
expect 2 "train-noise read:0.1: expected none or MODEL:LEVEL" sweep $D --train-noise read:0.1
expect 2 "init xavier: expected he" train $D --init xavier
expect 2 "--train-noise does not apply to \`nvmsim eval\`" eval $D --model "$T/m.nvm" --train-noise gauss:0.3
expect 2 "--init: .* has no effect on a given model" sweep $D --model "$T/m.nvm" --init torch --out "$T/ign.csv"
expect 2 "--train-noise: .* has no effect on a given model" sweep $D --model "$T/m.nvm" --train-noise gauss:0.1 --out "$T/ign.csv"
expect 2 "degrade-biases: training degrades nothing without --train-noise" train $D --degrade-biases no --out "$T/ign.nvm"
# A version-2 model file (as nvmsim wrote before recipes; results/device, results/paper): the v3 file
# without its recipe field (bytes 72..135), CRC-32 from gzip's trailer.
n=$(wc -c <"$T/m.nvm")
{ printf 'NVMSIMMD\002\000\000\000'; tail -c +13 "$T/m.nvm" | head -c 60; tail -c +137 "$T/m.nvm" | head -c $((n - 140)); } >"$T/m2.nvm"
gzip -c -n "$T/m2.nvm" | tail -c 8 | head -c 4 >>"$T/m2.nvm"
"$NVMSIM" info --model "$T/m2.nvm" | grep -q "recipe: not recorded (model file version 2" && ok || bad "info of a v2 model: $("$NVMSIM" info --model "$T/m2.nvm" 2>&1 | head -2)"
[ "$("$NVMSIM" eval $D --model "$T/m2.nvm" --alpha 0.5 --chip 1 | tail -1)" = "$("$NVMSIM" eval $D --model "$T/m.nvm" --alpha 0.5 --chip 1 | tail -1)" ] \
    && ok || bad "eval of a v2 model differs from its v3 original"
"$NVMSIM" sweep $D --model "$T/m2.nvm" --alpha 0:1:0.25 --runs 2 --retrain-epochs 2 --out "$T/m2.csv" >/dev/null 2>"$T/err"
cmp -s "$T/a.csv" "$T/m2.csv" && grep -q '"recipe": "unknown (model file before version 3)"' "$T/m2.csv.json" && ok || bad "sweep --model v2: $(cat "$T/err")"

# Detector variants run and report n_d.
"$NVMSIM" sweep $D --nfe 16 --epochs 2 --alpha 0,1 --detector new --nd 0,8 --retrain-epochs 2 \
    --out "$T/n.csv" >/dev/null 2>&1 || bad "sweep --detector new"
[ "$(cut -d, -f4,5 "$T/n.csv" | sort -u | tr '\n' ' ')" = "0,new 8,new n_d,detector " ] && ok || bad "n_d/detector columns"

# Outputs: refused at start (a missing folder, a folder as a file), never replaced, never dropped.
start=$(date +%s)
expect 2 "folder $T/nodir does not exist" sweep $S --out "$T/nodir/x.csv"
expect 2 "folder $T/nodir does not exist" train $D --nfe 16 --epochs 3 --out "$T/nodir/m.nvm"
expect 2 "is a folder" sweep $S --out "$T"
[ $(( $(date +%s) - start )) -le 2 ] && ok || bad "bad --out was refused only after the work"
"$NVMSIM" sweep $D --nfe 16 --epochs 3 --alpha 0 --retrain-epochs 1 --out "$T/one.csv" >"$T/one.out" 2>&1
grep -q "(1 row)" "$T/one.out" && ok || bad "one-row sweep says: $(tail -1 "$T/one.out")"
[ -f "$T/one.csv.n16.b0.nvm" ] && "$NVMSIM" info --model "$T/one.csv.n16.b0.nvm" >/dev/null && ok || bad "sweep kept no base network beside its CSV"

# Interrupt (SIGINT) and --resume: the final CSV is byte-identical to an uninterrupted run's, also
# after a crash left half a row; the base networks are loaded, not trained again; running again without
# --resume is refused; --resume with other settings, or of a finished sweep, is refused.
# interrupt PID FILE: SIGINT to PID as soon as FILE holds a few rows (so the run is cut mid-way however
# fast the machine), then wait for it; returns its exit code.
interrupt() {
    i=0
    while [ $i -lt 600 ] && [ "$(cat "$2" 2>/dev/null | wc -l)" -lt 4 ] && kill -0 "$1" 2>/dev/null; do
        sleep 0.02
        i=$((i + 1))
    done
    kill -INT "$1" 2>/dev/null
    wait "$1"
}
R="$D --nfe 8,16 --epochs 2 --alpha 0:1:0.25 --runs 60 --retrain-epochs 1 --bases 2"
"$NVMSIM" sweep $R --out "$T/full.csv" >/dev/null 2>&1 || bad "resume: reference sweep"
"$NVMSIM" sweep $R --out "$T/int.csv" >/dev/null 2>"$T/int.err" &
interrupt $! "$T/int.csv.part"
rc=$?
if [ -f "$T/int.csv" ]; then
    echo "cli.sh: note: the sweep finished before SIGINT; resume test is weaker" >&2
else
    [ $rc -eq 130 ] && grep -q "add --resume" "$T/int.err" && ok || bad "SIGINT: exit $rc, $(cat "$T/int.err")"
    grep -q '"status": "interrupted"' "$T/int.csv.json" && ok || bad "sidecar status after SIGINT"
    expect 2 "int.csv.part holds the rows of an interrupted run: add --resume to continue, or --overwrite" sweep $R --out "$T/int.csv"
    base=$(ls "$T"/int.csv.n*.b*.nvm 2>/dev/null | head -1)
    before=$(ls -i $base 2>/dev/null)
    printf 'mlp2,syn,8,0,la' >>"$T/int.csv.part"   # a row cut short by a crash
    "$NVMSIM" sweep $R --out "$T/int.csv" --resume >/dev/null 2>"$T/err" || bad "resume: $(cat "$T/err")"
    cmp -s "$T/full.csv" "$T/int.csv" && ok || bad "resumed CSV differs from the uninterrupted one"
    [ -n "$base" ] && [ "$(ls -i $base)" = "$before" ] && ok || bad "--resume trained base network $base again"
fi
expect 2 "nothing to resume" sweep $R --out "$T/full.csv" --resume
expect 2 "give one of them" sweep $R --out "$T/full.csv" --resume --overwrite
RO="$D --nfe 8 --epochs 2 --alpha 0,1 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $RO --out "$T/other.csv" >/dev/null 2>&1
mv "$T/other.csv" "$T/other.csv.part"
expect 2 "started with other settings" sweep $RO --seed 9 --out "$T/other.csv" --resume

# Shards and merge: for N = 1, 2, 3, 7, in any order, the merge is byte-identical to one machine's CSV;
# a missing, duplicated, foreign, half-written or edited shard is one error naming it (exit 3).
H="$D --nfe 8,16 --epochs 2 --alpha 0:1:0.25 --runs 3 --retrain-epochs 1 --bases 2"
"$NVMSIM" sweep $H --out "$T/one.sh.csv" >/dev/null 2>&1 || bad "shard reference sweep"
"$NVMSIM" sweep $H --out "$T/sh.csv" --train-only >/dev/null 2>"$T/err" && [ -f "$T/sh.csv.n16.b1.nvm" ] && ok || bad "--train-only: $(cat "$T/err")"
for N in 1 2 3 7; do
    k=$((N - 1))
    while [ $k -ge 0 ]; do   # last shard first: order must not matter
        "$NVMSIM" sweep $H --out "$T/sh.csv" --shard $k/$N --threads 2 >/dev/null 2>"$T/err" || bad "shard $k/$N: $(cat "$T/err")"
        k=$((k - 1))
    done
    rm -f "$T/sh.csv" "$T/sh.csv.json"
    "$NVMSIM" merge --out "$T/sh.csv" $(ls "$T"/sh.csv.shard-*-of-$N.csv | sort -r) >/dev/null 2>"$T/err" || bad "merge $N: $(cat "$T/err")"
    cmp -s "$T/one.sh.csv" "$T/sh.csv" && ok || bad "merge of $N shards differs from one machine's CSV"
done
grep -q '"merged_from"' "$T/sh.csv.json" && ok || bad "merged sidecar"
# --bases-from: another grid on the kept base networks of sh.csv is byte-identical to training them
# again; none trained anew (no file beside its own CSV); missing, other-flag or --model cases refused.
H2="$D --nfe 8,16 --epochs 2 --alpha 0.5,2 --runs 2 --retrain-epochs 1 --bases 2"
"$NVMSIM" sweep $H2 --out "$T/bf1.csv" >/dev/null 2>&1 || bad "bases-from reference"
"$NVMSIM" sweep $H2 --out "$T/bf2.csv" --bases-from "$T/sh.csv" >/dev/null 2>"$T/err" && cmp -s "$T/bf1.csv" "$T/bf2.csv" \
    && ok || bad "--bases-from differs from training again: $(cat "$T/err")"
[ ! -e "$T/bf2.csv.n8.b0.nvm" ] && ok || bad "--bases-from trained or copied a base network beside its CSV"
expect 2 "trained with other training flags" sweep $D --nfe 8,16 --epochs 3 --alpha 0 --retrain-epochs 1 --bases 2 --out "$T/bf3.csv" --bases-from "$T/sh.csv"
expect 2 "sh.csv.n8.b2.nvm: no such base network" sweep $D --nfe 8 --epochs 2 --alpha 0 --retrain-epochs 1 --bases 3 --out "$T/bf3.csv" --bases-from "$T/sh.csv"
expect 2 "drop --train-only" sweep $H2 --train-only --out "$T/bf3.csv" --bases-from "$T/sh.csv"
# ... and a cnn sweep with a device axis (stuck-at faults), in 3 shards (the counts above cover the rest).
G="$D --net cnn --epochs 1 --alpha 0,0.5 --faults 0,0.1 --runs 2 --retrain-epochs 1 --test-limit 100"
"$NVMSIM" sweep $G --out "$T/cgone.csv" >/dev/null 2>"$T/err" || bad "cnn device sweep: $(cat "$T/err")"
for N in 3; do
    k=0
    while [ $k -lt $N ]; do
        "$NVMSIM" sweep $G --out "$T/cg.csv" --shard $k/$N >/dev/null 2>"$T/err" || bad "cnn shard $k/$N: $(cat "$T/err")"
        k=$((k + 1))
    done
    "$NVMSIM" merge --out "$T/cg$N.csv" "$T"/cg.csv.shard-*-of-$N.csv >/dev/null 2>"$T/err" || bad "cnn merge $N: $(cat "$T/err")"
    cmp -s "$T/cgone.csv" "$T/cg$N.csv" && ok || bad "cnn merge of $N shards differs from one machine's CSV"
done

M="merge --out $T/m3.csv"
expect 3 "shard 1 of 3 is missing" $M "$T/sh.csv.shard-0-of-3.csv" "$T/sh.csv.shard-2-of-3.csv"
expect 3 "shard 0 of 3 given twice" $M "$T/sh.csv.shard-0-of-3.csv" "$T/sh.csv.shard-0-of-3.csv" "$T/sh.csv.shard-1-of-3.csv"
expect 3 "shards of different splits" $M "$T/sh.csv.shard-0-of-3.csv" "$T/sh.csv.shard-1-of-2.csv"
"$NVMSIM" sweep $H --seed 5 --out "$T/fo.csv" --shard 1/3 >/dev/null 2>&1
expect 3 "another sweep's shard" $M "$T/sh.csv.shard-0-of-3.csv" "$T/fo.csv.shard-1-of-3.csv" "$T/sh.csv.shard-2-of-3.csv"
for case in truncated reordered duplicated edited halfrow running; do
    mkdir -p "$T/$case"
    for k in 0 1 2; do cp "$T/sh.csv.shard-$k-of-3.csv" "$T/sh.csv.shard-$k-of-3.csv.json" "$T/$case/"; done
    f=$T/$case/sh.csv.shard-1-of-3.csv
    case $case in
    truncated) head -n 5 "$f" >"$f.t" ;;
    reordered) { head -n 1 "$f"; sed -n 3p "$f"; sed -n 2p "$f"; tail -n +4 "$f"; } >"$f.t" ;;
    duplicated) { cat "$f"; tail -n 1 "$f"; } >"$f.t" ;;
    edited) awk -F, -v OFS=, 'NR == 2 { $14 = "0.999999" } { print }' "$f" >"$f.t" ;;
    halfrow) { cat "$f"; printf '31,0123'; } >"$f.t" ;;
    running) cp "$f" "$f.t"; sed -i 's/"status": "complete"/"status": "running"/' "$f.json" ;;
    esac
    mv "$f.t" "$f"
    expect 3 "sh.csv.shard-1-of-3.csv" merge --out "$T/$case.csv" "$T/$case"/sh.csv.shard-*-of-3.csv
    [ ! -e "$T/$case.csv" ] && ok || bad "merge of a $case shard wrote its output"
done
mkdir -p "$T/isa"
for k in 0 1 2; do cp "$T/sh.csv.shard-$k-of-3.csv" "$T/sh.csv.shard-$k-of-3.csv.json" "$T/isa/"; done
sed -i 's/"isa": "[a-z0-9]*"/"isa": "generic"/' "$T/isa/sh.csv.shard-2-of-3.csv.json"
if ! grep -q '"isa": "generic"' "$T/sh.csv.shard-0-of-3.csv.json"; then
    expect 3 "their sums differ" merge --out "$T/isa.csv" "$T/isa"/sh.csv.shard-*-of-3.csv
fi
sed 's/"grid": "v=[^ ]*/"grid": "v=0.0.1/' "$T/sh.csv.shard-2-of-3.csv.json" >"$T/running/sh.csv.shard-2-of-3.csv.json"
expect 3 "merge" $M "$T/running/sh.csv.shard-2-of-3.csv"
expect 2 "shard 3/3: expected K/N" sweep $H --out "$T/bad.csv" --shard 3/3
expect 2 "merge needs --out" merge "$T/sh.csv.shard-0-of-3.csv"
# A shard resumes like any sweep.
"$NVMSIM" sweep $R --out "$T/rs.csv" --shard 1/2 >/dev/null 2>&1 &
interrupt $! "$T/rs.csv.shard-1-of-2.csv.part"
if [ -f "$T/rs.csv.shard-1-of-2.csv.part" ]; then
    "$NVMSIM" sweep $R --out "$T/rs.csv" --shard 1/2 --resume >/dev/null 2>"$T/err" || bad "shard resume: $(cat "$T/err")"
    "$NVMSIM" sweep $R --out "$T/rs.csv" --shard 0/2 >/dev/null 2>&1
    "$NVMSIM" merge --out "$T/rs.csv" "$T"/rs.csv.shard-*-of-2.csv >/dev/null 2>"$T/err" && cmp -s "$T/rs.csv" "$T/full.csv" \
        && ok || bad "resumed shard merge differs: $(cat "$T/err")"
else
    echo "cli.sh: note: the shard finished before SIGINT; shard resume test skipped" >&2
fi

# Device axes: every one at once is thread-independent and resumes byte-identically; all of them at
# their defaults change nothing; the first twelve columns of a default sweep are as before; eval
# reproduces a device cell; bad specs are one line and exit 2.
V="$D --nfe 8 --epochs 2 --alpha 0,1 --noise gauss,pcm --time 0,3600 --drift-comp global,none --faults 0,0.1 \
   --read 0,0.05 --adc 0,4 --dac 0,4 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $V --threads 1 --out "$T/v1.csv" >/dev/null 2>"$T/err" || bad "device sweep: $(cat "$T/err")"
"$NVMSIM" sweep $V --threads 2 --out "$T/v2.csv" >/dev/null 2>&1 || bad "device sweep (threads 2)"
cmp -s "$T/v1.csv" "$T/v2.csv" && ok || bad "device CSV differs across --threads 1/2"
[ "$(wc -l <"$T/v1.csv")" -eq $((1 + 2 * 2 * 2 * 2 * 2 * 2 * 2 * 2 * 2)) ] && ok || bad "device rows: $(wc -l <"$T/v1.csv")"
head -n 200 "$T/v1.csv" >"$T/vr.csv.part"
sed 's/"status": "complete"/"status": "interrupted"/' "$T/v1.csv.json" >"$T/vr.csv.json"
cp "$T/v1.csv.n8.b0.nvm" "$T/vr.csv.n8.b0.nvm"
"$NVMSIM" sweep $V --out "$T/vr.csv" --resume >/dev/null 2>"$T/err" || bad "device resume: $(cat "$T/err")"
cmp -s "$T/v1.csv" "$T/vr.csv" && ok || bad "resumed device CSV differs"
# pcm drifts: at one hour without compensation accuracy moves; gauss rows do not depend on time.
awk -F, '$6 == "gauss" && $16 == 0 { k = $7 FS $9 FS $14 FS $17 FS $18 FS $19; if (k in a && a[k] != $11) bad = 1; a[k] = $11 }
         END { exit bad }' "$T/v1.csv" && ok || bad "gauss rows change with time"
"$NVMSIM" sweep $D --nfe 8 --epochs 2 --alpha 0,1 --runs 2 --retrain-epochs 1 --out "$T/z0.csv" >/dev/null 2>&1
"$NVMSIM" sweep $D --nfe 8 --epochs 2 --alpha 0,1 --runs 2 --retrain-epochs 1 --time 0 --faults 0 --read 0 --adc 0 \
    --dac 0 --analog fe --out "$T/z1.csv" >/dev/null 2>&1
cmp -s "$T/z0.csv" "$T/z1.csv" && ok || bad "explicit zero device settings changed the CSV"
awk -F, 'NR > 1 && ($13 != "0" || $14 != "0" || $15 != "0" || $16 != "0" || $17 != "0" || $18 != "0" || $19 != "none" || $20 != "fe" || $21 != "0") { exit 1 }' \
    "$T/z0.csv" && ok || bad "default device columns: $(sed -n 2p "$T/z0.csv")"
"$NVMSIM" train $D --nfe 8 --epochs 2 --out "$T/m8.nvm" >/dev/null 2>&1
"$NVMSIM" eval $D --model "$T/m8.nvm" --noise pcm --alpha 1 --time 0,3600 --drift-comp global,none --faults 0.1 --read 0.05 \
    --chip 1 --retrain --retrain-epochs 1 >"$T/ev2" 2>&1 || bad "eval with device flags: $(cat "$T/ev2")"
want=$(awk -F, '$6 == "pcm" && $7 == "1" && $9 == "1" && $14 == "0.1" && $16 == "0.05" && $17 == 0 && $18 == 0 { print $11, $12 }' "$T/v1.csv" | tr '\n' ' ')
got=$(awk '$1 == "pcm" { print $3, $4 }' "$T/ev2" | tr '\n' ' ')
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval device cell '$got', sweep rows '$want'"
"$NVMSIM" info --model "$T/m8.nvm" --device | grep -q "s = .* uS" && ok || bad "info --device"
expect 2 "faults 1.5: expected a number from 0 to 1" sweep $D --faults 1.5
expect 2 "time -1: expected a number from 0" sweep $D --noise pcm --time -1
expect 2 "adc 33: expected a whole number from 0 to 16" sweep $D --adc 33
expect 2 "read nan" sweep $D --read nan
expect 2 "only --noise pcm drifts" sweep $D --time 0,60
expect 2 "retrain-at 7: not one of the --time values" sweep $D --noise pcm --time 0,60 --retrain-at 7
expect 2 "drift-comp foo" sweep $D --noise pcm --drift-comp foo
expect 2 "stuck-on sets what faulty devices are stuck at" sweep $D --stuck-on 0.5
expect 2 "analog x: expected fe" sweep $D --analog x
expect 2 "use one of them" sweep $D --analog all --detector new --nd 4
expect 2 "add --model" info --device
expect 2 "--faults picks the degraded chip" eval $D --model "$T/m8.nvm" --faults 0.1

# --detector progressive and --retrain-reads: progressive is last exactly for a one-layer feature
# extractor, differs for two layers, is thread-, shard- and resume-independent; eval reproduces it; one
# retraining read is the default; K reads under read noise are deterministic and change the retraining.
P="$D --nfe 8 --epochs 2 --alpha 0,1 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $P --out "$T/pl.csv" >/dev/null 2>&1 || bad "mlp2 last sweep"
"$NVMSIM" sweep $P --detector progressive --out "$T/pp.csv" >"$T/pp.out" 2>"$T/err" || bad "mlp2 progressive: $(cat "$T/err")"
sed 's/,progressive,/,last,/' "$T/pp.csv" | cmp -s - "$T/pl.csv" && ok || bad "mlp2: progressive rows differ from last"
[ "$(cut -d, -f5 "$T/pp.csv" | sort -u | tr '\n' ' ')" = "detector progressive " ] && ok || bad "detector column of progressive rows"
grep -q '"detector": "progressive"' "$T/pp.csv.json" && grep -q '"digital_mac_share": \[{"n_fe": 8, "n_d": 0, "share": 0.0125' "$T/pp.csv.json" \
    && ok || bad "progressive sidecar: $(grep -o '"digital_mac_share[^]]*' "$T/pp.csv.json")"
grep -q "retrained (progressive)" "$T/pp.out" && ok || bad "summary heading of progressive"
P3="$D --net mlp3 --nfe 8 --epochs 2 --alpha 0,1 --read 0,0.05 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $P3 --out "$T/p3l.csv" >/dev/null 2>&1 || bad "mlp3 last sweep"
"$NVMSIM" sweep $P3 --detector progressive --threads 1 --out "$T/p3a.csv" >/dev/null 2>"$T/err" || bad "mlp3 progressive: $(cat "$T/err")"
"$NVMSIM" sweep $P3 --detector progressive --threads 2 --out "$T/p3b.csv" >/dev/null 2>&1 || bad "mlp3 progressive (threads 2)"
cmp -s "$T/p3a.csv" "$T/p3b.csv" && ok || bad "mlp3 progressive differs across --threads 1/2"
cut -d, -f1-4,6-11 "$T/p3l.csv" >"$T/p3l.deg"; cut -d, -f1-4,6-11 "$T/p3a.csv" >"$T/p3a.deg"
cmp -s "$T/p3l.deg" "$T/p3a.deg" && ok || bad "mlp3 progressive changed acc_degraded"
cut -d, -f12 "$T/p3l.csv" >"$T/p3l.ret"; cut -d, -f12 "$T/p3a.csv" >"$T/p3a.ret"
cmp -s "$T/p3l.ret" "$T/p3a.ret" && bad "mlp3 progressive retrained as last" || ok
for k in 1 0; do
    "$NVMSIM" sweep $P3 --detector progressive --out "$T/p3s.csv" --shard $k/2 >/dev/null 2>"$T/err" || bad "progressive shard $k/2: $(cat "$T/err")"
done
"$NVMSIM" merge --out "$T/p3m.csv" "$T"/p3s.csv.shard-*-of-2.csv >/dev/null 2>"$T/err" && cmp -s "$T/p3a.csv" "$T/p3m.csv" \
    && ok || bad "progressive shards merged differ: $(cat "$T/err")"
head -n 4 "$T/p3a.csv" >"$T/p3r.csv.part"
sed 's/"status": "complete"/"status": "interrupted"/' "$T/p3a.csv.json" >"$T/p3r.csv.json"
cp "$T/p3a.csv.n8.b0.nvm" "$T/p3r.csv.n8.b0.nvm"
"$NVMSIM" sweep $P3 --detector progressive --out "$T/p3r.csv" --resume >/dev/null 2>"$T/err" && cmp -s "$T/p3a.csv" "$T/p3r.csv" \
    && ok || bad "progressive resume differs: $(cat "$T/err")"
expect 2 "started with other settings" sweep $P3 --out "$T/p3r.csv" --resume
want=$(awk -F, '$9 == "1" && $16 == "0.05" { print $11, $12 }' "$T/p3a.csv" | tr '\n' ' ')
got=$("$NVMSIM" eval $D --model "$T/p3a.csv.n8.b0.nvm" --alpha 0,1 --read 0.05 --chip 1 --retrain --retrain-epochs 1 \
      --detector progressive 2>&1 | awk '$1 == "gauss" { print $3, $4 }' | tr '\n' ' ')
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval --detector progressive gave '$got', the sweep rows '$want'"
R2="$D --nfe 8 --epochs 2 --alpha 0,1 --read 0.05 --runs 2 --retrain-epochs 1"
"$NVMSIM" sweep $R2 --out "$T/k0.csv" >/dev/null 2>&1 || bad "read-noise sweep"
"$NVMSIM" sweep $R2 --retrain-reads 1 --out "$T/k1.csv" >/dev/null 2>&1 || bad "--retrain-reads 1"
cmp -s "$T/k0.csv" "$T/k1.csv" && ok || bad "--retrain-reads 1 differs from the default"
"$NVMSIM" sweep $R2 --retrain-reads 2 --threads 1 --out "$T/k2a.csv" >/dev/null 2>"$T/err" || bad "--retrain-reads 2: $(cat "$T/err")"
"$NVMSIM" sweep $R2 --retrain-reads 2 --threads 2 --out "$T/k2b.csv" >/dev/null 2>&1 || bad "--retrain-reads 2 (threads 2)"
cmp -s "$T/k2a.csv" "$T/k2b.csv" && ok || bad "--retrain-reads 2 differs across --threads 1/2"
cut -d, -f1-11 "$T/k1.csv" >"$T/k1.cut"; cut -d, -f1-11 "$T/k2a.csv" >"$T/k2.cut"
cmp -s "$T/k1.cut" "$T/k2.cut" && ok || bad "--retrain-reads changed acc_degraded"
cmp -s "$T/k1.csv" "$T/k2a.csv" && bad "--retrain-reads 2 gave the rows of 1" || ok
grep -q '"reads": 2}' "$T/k2a.csv.json" && ok || bad "sidecar lacks the retraining reads"
want=$(awk -F, '$7 == "1" && $9 == "0" { print $12 }' "$T/k2a.csv")
got=$("$NVMSIM" eval $D --model "$T/k0.csv.n8.b0.nvm" --alpha 1 --read 0.05 --chip 0 --retrain --retrain-epochs 1 --retrain-reads 2 \
      2>&1 | awk '$1 == "gauss" { print $4 }')
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "eval --retrain-reads 2 gave '$got', the sweep row '$want'"
for k in 0 -1 x 99999999999; do
    expect 2 "retrain-reads $k: expected a whole number from 1 to 65535" sweep $R2 --retrain-reads $k
done
expect 2 "retrain-reads 70000: expected a whole number from 1 to 65535" eval $D --model "$T/m8.nvm" --alpha 1 --read 0.05 --retrain --retrain-reads 70000
expect 2 "retrain-reads 2: without read noise" sweep $P --retrain-reads 2
expect 2 "retrain-reads 3: without read noise" eval $D --model "$T/m8.nvm" --alpha 1 --retrain --retrain-reads 3
expect 2 "retrain-reads 65535: the retraining inputs take .* GB per worker" sweep $D --nfe 5000 --read 0.05 --retrain-reads 65535 --out "$T/huge.csv"
[ ! -e "$T/huge.csv.n5000.b0.nvm" ] && ok || bad "a refused --retrain-reads trained first"
expect 2 "retrain-at each would reprogram it" sweep $D --noise pcm --time 0,60 --retrain-at each --detector progressive
expect 2 "detector bogus: expected last, new or progressive" sweep $D --detector bogus
expect 2 "detector bogus: expected last or progressive" eval $D --model "$T/m8.nvm" --alpha 1 --retrain --detector bogus
expect 2 "--detector new trains fresh detectors" eval $D --model "$T/m8.nvm" --alpha 1 --retrain --detector new
expect 2 "--detector sets detector retraining: add --retrain" eval $D --model "$T/m8.nvm" --alpha 1 --detector progressive
expect 2 "--retrain-reads sets detector retraining: add --retrain" eval $D --model "$T/m8.nvm" --alpha 1 --read 0.1 --retrain-reads 2

# A finished CSV is never overwritten by accident.
expect 2 "exists: choose another --out, or add --overwrite" sweep $S --out "$T/a.csv"
"$NVMSIM" sweep $S --out "$T/a.csv" --overwrite >/dev/null 2>&1 && cmp -s "$T/a.csv" "$T/b.csv" && ok || bad "--overwrite"

# Noise models: a list is a grid axis; the noise column names each.
"$NVMSIM" sweep $D --nfe 16 --epochs 2 --alpha 0,0.5 --noise quant:1,quant:8,gauss --retrain-epochs 1 \
    --out "$T/q.csv" >/dev/null 2>&1 || bad "sweep --noise list"
counts=$(cut -d, -f6 "$T/q.csv" | sort | uniq -c | awk '{ printf "%s=%s ", $2, $1 }')
[ "$counts" = "gauss=2 noise=1 quant:1=2 quant:8=2 " ] && ok || bad "noise column: $counts"
# 8 bits at alpha 0 are almost exact; 1 bit is not.
awk -F, '$6 == "quant:8" && $7 == "0" && ($11 - $10 > 0.05 || $10 - $11 > 0.05) { exit 1 }' "$T/q.csv" && ok || bad "quant:8 far from clean"
expect 2 "noise quant:9: expected gauss, quant:B or quantmse:B with B = 1..8 bits, or pcm" sweep $D --noise quant:9

# A network with convolutions on the synthetic CIFAR-format set: learns, is thread-independent, names
# its data by its folder (the checksums are not CIFAR-10's).
C="$D --arch c8-p-c16-p-c16-f16-f10 --epochs 8 --lr 0.003 --alpha 0,0.5,1 --retrain-epochs 1"
"$NVMSIM" sweep $C --threads 1 --out "$T/c1.csv" >/dev/null 2>"$T/err" || bad "cnn sweep: $(cat "$T/err")"
"$NVMSIM" sweep $C --threads 2 --out "$T/c2.csv" >/dev/null 2>&1 || bad "cnn sweep (threads 2)"
cmp -s "$T/c1.csv" "$T/c2.csv" && ok || bad "cnn CSV differs across --threads 1/2"
awk -F, 'NR == 2 && ($1 != "custom" || $2 != "syn" || $3 != 256 || $4 != 16 || $10 < 0.5) { exit 1 }' "$T/c1.csv" \
    && ok || bad "cnn row: $(sed -n 2p "$T/c1.csv")"
"$NVMSIM" info --arch c32-p-c64-p-c64-f64-f10 | grep -q "parameters: 122570" && ok || bad "info --arch: parameter count"
expect 2 "arch c32-q-f10: cannot read layer 'q'" info --arch c32-q-f10
expect 2 "not both" sweep $D --net mlp2 --arch c8-f10
expect 2 "optim rmsprop" train $D --optim rmsprop

# The feature-extractor boundary anywhere ('|' before a pool degraded nothing): for every split of the
# default CNN, info --arch and the sweep's sidecar give the same MAC share, and alpha = 1 changes accuracy.
for spec in 'c32|p-c64-p-c64-f64-f10' 'c32-p|c64-p-c64-f64-f10' 'c32-p-c64|p-c64-f64-f10' \
            'c32-p-c64-p|c64-f64-f10' 'c32-p-c64-p-c64|f64-f10' 'c32-p-c64-p-c64-f64|f10'; do
    info=$("$NVMSIM" info --arch "$spec" | sed -n 's/.*of which \([0-9.]*\) % in the feature extractor/\1/p')
    "$NVMSIM" sweep $D --arch "$spec" --epochs 1 --alpha 0,2 --runs 1 --retrain-epochs 1 --test-limit 100 \
        --out "$T/split.csv" --overwrite >/dev/null 2>"$T/err" || bad "split $spec: $(cat "$T/err")"
    side=$(sed -n 's/.*"fe_mac_share": \([0-9.e-]*\).*/\1/p' "$T/split.csv.json")
    awk -v i="$info" -v s="$side" 'BEGIN { exit !(i != "" && s != "" && (100 * s - i)^2 < 1e-4) }' && ok || bad "split $spec: info says $info %, sidecar $side"
    awk -F, 'NR == 3 && $11 == $10 { exit 1 }' "$T/split.csv" && ok || bad "split $spec: alpha 2 left accuracy at $(sed -n 3p "$T/split.csv")"
done
expect 2 "feature extractor (before '|') has no weights" sweep $D --arch 'p|c8-f10' --out "$T/nofe.csv"

# One layer model for every data set: an MLP on CIFAR-format data, the cnn on MNIST-format data.
"$NVMSIM" sweep $D --arch t16-f10 --dataset cifar10 --epochs 2 --alpha 0,1 --retrain-epochs 1 --out "$T/mc.csv" >/dev/null 2>"$T/err" \
    && awk -F, 'NR == 2 && $3 == 16 && $2 == "syn" { f = 1 } END { exit !f }' "$T/mc.csv" && ok || bad "MLP on CIFAR format: $(cat "$T/err")"
"$NVMSIM" sweep $D --net cnn --dataset mnist --epochs 1 --alpha 0,1 --retrain-epochs 1 --out "$T/cm.csv" >/dev/null 2>"$T/err" \
    && awk -F, 'NR == 2 && $1 == "cnn" && $3 == 576 { f = 1 } END { exit !f }' "$T/cm.csv" && ok || bad "cnn on MNIST format: $(cat "$T/err")"
"$NVMSIM" info --net cnn --dataset mnist | grep -q "features: 576 values" && ok || bad "info --net cnn --dataset mnist"

# bench --sweep: sweep cells through nvm_cell_run on the data given, each with its breakdown; flags of the
# other mode are refused.
"$NVMSIM" bench --sweep $D --net cnn --cells 2 --threads 2 >"$T/bs" 2>"$T/err" || bad "bench --sweep: $(cat "$T/err")"
[ "$(grep -c '^nvmsim cnn sweep cell [01] (chip 0, alpha 0[.05]*): .* training-set features .*(cpu .*, 400 images), retraining' "$T/bs")" -eq 2 ] \
    && grep -q '^nvmsim cnn sweep: [0-9.]* cells/s, [0-9.]* s/cell' "$T/bs" && grep -q '^nvmsim cnn sweep cell floor: 600 images' "$T/bs" \
    && grep -q 'data=syn (400 train, 200 test)' "$T/bs" && ok || bad "bench --sweep output: $(head -c 600 "$T/bs")"
"$NVMSIM" bench --sweep --data "$T/none" --net mlp2 --cells 1 --threads 1 2>&1 | grep -q '^# NOTE: SYNTHETIC data' \
    && ok || bad "bench --sweep without data: no synthetic note"
expect 2 "add --sweep" bench --cells 2
expect 2 "drop one" bench --sweep --images 300

# Data sets are what they are: not MNIST unless the checksums say so.
"$NVMSIM" info $D | grep -q "^syn (IDX format)" && ok || bad "info names synthetic IDX data: $("$NVMSIM" info $D | head -1)"
"$NVMSIM" sweep $D --dataset-name fake-digits --nfe 8 --epochs 1 --alpha 0 --retrain-epochs 1 --out "$T/dn.csv" >/dev/null 2>&1
awk -F, 'NR == 2 && $2 == "fake-digits" { f = 1 } END { exit !f }' "$T/dn.csv" && grep -q '"dataset": "fake-digits"' "$T/dn.csv.json" \
    && ok || bad "--dataset-name not in CSV/sidecar"
"$NVMSIM" info $D | grep -q "raw (0..1) mean" && "$NVMSIM" info $D --dataset cifar10 | grep -q "raw (0..1) mean" && ok || bad "info pixel scales"

# Real MNIST, first few hundred images, when available.
if [ -n "${NVMSIM_DATA:-}" ] && { [ -e "$NVMSIM_DATA/mnist/train-images-idx3-ubyte.gz" ] || [ -e "$NVMSIM_DATA/train-images-idx3-ubyte.gz" ] || [ -e "$NVMSIM_DATA/mnist/train-images-idx3-ubyte" ]; }; then
    "$NVMSIM" sweep --data "$NVMSIM_DATA" --train-limit 600 --test-limit 300 --epochs 5 --alpha 0:1:0.5 \
        --runs 2 --out "$T/real.csv" >/dev/null 2>"$T/err" || bad "real MNIST smoke sweep: $(cat "$T/err")"
    [ "$(wc -l <"$T/real.csv")" -eq 7 ] && ok || bad "real smoke sweep rows"
    awk -F, 'NR == 2 && $10 < 0.7 { exit 1 }' "$T/real.csv" && ok || bad "real smoke: clean accuracy < 0.7 on 600 images"
    echo "cli.sh: real MNIST smoke sweep ran ($NVMSIM_DATA)" >&2
else
    echo "cli.sh: NVMSIM_DATA has no MNIST; real-data smoke sweep skipped" >&2
fi

printf '%-14s %s (%d checks, %d failed)\n' "cli" "$([ $fails -eq 0 ] && echo ok || echo FAIL)" $checks $fails >&2
[ $fails -eq 0 ]
