#!/bin/sh
# Every example that `nvmsim --help`, `nvmsim COMMAND --help` and `scripts/nvmsim_torch.py --help` print
# runs as printed, with the data a small synthetic set, in a scratch folder; and the repository is left as
# it was.
#   Usage: tests/help_examples.sh ./nvmsim build/tests/mkdata
set -u
NVMSIM=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
MKDATA=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
REPO=$(pwd)
T=$(mktemp -d /tmp/nvmsim-help-XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0 checks=0
before=$(git -C "$REPO" status --porcelain 2>/dev/null || echo no-git)
"$MKDATA" "$T/syn" 400 200 >/dev/null || { echo "help_examples.sh: cannot make synthetic data" >&2; exit 1; }
cd "$T" || exit 1
# train first (eval and info read its models), merge's examples in their order.
for c in train eval info sweep merge bench; do
    "$NVMSIM" $c --help | sed -n '/^Examples:/,$p' | sed -n 's/^  nvmsim /nvmsim /p' >"$T/ex-$c"
    [ -s "$T/ex-$c" ] || { echo "help_examples.sh: FAIL: '$c --help' has no examples" >&2; fails=$((fails + 1)); }
    while IFS= read -r line; do
        checks=$((checks + 1))
        case $line in   # --data where the command reads data (elsewhere it would be refused as ignored)
        nvmsim\ bench\ --sweep*) extra="--data $T/syn" ;;
        nvmsim\ bench* | nvmsim\ merge* | nvmsim\ info\ --model* | nvmsim\ info\ --arch* | nvmsim\ info\ --net*) extra="" ;;
        *) extra="--data $T/syn" ;;
        esac
        t0=$(date +%s)
        if ! eval "\"\$NVMSIM\" ${line#nvmsim } $extra" >"$T/out" 2>&1; then
            fails=$((fails + 1))
            echo "help_examples.sh: FAIL: '$line' (with $extra): $(tail -1 "$T/out")" >&2
        fi
        [ -n "${VERBOSE:-}" ] && echo "  $(( $(date +%s) - t0 )) s  $line" >&2
    done <"$T/ex-$c"
done
# scripts/nvmsim_torch.py's examples too, in their order (train-demo writes the model the others read),
# with the data in $NVMSIM_DATA as they expect; skipped when no python3 imports torch.
. "$REPO/tests/find_python.sh"
if PY=$(find_python "${TORCH_PYTHON:-}" torch numpy); then
    export NVMSIM_DATA="$T/syn"
    "$PY" "$REPO/scripts/nvmsim_torch.py" --help | sed -n '/^Examples:/,/^$/s/^  //p' >"$T/ex-torch"
    [ -s "$T/ex-torch" ] || { echo "help_examples.sh: FAIL: 'nvmsim_torch.py --help' has no examples" >&2; fails=$((fails + 1)); }
    while IFS= read -r line; do
        checks=$((checks + 1))
        case $line in
        ./nvmsim\ *) cmd="\"\$NVMSIM\" ${line#./nvmsim }" ;;
        *) cmd="\"\$PY\" \"\$REPO/scripts/nvmsim_torch.py\" ${line#* scripts/nvmsim_torch.py }" ;;
        esac
        if ! eval "$cmd" >"$T/out" 2>&1; then
            fails=$((fails + 1))
            echo "help_examples.sh: FAIL: '$line' (NVMSIM_DATA=$T/syn): $(tail -1 "$T/out")" >&2
        fi
    done <"$T/ex-torch"
else
    echo "help_examples.sh: scripts/nvmsim_torch.py's examples skipped: no python3 with torch" >&2
fi
after=$(git -C "$REPO" status --porcelain 2>/dev/null || echo no-git)
checks=$((checks + 1))
[ "$before" = "$after" ] || { fails=$((fails + 1)); echo "help_examples.sh: FAIL: the examples changed files of the repository" >&2; }
printf '%-14s %s (%d checks, %d failed)\n' "help examples" "$([ $fails -eq 0 ] && echo ok || echo FAIL)" $checks $fails >&2
[ $fails -eq 0 ]
