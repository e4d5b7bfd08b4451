#!/bin/sh
# Re-runs every experiment behind results/paper/ from scratch, then redraws the figures.
#   sh scripts/reproduce.sh [NAME...]    (default: all runs below, in order)
# Each run writes results/paper/<name>.csv and its JSON sidecar (command line, seed, data checksums, wall
# time); results/paper/reproduce.log gets the command and wall time of every run and the total.
set -eu
cd "$(dirname "$0")/.."
NVMSIM=${NVMSIM:-./nvmsim}
DATA=${NVMSIM_DATA:-data}
MODELS=${NVMSIM_MODELS:-build/models}   # trained base networks shared by runs (not results)
mkdir -p results/paper "$MODELS"
LOG=results/paper/reproduce.log

# name | arguments to `nvmsim sweep` (besides --data and --out)
RUNS='mlp2            | --net mlp2 --nfe 10,20,50,100,200 --alpha 0:1:0.05 --runs 100
mlp3              | --net mlp3 --nfe 10,20,50,100,200 --alpha 0:1:0.05 --runs 100
mlp2_detector     | --net mlp2 --nfe 20,100 --alpha 0:1:0.05 --runs 20 --detector new --nd 0,100
mlp3_detector     | --net mlp3 --nfe 20,100 --alpha 0:1:0.05 --runs 20 --detector new --nd 0,100
mlp2_extended     | --net mlp2 --nfe 20,100 --alpha 0:3:0.1 --runs 20
mlp3_extended     | --net mlp3 --nfe 20,100 --alpha 0:3:0.1 --runs 20
mlp2_bits         | --net mlp2 --nfe 100 --alpha 0 --noise quant:1,quant:2,quant:3,quant:4,quant:5,quant:6,quant:7,quant:8
mlp3_bits         | --net mlp3 --nfe 100 --alpha 0 --noise quant:1,quant:2,quant:3,quant:4,quant:5,quant:6,quant:7,quant:8
cnn               | --net cnn --model @MODELS@/cnn.nvm --alpha 0:1:0.05 --runs 10
cnn_bits          | --net cnn --model @MODELS@/cnn.nvm --alpha 0 --noise quant:1,quant:2,quant:3,quant:4,quant:5,quant:6,quant:7,quant:8'

selected() {   # selected NAME [REQUESTED...]: no request means every run
    n=$1
    shift
    [ "$#" -eq 0 ] && return 0
    for x in "$@"; do [ "$x" = "$n" ] && return 0; done
    return 1
}

start=$(date +%s)
[ $# -eq 0 ] && : >"$LOG"   # a full reproduction starts a fresh log
echo "# reproduce started $(date -u +%Y-%m-%dT%H:%M:%SZ), nvmsim $("$NVMSIM" --version | cut -d' ' -f2), data $DATA" >>"$LOG"
echo "$RUNS" | while IFS='|' read -r name args; do
    name=$(echo "$name" | tr -d ' ')
    selected "$name" "$@" || continue
    args=$(echo "$args" | sed "s|@MODELS@|$MODELS|g")
    case "$args" in
    *cnn.nvm*)   # the cnn runs share one trained base network (the same one a sweep would train)
        if [ ! -f "$MODELS/cnn.nvm" ]; then
            t0=$(date +%s)
            "$NVMSIM" train --net cnn --data "$DATA" --out "$MODELS/cnn.nvm"
            echo "train cnn: $(( $(date +%s) - t0 )) s  ($NVMSIM train --net cnn --out $MODELS/cnn.nvm)" >>"$LOG"
        fi ;;
    esac
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$NVMSIM" sweep $args --data "$DATA" --out "results/paper/$name.csv" --overwrite
    echo "$name: $(( $(date +%s) - t0 )) s  (nvmsim sweep$args --out results/paper/$name.csv)" >>"$LOG"
done
echo "total: $(( $(date +%s) - start )) s" >>"$LOG"
if [ -f scripts/plot_figures.py ]; then
    make -s figures
fi
