#!/usr/bin/env bash
# tests/slurm.sh [NVMSIM]: scripts/slurm/submit.sh on a real one-node Slurm cluster started here.
#
# As root: installs slurmctld, slurmd, slurm-client and munge with apt if missing (skips with one line,
# exit 0, only if that is impossible), writes a private slurm.conf into a temp dir, starts munged (or
# reuses one that is already running, and then leaves it alone), slurmctld and slurmd, waits for the node to
# be idle, checks submit.sh's command-line errors, --dry-run and a failing sbatch, then for each nvmsim
# below runs four scenarios through submit.sh (train job -> job array ->
# merge job) and compares the merged CSV with a plain one-machine sweep of the same arguments (cmp):
#   4 shards; 3 shards; one array task cancelled mid-run (scancel), the merge job cancelled with it, the
#   shard re-run by hand and merged by hand with the commands submit.sh printed; one task requeued mid-run
#   (scontrol requeue), resuming its .part, merged by the merge job.
# "Mid-run" is made deterministic: a wrapper stops (SIGSTOP) the chosen shard once it has written a row.
#
#   * a mock nvmsim (bash, implementing the sweep --train-only / --shard / merge contract on fake cells):
#     always; this checks the cluster machinery, submit.sh and nvmsim.sbatch.
#   * the real NVMSIM: when `NVMSIM sweep --help` mentions --shard and $NVMSIM_DATA has MNIST; otherwise
#     one line says why only the cluster smoke ran.
# At exit (trap) it cancels its jobs, stops exactly the daemons it started (by their pid files) and removes
# its temp dir. Every wait is bounded; a failure prints the daemons' and jobs' logs.
set -u
t_start=$(date +%s)
repo=$(cd "$(dirname "$0")/.." && pwd)
submit=$repo/scripts/slurm/submit.sh
nvmsim=${1:-$repo/nvmsim}
case $nvmsim in /*) ;; *) nvmsim=$PWD/$nvmsim ;; esac
data=${NVMSIM_DATA:-$repo/data}
[ -d "$data" ] && data=$(cd "$data" && pwd)          # jobs run elsewhere: make it absolute
export NVMSIM_DATA=$data
# The sweep of the real check: 2 N_FE x 2 bases x 6 chips x 5 alphas = 120 cells, about 1 s on one core.
ARGS=(--net mlp2 --nfe 16,24 --bases 2 --train-limit 2000 --test-limit 500 --epochs 2
      --alpha 0:1:0.25 --runs 6 --retrain-epochs 1)
SB=(-p nvmtest -t 10 -c 1)                 # sbatch options passed through submit.sh to all three jobs

say() { echo "slurm.sh: [$(($(date +%s) - t_start)) s] $*"; }
T= cur=                                    # cur: the scenario running (its job logs are shown on failure)
dump_logs() {
    [ -n "$T" ] && [ -d "$T" ] || return 0
    echo "---- squeue"; squeue 2>&1 | head -30
    for f in "$T"/log/* "$T"/munge/munged.log; do
        [ -f "$f" ] && { echo "---- $f (last 30 lines)"; tail -n 30 "$f"; }
    done
    find "${cur:-$T/w}" -path '*.slurm/*.log' 2>/dev/null | sort | while read -r f; do
        echo "---- $f"; tail -n 15 "$f"
    done
}
fail() { echo "slurm.sh: FAIL: $*" >&2; dump_logs >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || { say "SKIP: must run as root (it installs packages and starts munged, slurmctld, slurmd)"; exit 0; }

# ---- packages -------------------------------------------------------------------------------------------
missing() {
    local m=() p
    for p in slurmctld:slurmctld slurmd:slurmd sbatch:slurm-client munged:munge; do
        command -v "${p%%:*}" >/dev/null 2>&1 || m+=("${p#*:}")
    done
    echo "${m[@]:-}"
}
need=$(missing)
if [ -n "$need" ]; then
    say "installing $need (apt)"
    # Debian's maintainer scripts would start munged; a policy-rc.d that denies it keeps the machine clean
    # (created only if there is none, removed again right after).
    rcd=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && rcd=yes
    fi
    inst() { env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y \
                 --no-install-recommends $need > /tmp/nvmsim-slurm-apt.log 2>&1 < /dev/null; }
    inst || { apt-get -o DPkg::Lock::Timeout=300 update > /tmp/nvmsim-slurm-apt.log 2>&1 < /dev/null && inst; }
    [ -n "$rcd" ] && rm -f /usr/sbin/policy-rc.d
    if [ -n "$(missing)" ]; then
        say "SKIP: cannot install $(missing) with apt-get (see /tmp/nvmsim-slurm-apt.log)"
        exit 0
    fi
    rm -f /tmp/nvmsim-slurm-apt.log
fi

# ---- temp dir, cleanup ------------------------------------------------------------------------------------
T=$(mktemp -d /tmp/nvmsim-slurm.XXXXXX) || fail "mktemp"
chmod 755 "$T"                             # munged runs as the munge user and must reach $T/munge
mkdir -p "$T/state" "$T/spool" "$T/log" "$T/w" "$T/munge"
our_munged=no
stop_pidfile() {            # stop_pidfile FILE NAME: TERM the daemon in FILE, wait (bounded), then KILL
    local f=$1 pid i
    [ -s "$f" ] || return 0
    pid=$(cat "$f")
    case $pid in ''|*[!0-9]*) return 0 ;; esac
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "slurm.sh: $2 (pid $pid) ignored SIGTERM for 10 s: SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null
}
cleanup() {
    local rc=$? i
    trap - EXIT INT TERM
    if [ -s "$T/slurmctld.pid" ] && kill -0 "$(cat "$T/slurmctld.pid")" 2>/dev/null; then
        scancel --user=root >/dev/null 2>&1     # only our private cluster: SLURM_CONF points at it
        for i in $(seq 100); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.1; done
    fi
    stop_pidfile "$T/slurmd.pid" slurmd
    stop_pidfile "$T/slurmctld.pid" slurmctld
    [ $our_munged = yes ] && stop_pidfile "$T/munge/munged.pid" munged
    rm -rf "$T"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- munged -------------------------------------------------------------------------------------------------
munge_ok() { munge -n < /dev/null 2>/dev/null | unmunge > /dev/null 2>&1; }
if munge_ok; then
    say "reusing the munged already running (left running)"
else
    # The default socket (/run/munge/munge.socket.2), which slurm's auth/munge uses; its directory must
    # belong to the munge user. Key: the system's, or a fresh one for this run.
    mkdir -p /run/munge && chown munge:munge /run/munge && chmod 755 /run/munge
    chown munge:munge "$T/munge"
    key=/etc/munge/munge.key
    if [ ! -r "$key" ]; then
        key=$T/munge/munge.key
        mungekey --create --keyfile="$key" >/dev/null 2>&1 ||
            dd if=/dev/urandom of="$key" bs=1 count=1024 2>/dev/null
        chown munge:munge "$key" && chmod 400 "$key"
    fi
    runuser -u munge -- munged --key-file="$key" --pid-file="$T/munge/munged.pid" \
        --log-file="$T/munge/munged.log" --seed-file="$T/munge/munged.seed" ||
        fail "munged did not start"
    our_munged=yes
    for i in $(seq 50); do munge_ok && break; sleep 0.1; done
    munge_ok || fail "munged started but munge/unmunge do not work"
fi

# ---- slurm.conf, slurmctld, slurmd -------------------------------------------------------------------------
port_used() {      # is TCP port $1 listening (IPv4 or IPv6)?
    local hex
    hex=$(printf '%04X' "$1")
    grep -Eq ":$hex [0-9A-F]+:[0-9A-F]{4} 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port=$((20000 + RANDOM % 20000))
while port_used $port || port_used $((port + 1)); do port=$((port + 2)); done
mem=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
cat > "$T/slurm.conf" <<EOF
# A one-node cluster for tests/slurm.sh only.
ClusterName=nvmtest
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
# start jobs as soon as they are eligible (the default waits up to 3 s to batch them)
SchedulerParameters=batch_sched_delay=0
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
# the node's real layout may differ from CPUs=2 (more cores, hyper-threads): use the configured one
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=5
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=nvmtest Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
for v in $(compgen -e | grep '^SLURM_'); do unset "$v"; done   # e.g. when run inside a Slurm job
export SLURM_CONF=$T/slurm.conf
slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" -N localhost || fail "slurmd did not start"
state=
for i in $(seq 150); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    sleep 0.2
done
[ "$state" = idle ] || fail "node not idle after 30 s (state '$state'; $(sinfo -h -R 2>&1))"
say "cluster up: slurm $(sinfo -V | awk '{print $2}'), node localhost idle, ports $port-$((port + 1))"

# ---- helpers ------------------------------------------------------------------------------------------------
# job_states ID...: "JobId=... JobState=..." of every record (array tasks one by one)
job_states() {
    local id
    for id in "$@"; do
        scontrol show job -o "$id" 2>/dev/null | sed -nE 's/^JobId=([0-9]+) .*JobState=([A-Z_]+).*/\1 \2/p'
    done
}
job_state() { scontrol show job -o "$1" 2>/dev/null | sed -nE 's/.*JobState=([A-Z_]+).*/\1/p' | head -n 1; }
# wait_jobs SECONDS ID...: until no record of the jobs is pending/running
wait_jobs() {
    local limit=$1 i
    shift
    for i in $(seq $((limit * 5))); do
        job_states "$@" | grep -Eq ' (PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|REQUEUE_HOLD|REQUEUE_FED|RESIZING|SUSPENDED|SIGNALING|STAGE_OUT)$' || return 0
        sleep 0.2
    done
    fail "jobs $* still not finished after $limit s: $(job_states "$@" | tr '\n' ' ')"
}
# expect_state ID STATE: every record of job ID is in STATE
expect_state() {
    local bad
    bad=$(scontrol show job -o "$1" 2>/dev/null | grep -v "JobState=$2 " | sed -nE 's/^JobId=([0-9]+) .*JobState=([A-Z_]+).*/job \1: \2/p')
    [ -z "$bad" ] || fail "expected job $1 $2, got: $bad"
    scontrol show job -o "$1" 2>/dev/null | grep -q "JobState=$2 " || fail "job $1 unknown to slurmctld"
}
wait_file() {      # wait_file SECONDS FILE
    local i
    for i in $(seq $(($1 * 20))); do [ -s "$2" ] && return 0; sleep 0.05; done
    fail "$2 did not appear within $1 s"
}

# A wrapper around an nvmsim: the shard named in $T/hold (e.g. "1/3") runs once in the background and is
# stopped (SIGSTOP, with its child processes) as soon as its .part holds a finished row; $T/held then says "stopped", or "finished"
# when the shard was done before that (too fast to catch); $T/held-pids lists the stopped processes. Every
# other call is the nvmsim itself.
# Slurm kills a job with SIGCONT, then SIGTERM: a shard woken by the SIGCONT could finish its last cells before
# the SIGTERM lands. So the test first queues a SIGTERM on the stopped processes (term_held), which they
# receive the moment Slurm's SIGCONT wakes them: the kill really happens mid-run, every time.
make_holder() {     # make_holder REAL_NVMSIM → $T/hold-nvmsim
    cat > "$T/hold-nvmsim" <<EOF
#!/bin/bash
real='$1' T='$T'
EOF
    cat >> "$T/hold-nvmsim" <<'EOF'
shard= out=
prev=
for a in "$@"; do
    case $prev in --shard) shard=$a ;; --out) out=$a ;; esac
    case $a in --out=*) out=${a#--out=} ;; esac
    prev=$a
done
stop_tree() {       # SIGSTOP a process and everything it started (a shard may be more than one process)
    local c
    kill -STOP "$1" 2>/dev/null && echo "$1" >> "$T/held-pids"
    for c in $(pgrep -P "$1"); do stop_tree "$c"; done
}
if [ -n "$shard" ] && [ -s "$T/hold" ] && [ "$(cat "$T/hold")" = "$shard" ]; then
    rm -f "$T/hold"                  # only the first run is held; the re-run goes straight through
    part=$out.shard-${shard%/*}-of-${shard#*/}.csv.part
    "$real" "$@" &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        if [ -f "$part" ] && [ "$(wc -l < "$part")" -ge 2 ]; then
            stop_tree $pid; echo stopped > "$T/held"; break
        fi
        sleep 0.005
    done
    [ -s "$T/held" ] || echo finished > "$T/held"
    wait $pid
    exit $?
fi
exec "$real" "$@"
EOF
    chmod 755 "$T/hold-nvmsim"
}

term_held() { kill -TERM $(cat "$T/held-pids") 2>/dev/null; }

# The mock nvmsim: `sweep ... --out F [--runs R]` has R*10 cells (row "cell,value"), CELL_SLEEP s each;
# --train-only writes F.n1.b0.nvm (a shard refuses to start without it: that checks the dependency);
# --shard K/N, --resume, --overwrite, merge: as nvmsim's contract says, with its exit codes.
cat > "$T/mock-nvmsim" <<'EOF'
#!/bin/bash
set -u
cmd=${1:-}; shift
out= shard= train=no resume=no overwrite=no runs=1
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    --shard) shard=$2; shift ;;
    --runs) runs=$2; shift ;;
    --train-only) train=yes ;;
    --resume) resume=yes ;;
    --overwrite) overwrite=yes ;;
    --*) [ $# -gt 1 ] && [ "${2#--}" = "$2" ] && shift ;;     # any other flag and its value
    *) [ "$cmd" = merge ] && break ;;
    esac
    shift
done
cells=$((runs * 10))
case $cmd in
sweep)
    if [ $train = yes ]; then sleep 1; echo trained > "$out.n1.b0.nvm"; exit 0; fi
    k=0 n=1 csv=$out
    if [ -n "$shard" ]; then
        k=${shard%/*} n=${shard#*/} csv=$out.shard-$k-of-$n.csv
        [ -e "$out.n1.b0.nvm" ] || { echo "mock: $out.n1.b0.nvm missing: shard ran before the train job" >&2; exit 3; }
    fi
    [ -e "$csv" ] && [ $overwrite = no ] && { echo "mock: $csv is finished (--overwrite)" >&2; exit 2; }
    part=$csv.part done=0
    if [ $resume = yes ]; then
        [ -e "$part" ] || { echo "mock: nothing to resume in $part" >&2; exit 2; }
        done=$(($(wc -l < "$part") - 1))
        echo "mock: resuming $part after $done rows"
    else
        echo "cell,value" > "$part"
    fi
    trap 'echo "mock: interrupted, rows kept in $part" >&2; exit 130' TERM INT
    j=0
    for ((c = k; c < cells; c += n)); do
        if [ $j -ge $done ]; then sleep "${CELL_SLEEP:-0}"; echo "$c,$((c * c % 97))" >> "$part"; fi
        j=$((j + 1))
    done
    mv "$part" "$csv" && echo '{"status": "complete"}' > "$csv.json" ;;
merge)
    for f in "$@"; do [ -f "$f" ] || { echo "mock merge: missing shard $f" >&2; exit 3; }; done
    tail -q -n +2 "$@" | sort -t, -k1,1n > "$out.tmp"
    m=$(wc -l < "$out.tmp")
    [ "$(cut -d, -f1 "$out.tmp" | tr '\n' ' ')" = "$(seq -s ' ' 0 $((m - 1))) " ] ||
        { echo "mock merge: shards do not cover the cells exactly once" >&2; exit 3; }
    { echo "cell,value"; cat "$out.tmp"; } > "$out" && rm -f "$out.tmp" && echo '{}' > "$out.json" ;;
*) echo "mock: unknown command $cmd" >&2; exit 2 ;;
esac
EOF
chmod 755 "$T/mock-nvmsim"

# submit_in DIR SHARDS NVMSIM: submit.sh --out r.csv from DIR; sets TRAIN_JOB ARRAY_JOB MERGE_JOB
submit_in() {
    cur=$1
    mkdir -p "$1"
    (cd "$1" && "$submit" --shards "$2" --nvmsim "$3" "${SB[@]}" -- sweep "${ARGS[@]}" --out r.csv) \
        > "$1/submit.out" 2>&1 || { cat "$1/submit.out"; fail "submit.sh failed in $1"; }
    . "$1/r.csv.slurm/jobs.env"
}
same_csv() {       # same_csv FILE REF WHAT
    [ -f "$1" ] || fail "$3: no merged CSV $1"
    cmp -s "$1" "$2" || { diff "$2" "$1" | head -n 10; fail "$3: $1 differs from the one-machine sweep"; }
    say "ok: $3 (merged CSV identical to the one-machine sweep, $(($(wc -l < "$1") - 1)) rows)"
}

# scenarios NAME NVMSIM: the four cluster runs against a plain sweep of the same arguments
scenarios() {
    local name=$1 nv=$2 w=$T/w/$1 d k line
    mkdir -p "$w"
    "$nv" sweep "${ARGS[@]}" --out "$w/ref.csv" > "$w/ref.out" 2>&1 || { cat "$w/ref.out"; fail "$name: plain sweep failed"; }
    make_holder "$nv"

    for k in 4 3; do
        d=$w/s$k
        submit_in "$d" $k "$nv"
        wait_jobs 90 $TRAIN_JOB $ARRAY_JOB $MERGE_JOB
        expect_state $TRAIN_JOB COMPLETED; expect_state $ARRAY_JOB COMPLETED; expect_state $MERGE_JOB COMPLETED
        ls "$d"/r.csv.n*.b*.nvm > /dev/null 2>&1 || fail "$name: the train job left no r.csv.n*.b*.nvm"
        same_csv "$d/r.csv" "$w/ref.csv" "$name, $k shards"
    done

    # One task cancelled mid-run: the merge job must go too; re-run and merge by hand as submit.sh says.
    d=$w/cancel
    rm -f "$T/held" "$T/held-pids"; echo 1/3 > "$T/hold"
    submit_in "$d" 3 "$T/hold-nvmsim"
    wait_file 60 "$T/held"
    [ "$(cat "$T/held")" = stopped ] || fail "$name: shard 1/3 finished before it could be stopped mid-run"
    [ "$(job_state ${ARRAY_JOB}_1)" = RUNNING ] || fail "$name: task ${ARRAY_JOB}_1 is $(job_state ${ARRAY_JOB}_1), not RUNNING"
    term_held
    scancel ${ARRAY_JOB}_1
    wait_jobs 60 $TRAIN_JOB $ARRAY_JOB $MERGE_JOB
    expect_state ${ARRAY_JOB}_1 CANCELLED
    expect_state ${ARRAY_JOB}_0 COMPLETED; expect_state ${ARRAY_JOB}_2 COMPLETED
    expect_state $MERGE_JOB CANCELLED
    [ ! -e "$d/r.csv" ] || fail "$name: r.csv exists although a shard was cancelled"
    [ -f "$d/r.csv.shard-1-of-3.csv.part" ] || fail "$name: the cancelled shard left no .part"
    [ ! -e "$d/r.csv.shard-1-of-3.csv" ] || fail "$name: the cancelled shard is complete"
    line=$(grep -E '^    K=0; cd .* --shard \$K/3$' "$d/submit.out") || fail "$name: submit.sh printed no by-hand shard command"
    (eval "${line/K=0;/K=1;} --resume") > "$d/rerun.out" 2>&1 || { cat "$d/rerun.out"; fail "$name: by-hand re-run of shard 1 failed"; }
    line=$(grep -E '^    cd .* merge --out ' "$d/submit.out") || fail "$name: submit.sh printed no by-hand merge command"
    (eval "$line") > "$d/merge.out" 2>&1 || { cat "$d/merge.out"; fail "$name: by-hand merge failed"; }
    same_csv "$d/r.csv" "$w/ref.csv" "$name, task 1 of 3 cancelled mid-run (scancel), re-run and merged by hand"

    # One task requeued mid-run: it resumes its .part by itself, and the merge job still runs.
    d=$w/requeue
    rm -f "$T/held" "$T/held-pids"; echo 2/3 > "$T/hold"
    submit_in "$d" 3 "$T/hold-nvmsim"
    wait_file 60 "$T/held"
    [ "$(cat "$T/held")" = stopped ] || fail "$name: shard 2/3 finished before it could be stopped mid-run"
    term_held
    scontrol requeue ${ARRAY_JOB}_2 || fail "$name: scontrol requeue ${ARRAY_JOB}_2 failed"
    # A requeued job may start only 2 minutes later (BeginTime); once it is pending again, allow it sooner.
    # Not at once: slurmd refuses a job credential issued in the same second as the revocation of the
    # killed run's ("Job credential revoked", the job FAILS), so 2 s later.
    for i in $(seq 150); do [ "$(job_state ${ARRAY_JOB}_2)" = PENDING ] && break; sleep 0.2; done
    [ "$(job_state ${ARRAY_JOB}_2)" = PENDING ] || fail "$name: requeued task is $(job_state ${ARRAY_JOB}_2), not PENDING"
    sleep 2
    scontrol update JobId=${ARRAY_JOB}_2 StartTime=now || fail "$name: scontrol update StartTime=now failed"
    wait_jobs 90 $TRAIN_JOB $ARRAY_JOB $MERGE_JOB
    expect_state $ARRAY_JOB COMPLETED; expect_state $MERGE_JOB COMPLETED
    grep -q 'restart 1' "$d"/r.csv.slurm/shard-2-of-3.*.log &&
        grep -q -- '--shard 2/3 .*--resume' "$d"/r.csv.slurm/shard-2-of-3.*.log ||
        fail "$name: the requeued task did not run again with --resume"
    same_csv "$d/r.csv" "$w/ref.csv" "$name, task 2 of 3 requeued mid-run (scontrol requeue), resumed, merged by the merge job"
}

# ---- submit.sh's command line: bad ones are one line + exit 2, --dry-run submits nothing, a failed sbatch
#      leaves nothing queued --------------------------------------------------------------------------------
d=$T/w/cmdline
mkdir -p "$d"
cur=$d
check_usage() {     # check_usage WHAT SUBMIT-ARGS...: exit 2, one line on stderr, nothing submitted
    local what=$1 rc
    shift
    (cd "$d" && "$submit" "$@") > "$d/out" 2> "$d/err"
    rc=$?
    [ $rc -eq 2 ] || fail "submit.sh with $what: exit $rc, not 2"
    [ "$(wc -l < "$d/err")" -eq 1 ] && [ ! -s "$d/out" ] || fail "submit.sh with $what: not one line: $(cat "$d/err")"
}
check_usage "--shards 0" --shards 0 --nvmsim "$T/mock-nvmsim" -- sweep --out r.csv
check_usage "--shards x" --shards x --nvmsim "$T/mock-nvmsim" -- sweep --out r.csv
check_usage "no sweep" --nvmsim "$T/mock-nvmsim" -p nvmtest
check_usage "no --out" --nvmsim "$T/mock-nvmsim" -- sweep --net mlp2
check_usage "--threads in the sweep" --nvmsim "$T/mock-nvmsim" -- sweep --out r.csv --threads 2
check_usage "a missing nvmsim" --nvmsim "$T/none" -- sweep --out r.csv
(cd "$d" && "$submit" --dry-run --shards 3 --nvmsim "$T/mock-nvmsim" "${SB[@]}" -- sweep "${ARGS[@]}" --out r.csv) > "$d/out" 2>&1 ||
    fail "submit.sh --dry-run: $(cat "$d/out")"
[ "$(grep -c 'sbatch --parsable' "$d/out")" -eq 3 ] && grep -q -- '--array=0-2 .*--dependency=afterok:\$TRAIN_JOB' "$d/out" &&
    grep -q -- '--dependency=afterok:\$ARRAY_JOB' "$d/out" || fail "submit.sh --dry-run printed: $(cat "$d/out")"
[ ! -e "$d/r.csv.slurm" ] || fail "submit.sh --dry-run created r.csv.slurm"
(cd "$d" && "$submit" --shards 5000 --nvmsim "$T/mock-nvmsim" "${SB[@]}" -- sweep "${ARGS[@]}" --out r.csv) > "$d/out" 2>&1
rc=$?
[ $rc -eq 4 ] || fail "submit.sh --shards 5000 (more than MaxArraySize): exit $rc, not 4: $(cat "$d/out")"
sleep 0.5
[ -z "$(squeue -h -o %i)" ] || fail "a failed submit.sh left jobs queued: $(squeue -h -o '%i %j %T')"
say "ok: submit.sh: bad command lines exit 2 with one line, --dry-run submits nothing, a failed sbatch leaves no job"

# ---- the cluster smoke with the mock, then the real nvmsim if it can ----------------------------------------
export CELL_SLEEP=0.03
scenarios mock "$T/mock-nvmsim"
say "ok: cluster machinery (job array, afterok dependencies, scancel, requeue, logs) with the mock nvmsim"
unset CELL_SLEEP

if ! "$nvmsim" sweep --help 2>&1 | grep -q -- --shard; then
    say "nvmsim lacks --shard: cluster smoke only"
    exit 0
fi
if [ ! -e "$data/mnist/train-images-idx3-ubyte" ] && [ ! -e "$data/mnist/train-images-idx3-ubyte.gz" ] &&
   [ ! -e "$data/train-images-idx3-ubyte" ] && [ ! -e "$data/train-images-idx3-ubyte.gz" ]; then
    say "no MNIST in NVMSIM_DATA=$data: cluster smoke only"
    exit 0
fi
scenarios nvmsim "$nvmsim"
say "ok: all"
