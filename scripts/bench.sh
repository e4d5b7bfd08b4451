#!/bin/sh
# make bench: `nvmsim bench` and scripts/bench_torch.py (PyTorch) back to back for each network, then a
# table: each figure for both, the ratio nvmsim/PyTorch, and each figure's share of this machine's FMA
# peak (the peak `nvmsim bench` measures and prints on its GEMM lines).
#
# FLOPs come from the network shapes (`nvmsim info --net NET`: multiply-accumulates per image; the torch
# script prints its own count from its layers and a mismatch is reported): inference = 2 FLOP per MAC;
# a training step = 3 x the forward (forward, gradient w.r.t. the inputs, gradient w.r.t. the weights),
# so an epoch = 6 x MACs x epoch samples (cnn: 6 x 4,548,608 x 50,000 = 1.36 TFLOP). Element-wise work,
# pooling, the loss and the optimizer are not counted, and the first layer needs no input gradient, so
# "% of peak" is a round figure, the same convention for both.
#
# Then `nvmsim bench --sweep` for the default mlp2 and cnn sweep grids: cells/s, s/cell and where a cell's
# time goes (features of the training set, retraining, test reads), on the data in $NVMSIM_DATA (else ./data;
# a synthetic set of the same shape, with a note, when it is missing). PyTorch has no equivalent: these
# rows have nvmsim's figures only.
#
# Usage: sh scripts/bench.sh [NVMSIM]           (NVMSIM default ./nvmsim)
# Environment: BENCH_THREADS [2], BENCH_NETS ["cnn mlp2 mlp3"], BENCH_SWEEP ["mlp2 cnn"; empty: no sweep
# cells], TORCH_PYTHON [the first of /usr/bin/python3,
# python3 that imports torch]. PyTorch runs with OpenBLAS on one thread per op and torch's own threads:
# env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/bench_torch.py NET --threads 2.
# Without torch the PyTorch column is skipped (one line says so). Exit: 0 ok, 1 a benchmark failed.
set -u
NVMSIM=${1:-./nvmsim}
THREADS=${BENCH_THREADS:-2}
NETS=${BENCH_NETS:-cnn mlp2 mlp3}
SWEEP_NETS=${BENCH_SWEEP-mlp2 cnn}
DIR=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nvmsim-bench-XXXXXX)
trap 'rm -rf "$T"' EXIT

PY=
for p in ${TORCH_PYTHON:-/usr/bin/python3 python3}; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import torch' >/dev/null 2>&1; then PY=$p; break; fi
done
echo "bench: $THREADS threads, $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') online cores, load average" \
     "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the start (a busy machine makes every figure noisy)"
if [ -z "$PY" ]; then
    echo "bench: PyTorch column skipped: no python3 here imports torch (tried ${TORCH_PYTHON:-/usr/bin/python3, python3}; Debian: apt-get install python3-torch libopenblas0-pthread)"
fi

st=0
for net in $NETS; do
    "$NVMSIM" info --net "$net" >"$T/info_$net" || st=1
    "$NVMSIM" bench --net "$net" --threads "$THREADS" >"$T/nv_$net" || { echo "bench: nvmsim bench --net $net failed" >&2; st=1; }
    cat "$T/nv_$net"
    if [ -n "$PY" ]; then
        env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 "$PY" "$DIR/bench_torch.py" "$net" --threads "$THREADS" \
            >"$T/pt_$net" || { echo "bench: bench_torch.py $net failed" >&2; st=1; }
        cat "$T/pt_$net"
    fi
done
for net in $SWEEP_NETS; do
    "$NVMSIM" bench --sweep --net "$net" --threads "$THREADS" >"$T/sw_$net" ||
        { echo "bench: nvmsim bench --sweep --net $net failed" >&2; st=1; }
    cat "$T/sw_$net"
done
echo "bench: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at the end"

# The table. Values are read back from the lines printed above.
get() {   # get FILE SED-EXPRESSION -> first match, commas removed
    [ -f "$1" ] && sed -n "$2" "$1" | head -n 1 | tr -d ,
}
# The peak is measured by each nvmsim run (best of three short FMA loops, wall clock), so a busy machine
# lowers it too: the highest of the runs, the least disturbed, is used for every row.
peak=
for net in $NETS; do
    p=$(get "$T/nv_$net" 's/.* of the \([0-9.]*\) GFLOP\/s FMA peak.*/\1/p')
    [ -n "$p" ] && peaks="${peaks:-}${peaks:+, }$p ($net run)"
    peak=$(awk -v a="${peak:-0}" -v b="${p:-0}" 'BEGIN { print (b > a ? b : a) }')
done
echo
printf '%-34s %12s %12s %16s %9s %9s\n' "measurement ($THREADS threads)" nvmsim PyTorch nvmsim/PyTorch "nv %peak" "pt %peak"
for net in $NETS; do
    macs=$(get "$T/info_$net" 's/^ *multiply-accumulates per image: \([0-9]*\).*/\1/p')
    nvt=$(get "$T/nv_$net" "s/^nvmsim $net train: \([0-9.]*\) s\/epoch.*/\1/p")
    ptt=$(get "$T/pt_$net" "s/^torch $net train: \([0-9.]*\) s\/epoch.*/\1/p")
    ptm=$(get "$T/pt_$net" "s/^# torch $net forward MACs\/sample: \([0-9]*\).*/\1/p")
    if [ -n "$ptm" ] && [ -n "$macs" ] && [ "$ptm" != "$macs" ]; then
        echo "bench: WARNING: $net: nvmsim counts $macs MACs/image, bench_torch.py $ptm: not the same network"
    fi
    epoch=60000; [ "$net" = cnn ] && epoch=50000
    awk -v net="$net" -v macs="${macs:-0}" -v peak="${peak:-0}" -v a="${nvt:-}" -v b="${ptt:-}" -v ep="$epoch" 'BEGIN {
        fl = 6 * macs * ep
        lab = sprintf("%s train, s/epoch (%.3g TFLOP)", net, fl / 1e12)
        sa = a == "" ? "-" : sprintf("%.3f", a); sb = b == "" ? "-" : sprintf("%.3f", b)
        r = (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-"
        pa = (a != "" && a > 0 && peak > 0) ? sprintf("%.1f %%", 100 * fl / a / 1e9 / peak) : "-"
        pb = (b != "" && b > 0 && peak > 0) ? sprintf("%.1f %%", 100 * fl / b / 1e9 / peak) : "-"
        printf "%-34s %12s %12s %16s %9s %9s\n", lab, sa, sb, r, pa, pb
    }'
    if [ "$net" = cnn ]; then
        nvi=$(get "$T/nv_$net" 's/^nvmsim cnn infer: \([0-9,]*\) images\/s.*/\1/p')
        pti=$(get "$T/pt_$net" 's/^torch cnn infer: \([0-9,]*\) images\/s.*/\1/p')
        awk -v macs="${macs:-0}" -v peak="${peak:-0}" -v a="${nvi:-}" -v b="${pti:-}" 'BEGIN {
            fl = 2 * macs
            lab = sprintf("cnn infer, images/s (%.3g MFLOP)", fl / 1e6)
            sa = a == "" ? "-" : a; sb = b == "" ? "-" : b
            r = (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-"
            pa = (a != "" && peak > 0) ? sprintf("%.1f %%", 100 * a * fl / 1e9 / peak) : "-"
            pb = (b != "" && peak > 0) ? sprintf("%.1f %%", 100 * b * fl / 1e9 / peak) : "-"
            printf "%-34s %12s %12s %16s %9s %9s\n", lab, sa, sb, r, pa, pb
        }'
    fi
done
for net in $SWEEP_NETS; do   # nvmsim only: PyTorch has no sweep cell
    rate=$(get "$T/sw_$net" "s/^nvmsim $net sweep: \([0-9.]*\) cells\/s.*/\1/p")
    per=$(get "$T/sw_$net" "s/^nvmsim $net sweep: .* cells\/s, \([0-9.]*\) s\/cell.*/\1/p")
    cpu=$(get "$T/sw_$net" "s/^nvmsim $net sweep: .*(cpu \([0-9.]*\) s\/cell.*/\1/p")
    floor=$(get "$T/sw_$net" "s/^nvmsim $net sweep cell floor: .*, i.e. \([0-9.]*\) s\/cell.*/\1/p")
    printf '%-34s %12s %12s %16s\n' "$net sweep cell, s/cell" "${per:--}" - "(cpu ${cpu:--} s)"
    printf '%-34s %12s %12s %16s\n' "$net sweep, cells/s" "${rate:--}" - "(floor ${floor:--} s/cell)"
done
echo "FMA peak used: $peak GFLOP/s, the highest that nvmsim bench measured ($THREADS threads: ${peaks:-not found})."
echo "s/epoch: nvmsim/PyTorch < 1 means nvmsim is faster; images/s: > 1 means nvmsim is faster."
echo "FLOPs: 2 per multiply-accumulate of the layer shapes; a training step counted as 3 x the forward."
[ -n "$SWEEP_NETS" ] && echo "sweep cells: $THREADS at a time, one thread each, as nvmsim sweep runs them; floor = the cell's" \
    "feature passes at one core's FMA peak, divided by $THREADS (see the nvmsim bench --sweep lines above)."
exit $st
