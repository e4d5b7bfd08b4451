#!/bin/sh
# The device-model runs behind results/device/ (issue: real device non-idealities), each CSV with its
# sidecar; wall times go to results/device/runs.log.   sh scripts/device_study.sh [NAME...]
set -eu
cd "$(dirname "$0")/.."
NVMSIM=${NVMSIM:-./nvmsim}
DATA=${NVMSIM_DATA:-data}
OUT=results/device
MODELS=${NVMSIM_MODELS:-build/models}
mkdir -p "$OUT" "$MODELS"
LOG=$OUT/runs.log

# name | arguments to `nvmsim sweep` (besides --data and --out)
RUNS='mlp2_pcm_drift  | --net mlp2 --nfe 100 --noise pcm --alpha 1 --time 1,3600,86400,2.6e6 --drift-comp global,none --runs 20
mlp2_pcm_each   | --net mlp2 --nfe 100 --noise pcm --alpha 1 --time 1,3600,86400,2.6e6 --drift-comp global,none --retrain-at each --runs 20
mlp2_faults     | --net mlp2 --nfe 100 --alpha 0 --faults 0:0.2:0.02 --runs 20
mlp3_faults     | --net mlp3 --nfe 100 --alpha 0 --faults 0:0.2:0.02 --runs 20
mlp2_read       | --net mlp2 --nfe 100 --alpha 0 --read 0:0.1:0.01 --runs 20
mlp3_read       | --net mlp3 --nfe 100 --alpha 0 --read 0:0.1:0.01 --runs 20
mlp2_adc        | --net mlp2 --nfe 100 --alpha 0 --adc 3,4,5,6,8 --runs 20
mlp3_adc        | --net mlp3 --nfe 100 --alpha 0 --adc 3,4,5,6,8 --runs 20
cnn_faults      | --net cnn --model @MODELS@/cnn.nvm --alpha 0 --faults 0:0.2:0.02 --runs 5
cnn_adc         | --net cnn --model @MODELS@/cnn.nvm --alpha 0 --adc 3,4,5,6,8 --runs 5
cnn_read        | --net cnn --model @MODELS@/cnn.nvm --alpha 0 --read 0:0.1:0.02 --runs 5'

selected() {
    n=$1
    shift
    [ "$#" -eq 0 ] && return 0
    for x in "$@"; do [ "$x" = "$n" ] && return 0; done
    return 1
}

echo "# device study started $(date -u +%Y-%m-%dT%H:%M:%SZ), nvmsim $("$NVMSIM" --version | cut -d' ' -f2), data $DATA" >>"$LOG"
echo "$RUNS" | while IFS='|' read -r name args; do
    name=$(echo "$name" | tr -d ' ')
    selected "$name" "$@" || continue
    args=$(echo "$args" | sed "s|@MODELS@|$MODELS|g")
    case "$args" in
    *cnn.nvm*)
        if [ ! -f "$MODELS/cnn.nvm" ]; then
            t0=$(date +%s)
            "$NVMSIM" train --net cnn --data "$DATA" --out "$MODELS/cnn.nvm"
            echo "train cnn: $(( $(date +%s) - t0 )) s  (nvmsim train --net cnn --out $MODELS/cnn.nvm)" >>"$LOG"
        fi ;;
    esac
    t0=$(date +%s)
    # shellcheck disable=SC2086
    "$NVMSIM" sweep $args --data "$DATA" --out "$OUT/$name.csv" --overwrite >"$OUT/$name.txt"
    echo "$name: $(( $(date +%s) - t0 )) s  (nvmsim sweep$args --out $OUT/$name.csv)" >>"$LOG"
done
