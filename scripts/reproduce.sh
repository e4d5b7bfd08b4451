#!/bin/sh
# make reproduce: every study behind results/ from scratch (scripts/study.sh for each), then the figures
# and summaries. results/reproduce.log gets each part's wall time and the total; each study's own
# results/STUDY/runs.log has the command and wall time of every run.
#   sh scripts/reproduce.sh [STUDY...]     (default: paper device remedies)
set -eu
cd "$(dirname "$0")/.."
PY=
for p in /usr/bin/python3 python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import matplotlib' >/dev/null 2>&1; then PY=$p; break; fi
done
STUDIES=${*:-paper device remedies}
LOG=results/reproduce.log
start=$(date +%s)
echo "# reproduce started $(date -u +%Y-%m-%dT%H:%M:%SZ): $STUDIES" >>"$LOG"
for s in $STUDIES; do
    t0=$(date +%s)
    sh scripts/study.sh "$s"
    echo "$s: $(( $(date +%s) - t0 )) s  (sh scripts/study.sh $s; per run: results/$s/runs.log)" >>"$LOG"
done
python3 scripts/summarize_results.py
python3 scripts/summarize_device.py
[ -f scripts/summarize_remedies.py ] && ${PY:-python3} scripts/summarize_remedies.py
[ -n "$PY" ] && make -s figures
echo "total: $(( $(date +%s) - start )) s" >>"$LOG"
