#!/bin/bash
# submit.sh: run one nvmsim sweep on a Slurm cluster as a job array, merged into the CSV that a single
# machine would write (byte for byte).
#
#   scripts/slurm/submit.sh [--shards N] [--nvmsim PATH] [--dry-run] [SBATCH OPTIONS...] \
#       -- sweep ARGS... --out FILE
#
# It submits three things (see `man sbatch` for the options used):
#   1. a train job:     nvmsim sweep ARGS --train-only
#                       trains every base network once and saves it beside FILE (FILE.n<NFE>.b<B>.nvm);
#   2. a job array:     tasks 0..N-1, each   nvmsim sweep ARGS --shard K/N --threads $SLURM_CPUS_PER_TASK
#                       starts only when job 1 succeeded (--dependency=afterok), loads the trained networks,
#                       computes every cell whose index is K modulo N into FILE.shard-K-of-N.csv;
#                       --requeue: a task Slurm requeues (node failure, preemption) resumes its .part file;
#   3. a merge job:     nvmsim merge --out FILE FILE.shard-0-of-N.csv ... FILE.shard-(N-1)-of-N.csv
#                       starts when every array task succeeded and writes FILE + FILE.json in grid order.
# If a job fails, the jobs waiting on it are cancelled (--kill-on-invalid-dep=yes) rather than left
# pending forever; what to do then is printed below and kept in FILE.slurm/README.
#
# Options (before the `--`):
#   --shards N       number of array tasks [4]; aim for a few minutes of work per shard or more
#   --nvmsim PATH    the nvmsim binary [nvmsim on PATH, else the repository's ./nvmsim]; every node must
#                    be able to run it at that path (shared file system)
#   --dry-run        print the sbatch commands, submit nothing, create nothing
#   anything else    passed to all three sbatch calls: -p/--partition, -t/--time, -A/--account,
#                    -c/--cpus-per-task, --mem, --qos, ... (not --array, --dependency, --output, --error,
#                    --wrap: this script sets those)
#
# Logs: FILE.slurm/train.JOBID.log, FILE.slurm/shard-K-of-N.ARRAYJOBID.log (appended to when a task is
# requeued), FILE.slurm/merge.JOBID.log. Job ids: FILE.slurm/jobs.env. Jobs run in the directory you
# submit from and inherit your environment (NVMSIM_DATA, PATH, ...), so relative paths mean the same.
#
# Exit status: 0 submitted (or printed, with --dry-run); 2 bad command line; 4 sbatch failed.
set -u

prog=scripts/slurm/submit.sh
here=$(cd "$(dirname "$0")" && pwd)
template=$here/nvmsim.sbatch            # the batch script, commented
usage() { echo "$prog: $1 (see $prog --help)" >&2; exit 2; }

# ---- command line -----------------------------------------------------------------------------------
shards=4 nvmsim= dry=no
sbatch_opts=()
while [ $# -gt 0 ]; do
    case $1 in
    --) shift; break ;;
    --shards) [ $# -ge 2 ] || usage "--shards needs a value"; shards=$2; shift 2 ;;
    --shards=*) shards=${1#*=}; shift ;;
    --nvmsim) [ $# -ge 2 ] || usage "--nvmsim needs a value"; nvmsim=$2; shift 2 ;;
    --nvmsim=*) nvmsim=${1#*=}; shift ;;
    --dry-run) dry=yes; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -a|--array|--array=*|-d|--dependency|--dependency=*|-o|--output|--output=*|-e|--error|--error=*|--wrap|--wrap=*|--parsable)
        usage "$1 is set by this script; do not pass it" ;;
    *) sbatch_opts+=("$1"); shift ;;
    esac
done
case $shards in ''|*[!0-9]*|0*) usage "--shards must be a positive integer, not '$shards'" ;; esac
[ $# -gt 0 ] && [ "$1" = sweep ] || usage "expected '-- sweep ARGS... --out FILE' after the options"
sweep_args=("$@")                       # sweep ARGS..., passed to nvmsim verbatim

# --out FILE (or --out=FILE; the last one counts, as in nvmsim); flags the jobs set themselves are refused.
out=
for ((i = 1; i < ${#sweep_args[@]}; i++)); do
    a=${sweep_args[i]}
    case $a in
    --out) out=${sweep_args[i+1]:-} ;;
    --out=*) out=${a#--out=} ;;
    --shard|--shard=*|--train-only|--resume|--resume=*|--threads|--threads=*)
        usage "the sweep must not have $a: the jobs add --train-only, --shard, --resume and --threads (use --cpus-per-task)" ;;
    esac
done
[ -n "$out" ] || usage "the sweep needs --out FILE (the shards and logs are named after it)"

if [ -z "$nvmsim" ]; then
    nvmsim=$(command -v nvmsim 2>/dev/null || true)
    [ -n "$nvmsim" ] || nvmsim=$here/../../nvmsim
fi
[ -f "$nvmsim" ] && [ -x "$nvmsim" ] || usage "no nvmsim binary at '$nvmsim' (build it with make, or give --nvmsim PATH)"
nvmsim=$(cd "$(dirname "$nvmsim")" && pwd)/$(basename "$nvmsim")
[ -r "$template" ] || usage "missing $template"

# ---- the three sbatch commands ------------------------------------------------------------------------
dir=$PWD
logs=$out.slurm
last=$((shards - 1))
common=(--chdir="$dir" --kill-on-invalid-dep=yes)
args=("$nvmsim" "$shards" "$out" "${sweep_args[@]}")
train_cmd=(sbatch --parsable "${common[@]}" --job-name=nvmsim-train --output="$logs/train.%j.log"
           "${sbatch_opts[@]}" "$template" train "${args[@]}")
array_cmd=(sbatch --parsable "${common[@]}" --job-name=nvmsim-shard --array="0-$last" --requeue
           --open-mode=append --output="$logs/shard-%a-of-$shards.%A.log" --dependency=afterok:TRAIN_JOB
           "${sbatch_opts[@]}" "$template" shard "${args[@]}")
merge_cmd=(sbatch --parsable "${common[@]}" --job-name=nvmsim-merge --output="$logs/merge.%j.log"
           --dependency=afterok:ARRAY_JOB "${sbatch_opts[@]}" "$template" merge "${args[@]}")

q() {           # a command line, quoted (only where needed) so that it can be pasted back into a shell
    local a sep=
    for a in "$@"; do
        case $a in
        '' | *[!A-Za-z0-9_./:=,%@+-]*) a="'${a//\'/\'\\\'\'}'" ;;
        esac
        printf '%s%s' "$sep" "$a"
        sep=' '
    done
}

if [ $dry = yes ]; then
    echo "# dry run: nothing submitted; these are the commands, in order (run from $(q "$dir"))"
    echo "mkdir -p $(q "$logs")"
    echo "TRAIN_JOB=\$($(q "${train_cmd[@]}"))"
    echo "ARRAY_JOB=\$($(q "${array_cmd[@]}" | sed 's/afterok:TRAIN_JOB/afterok:$TRAIN_JOB/'))"
    echo "MERGE_JOB=\$($(q "${merge_cmd[@]}" | sed 's/afterok:ARRAY_JOB/afterok:$ARRAY_JOB/'))"
    exit 0
fi

command -v sbatch >/dev/null 2>&1 || { echo "$prog: sbatch not found: run this on a Slurm login node" >&2; exit 2; }
# Slurm does not create log directories: a job whose --output directory is missing fails silently.
mkdir -p "$logs" || { echo "$prog: cannot create $logs" >&2; exit 2; }

submitted=()
submit() {      # sbatch ... → prints the job id (--parsable prints "id" or "id;cluster")
    local id
    id=$("$@") && [ -n "$id" ] && { echo "${id%%;*}"; return 0; }
    echo "$prog: sbatch failed: $(q "$@")" >&2
    # all three or none: cancel what was already submitted
    [ ${#submitted[@]} -gt 0 ] && scancel "${submitted[@]}" && echo "$prog: cancelled job(s) ${submitted[*]}" >&2
    exit 4
}
train_job=$(submit "${train_cmd[@]}") || exit 4
submitted+=("$train_job")
array_cmd=("${array_cmd[@]/afterok:TRAIN_JOB/afterok:$train_job}")
array_job=$(submit "${array_cmd[@]}") || exit 4
submitted+=("$array_job")
merge_cmd=("${merge_cmd[@]/afterok:ARRAY_JOB/afterok:$array_job}")
merge_job=$(submit "${merge_cmd[@]}") || exit 4
printf 'TRAIN_JOB=%s\nARRAY_JOB=%s\nMERGE_JOB=%s\nSHARDS=%s\n' "$train_job" "$array_job" "$merge_job" \
    "$shards" > "$logs/jobs.env"

# ---- what to do next (also kept in FILE.slurm/README) ---------------------------------------------------
k_part=$out.shard-\$K-of-$shards.csv.part
resubmit=()                                 # the array command for task $K alone, without the dependency
for a in "${array_cmd[@]}"; do
    case $a in
    --array=*) resubmit+=("--array=K_PLACEHOLDER") ;;
    --dependency=*) ;;
    *) resubmit+=("$a") ;;
    esac
done
{
cat <<EOF
submitted: train job $train_job -> array job $array_job (tasks ${array_job}_0 .. ${array_job}_$last) -> merge job $merge_job
result:    $out (+ $out.json) when merge job $merge_job has finished; shards: $out.shard-K-of-$shards.csv
logs:      $logs/  (train.$train_job.log, shard-K-of-$shards.$array_job.log, merge.$merge_job.log; ids in jobs.env)

watch:     squeue -j $train_job,$array_job,$merge_job   # every job still queued or running; empty once all are done
           tail -f $logs/shard-*-of-$shards.$array_job.log
           scontrol show job $merge_job   # why a job waits: Reason=...

If a shard fails or is cancelled, the merge job is cancelled too; finished shards are kept. Then:
  re-run shard K by hand (here, or inside salloc/srun), set K first; add --resume if $k_part exists:
    K=0; cd $(q "$dir") && $(q "$nvmsim" "${sweep_args[@]}") --shard \$K/$shards
  or re-submit it (it resumes its .part by itself):
    K=0; cd $(q "$dir") && $(q "${resubmit[@]}" | sed 's/K_PLACEHOLDER/$K/')
  then merge by hand:
    cd $(q "$dir") && $(q "$nvmsim" merge --out "$out") $(q "$out").shard-*-of-$shards.csv
  (or run the same submit.sh command again: finished shards are kept, half-done ones resume.)
A task that is still running can be sent back to the queue with: scontrol requeue ${array_job}_K
EOF
} | tee "$logs/README"
