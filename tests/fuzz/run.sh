#!/bin/sh
# Runs libFuzzer targets, each for SECONDS on a working copy of its seed corpus, and reports executions;
# fails if any target crashes (the reproducer is left as BUILD_DIR/crash-NAME-*).
#   Usage: tests/fuzz/run.sh BUILD_DIR SECONDS fuzz_NAME...     (see `make fuzz`)
set -u
B=$1 S=$2
shift 2
fails=0
for t in "$@"; do
    name=${t#fuzz_}
    case $name in                       # longest input worth trying, per target
    gunzip) max=16384 ;;                # room for expansion bombs against the 4 MB output limit
    idx) max=8192 ;;
    cifar) max=9300 ;;                  # three 3073-byte records and the two limit bytes
    model) max=8192 ;;                  # the seeds are tiny models (up to 3.5 KB)
    arch) max=200 ;;                    # specs are at most 127 characters
    range | noise) max=512 ;;
    *) max=4096 ;;
    esac
    work=$B/corpus/$name
    mkdir -p "$work"
    log=$B/$t.log
    start=$(date +%s)
    "$B/$t" -max_total_time="$S" -max_len=$max -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 \
        -artifact_prefix="$B/crash-$name-" "$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    printf '%-14s %s  %s executions in %d s, %s, corpus %d inputs\n' "$t" \
        "$([ $rc -eq 0 ] && echo ok || echo CRASH)" "${execs:-?}" "$secs" "${cov:-cov: ?}" \
        "$(ls "$work" | wc -l)" >&2
    if [ $rc -ne 0 ]; then
        fails=$((fails + 1))
        grep -A 30 -m 1 'ERROR\|runtime error\|fuzz invariant\|deadly signal' "$log" | head -40 >&2
        ls "$B"/crash-"$name"-* "$B"/timeout-* "$B"/oom-* 2>/dev/null >&2
    fi
done
[ $fails -eq 0 ] || echo "fuzz: $fails target(s) crashed; logs in $B/fuzz_*.log" >&2
[ $fails -eq 0 ]
