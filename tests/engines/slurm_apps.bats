#!/usr/bin/env bats
# The HPC example (examples/hpc-slurm) on Slurm 22.05: a controller, two
# workers (worker1, worker2) and a shared storage directory on this machine,
# jobs submitted with sbatch whose tasks srun runs through the app front end
# (run-task.sh: mkrun -e ./bin/task --config task.yaml --name
# hpcex-task-JOB-RANK).  The cluster is the example's own: setup_file runs
# "examples/hpc-slurm/run.sh up $ENGINE_TMP", every Slurm command goes through
# "run.sh exec" (the controller's namespaces), and the last test runs
# "run.sh down" and checks that it leaves nothing (teardown_file runs it
# again in case a test failed before).  The checks read what lands on the
# storage directory: each task's log (written by mkrun's supervisor), its
# result, the job's output; and Slurm's view of the job.

load common

bats_require_minimum_version 1.5.0

EXAMPLE=$SRCDIR/examples/hpc-slurm

# ex CMD...: CMD on the cluster's controller (sbatch, squeue, scontrol...).
function ex() {
	"$EXAMPLE/run.sh" exec "$ENGINE_TMP" "$@"
}

# job_field JOB FIELD: FIELD (JobState, ExitCode, NodeList...) of JOB.
function job_field() {
	ex scontrol show job "$1" | grep -oE "\\b$2=[^ ]*" | head -n 1 | cut -d= -f2
}

function job_done() {
	case "$(job_field "$1" JobState)" in
	PENDING | CONFIGURING | RUNNING | COMPLETING | "") return 1 ;;
	esac
}

function no_jobs() {
	[ -z "$(ex squeue -h -o %i)" ]
}

# submit SBATCH_ARGS... [-- TASK_ARGS...]: sbatch task.sbatch from the storage
# directory, wait until the job has ended; sets JOB.
function submit() {
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	JOB=$(ex sbatch --parsable --chdir="$S" "${opts[@]}" "$S/task.sbatch" "$@")
	[[ "$JOB" =~ ^[0-9]+$ ]] || return 1
	wait_until 90 job_done "$JOB"
	echo "job $JOB: $(job_field "$JOB" JobState) $(job_field "$JOB" ExitCode) on $(job_field "$JOB" NodeList)"
}

# log JOB RANK: the log of task RANK of JOB, on the storage directory.
function log() {
	echo "$S/logs/hpcex-task-$1-$2.log"
}

# task_ran JOB RANK: the task's log holds the mkrun start line, the task's
# output (timestamped, from its start to its last line) and its exit line;
# prints the node it ran on.  (Called in $(...), where set -e does not
# hold: each check returns.)
function task_ran() {
	local f
	f=$(log "$1" "$2")
	cat "$f" >&2
	grep -qE "^[0-9T:.Z-]+ mkrun info: started hpcex-task-$1-$2 \\(pid [0-9]+\\): $S/bin/task\$" "$f" || return 1
	grep -qE "^[0-9T:.Z-]+ stdout task $1\\.$2: done, 4 numbers, sum 100\$" "$f" || return 1
	grep -qE "^[0-9T:.Z-]+ mkrun info: hpcex-task-$1-$2 exited with code 0\$" "$f" || return 1
	sed -n "s/^[0-9T:.Z-]* stdout task $1\\.$2 on \\(worker[12]\\): start\$/\\1/p" "$f"
}

function setup_file() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	engine_requires munged slurmctld slurmd srun sbatch scontrol squeue sinfo scancel unshare nsenter ip cc timeout
	engine_tmpdir hpcex
	export S=$ENGINE_TMP/storage
	"$EXAMPLE/run.sh" up "$ENGINE_TMP" >"$ENGINE_TMP/up.out" 2>&1 || {
		cat "$ENGINE_TMP/up.out" >&2
		false
	}
}

function teardown_file() {
	[ -n "${ENGINE_TMP:-}" ] || return 0
	"$EXAMPLE/run.sh" down "$ENGINE_TMP" || true
	engine_cleanup_tmp
	true
}

function teardown() {
	if [ "${BATS_TEST_COMPLETED:-}" != 1 ] && [ -d "${ENGINE_TMP:-}/log" ]; then
		tail -n 15 "$ENGINE_TMP"/log/slurm*.log "$S"/logs/* >&2 2>/dev/null
	fi
	return 0
}

@test "hpc-slurm: a two-node job runs a task through mkrun on each worker; each log on storage holds its output and exit line" {
	submit -N2
	[ "$(job_field "$JOB" JobState)" = COMPLETED ]
	[ "$(job_field "$JOB" NodeList)" = "worker[1-2]" ]
	local n0 n1
	n0=$(task_ran "$JOB" 0) || return 1
	n1=$(task_ran "$JOB" 1) || return 1
	# One task on each worker.
	[ "$(printf '%s\n' "$n0" "$n1" | sort | tr '\n' ' ')" = "worker1 worker2 " ]
	# Their results, on the storage directory's outputs.
	[ "$(cat "$S/output/result-$JOB.0.txt")" = 100 ]
	[ "$(cat "$S/output/result-$JOB.1.txt")" = 100 ]
	# The job's own output (sbatch -o on storage) has both tasks' lines too.
	grep -qx "task $JOB.0: done, 4 numbers, sum 100" "$S/logs/slurm-$JOB.out"
	grep -qx "task $JOB.1: done, 4 numbers, sum 100" "$S/logs/slurm-$JOB.out"
}

@test "hpc-slurm: jobs pinned with -w run on that worker" {
	local w
	for w in worker1 worker2; do
		submit -w "$w"
		[ "$(job_field "$JOB" JobState)" = COMPLETED ]
		[ "$(job_field "$JOB" NodeList)" = "$w" ]
		[ "$(task_ran "$JOB" 0)" = "$w" ]
		[ "$(cat "$S/output/result-$JOB.0.txt")" = 100 ]
	done
}

@test "hpc-slurm: a crashing task's log holds the lines it printed and the signal; srun and Slurm see 139" {
	submit -w worker2 -- crash
	local f
	f=$(log "$JOB" 0)
	cat "$f"
	[ "$(job_field "$JOB" JobState)" = FAILED ]
	[ "$(job_field "$JOB" ExitCode)" = 139:0 ]
	grep -qE "^[0-9T:.Z-]+ mkrun info: started hpcex-task-$JOB-0 " "$f"
	grep -qE "^[0-9T:.Z-]+ stdout task $JOB\\.0 on worker2: start\$" "$f"
	grep -qE "^[0-9T:.Z-]+ stdout task $JOB\\.0: step 2: read 20, sum 30\$" "$f"
	grep -qE "^[0-9T:.Z-]+ stdout task $JOB\\.0: crashing now\$" "$f"
	grep -qE "^[0-9T:.Z-]+ mkrun warn: hpcex-task-$JOB-0 was killed by signal 11 \\(Segmentation fault\\), exit code 139\$" "$f"
	# The crash line is the last: nothing after it, no result.
	[[ "$(tail -n 1 "$f")" == *"was killed by signal 11"* ]]
	run ! grep -q 'step 3' "$f"
	[ ! -e "$S/output/result-$JOB.0.txt" ]
	grep -q "srun: error: worker2: task 0: Exited with exit code 139" "$S/logs/slurm-$JOB.out"
}

@test "hpc-slurm: the task writes only its outputs: its input and the host are read-only to it" {
	submit -w worker1
	local f
	f=$(log "$JOB" 0)
	cat "$f"
	grep -qE "stdout probe $S/input/escape-$JOB\\.0: refused: Read-only file system\$" "$f"
	grep -qE "stdout probe /etc/escape-task: refused: Read-only file system\$" "$f"
	[ -z "$(find "$S" -name 'escape-*')" ]
	[ ! -e /etc/escape-task ]
	# What the job wrote on storage: its result, its task's log and the job's
	# output, nothing else (run-task.sh's YAML copy is gone).
	[ "$(cd "$S" && find . -type f -name "*-${JOB}[.-]*" | sort | tr '\n' ' ')" = \
		"./logs/hpcex-task-$JOB-0.log ./logs/slurm-$JOB.out ./output/result-$JOB.0.txt " ]
}

@test "hpc-slurm: after the jobs no app record, container, app cgroup or per-task YAML is left" {
	wait_until 30 no_jobs
	[ -z "$(ls -A "$ENGINE_TMP/mkrun-root/.apps" 2>/dev/null)" ]
	[ -z "$("$MKRUN" --root "$ENGINE_TMP/mkrun-root" list -q)" ]
	[ -z "$(find "$S" -name '.hpcex-task-*')" ]
	# The tasks' cgroups (mkrun/app-NAME below the slurmds') are gone, in
	# every hierarchy; the slurmds' own are still there.
	local d
	while read -r d; do
		[ -d "$d" ]
		[ -z "$(find "$d" -name 'app-hpcex-task-*')" ]
	done <"$ENGINE_TMP/cgroups"
	[ "$(ex sinfo -h -N -o '%N %T' | sort | tr '\n' ' ')" = "worker1 idle worker2 idle " ]
}

@test "hpc-slurm: run.sh down stops the daemons by their pids and removes the namespaces, cgroups and directory" {
	local pids=() p d cgs
	for p in "$ENGINE_TMP"/pid/{munged,slurmctld,slurmd-worker1,slurmd-worker2,ns-controller,ns-worker1,ns-worker2}; do
		pids+=("$(cat "$p")")
	done
	for p in "${pids[@]}"; do
		kill -0 "$p"
	done
	cgs=$(cat "$ENGINE_TMP/cgroups")
	[ -n "$cgs" ]
	"$EXAMPLE/run.sh" down "$ENGINE_TMP"
	for p in "${pids[@]}"; do
		[ ! -e "/proc/$p" ] || [ "$(awk '{ print $3 }' "/proc/$p/stat")" = Z ]
	done
	for d in $cgs; do
		[ ! -e "$d" ]
	done
	[ ! -e "$ENGINE_TMP" ]
	run ! grep -F "$ENGINE_TMP" /proc/self/mountinfo
}
