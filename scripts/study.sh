#!/bin/sh
# Runs a study: the sweeps listed in scripts/studies/STUDY.runs, each writing results/STUDY/<name>.csv with
# its JSON sidecar and its summary table (<name>.txt); results/STUDY/runs.log gets every command and its
# wall time, and the total.
#   sh scripts/study.sh STUDY [NAME...]     (STUDY: paper, device or remedies; default every run, in order)
# A table line is `name | arguments of nvmsim sweep` (besides --data and --out), or
# `model:NAME | arguments of nvmsim train`: a base network trained once into $NVMSIM_MODELS/NAME.nvm
# (default build/models: not results) and named by sweeps as @MODELS@/NAME.nvm. @OUT@ stands for
# results/STUDY. Lines starting with # are comments.
# Environment: NVMSIM [./nvmsim], NVMSIM_DATA [data], NVMSIM_MODELS [build/models].
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: sh scripts/study.sh STUDY [NAME...]  (STUDY: $(ls scripts/studies | sed 's/\.runs$//' | tr '\n' ' '))" >&2; exit 2; }
STUDY=$1
shift
TABLE=scripts/studies/$STUDY.runs
[ -f "$TABLE" ] || { echo "study.sh: $TABLE: no such study; use one of: $(ls scripts/studies | sed 's/\.runs$//' | tr '\n' ' ')" >&2; exit 2; }
NVMSIM=${NVMSIM:-./nvmsim}
DATA=${NVMSIM_DATA:-data}
MODELS=${NVMSIM_MODELS:-build/models}
OUT=results/$STUDY
LOG=$OUT/runs.log
mkdir -p "$OUT" "$MODELS"

selected() {   # selected NAME [REQUESTED...]: no request means every run
    n=$1
    shift
    [ "$#" -eq 0 ] && return 0
    for x in "$@"; do [ "$x" = "$n" ] && return 0; done
    return 1
}

start=$(date +%s)
[ $# -eq 0 ] && : >"$LOG"   # a full run of the study starts a fresh log
echo "# $STUDY started $(date -u +%Y-%m-%dT%H:%M:%SZ), nvmsim $("$NVMSIM" --version | cut -d' ' -f2), data $DATA" >>"$LOG"
grep -v '^#' "$TABLE" | grep -v '^ *$' | while IFS='|' read -r name args; do
    name=$(echo "$name" | tr -d ' ')
    args=$(echo "$args" | sed "s|@MODELS@|$MODELS|g; s|@OUT@|$OUT|g")
    case "$name" in
    model:*)   # trained when a selected sweep needs it and it is not there yet
        m=${name#model:}
        echo "$args" >"$MODELS/$m.args" ;;
    *)
        selected "$name" "$@" || continue
        for f in $(echo "$args" | grep -o "$MODELS/[A-Za-z0-9_.-]*\.nvm" || true); do
            m=$(basename "$f" .nvm)
            if [ ! -f "$f" ]; then
                [ -f "$MODELS/$m.args" ] || { echo "study.sh: $TABLE: $name needs model:$m, which the table does not define above it" >&2; exit 2; }
                targs=$(cat "$MODELS/$m.args")
                t0=$(date +%s)
                # shellcheck disable=SC2086
                "$NVMSIM" train $targs --data "$DATA" --out "$f"
                echo "train $m: $(( $(date +%s) - t0 )) s  (nvmsim train$targs --out $f)" >>"$LOG"
            fi
        done
        t0=$(date +%s)
        # shellcheck disable=SC2086
        "$NVMSIM" sweep $args --data "$DATA" --out "$OUT/$name.csv" --overwrite >"$OUT/$name.txt"
        echo "$name: $(( $(date +%s) - t0 )) s  (nvmsim sweep$args --out $OUT/$name.csv)" >>"$LOG" ;;
    esac
done
echo "total: $(( $(date +%s) - start )) s" >>"$LOG"
