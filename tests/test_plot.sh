#!/bin/sh
# Tests of scripts/plot_figures.py on CSVs made by the real binary on synthetic data: every figure
# is written (PNG + PDF, non-empty), a subset of CSVs names what is missing and still draws the rest,
# reruns are byte-identical; nothing is merged that should not be (a foreign data set keeps the MNIST
# panel as it was, a foreign chip is its own labelled curve, fig7 uses matched chips, fig8 one file and
# one chip set per curve); no matplotlib gives exit 4 with one line; bad input gives exit 3 with one
# stderr line, no CSV gives exit 2.
# Skipped (exit 0) when no python3 with matplotlib is found ($PYTHON, /usr/bin/python3, python3).
# Usage: tests/test_plot.sh ./nvmsim build/tests/mkdata
set -u
NVMSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKDATA=$2
SCRIPT=$(cd "$(dirname "$0")/.." && pwd)/scripts/plot_figures.py

. "$(dirname "$0")/find_python.sh"
if ! PY=$(find_python "${PYTHON:-}" matplotlib); then
    echo "test_plot: python3-matplotlib missing, skipped"
    exit 0
fi

T=$(mktemp -d /tmp/nvmsim-plot-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "test_plot.sh: FAIL: $*" >&2; }
PYX=   # extra interpreter flags (the no-matplotlib test runs python -S)
plot() { "$PY" $PYX "$SCRIPT" "$@" >"$T/out" 2>"$T/err"; }
has() { grep -qF -- "$1" "$T/out" && ok || bad "output lacks '$1': $(head -c 600 "$T/out")"; }

"$MKDATA" "$T/syn" 400 200 >/dev/null || { echo "test_plot.sh: cannot make synthetic data" >&2; exit 1; }
S="sweep --data $T/syn --dataset-name mnist --retrain-epochs 1"   # as if MNIST: the panels it draws
sweep() { out=$1; shift; "$NVMSIM" $S "$@" --out "$T/$out" >/dev/null 2>"$T/err" || bad "nvmsim $* : $(cat "$T/err")"; }
sweep g.csv --nfe 8,16 --epochs 2 --alpha 0:1:0.5 --runs 3
sweep e.csv --nfe 8 --epochs 2 --alpha 0,1,2 --runs 2
sweep m3.csv --net mlp3 --nfe 8 --epochs 2 --alpha 0,1 --runs 2
sweep q.csv --nfe 8,16 --epochs 2 --noise quant:1,quant:4 --alpha 0 --runs 2
sweep n.csv --nfe 8 --epochs 2 --detector new --nd 0,4 --alpha 0,1 --runs 2
"$NVMSIM" sweep --data "$T/syn" --dataset-name cifar10 --retrain-epochs 1 --net cnn --epochs 1 --alpha 0,1 --runs 2 \
    --out "$T/c.csv" >/dev/null 2>"$T/err" || bad "cnn sweep: $(cat "$T/err")"

# Everything: all six figures, as PNG and PDF.
FIGS="fig3_degraded fig4_retrained fig5_improvement fig6_bits fig7_detector fig8_extended_alpha"
if plot --out "$T/all" "$T"/*.csv; then ok; else bad "full plot exit $?: $(cat "$T/err")"; fi
for f in $FIGS; do
    for x in png pdf; do
        [ -s "$T/all/$f.$x" ] && ok || bad "$f.$x missing or empty"
        has "wrote $T/all/$f.$x"
    done
done
grep -q "fig3/fig4/fig5" "$T/out" && bad "full plot says figs 3-5 lack data: $(cat "$T/out")" || ok

# A subset (the quant CSV under another name, with an extra column after the 12 of the schema): fig6
# with its mlp2 panel (the others say "no data"), and one line per figure or panel it cannot draw.
awk 'NR == 1 { print $0 ",note"; next } { print $0 ",x" }' "$T/q.csv" >"$T/bits.data"
if plot --out "$T/sub" "$T/bits.data"; then ok; else bad "subset plot exit $?: $(cat "$T/err")"; fi
has "fig3/fig4/fig5 panel a (mlp2, mnist): no rows with net=mlp2, dataset=mnist, noise=gauss, detector=last"
has "fig3/fig4/fig5 panel c (cnn, cifar10): no rows with net=cnn"
has "run: nvmsim sweep --net mlp3"
has "fig6 panel c (cnn, cifar10): no rows with net=cnn, dataset=cifar10, noise=quant:B"
has "fig7 not written: no rows with detector=new"
has "fig8 not written: no rows with alpha > 1"
[ -s "$T/sub/fig6_bits.png" ] && [ -s "$T/sub/fig6_bits.pdf" ] && ok || bad "subset: fig6_bits missing"
[ -e "$T/sub/fig3_degraded.png" ] && bad "subset: fig3 written without gauss rows" || ok

# Rows of --detector progressive (not a remedy of the paper) are read and left out, with a note.
mkdir -p "$T/prog"
sweep prog/p.csv --net mlp3 --nfe 8 --epochs 2 --detector progressive --alpha 0,1 --runs 2
if plot --figures fig3 --out "$T/progfig" "$T/prog/p.csv" "$T/g.csv"; then ok; else bad "plot with progressive rows exit $?: $(cat "$T/err")"; fi
has "4 rows of --detector progressive left out"
[ -s "$T/progfig/fig3_degraded.png" ] && ok || bad "progressive rows stopped fig3"

# Reruns give byte-identical files.
plot --out "$T/again" "$T/bits.data" || bad "rerun: $(cat "$T/err")"
for x in png pdf; do cmp -s "$T/sub/fig6_bits.$x" "$T/again/fig6_bits.$x" && ok || bad "fig6_bits.$x differs between reruns"; done

expect() {
    code=$1 pat=$2
    shift 2
    plot "$@"
    rc=$?
    lines=$(wc -l <"$T/err")
    if [ "$rc" -ne "$code" ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$pat" "$T/err"; then
        bad "plot_figures.py $* -> exit $rc (want $code), $lines stderr lines (want 1): $(head -c 300 "$T/err")"
    else
        ok
    fi
}

# Nothing is merged that should not be. Curves are listed (--list) with their exact samples and files.
lacks() { grep -qF -- "$1" "$T/out" && bad "output has '$1': $(grep -F -- "$1" "$T/out" | head -3)" || ok; }
mnist_lines() { grep -E '^(panel|  curve) fig[345]_[a-z]+ \([a-z]\) mlp2/mnist' "$1"; }

# (1) A foreign data set (an IDX set that is not MNIST: other images, dataset column fashion-mnist) with the
# same net, N_FE and chips gets its own panel and leaves the MNIST panel exactly as it was.
mkdir -p "$T/fm"
"$MKDATA" "$T/fm" 300 150 >/dev/null
"$NVMSIM" sweep --data "$T/fm" --retrain-epochs 1 --nfe 8 --epochs 2 --alpha 0:1:0.5 --runs 3 --out "$T/fm_raw.csv" >/dev/null 2>"$T/err" \
    || bad "foreign sweep: $(cat "$T/err")"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $2 = "fashion-mnist" } { print }' "$T/fm_raw.csv" >"$T/fm.csv"
plot --list --figures fig3 --out "$T/ds0" "$T/g.csv" || bad "plot g.csv: $(cat "$T/err")"
mnist_lines "$T/out" >"$T/mnist0"
plot --list --figures fig3 --out "$T/ds1" "$T/g.csv" "$T/fm.csv" || bad "plot g.csv fm.csv: $(cat "$T/err")"
mnist_lines "$T/out" >"$T/mnist1"
[ -s "$T/mnist0" ] && cmp -s "$T/mnist0" "$T/mnist1" && ok || bad "a fashion-mnist CSV changed the MNIST panel: $(diff "$T/mnist0" "$T/mnist1" | head -5)"
grep -E '^  curve fig3_degraded \([a-z]\) mlp2/mnist' "$T/out" | grep -qF fm.csv && bad "fm.csv rows in an MNIST curve" || ok
has "panel fig3_degraded (d) mlp2/fashion-mnist: 1 curve; mean of 3 chips (base 0, chips 0–2); from fm.csv"
has "note: fig3/fig4/fig5: rows of net=mlp2 with dataset=fashion-mnist are drawn in their own panel, not in the mlp2 MNIST one"
has "panel fig3_degraded (a) mlp2/mnist: 2 curves; mean of 3 chips (base 0, chips 0–2); from g.csv"

# (2) One foreign chip in an extra CSV: drawn as its own labelled curve, never averaged in ("3-4 chips").
sweep g4.csv --nfe 8 --epochs 2 --alpha 0:1:0.5 --runs 4
awk -F, 'NR == 1 || $9 == 3' "$T/g4.csv" >"$T/chip3.csv"
awk -F, 'NR == 1 || $9 == 0' "$T/g.csv" >"$T/copy.csv"    # rows also in g.csv: counted once, no new curve
plot --list --figures fig3 --out "$T/mix" "$T/g.csv" "$T/chip3.csv" "$T/copy.csv" || bad "plot foreign chip: $(cat "$T/err")"
has "panel fig3_degraded (a) mlp2/mnist: 3 curves; chip counts differ between curves (see legend)"
has "  curve fig3_degraded (a) mlp2/mnist | N_FE = 8 [g.csv] — 3 chips | 3 chips (base 0, chips 0–2) | g.csv"
has "  curve fig3_degraded (a) mlp2/mnist | N_FE = 8 [chip3.csv] — 1 chip | 1 chip (base 0, chip 3) | chip3.csv"
has "N_FE = 8, N_D = 0: 2 files give different rows of the same group, drawn as separate curves and not merged"
has "N_FE = 8, N_D = 0: the rows of copy.csv are all also in g.csv, counted once"
lacks "3–4 chips"
lacks "4 chips"
# mixed chip counts in one file are stated per point
{ cat "$T/g.csv"; awk -F, 'NR > 1 && $9 == 3' "$T/g4.csv"; } | awk -F, 'NR == 1 || $3 == 8 && ($9 < 3 || $7 == "0")' >"$T/ragged.csv"
plot --list --figures fig3 --out "$T/rag" "$T/ragged.csv" || bad "plot ragged: $(cat "$T/err")"
has "mean of 3–4 chips per point (not the same chips at every point"

# (3) fig7: the 'last' curve uses exactly the chips (and alpha values) of the 'new' sweep: n.csv has chips
# 0-1 at alpha 0, 1; g.csv has chips 0-2 at alpha 0, 0.5, 1. Same seed, so the degraded accuracies agree.
plot --list --figures fig7 --out "$T/f7" "$T/g.csv" "$T/n.csv" || bad "plot fig7: $(cat "$T/err")"
has "panel fig7_detector (a) mlp2/mnist N_FE=8: 3 curves; mean of 2 chips (base 0, chips 0, 1); from g.csv, n.csv"
has "  curve fig7_detector (a) mlp2/mnist N_FE=8 | last layer retrained | 2 chips (base 0, chips 0, 1) | g.csv"
has "'last' rows restricted to the 2 (base, chip) pairs and 2 alpha values of the 'new' rows (5 other 'last' rows not shown); degraded accuracies agree"
# ... and a 'new' sweep with another seed is flagged: not the same draws.
sweep n2.csv --nfe 8 --epochs 2 --detector new --nd 0 --alpha 0,1 --runs 2 --seed 2
plot --list --figures fig7 --out "$T/f7b" "$T/g.csv" "$T/n2.csv" || bad "plot fig7 seed 2: $(cat "$T/err")"
has "have different acc_degraded in the 'last' and 'new' sweeps: not the same eps draws"

# (4) fig8: each curve from the one file with its alpha > 1 rows (e_cut.csv, from e.csv: chips 0-1 at alpha 0,
# 1, 2), not joined to g.csv's 3-chip means at alpha <= 1; and from one set of chips: chip 1, missing at
# alpha = 2, is left out of the whole curve.
awk -F, '!($9 == 1 && $7 == "2")' "$T/e.csv" >"$T/e_cut.csv"
plot --list --figures fig8 --out "$T/f8" "$T/g.csv" "$T/e_cut.csv" || bad "plot fig8: $(cat "$T/err")"
has "panel fig8_extended_alpha (a)(b) mlp2/mnist: 1 curve; mean of 1 chip (base 0, chip 0); from e_cut.csv"
has "fig8 mlp2/mnist N_FE = 8, N_D = 0: drawn from e_cut.csv only (the file with its alpha > 1 rows); rows of g.csv not used"
has "rows of chips not present at every alpha left out (one set of chips per curve)"

# (5) An interpreter without matplotlib (here: python -S, which skips site-packages): exit 4, one line
# naming it and, when there is one, an interpreter that has matplotlib.
if ! "$PY" -S -c 'import matplotlib' >/dev/null 2>&1; then
    PYX=-S
    expect 4 "matplotlib cannot be imported by" --figures fig3 --out "$T/x" "$T/g.csv"
    grep -q "has it: run " "$T/err" && ok || bad "no-matplotlib message names no interpreter: $(cat "$T/err")"
    PYX=
fi

# Bad input: exit 3 (2 for the command line) and one stderr line naming the file (and line).
awk -F, -v OFS=, 'NR == 3 { $12 = "1.7" } { print }' "$T/g.csv" >"$T/bad_value.csv"
expect 3 "$T/bad_value.csv:3: acc_retrained" --out "$T/x" "$T/g.csv" "$T/bad_value.csv"
sed '1s/^net,dataset/net,data/' "$T/g.csv" >"$T/bad_header.csv"
expect 3 "$T/bad_header.csv:1: not an nvmsim sweep CSV" --out "$T/x" "$T/bad_header.csv"
{ head -n 2 "$T/g.csv"; printf 'mlp2,mnist,8,0,last'; } >"$T/truncated.csv"
expect 3 "$T/truncated.csv:3: 5 fields" --out "$T/x" "$T/truncated.csv"
expect 3 "$T/none.csv: no such file" --out "$T/x" "$T/none.csv"
"$PY" "$SCRIPT" >/dev/null 2>"$T/err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "usage:" "$T/err" && ok || bad "no CSV: exit $rc (want 2) with usage: $(cat "$T/err")"

printf '%-14s %s (%d checks, %d failed)\n' "plot" "$([ $fails -eq 0 ] && echo ok || echo FAIL)" $checks $fails >&2
[ $fails -eq 0 ]
