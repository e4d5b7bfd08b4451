#!/bin/sh
# Tests of scripts/plot_figures.py on CSVs made by the real binary on synthetic data: every figure
# is written (PNG + PDF, non-empty), a subset of CSVs names what is missing and still draws the rest,
# reruns are byte-identical, bad input gives exit 3 with one stderr line, no CSV gives exit 2.
# Skipped (exit 0) when no python3 with matplotlib is found ($PYTHON, python3, /usr/bin/python3).
# Usage: tests/test_plot.sh ./nvmsim build/tests/mkdata
set -u
NVMSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKDATA=$2
SCRIPT=$(cd "$(dirname "$0")/.." && pwd)/scripts/plot_figures.py

PY=
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
    if [ -n "$p" ] && "$p" -c 'import matplotlib' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    echo "test_plot: python3-matplotlib missing, skipped"
    exit 0
fi

T=$(mktemp -d /tmp/nvmsim-plot-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "test_plot.sh: FAIL: $*" >&2; }
plot() { "$PY" "$SCRIPT" "$@" >"$T/out" 2>"$T/err"; }
has() { grep -qF -- "$1" "$T/out" && ok || bad "output lacks '$1': $(head -c 600 "$T/out")"; }

"$MKDATA" "$T/syn" 400 200 >/dev/null || { echo "test_plot.sh: cannot make synthetic data" >&2; exit 1; }
S="sweep --data $T/syn --retrain-epochs 1"
sweep() { out=$1; shift; "$NVMSIM" $S "$@" --out "$T/$out" >/dev/null 2>"$T/err" || bad "nvmsim $* : $(cat "$T/err")"; }
sweep g.csv --nfe 8,16 --epochs 2 --alpha 0:1:0.5 --runs 3
sweep e.csv --nfe 8 --epochs 2 --alpha 0,1,2 --runs 2
sweep m3.csv --net mlp3 --nfe 8 --epochs 2 --alpha 0,1 --runs 2
sweep q.csv --nfe 8,16 --epochs 2 --noise quant:1,quant:4 --alpha 0 --runs 2
sweep n.csv --nfe 8 --epochs 2 --detector new --nd 0,4 --alpha 0,1 --runs 2
sweep c.csv --net cnn --epochs 1 --alpha 0,1 --runs 2

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
has "fig3/fig4/fig5 panel a (mlp2): no rows with net=mlp2, noise=gauss, detector=last"
has "fig3/fig4/fig5 panel c (cnn): no rows with net=cnn"
has "run: nvmsim sweep --net mlp3"
has "fig6 panel c (cnn): no rows with net=cnn, noise=quant:B"
has "fig7 not written: no rows with detector=new"
has "fig8 not written: no rows with alpha > 1"
[ -s "$T/sub/fig6_bits.png" ] && [ -s "$T/sub/fig6_bits.pdf" ] && ok || bad "subset: fig6_bits missing"
[ -e "$T/sub/fig3_degraded.png" ] && bad "subset: fig3 written without gauss rows" || ok

# Reruns give byte-identical files.
plot --out "$T/again" "$T/bits.data" || bad "rerun: $(cat "$T/err")"
for x in png pdf; do cmp -s "$T/sub/fig6_bits.$x" "$T/again/fig6_bits.$x" && ok || bad "fig6_bits.$x differs between reruns"; done

# Bad input: exit 3 (2 for the command line) and one stderr line naming the file (and line).
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
sed '3s/,0\.[0-9]*$/,1.7/' "$T/g.csv" >"$T/bad_value.csv"
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
